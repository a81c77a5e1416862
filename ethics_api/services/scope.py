"""Where a vendor's assessments count, and the one query that finds them.

A scorecard, a ranking row, a blind-evaluation check, a dispute and a history all ask the same
question: which assessments of this vendor, against this criteria set version, were made in this
procurement (or standalone, outside any)? A procurement that reuses standalone assessments
falls back on the vendor's standalone ones when it has none of its own that are current.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from .. import scoring
from ..answers import to_scoring
from ..criteria import CriteriaSet
from ..models import Assessment


@dataclass(frozen=True)
class Scope:
    vendor_id: str
    criteria_set: CriteriaSet
    procurement_id: str | None = None  # None: standalone
    reuse_standalone: bool = False  # a procurement's bidders may be scored on standalone work

    @classmethod
    def of_procurement(cls, vendor_id: str, procurement, criteria_set: CriteriaSet) -> "Scope":
        return cls(vendor_id, criteria_set, procurement.id, procurement.reuse_standalone)

    def rows(self, model) -> tuple:
        """WHERE conditions for the rows (assessments, disputes) made in this very scope."""
        return (
            model.vendor_id == self.vendor_id,
            model.criteria_key == self.criteria_set.key,
            model.criteria_version == self.criteria_set.version,
            model.procurement_id == self.procurement_id
            if self.procurement_id
            else model.procurement_id.is_(None),
        )

    @property
    def family(self) -> tuple:
        """What scopes share but for the vendor: they are searched together."""
        return (self.criteria_set.ref, self.procurement_id, self.reuse_standalone)


@dataclass(frozen=True)
class InScope:
    """A scope's assessments, as scoring inputs: its own, and the standalone ones it reuses."""

    scope: Scope
    own: list[scoring.Assessment] = field(default_factory=list)
    reusable: list[scoring.Assessment] = field(default_factory=list)

    def candidates(self) -> Iterator[tuple[list[scoring.Assessment], bool]]:
        """What to score, in order of preference, each with whether it is reused: the scope's
        own assessments, then (where the procurement allows it) the standalone ones."""
        yield self.own, False
        if self.scope.procurement_id and self.scope.reuse_standalone:
            yield self.reusable, True

    def all(self) -> list[scoring.Assessment]:
        """The assessments that would be scored: the own ones, or the reused ones if none."""
        if not self.own and self.scope.reuse_standalone:
            return self.reusable
        return self.own


def _searched(scopes: Sequence[Scope]):
    """WHERE for the rows scopes of one family may draw on: their own, and the standalone
    ones they may reuse."""
    first = scopes[0]
    procurement = Assessment.procurement_id
    made_in: ColumnElement[bool]
    if first.procurement_id is None:
        made_in = procurement.is_(None)
    elif first.reuse_standalone:
        made_in = or_(procurement == first.procurement_id, procurement.is_(None))
    else:
        made_in = procurement == first.procurement_id
    return and_(
        Assessment.vendor_id.in_([scope.vendor_id for scope in scopes]),
        Assessment.criteria_key == first.criteria_set.key,
        Assessment.criteria_version == first.criteria_set.version,
        made_in,
    )


def assessment_records(session: Session, scopes: Sequence[Scope]) -> list[Assessment]:
    """The stored assessments of every scope, in one query whatever their number."""
    families: dict[tuple, list[Scope]] = defaultdict(list)
    for scope in scopes:
        families[scope.family].append(scope)
    if not families:
        return []
    return list(
        session.scalars(
            select(Assessment)
            .where(or_(*(_searched(members) for members in families.values())))
            .order_by(Assessment.submitted_at, Assessment.id)
        )
    )


def assessments_in(session: Session, scopes: Sequence[Scope]) -> list[InScope]:
    """Each scope with its assessments (one query), in the order of `scopes`."""
    found: dict[tuple, list[scoring.Assessment]] = defaultdict(list)
    for record in assessment_records(session, scopes):
        found[(record.vendor_id, record.criteria_set, record.procurement_id)].append(
            to_scoring(record)
        )
    return [
        InScope(
            scope,
            own=found[(scope.vendor_id, scope.criteria_set.ref, scope.procurement_id)],
            reusable=found[(scope.vendor_id, scope.criteria_set.ref, None)]
            if scope.procurement_id and scope.reuse_standalone
            else [],
        )
        for scope in scopes
    ]
