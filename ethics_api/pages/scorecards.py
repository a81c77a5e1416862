"""Vendors as pages: the organisation's vendors, and one vendor's scorecard explained.

The scorecard is the API's own (services.scorecards.vendor_scorecard), with the API's access
rules: a vendor reads its own vendor only, with evaluators under pseudonyms, and a procurement's
scorecard only once it closes; a blind assessor reads a combined scorecard only after
submitting their own assessment. This module turns the scorecard's exact values into what a
reader needs: numbers rounded once, as the API rounds them; every knockout in words; each
indicator with its level's description, its evidence and how fresh that evidence is.
"""

import datetime as dt
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from flask import render_template, request, url_for

from .. import per_request
from ..answers import to_evidence
from ..documents.knockouts import knockout_sentence
from ..documents.numbers import number, percent, points
from ..enums import Role
from ..errors import STATUS_OF
from ..schemas.common import CRITERIA_REF
from ..scoring import Evidence
from ..services.assessments import get_assessment
from ..services.context import Context
from ..services.errors import DomainError, Invalid, NotFound
from ..services.moderations import get_moderation
from ..services.pages import Page
from ..services.scorecards import vendor_scorecard
from ..services.vendors import get_vendor, list_vendors
from .blueprint import blp, error_page
from .charts import Bar, stacked_bars
from .session import signed_in

VENDORS_PER_PAGE = 20

EVIDENCE_KINDS = {
    "independently_verified": "Independently verified",
    "documented": "Documented",
    "self_declared": "Self-declared",
}


# --- the list of vendors ------------------------------------------------------------------------


@blp.route("/vendors", endpoint="vendors")
@signed_in()
def vendors_page():
    """The vendors the signed-in person may see, by name, a page at a time."""
    try:
        number_of_page = page_number(request.args.get("page"))
    except Invalid as exc:
        return error_page(400, exc.message)
    first = (number_of_page - 1) * VENDORS_PER_PAGE
    found = list_vendors(per_request.context(), Page(first, VENDORS_PER_PAGE))
    pages = max(1, -(-found.total // VENDORS_PER_PAGE))
    return render_template(
        "pages/vendors.html",
        vendors=found.items,
        total=found.total,
        page=number_of_page,
        pages=pages,
        first=first + 1,
        last=first + len(found.items),
    )


def page_number(text: str | None) -> int:
    """The page a `?page=` asks for, counted from 1."""
    if text is None:
        return 1
    if not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise Invalid.at("The page must be a whole number from 1.", "/page", location="query")
    return int(text)


# --- who put a knockout there (the sentence itself: documents.knockouts) ---------------------


def whose(kind: str, names) -> str:
    """Who put a knockout there, as a sentence ('' when no one is named)."""
    names = list(names)
    if not names:
        return ""
    if kind == "gate":
        return f"Recorded by {', '.join(names)}."
    return f"Levels given by {', '.join(names)}."


# --- the scorecard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    title: str
    url: str | None
    kind: str
    freshness: str
    stale: bool
    given_by: str


@dataclass
class IndicatorRow:
    key: str
    question: str
    applies: bool
    level: int | None
    descriptor: str | None
    minimum_level: int | None
    red_line: bool
    evaluators: str
    evidence_strength: str
    settled: str = ""
    disputed: bool = False
    evidence: list[EvidenceRow] = field(default_factory=list)


@dataclass(frozen=True)
class CriterionRow:
    key: str
    name: str
    weight: str
    effective_weight: str
    score: str
    contribution: str
    minimum: str
    indicators: list[IndicatorRow]


@dataclass(frozen=True)
class Knocked:
    sentence: str
    whose: str


@dataclass(frozen=True)
class Step:
    question: str
    indicator: str
    criterion: str
    from_level: int
    to_level: int
    gain: str
    clears_knockout: bool


@blp.route("/vendors/<uuid:vendor_id>", endpoint="vendor")
@signed_in()
def vendor_page(vendor_id: uuid.UUID):
    """The vendor's scorecard: standalone on a criteria set, or in a procurement."""
    context = per_request.context()
    try:
        vendor = get_vendor(context, vendor_id)
    except NotFound as exc:
        return error_page(404, exc.message)
    procurement_id = None  # once read, where the back link leads, even on a refusal
    try:
        procurement_id = procurement_query(request.args)
        card = vendor_scorecard(context, vendor.id, criteria_query(request.args), procurement_id)
    except DomainError as exc:
        page = render_template(
            "pages/vendor.html",
            vendor=vendor,
            problem=exc.message,
            procurement_id=procurement_id,
            scopes=_standalone_scopes(context, vendor.id),
        )
        return page, STATUS_OF[type(exc)]
    return render_template(
        "pages/vendor.html",
        vendor=vendor,
        problem=None,
        procurement_id=procurement_id,
        scopes=_standalone_scopes(context, vendor.id),
        **scorecard_view(context, card),
    )


def procurement_query(args) -> str | None:
    """The procurement a scorecard's query names, as the API reads it."""
    procurement_id = args.get("procurement_id")
    if procurement_id is not None:
        try:
            procurement_id = str(uuid.UUID(procurement_id))
        except ValueError:
            raise Invalid.at(
                "The procurement_id is not a procurement's id.",
                "/procurement_id",
                "Not a valid UUID.",
                location="query",
            ) from None
    return procurement_id


def criteria_query(args) -> str | None:
    """The criteria set a scorecard's query names, as the API reads it."""
    criteria_ref = args.get("criteria_set")
    if criteria_ref is not None and not re.fullmatch(CRITERIA_REF, criteria_ref):
        raise Invalid.at(
            "Name the criteria set as key@version, e.g. ai-ethics@2.",
            "/criteria_set",
            "Must be key@version.",
            location="query",
        )
    return criteria_ref


def _standalone_scopes(context: Context, vendor_id: str) -> list[tuple[str, str]]:
    """Links to the vendor's standalone scorecard on each loaded set: (title, address)."""
    return [
        (f"{found.title} ({ref})", url_for("pages.vendor", vendor_id=vendor_id, criteria_set=ref))
        for ref, found in sorted(context.criteria.sets.items())
    ]


def scorecard_view(context: Context, card: dict) -> dict:
    """Everything the scorecard page shows, worked out from the API's scorecard."""
    criteria_set = context.criteria.sets[card["criteria_set"]["ref"]]
    day = card["as_of"].date()
    readable = context.caller.role != Role.VENDOR  # vendors read no assessment records
    evidence, reasons = _records(context, card) if readable else ({}, {})
    for disagreement in card["disagreements"]:
        settled = disagreement.settled
        if settled is not None and settled.reason:
            reasons.setdefault(disagreement.indicator, (settled.moderator, settled.reason))
    disputed = set(card["disputed_indicators"])
    criteria = [
        _criterion_row(criterion, scored, evidence, reasons, disputed)
        for criterion, scored in zip(criteria_set.criteria, card["criteria"], strict=True)
    ]
    questions = {i.key: i.question for i in criteria_set.indicators}
    names = {c.key: c.name for c in criteria_set.criteria}
    return {
        "card": card,
        "criteria_set": criteria_set,
        "total": points(card["total"]),
        "confidence": points(card["confidence"].score),
        "knockouts": [
            Knocked(
                knockout_sentence(
                    criteria_set, k.kind, k.key, k.value, k.threshold, card.get("tier")
                ),
                whose(k.kind, k.assessors),
            )
            for k in card["knockouts"]
        ],
        "criteria": criteria,
        "chart": contribution_chart(card),
        "plan": [
            Step(
                questions[s.indicator],
                s.indicator,
                names[s.criterion],
                s.from_level,
                s.to_level,
                points(s.gain),
                s.clears_knockout,
            )
            for s in card["improvement_plan"]
        ],
        "stale": [
            (questions.get(s.indicator, s.indicator), _evidence_row(s.evidence, s.assessor, day))
            for s in card["confidence"].stale_evidence
        ],
        "records_shown": readable,
    }


def contribution_chart(card: dict):
    """One bar per criterion: the points it adds to the total, on the scale of the most any
    criterion could add (its effective weight times 100)."""
    scored = [c for c in card["criteria"] if c.effective_weight is not None]
    scale = max((c.effective_weight * 100 for c in scored), default=Fraction(100))
    bars = [
        Bar(
            c.name,
            [c.contribution or Fraction(0)],
            "not scored" if c.contribution is None else points(c.contribution),
        )
        for c in card["criteria"]
    ]
    return stacked_bars(
        "Points each criterion adds to the total",
        f"One bar per criterion: the points it adds to the total of {points(card['total'])}, "
        f"on a scale from 0 to {number(scale)} points, the most the heaviest criterion can "
        "add. The table below gives the same numbers.",
        ["Points of the total"],
        bars,
        scale,
    )


def _criterion_row(criterion, scored, evidence, reasons, disputed) -> CriterionRow:
    levels = {i.key: i for i in scored.indicators}
    return CriterionRow(
        key=criterion.key,
        name=criterion.name,
        weight=number(scored.weight),
        effective_weight=_or_dash(scored.effective_weight, lambda v: percent(v * 100)),
        score=_or_dash(scored.score, points),
        contribution=_or_dash(scored.contribution, points),
        minimum=_or_dash(scored.minimum, number),
        indicators=[
            _indicator_row(indicator, levels[indicator.key], evidence, reasons, disputed)
            for indicator in criterion.indicators
        ],
    )


def _indicator_row(indicator, scored, evidence, reasons, disputed) -> IndicatorRow:
    evaluators = ", ".join(
        f"{name}: {'N/A' if level is None else level}" for name, level in scored.assessor_levels
    )
    settled = ""
    if scored.settled_by:
        moderator, reason = reasons.get(indicator.key, (scored.settled_by, None))
        settled = f"Agreed at moderation by {moderator}" + (f": {reason}" if reason else ".")
    return IndicatorRow(
        key=indicator.key,
        question=indicator.question,
        applies=scored.applies,
        level=scored.level,
        descriptor=None if scored.level is None else indicator.levels[scored.level],
        minimum_level=scored.minimum_level,
        red_line=scored.knockout,
        evaluators=evaluators or "None",
        evidence_strength=_or_dash(scored.evidence_factor, lambda v: f"{points(v)}"),
        settled=settled,
        disputed=indicator.key in disputed,
        evidence=evidence.get(indicator.key, []),
    )


def _or_dash(value, written) -> str:
    return "Not scored" if value is None else written(value)


def _evidence_row(item: Evidence, given_by: str, day: dt.date) -> EvidenceRow:
    """An evidence item with its kind and whether it counts on the scorecard's day."""
    reason = item.stale_reason(day)
    if reason == "expired":
        freshness = f"Expired on {_day(item.valid_until)}: it does not count"
    elif reason == "not_yet_effective":
        freshness = f"Not yet in effect (from {_day(item.effective_date)}): it does not count"
    elif item.valid_until is not None:
        freshness = f"Current, valid until {_day(item.valid_until)}"
    else:
        freshness = "Current, no expiry given"
    return EvidenceRow(
        title=item.title,
        url=item.url,
        kind=EVIDENCE_KINDS.get(item.kind, item.kind),
        freshness=freshness,
        stale=reason is not None,
        given_by=given_by,
    )


def _day(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def _records(context: Context, card: dict) -> tuple[dict, dict]:
    """From the records the scorecard rests on, read as the API lets the caller read them: the
    evidence per indicator, and the reason of the moderation that settled an indicator."""
    day = card["as_of"].date()
    evidence: dict[str, list[EvidenceRow]] = defaultdict(list)
    reasons: dict[str, tuple[str, str]] = {}
    for used in card["assessments"]:
        try:
            record = get_assessment(context, used.id)
        except DomainError:
            continue  # reused standalone work a blind assessor has not yet earned the right to
        for answer in record.answers:
            for item in answer.get("evidence", ()):
                evidence[answer["indicator"]].append(
                    _evidence_row(to_evidence(item), used.assessor, day)
                )
    for moderation in card["moderations"]:
        for settlement in settlements_of(context, moderation.id):
            key = settlement["indicator"]
            if key not in moderation.indicators:
                continue
            reason = settlement.get("reason") or settlement.get("rationale")
            if reason:
                reasons[key] = (moderation.moderator, reason)
            for item in settlement.get("evidence", ()):
                evidence[key].append(_evidence_row(to_evidence(item), moderation.moderator, day))
    return evidence, reasons


def settlements_of(context: Context, record_id: str) -> list[dict]:
    """A moderation's settlements; a whole moderated assessment settles with its answers."""
    try:
        return list(get_moderation(context, record_id).settlements)
    except NotFound:
        pass
    try:
        return list(get_assessment(context, record_id).answers)
    except DomainError:
        return []
