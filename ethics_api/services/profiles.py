"""A procurement's profile: what the buyer said the system does, and what that decides.

The answers (given in draft, frozen when evaluation starts) decide which indicators are asked
and scored, the impact tier whose minimum levels hold, and which of the buyer's own duties and
pass/fail gates concern the procurement (scoring contract, section 12).
"""

from ..criteria import Applicability, CriteriaSet
from ..models import Procurement
from . import lookup
from .context import Context


def procurement_profile(context: Context, procurement_id) -> dict:
    procurement = lookup.get(context, Procurement, procurement_id)
    criteria_set = lookup.set_of(context, procurement)
    answers = procurement.profile
    # Unanswered (in draft), nothing is decided yet: what applies is left open.
    decided = answers is not None or not criteria_set.profile
    applicability = criteria_set.in_procurement(answers) if decided else None
    return {
        "procurement_id": procurement.id,
        "criteria_set": criteria_set.ref,
        "answered": decided,
        "questions": [
            {
                "key": q.key,
                "question": q.question,
                "points": q.points,
                "answer": None if answers is None else answers.get(q.key),
            }
            for q in criteria_set.profile
        ],
        "points": applicability.points if applicability else None,
        "tier": applicability.tier if applicability else None,
        "tiers": list(criteria_set.tiers),
        "indicators": _indicators(criteria_set, applicability),
        "buyer_checklist": [
            {**vars(item), "applies": _applies(item.applies_if, applicability)}
            for item in criteria_set.buyer_checklist
        ],
        "gates": [
            {**vars(gate), "applies": _applies(gate.applies_if, applicability)}
            for gate in criteria_set.gates
        ],
    }


def _indicators(criteria_set: CriteriaSet, applicability: Applicability | None) -> list[dict]:
    return [
        {
            "indicator": i.key,
            "criterion": c.key,
            "applies_if": [*c.applies_if, *i.applies_if],
            "applies": None if applicability is None else applicability.applies(i.key),
            "minimum_level": None if applicability is None else applicability.red_line(i),
        }
        for c in criteria_set.criteria
        for i in c.indicators
    ]


def _applies(applies_if: tuple[str, ...], applicability: Applicability | None) -> bool | None:
    return None if applicability is None else applicability.allows(applies_if)
