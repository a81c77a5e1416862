"""Gates: pass/fail conditions a criteria set puts on each bidder (exclusion grounds, say),
checked by the buyer outside the evaluation and never scored.

A bidder that fails a gate that applies is ineligible whatever its scores, with a knockout of
kind `gate` naming who recorded the result; until every gate that applies is checked for every
bidder, the procurement cannot close.
"""

import dataclasses
from collections import Counter
from fractions import Fraction

from sqlalchemy import select

from ..criteria import Applicability, CriteriaSet
from ..enums import Action, ObjectType, ProcurementStatus
from ..models import Bidder, Procurement
from ..scoring import Knockout, Scorecard, in_words
from . import changes, lookup
from .context import Context
from .errors import Conflict, FieldError, Invalid, NotFound


def record_gates(context: Context, procurement_id, vendor_id, results: list[dict]) -> Bidder:
    """Record (or replace) the named gates' results for a bidder, until the procurement closes.
    `results`: [{gate, passed, reason}]."""
    procurement = lookup.get(context, Procurement, procurement_id, lock=True)
    if procurement.status == ProcurementStatus.CLOSED:
        raise Conflict("The procurement is closed: its bidders' gates no longer change.")
    bidder = context.session.get(Bidder, (procurement.id, str(vendor_id)))
    if bidder is None:
        raise NotFound(f"The vendor {vendor_id} is not a bidder in this procurement.")
    criteria_set = lookup.set_of(context, procurement)
    if not results:
        raise Invalid.at("Give at least one gate's result.", "", "Empty.")
    errors = result_errors(criteria_set, criteria_set.in_procurement(procurement.profile), results)
    if errors:
        raise Invalid(f"The gate results do not fit {criteria_set.ref}.", errors)
    recorded = {
        r["gate"]: {
            "passed": r["passed"],
            "reason": r["reason"],
            "recorded_at": context.now().isoformat(),
            "recorded_by": context.caller.name,
            "person_id": context.caller.person_id,
        }
        for r in results
    }
    bidder.gates = {**(bidder.gates or {}), **recorded}
    context.session.flush()
    changes.record(
        context,
        Action.GATES_RECORDED,
        ObjectType.PROCUREMENT,
        procurement.id,
        {"vendor_id": bidder.vendor_id, "gates": results},
    )
    return bidder


def result_errors(
    criteria_set: CriteriaSet, applicability: Applicability, results: list[dict]
) -> list[FieldError]:
    """One error per result naming no gate of the set, a gate that does not apply, or a gate
    given twice."""
    gates = {gate.key: gate for gate in criteria_set.gates}
    counts = Counter(r["gate"] for r in results)
    errors = []
    for index, result in enumerate(results):
        key = result["gate"]
        if key not in gates:
            known = ", ".join(gates) or "none"
            message = f"{criteria_set.ref} has no gate {key!r} (its gates: {known})."
        elif not applicability.allows(gates[key].applies_if):
            message = f"The gate {key!r} does not apply to the system this procurement buys."
        elif counts[key] > 1:
            message = f"The gate {key!r} is given {counts[key]} times."
        else:
            continue
        errors.append(FieldError(f"/{index}/gate", (message,)))
    return errors


def gates_of(context: Context, procurement: Procurement) -> dict[str, dict]:
    """Every bidder's recorded gate results, by vendor id (one query)."""
    rows = context.session.execute(
        select(Bidder.vendor_id, Bidder.gates).where(Bidder.procurement_id == procurement.id)
    )
    return {vendor_id: gates or {} for vendor_id, gates in rows}


def applying(criteria_set: CriteriaSet, applicability: Applicability) -> list[str]:
    """The keys of the gates that concern the procurement."""
    return [g.key for g in criteria_set.gates if applicability.allows(g.applies_if)]


def unchecked(criteria_set: CriteriaSet, applicability: Applicability, recorded: dict) -> list:
    """The gates that apply and have no result yet for a bidder."""
    return [key for key in applying(criteria_set, applicability) if key not in recorded]


def with_gates(
    scorecard: Scorecard,
    criteria_set: CriteriaSet,
    applicability: Applicability,
    recorded: dict,
) -> Scorecard:
    """The scorecard with a `gate` knockout for each gate that applies and was failed."""
    conditions = {gate.key: in_words(gate.question) for gate in criteria_set.gates}
    failed = tuple(
        Knockout(
            "gate", key, Fraction(0), Fraction(1), (recorded[key]["recorded_by"],), conditions[key]
        )
        for key in applying(criteria_set, applicability)
        if key in recorded and not recorded[key]["passed"]
    )
    if not failed:
        return scorecard
    return dataclasses.replace(scorecard, knockouts=scorecard.knockouts + failed, eligible=False)
