"""A procurement's moderation worklist: each disagreement its readiness reports, with what every
evaluator answered (level, rationale, evidence) beside the level descriptors, and the moderator's
settlement of one indicator through `record_moderation`.

A bidder ranked on reused standalone assessments is moderated standalone, on the procurement's
criteria set: that is where its marks were made, and where the settlement must be recorded for
the procurement's scorecard to use it.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from ..criteria import Indicator
from ..enums import ProcurementStatus, Role
from ..models import Assessment, Moderation, Person, Procurement
from ..scoring import Disagreement, Settled
from . import lookup
from .context import Context
from .declarations import all_of, require_cleared
from .errors import Conflict
from .evaluation import bidders_with_scorecards, evaluation
from .moderations import record_moderation
from .readiness import readiness_of
from .scorecards import require_weights_fixed

UNSETTLED = "unsettled_disagreement"


@dataclass(frozen=True)
class EvaluatorAnswer:
    """One evaluator's answer to the disputed indicator, as they submitted it."""

    assessor: str
    level: int | None  # None: not applicable
    rationale: str | None
    evidence: tuple[dict, ...] = ()


@dataclass(frozen=True)
class ToSettle:
    """One disagreement on one bidder's indicator."""

    vendor_id: str
    vendor_name: str
    indicator: Indicator
    disagreement: Disagreement
    answers: tuple[EvaluatorAnswer, ...]
    standalone: bool  # the bidder is ranked on reused standalone work

    @property
    def settled(self) -> Settled | None:
        return self.disagreement.settled


@dataclass(frozen=True)
class Worklist:
    procurement: Procurement
    # Whether the caller may moderate here: declared, with no conflict or one mitigated.
    declared: bool
    cleared: bool
    unsettled: list[ToSettle] = field(default_factory=list)
    settled: list[ToSettle] = field(default_factory=list)


def moderation_worklist(context: Context, procurement_id) -> Worklist:
    """The procurement's disagreements now: those its readiness says await moderation, and
    those a moderation settled (with who settled them and why)."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    if procurement.status == ProcurementStatus.CLOSED:
        raise Conflict(
            "The procurement is closed: its disagreements were settled before closing, as its "
            "documents record."
        )
    evaluated = evaluation(context, procurement, context.now())
    declared = all_of(context, procurement)
    awaiting = {
        (item.vendor_id, item.indicator)
        for item in readiness_of(context, procurement, evaluated, declared).blocking
        if item.code == UNSETTLED
    }
    criteria_set = lookup.set_of(context, procurement)
    indicators = {i.key: i for i in criteria_set.indicators}
    answers = _answers(context, evaluated.scorecards)
    worklist = Worklist(
        procurement,
        declared=context.caller.person_id in declared,
        cleared=_cleared(declared, context.caller.person_id),
    )
    for bidder in sorted(evaluated.bidders, key=lambda b: (b.vendor_name, b.vendor_id)):
        card = bidder.scorecard
        if card is None:
            continue
        for disagreement in card.disagreements:
            entry = ToSettle(
                bidder.vendor_id,
                bidder.vendor_name,
                indicators[disagreement.indicator],
                disagreement,
                tuple(
                    answers.get((bidder.vendor_id, assessor, disagreement.indicator))
                    or EvaluatorAnswer(assessor, level, None)
                    for assessor, level in disagreement.assessor_levels
                ),
                bidder.reused_standalone,
            )
            if (bidder.vendor_id, disagreement.indicator) in awaiting:
                worklist.unsettled.append(entry)
            elif disagreement.settled is not None:
                worklist.settled.append(entry)
    return worklist


def _cleared(declared: dict, person_id: str | None) -> bool:
    declaration = declared.get(person_id) if person_id else None
    return declaration is not None and declaration.settled


def _answers(context: Context, scorecards) -> dict[tuple[str, str, str], EvaluatorAnswer]:
    """By (vendor, assessor, indicator): the answer of each assessment the scorecards use."""
    used = [a.id for card in scorecards.values() for a in card.assessments]
    if not used:
        return {}
    records = context.session.scalars(select(Assessment).where(Assessment.id.in_(used)))
    found = {}
    for record in records:
        for answer in record.answers:
            found[(record.vendor_id, record.assessor, answer["indicator"])] = EvaluatorAnswer(
                record.assessor,
                None if answer.get("not_applicable") else answer.get("level"),
                answer.get("rationale"),
                tuple(answer.get("evidence") or ()),
            )
    return found


def settle(
    context: Context, procurement_id, vendor_id, indicator: str, level: int | None, reason: str
) -> Moderation:
    """Record the level agreed for one indicator of a bidder (None: not applicable) and why,
    through `record_moderation`: in the procurement, or standalone when the bidder is ranked on
    reused standalone work."""
    procurement = lookup.get(context, Procurement, procurement_id)
    if procurement.status != ProcurementStatus.EVALUATING:
        raise Conflict(
            f"The procurement is {procurement.status}: moderations are recorded only while it "
            "is evaluating."
        )
    criteria_set = lookup.set_of(context, procurement)
    settlement: dict = {"indicator": indicator, "reason": reason}
    if level is None:
        settlement["not_applicable"] = True
    else:
        settlement["level"] = level
    data: dict = {"settlements": [settlement], "criteria_set": criteria_set.ref}
    if _ranked_on_standalone(context, procurement, str(vendor_id)):
        # Standalone, record_moderation knows no procurement: its declaration rule holds here.
        if context.caller.person_id is not None:
            require_cleared(
                context, procurement, lookup.get(context, Person, context.caller.person_id)
            )
    else:
        data["procurement_id"] = procurement.id
    if context.caller.role == Role.ADMIN:
        data["moderator"] = context.caller.name  # an admin moderates under their own name
    return record_moderation(context, vendor_id, data)


def _ranked_on_standalone(context: Context, procurement: Procurement, vendor_id: str) -> bool:
    criteria_set = lookup.set_of(context, procurement)
    found = bidders_with_scorecards(context, procurement, criteria_set, context.now(), vendor_id)
    return any(b.reused_standalone for b in found)
