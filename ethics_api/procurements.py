"""Procurements: lifecycle rules, and the bidders' scorecards read in one pass.

Rules only; no Flask. The views call these and turn `ProcurementConflict` into a 409.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import ranking, scoring
from .answers import to_scoring
from .criteria import CriteriaSet
from .models import Assessment, Bidder, Procurement, Vendor

STATUSES = ("draft", "evaluating", "closed")


class ProcurementConflict(Exception):
    """The request does not fit the procurement's state; the message says why (409)."""


def weights_of(procurement: Procurement, criteria_set: CriteriaSet) -> dict[str, Fraction]:
    """The criterion weights in force: the procurement's own, or the set's."""
    if procurement.weights is None:
        return scoring.set_weights(criteria_set)
    # In the set's order: the stored document's key order is the database's, not the user's.
    return {c.key: _exact(procurement.weights[c.key]) for c in criteria_set.criteria}


def _exact(value: int | float) -> Fraction:
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


# Weights are relative (30:20 is 3:2), so a ratio of a million between two covers any profile;
# beyond it lie values such as 1e308 that only make every other weight vanish.
MIN_WEIGHT, MAX_WEIGHT = Decimal("0.001"), 1000


def weight_errors(criteria_set: CriteriaSet, weights: dict) -> list[dict]:
    """One error per criterion: a weight for every criterion of the set, each from MIN_WEIGHT
    to MAX_WEIGHT, no others."""
    errors = []
    keys = [c.key for c in criteria_set.criteria]

    def error(key: str, message: str) -> None:
        errors.append({"pointer": f"/weights/{key}", "location": "json", "messages": [message]})

    for key, value in weights.items():
        if key not in keys:
            error(key, f"{criteria_set.ref} has no criterion {key!r}.")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            error(key, "Must be a number.")
        elif not MIN_WEIGHT <= value <= MAX_WEIGHT:
            error(key, f"Must be from {MIN_WEIGHT} to {MAX_WEIGHT}: weights are relative.")
    for key in keys:
        if key not in weights:
            error(key, "Missing: give a weight for every criterion of the set.")
    return errors


def check_transition(procurement: Procurement, status: str) -> None:
    current = STATUSES.index(procurement.status)
    if STATUSES.index(status) != current + 1:
        raise ProcurementConflict(
            f"The procurement is {procurement.status}: it can only move forward one step "
            f"({' -> '.join(STATUSES)})."
        )


def check_changeable(procurement: Procurement, changes: dict) -> None:
    if procurement.status == "closed":
        raise ProcurementConflict("The procurement is closed: it no longer changes.")
    if "weights" in changes and procurement.status != "draft":
        raise ProcurementConflict(
            "Weights are fixed once evaluation starts (they must be set before any score is "
            "seen); the procurement is " + procurement.status + "."
        )


def check_can_add_bidder(procurement: Procurement) -> None:
    if procurement.status == "closed":
        raise ProcurementConflict("The procurement is closed: no bidder can be added.")


def check_can_assess(procurement: Procurement, is_bidder: bool) -> None:
    if procurement.status != "evaluating":
        raise ProcurementConflict(
            f"The procurement is {procurement.status}: assessments are accepted only while "
            "it is evaluating."
        )
    if not is_bidder:
        raise ProcurementConflict("The vendor is not a bidder in this procurement.")


def bidders_with_scorecards(
    session: Session,
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    vendor_id: str | None = None,
) -> list[ranking.Bidder]:
    """Every bidder (or the one named) with its scorecard, None when nothing is current.

    Two queries whatever the number of bidders and assessments.
    """
    statement = (
        select(Vendor)
        .join(Bidder, Bidder.vendor_id == Vendor.id)
        .where(Bidder.procurement_id == procurement.id)
    )
    if vendor_id is not None:
        statement = statement.where(Vendor.id == vendor_id)
    vendors = session.scalars(statement).all()
    scope = Assessment.procurement_id == procurement.id
    if procurement.reuse_standalone:
        scope = or_(scope, Assessment.procurement_id.is_(None))
    records = session.scalars(
        select(Assessment).where(
            Assessment.vendor_id.in_([v.id for v in vendors]),
            Assessment.criteria_key == criteria_set.key,
            Assessment.criteria_version == criteria_set.version,
            scope,
        )
    ).all()
    own: dict[str, list] = defaultdict(list)
    standalone: dict[str, list] = defaultdict(list)
    for record in records:
        (standalone if record.procurement_id is None else own)[record.vendor_id].append(
            to_scoring(record)
        )
    weights = weights_of(procurement, criteria_set)
    return [
        _bidder(vendor, criteria_set, own[vendor.id], standalone[vendor.id], weights, as_of)
        for vendor in vendors
    ]


def _bidder(vendor, criteria_set, own, standalone, weights, as_of) -> ranking.Bidder:
    """Procurement assessments count first; standalone ones only when the procurement
    allows reuse and the bidder has no current procurement assessment."""
    for assessments, reused in ((own, False), (standalone, True)):
        try:
            scorecard = scoring.score(criteria_set, assessments, as_of, weights)
        except scoring.NoCurrentAssessment:
            continue
        return ranking.Bidder(vendor.id, vendor.name, scorecard, reused)
    return ranking.Bidder(vendor.id, vendor.name, None)
