"""What the evaluation means for one bidder, in sentences a lawyer can read as true.

The outcome is stated on the ranking the award is decided on: the ethics ranking when the
ethics evaluation is the whole award, the overall result when the other components are
recorded. When the service does not hold the rest of the award, the outcome is the ethics
evaluation's only and says so; no document then calls anyone the winner of the award. A
bidder tied for first is never said to be "0.00 points below" anyone: the tie-break the tender
set out decides, and the documents cite it.
"""

from ..criteria import CriteriaSet
from .numbers import percent, points

MOST_ADVANTAGEOUS = "the most advantageous tender"
HIGHEST_IN_ETHICS = "the highest-ranked tender in the ethics evaluation"


def compared_tender(ranking: dict) -> str | None:
    """The vendor id every other bidder's summary compares with: the most advantageous tender
    when the service holds the award, else the first of the ethics evaluation (tie-break
    applied); None when there is none."""
    award = ranking["award"]
    if award["basis"] != "incomplete":
        return award["winner_vendor_id"]
    return ranking["winner_vendor_id"]


def outcome(criteria_set: CriteriaSet, ranking: dict, vendor_id: str) -> dict:
    """{scope, assessed, eligible, rank, of, total, won, tied_for_first, tie_break,
    compared_with, sentences} for the bidder `vendor_id` of the stored `ranking`."""
    award = ranking["award"]
    rows = {row["vendor_id"]: row for row in ranking["ranking"]}
    row = rows[vendor_id]
    names = {v: r["vendor_name"] for v, r in rows.items()}
    overall = {o["vendor_id"]: o for o in award["overall"]}
    on_award = award["basis"] != "incomplete"
    if award["basis"] == "overall":
        rank = overall[vendor_id]["rank"] if vendor_id in overall else None
        totals = {v: o["total"] for v, o in overall.items()}
        of = len(overall)
        first = award["first_vendor_ids"]
    else:
        rank = row["rank"] if row["assessed"] else None
        totals = {v: r["total"] for v, r in rows.items() if r["assessed"]}
        of = sum(1 for r in rows.values() if r["assessed"])
        first = award["first_vendor_ids"]
    tie_break = award["tie_break"]
    chosen = compared_tender(ranking)
    label = MOST_ADVANTAGEOUS if on_award else HIGHEST_IN_ETHICS
    result = {
        "scope": "award" if on_award else "ethics_evaluation",
        "assessed": row["assessed"],
        "eligible": row.get("eligible"),
        "rank": rank,
        "of": of,
        "total": totals.get(vendor_id),
        "won": (chosen == vendor_id) if on_award else None,
        "tied_for_first": len(first) > 1 and vendor_id in first,
        "tie_break": tie_break if vendor_id in first else None,
        "compared_with": None
        if chosen in (None, vendor_id)
        else {"vendor_id": chosen, "vendor_name": names[chosen], "label": label},
    }
    result["sentences"] = _sentences(criteria_set, ranking, row, result, totals, names, first)
    return result


def _sentences(criteria_set, ranking, row, result, totals, names, first) -> list[str]:
    award = ranking["award"]
    vendor_id = row["vendor_id"]
    if not row["assessed"]:
        return ["Your tender was not assessed: no evaluation of it was current at closing."]
    if not row["eligible"]:
        reasons = "; ".join(_knockout(criteria_set, k) for k in row["knockouts"])
        sentences = [
            "Your tender was disqualified under the assessment methodology, whatever its "
            f"total ({points(row['total'])}): {reasons}."
        ]
        return sentences + _who_instead(result)
    # Where the rank is: in the award (stated as it is), overall, or in the ethics evaluation.
    where = {"ethics": "", "overall": "Overall, ", "incomplete": "In the ethics evaluation, "}
    opening = where[award["basis"]]
    scored = f"{'an overall' if award['basis'] == 'overall' else 'a'} score of"
    total = points(totals[vendor_id])
    if result["tied_for_first"]:
        others = " and ".join(names[v] for v in first if v != vendor_id)
        sentence = _start(
            opening, f"your tender tied for first with {others}, each with {scored} {total}."
        )
        tie_break = result["tie_break"]
        if tie_break is None:
            return [sentence + " No tie-break is recorded: no one is named the winner."]
        chosen = tie_break["vendor_id"]
        goes_to = "your tender" if chosen == vendor_id else names[chosen]
        decided = "the contract is to be awarded to" if result["scope"] == "award" else "it chose"
        return [
            sentence,
            f"Under the tie-break the tender documents set out, {decided} {goes_to}: "
            f"{tie_break['reason']}",
        ]
    ranked = f"your tender ranked {_place(result['rank'])} of {result['of']} with {scored} {total}."
    if result["rank"] == 1 and result["scope"] == "award":
        return [f"Your tender is {MOST_ADVANTAGEOUS}. " + _start(opening, ranked)]
    if result["rank"] == 1:
        return [
            _start(opening, ranked) + " That evaluation carries "
            f"{percent(award['ethics_share'])} of the award: this is not the award's outcome."
        ]
    sentence = _start(opening, ranked)
    compared = result["compared_with"]
    if compared is not None:
        theirs = totals[compared["vendor_id"]]
        sentence += (
            f" {compared['label'].capitalize()}, {compared['vendor_name']}'s, scored "
            f"{points(theirs)}: {points(theirs - totals[vendor_id])} more."
        )
    return [sentence]


def _start(opening: str, rest: str) -> str:
    """The sentence with its opening words, capitalised when there are none."""
    return opening + rest if opening else rest[0].upper() + rest[1:]


def _place(rank: int) -> str:
    return "first" if rank == 1 else str(rank)


def _who_instead(result: dict) -> list[str]:
    compared = result["compared_with"]
    if compared is None:
        return []
    return [f"{compared['label'].capitalize()} is {compared['vendor_name']}'s."]


def _knockout(criteria_set: CriteriaSet, knockout: dict) -> str:
    questions = {i.key: i.question for c in criteria_set.criteria for i in c.indicators}
    names = {c.key: c.name for c in criteria_set.criteria}
    if knockout["kind"] == "gate":
        gate = next(g for g in criteria_set.gates if g.key == knockout["key"])
        return (
            f"the tender did not pass the condition \u201c{' '.join(gate.question.split())}\u201d"
        )
    if knockout["kind"] == "indicator":
        return f"\u201c{questions[knockout['key']]}\u201d was at level 0, a red line"
    if knockout["kind"] == "indicator_minimum":
        return (
            f"\u201c{questions[knockout['key']]}\u201d was at level {int(knockout['value'])}, "
            f"below its minimum level of {int(knockout['threshold'])}"
        )
    return (
        f"{names[knockout['key']]} scored {points(knockout['value'])}, below its minimum of "
        f"{points(knockout['threshold'])}"
    )
