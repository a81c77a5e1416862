"""Whether a procurement is ready to close: what blocks closing, and what its board should be
warned of. Each item has a code, a sentence, and the bidder, indicator or person it concerns.

Blocking: a disagreement no moderation has settled (a red line must never rest on one
evaluator's mark); a bidder assessed by fewer current evaluators than the procurement requires;
an evaluator who has not declared, or whose declared conflict is not mitigated; a tie for first
with no tie-break recorded. Warnings: a margin of one step or less (one evaluator's mark could
decide the award); reused standalone assessments made before the weights were fixed; one
rationale repeated by an evaluator across many answers; a bidder whose evidence is all
self-declared.
"""

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select

from ..enums import ProcurementStatus
from ..models import Assessment, Declaration, Moderation, Person, Procurement
from ..scoring import EVIDENCE_FACTORS, Scorecard
from . import gates, lookup
from .context import Context
from .declarations import all_of
from .errors import Conflict
from .evaluation import Evaluation, evaluation
from .scorecards import require_weights_fixed

Scorecards = dict[str, Scorecard]

# The same rationale in this many answers of one evaluator reads as a template, not a reason.
REPEATED_RATIONALE = 3


@dataclass(frozen=True)
class Item:
    code: str
    message: str
    vendor_id: str | None = None
    indicator: str | None = None
    person_id: str | None = None
    gate: str | None = None

    def as_dict(self) -> dict:
        return {key: value for key, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class Readiness:
    blocking: list[Item] = field(default_factory=list)
    warnings: list[Item] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blocking


def readiness_of(
    context: Context,
    procurement: Procurement,
    evaluated: Evaluation | None = None,
    declared: dict[str, Declaration] | None = None,
) -> Readiness:
    """What stands between the procurement and its closing, from its evaluation now (the one
    closing would store) and its declarations, unless given."""
    evaluated = evaluated or evaluation(context, procurement, context.now())
    declared = all_of(context, procurement) if declared is None else declared
    ranked, scorecards = evaluated.report, evaluated.scorecards
    names = {row["vendor_id"]: row["vendor_name"] for row in ranked["ranking"]}
    blocking: list[Item] = []
    warnings: list[Item] = []

    for row in ranked["ranking"]:
        vendor_id, name = row["vendor_id"], row["vendor_name"]
        card = scorecards.get(vendor_id)
        evaluators = len(card.assessors) if card else 0
        if evaluators < procurement.min_evaluators:
            blocking.append(
                Item(
                    "too_few_evaluators",
                    f"{name} has {_count(evaluators, 'current evaluator')}; the procurement "
                    f"needs {procurement.min_evaluators}.",
                    vendor_id=vendor_id,
                )
            )
        if card is None:
            continue
        for disagreement in card.disagreements:
            if disagreement.settled is None:
                why = (
                    "the evaluators fall on both sides of its red line"
                    if disagreement.splits_red_line
                    else f"the evaluators' levels lie {disagreement.spread} apart"
                )
                blocking.append(
                    Item(
                        "unsettled_disagreement",
                        f"{name}: {disagreement.indicator} awaits moderation ({why}).",
                        vendor_id=vendor_id,
                        indicator=disagreement.indicator,
                    )
                )
        if row.get("reused_before_weights_fixed"):
            warnings.append(
                Item(
                    "reused_before_weights_fixed",
                    f"{name} is ranked on standalone assessments made before the weights were "
                    "fixed, by evaluators who could have known them.",
                    vendor_id=vendor_id,
                )
            )

    blocking += _declarations(context, declared, evaluated)
    award = ranked["award"]
    if award["tie_for_first"] and award["tie_break"] is None:
        tied = [names[vendor_id] for vendor_id in award["first_vendor_ids"]]
        overall = " overall" if award["basis"] == "overall" else ""
        blocking.append(
            Item(
                "tie_without_tie_break",
                f"{' and '.join(tied)} are tied for first{overall}: record the tie-break the "
                "tender set out before closing.",
            )
        )
    blocking += _missing_components(ranked)
    blocking += _unchecked_gates(context, procurement, names, evaluated.gates)
    warnings += _supplier_details_missing(evaluated, names)
    warnings += _narrow_margin(ranked)
    # Both rest on the scorecards alone (and on records, never edited): once per kept report.
    warnings += evaluated.derived(
        "repeated_rationales", lambda: _repeated_rationales(context, scorecards)
    )
    warnings += evaluated.derived(
        "self_declared_only", lambda: _self_declared_only(scorecards, names)
    )
    return Readiness(blocking, warnings)


def _narrow_margin(ranked: dict) -> list[Item]:
    """One evaluator's one mark could decide the award: on the overall result when the other
    components decide it, on the ethics ranking otherwise."""
    award = ranked["award"]
    if award["basis"] == "overall":
        overall = award["margin"]
        if overall and overall["one_mark_decides"]:
            second = overall["second_vendor_id"]
            return [Item("narrow_margin", overall["sentence"], vendor_id=second)]
        return []
    margin = ranked["sensitivity"]["margin"]
    if margin and margin["points"] > 0 and margin["steps_to_overtake"] in (0, 1):
        second = margin["second_vendor_id"]
        return [Item("narrow_margin", margin["sentence"], vendor_id=second)]
    return []


def _unchecked_gates(
    context: Context, procurement: Procurement, names: dict, recorded: dict[str, dict]
) -> list[Item]:
    """Every gate of the set that applies, checked for every bidder (`recorded`: the gates
    recorded, by vendor id): a tender from an excluded supplier is disregarded, so the check
    comes before the award."""
    criteria_set = lookup.set_of(context, procurement)
    if not criteria_set.gates:
        return []
    applicability = criteria_set.in_procurement(procurement.profile)
    return [
        Item(
            "gate_not_checked",
            f"{names[vendor_id]}: the gate {key} is not checked; record whether it passes "
            "(POST .../gates) before closing.",
            vendor_id=vendor_id,
            gate=key,
        )
        for vendor_id in names
        for key in gates.unchecked(criteria_set, applicability, recorded.get(vendor_id, {}))
    ]


def _missing_components(ranked: dict) -> list[Item]:
    """Once some bidders' other award components are recorded, every eligible bidder needs
    them: an award stated for some bidders only could not be compared."""
    award = ranked["award"]
    if award["basis"] != "incomplete" or not award["components"]:
        return []
    with_components = set(award["components_recorded_for"])
    return [
        Item(
            "missing_components",
            f"{row['vendor_name']} has no award components recorded, while other bidders do: "
            "record them (POST .../components) before closing.",
            vendor_id=row["vendor_id"],
        )
        for row in ranked["ranking"]
        if row.get("eligible") and row["vendor_id"] not in with_components
    ]


def _supplier_details_missing(evaluated: Evaluation, names: dict[str, str]) -> list[Item]:
    """An assessment summary gives the supplier's postal address, email address and unique
    identifier (Procurement Regulations 2024 reg 31(2)(a)-(c)): say which are not recorded."""
    warnings = []
    for vendor_id, vendor in evaluated.vendors.items():
        missing = [
            what
            for what, value in (
                ("postal address", vendor.address),
                ("email address", vendor.email),
                ("unique identifier (PPON)", vendor.ppon),
            )
            if not value
        ]
        if missing:
            warnings.append(
                Item(
                    "supplier_details_missing",
                    f"{names[vendor_id]}'s assessment summary needs its {_listed(missing)}: "
                    "record them on the vendor.",
                    vendor_id=vendor_id,
                )
            )
    return warnings


def _listed(things: list[str]) -> str:
    return things[0] if len(things) == 1 else ", ".join(things[:-1]) + " and " + things[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _evaluators(context: Context, evaluated: Evaluation) -> dict[str, str]:
    """Everyone whose marks the ranking uses, by person id, with their names: the assessors
    and moderators of the assessments and moderations its scorecards rest on. Who they are
    is read once per kept report (records are never edited); their names on every read."""
    people = evaluated.derived("evaluators", lambda: _evaluator_ids(context, evaluated))
    if not people:
        return {}
    named = context.session.execute(select(Person.id, Person.name).where(Person.id.in_(people)))
    return dict(sorted(named.all(), key=lambda p: (p[1], p[0])))


def _evaluator_ids(context: Context, evaluated: Evaluation) -> list[str]:
    scorecards = evaluated.scorecards.values()
    used = [a.id for card in scorecards for a in card.assessments]
    moderated = [m.id for card in scorecards for m in card.moderations]
    found = context.session.scalars(
        select(Assessment.person_id)
        .where(Assessment.id.in_(used))
        .union(select(Moderation.person_id).where(Moderation.id.in_(moderated)))
    )
    return sorted(set(found))


def _declarations(
    context: Context, declared: dict[str, Declaration], evaluated: Evaluation
) -> list[Item]:
    items = []
    for person_id, name in _evaluators(context, evaluated).items():
        declaration = declared.get(person_id)
        if declaration is None:
            items.append(
                Item(
                    "missing_declaration",
                    f"{name} evaluated without declaring their interests in this procurement.",
                    person_id=person_id,
                )
            )
        elif not declaration.settled:
            items.append(
                Item(
                    "unmitigated_conflict",
                    f"{name} declared a conflict of interest that no mitigation answers yet.",
                    person_id=person_id,
                )
            )
    return items


# Each assessment's rationales, normalised and counted, by assessment id: records are never
# edited, so they are read and decoded once per worker rather than on every ranking.
_RATIONALES: OrderedDict[str, Counter] = OrderedDict()
# About 10 KB each for 50 answers: 2,000 assessments (a dozen large tenders) in some 20 MB.
_RATIONALES_KEPT = 2_000
_RATIONALES_LOCK = threading.Lock()


def _rationales(context: Context, assessment_ids: list[str]) -> dict[str, Counter]:
    """The rationales of these assessments, each normalised (spaces, case), counted."""
    with _RATIONALES_LOCK:
        found = {i: _RATIONALES[i] for i in assessment_ids if i in _RATIONALES}
    missing = [i for i in assessment_ids if i not in found]
    if missing:
        rows = context.session.execute(
            select(Assessment.id, Assessment.answers).where(Assessment.id.in_(missing))
        )
        read = {
            assessment_id: Counter(
                " ".join(answer["rationale"].split()).casefold()
                for answer in answers
                if answer.get("rationale")
            )
            for assessment_id, answers in rows
        }
        found.update(read)
        with _RATIONALES_LOCK:
            _RATIONALES.update(read)
            while len(_RATIONALES) > _RATIONALES_KEPT:
                _RATIONALES.popitem(last=False)
    return found


def _repeated_rationales(context: Context, scorecards: Scorecards) -> list[Item]:
    used = [a.id for card in scorecards.values() for a in card.assessments]
    authors = context.session.execute(
        select(Assessment.id, Assessment.person_id, Assessment.assessor).where(
            Assessment.id.in_(used)
        )
    ).all()
    rationales = _rationales(context, [assessment_id for assessment_id, _, _ in authors])
    items = []
    for record_person, name in sorted({(person, assessor) for _, person, assessor in authors}):
        texts: Counter = Counter()
        for assessment_id, person, _ in authors:
            if person == record_person:
                texts.update(rationales[assessment_id])
        for text, times in texts.items():
            if times >= REPEATED_RATIONALE:
                items.append(
                    Item(
                        "repeated_rationale",
                        f"{name} gave the same rationale in {times} answers: "
                        f"'{text[:80]}'. Each answer should say why, for that bidder.",
                        person_id=record_person,
                    )
                )
    return items


def _self_declared_only(scorecards: Scorecards, names: dict) -> list[Item]:
    items = []
    for vendor_id, card in scorecards.items():
        factors = [
            i.evidence_factor
            for c in card.criteria
            for i in c.indicators
            if i.evidence_factor is not None
        ]
        # The strongest evidence of every answered indicator is self-declared, or there is none.
        if factors and max(factors) <= EVIDENCE_FACTORS["self_declared"]:
            what = "is all self-declared" if max(factors) else "is none at all"
            items.append(
                Item(
                    "self_declared_evidence_only",
                    f"{names[vendor_id]}'s evidence {what}: nothing documented or independently "
                    "verified supports its scores.",
                    vendor_id=vendor_id,
                )
            )
    return items


def readiness(context: Context, procurement_id) -> Readiness:
    """What blocks the procurement's closing and what to warn of; only once it is scored."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    if procurement.status == ProcurementStatus.CLOSED:
        raise Conflict("The procurement is closed: its documents say how it stood at closing.")
    return readiness_of(context, procurement)


def check_can_close(context: Context, procurement: Procurement) -> None:
    """Conflict, listing what blocks, unless the procurement is ready to close."""
    found = readiness_of(context, procurement)
    if found.blocking:
        count = len(found.blocking)
        raise Conflict(
            f"The procurement is not ready to close: {_count(count, 'item')} "
            + ("blocks" if count == 1 else "block")
            + " it (see blocking, or GET its readiness).",
            details={"blocking": [item.as_dict() for item in found.blocking]},
        )
