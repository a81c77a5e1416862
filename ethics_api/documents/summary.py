"""A bidder's assessment summary (Procurement Act 2023 s.50(3); Procurement Regulations 2024
reg 31), as one value that the JSON, Markdown and HTML renderings all show.

What reg 31 asks, and where it is here:
- (2)(a)-(c) the supplier's name, contact postal address, email address and unique
  identifier: `supplier`;
- (2)(d) the award criteria, their relative importance, how each was assessed by reference to
  scores and what scores were available, and where the full method is: `criteria`, `method`;
- (2)(e) the score for each criterion with an explanation by reference to the tender, each
  sub-criterion (indicator) explained, the total and sub-totals: `criteria[].score`,
  `criteria[].explanation`, `criteria[].indicators`, `outcome.total`;
- (3)(c) why the contract is not awarded to the supplier, a disqualification's reasons
  included: `outcome.sentences`;
- (3)(d) the most advantageous tender's scores and their explanations:
  `criteria[].winning_score`, `criteria[].winning_explanation`, `winning_total`.
Beyond reg 31 (its paragraph (5) allows more): the relative advantages of the winning tender
per criterion, the award the ethics evaluation is part of, the standstill period (s.51) and the
declarations of interest on record. Evaluators are never named; nor are people who declared.
"""

import datetime as dt
from collections.abc import Sequence

from ..criteria import CriteriaSet
from ..standstill import WORKING_DAYS, Standstill
from .explanations import Tender, advantages, explained
from .method import award_criteria, method_sentences
from .numbers import percent, points
from .outcome import outcome


def bidder_summary(
    *,
    procurement: dict,
    criteria_set: CriteriaSet,
    ranking: dict,
    supplier: dict,
    own: Tender | None,
    winner: Tender | None,
    declarations: Sequence[dict],
    standstill: Standstill | None,
    method_url: str,
) -> dict:
    """The summary for the bidder `supplier["vendor_id"]` of the closed `ranking`.

    `procurement`: {id, ocid, title, buyer, closed_at, min_evaluators}; `supplier`: {vendor_id,
    name, address, email, ppon, identifier}; `own` and `winner`: the bidder's and the winning
    tender's evaluations (None when not assessed, or no winner); `declarations`: the
    procurement's, oldest first ({conflict, description, mitigation}).
    """
    vendor_id = supplier["vendor_id"]
    result = outcome(criteria_set, ranking, vendor_id)
    compared = result["compared_with"]
    mine = explained(criteria_set, own) if own is not None else {}
    theirs = explained(criteria_set, winner) if winner is not None and compared else {}
    better = (
        advantages(criteria_set, own, winner, f"{compared['label']}")
        if own is not None and winner is not None and compared
        else {}
    )
    criteria = []
    for criterion in award_criteria(criteria_set, ranking):
        key = criterion["criterion"]
        own_part, winning_part = mine.get(key), theirs.get(key)
        criteria.append(
            {
                **criterion,
                "score": own_part and own_part["score"],
                "explanation": own_part and own_part["sentence"],
                "assessed": own_part and own_part["indicators"],
                "winning_score": winning_part and winning_part["score"],
                "winning_explanation": winning_part and winning_part["sentence"],
                "winning_assessed": winning_part and winning_part["indicators"],
                "advantage": better.get(key),
            }
        )
    rows = {row["vendor_id"]: row for row in ranking["ranking"]}
    return {
        "procurement": procurement,
        "supplier": supplier,
        "outcome": result,
        "ethics_total": rows[vendor_id].get("total"),
        "winning_ethics_total": rows[compared["vendor_id"]].get("total") if compared else None,
        "award": _award(ranking["award"], vendor_id, compared),
        "method": {
            "criteria_set": criteria_set.ref,
            "url": method_url,
            "sentences": method_sentences(
                criteria_set, ranking, procurement["min_evaluators"], method_url
            ),
        },
        "criteria": criteria,
        "declarations": _declarations(declarations),
        "standstill": _standstill(standstill),
        "not_covered": _not_covered(ranking["award"]),
    }


def _award(award: dict, vendor_id: str, compared: dict | None) -> dict:
    """The award model and, when the service holds it, the bidder's overall result beside
    the winning tender's: each part's score, weight and points, and their sum."""
    overall = {o["vendor_id"]: o for o in award["overall"]}
    return {
        "ethics_share": award["ethics_share"],
        "basis": award["basis"],
        "components": award["components"],
        "result": overall.get(vendor_id),
        "winning_result": overall.get(compared["vendor_id"]) if compared else None,
        "sentence": _award_sentence(award, overall.get(vendor_id)),
    }


def _award_sentence(award: dict, result: dict | None) -> str:
    if result is None:
        return award["summary"]
    parts = [
        f"the ethics evaluation's {points(result['ethics_total'])} at "
        f"{percent(award['ethics_share'])} ({points(result['ethics_points'])})"
    ] + [
        f"{c['name']}'s {points(c['score'])} at {percent(c['weight'])} ({points(c['points'])})"
        for c in result["components"]
    ]
    return f"Your overall score is {points(result['total'])}: the sum of " + ", ".join(parts) + "."


def _declarations(declarations: Sequence[dict]) -> list[dict]:
    """The declarations of interest on record, the people anonymous (numbered in the order
    they declared)."""
    found = []
    for number, declaration in enumerate(declarations, start=1):
        who = f"Panel member {number}"
        if not declaration["conflict"]:
            sentence = f"{who} declared no conflict of interest."
        else:
            sentence = f"{who} declared a conflict of interest: {declaration['description']}"
            sentence = sentence.rstrip(".") + "."
            if declaration.get("mitigation"):
                sentence += f" Mitigation recorded: {declaration['mitigation']}".rstrip(".") + "."
        found.append(
            {
                "panel_member": who,
                "conflict": declaration["conflict"],
                "description": declaration.get("description"),
                "mitigation": declaration.get("mitigation"),
                "sentence": sentence,
            }
        )
    return found


def _standstill(standstill: Standstill | None) -> dict:
    if standstill is None:
        return {
            "notice_date": None,
            "first_day": None,
            "last_day": None,
            "working_days": WORKING_DAYS,
            "holidays_skipped": [],
            "sentence": (
                "The contract award notice is not dated yet. The standstill period is the "
                f"{WORKING_DAYS} working days beginning with the day it is published "
                "(Procurement Act 2023 s.51(2)); the contract is not entered into before it "
                "ends."
            ),
        }
    skipped = [
        {"date": h.day.isoformat(), "name": h.name, "nations": list(h.nations)}
        for h in standstill.holidays_skipped
    ]
    sentence = (
        f"The contract award notice is to be published on {_day(standstill.notice_date)}. The "
        f"standstill period (Procurement Act 2023 s.51(2)) is the {WORKING_DAYS} working days "
        f"from {_day(standstill.first_day)} to {_day(standstill.last_day)}, leaving out "
        "weekends and the bank holidays of every part of the United Kingdom (s.123(1))"
    )
    if skipped:
        sentence += ": " + ", ".join(
            f"{h.name} on {_day(h.day)}" for h in standstill.holidays_skipped
        )
    sentence += (
        f". The contract will not be entered into before the end of {_day(standstill.last_day)}."
    )
    return {
        "notice_date": standstill.notice_date.isoformat(),
        "first_day": standstill.first_day.isoformat(),
        "last_day": standstill.last_day.isoformat(),
        "working_days": WORKING_DAYS,
        "holidays_skipped": skipped,
        "sentence": sentence,
    }


def _day(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _not_covered(award: dict) -> list[str]:
    """What this summary does not cover, when the ethics evaluation is not the whole award."""
    if award["ethics_share"] == 100:
        return []
    share, rest = percent(award["ethics_share"]), percent(100 - award["ethics_share"])
    if award["basis"] == "overall":
        return [
            f"This summary explains the ethics evaluation, {share} of the award, in full. The "
            f"other {rest} ("
            + ", ".join(c["name"] for c in award["components"])
            + ") was scored by the buyer outside this service: its scores are stated here as "
            "recorded, and their explanation is in the buyer's own documents."
        ]
    return [
        f"This summary covers the ethics evaluation only, which carries {share} of the award. "
        f"The other {rest} was assessed by the buyer outside this service and is not recorded "
        "here: the buyer's own summary gives those scores, the overall result and the name "
        "of the most advantageous tender."
    ]
