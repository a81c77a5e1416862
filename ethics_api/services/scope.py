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
from ..answers import moderation_to_scoring, to_scoring
from ..criteria import Applicability, CriteriaSet
from ..models import Assessment, Moderation


@dataclass(frozen=True)
class Scope:
    vendor_id: str
    criteria_set: CriteriaSet
    procurement_id: str | None = None  # None: standalone
    reuse_standalone: bool = False  # a procurement's bidders may be scored on standalone work
    # What applies, from the procurement's profile; None: standalone, where everything does.
    profile: Applicability | None = field(default=None, compare=False)

    @classmethod
    def of_procurement(cls, vendor_id: str, procurement, criteria_set: CriteriaSet) -> "Scope":
        return cls(
            vendor_id,
            criteria_set,
            procurement.id,
            procurement.reuse_standalone,
            applicability_of(procurement, criteria_set),
        )

    @classmethod
    def of_bidders(cls, vendor_ids, procurement, criteria_set: CriteriaSet) -> list["Scope"]:
        """`of_procurement` for each vendor, what applies worked out once for all of them."""
        applicability = applicability_of(procurement, criteria_set)
        return [
            cls(
                vendor_id,
                criteria_set,
                procurement.id,
                procurement.reuse_standalone,
                applicability,
            )
            for vendor_id in vendor_ids
        ]

    @property
    def applicability(self) -> Applicability:
        return self.profile or self.criteria_set.applicability(None)

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


def applicability_of(procurement, criteria_set: CriteriaSet) -> Applicability:
    """What applies in a procurement, by its profile."""
    return criteria_set.in_procurement(procurement.profile)


@dataclass(frozen=True)
class Work:
    """What was recorded in one scope, as scoring inputs: assessments and moderations."""

    assessments: list[scoring.Assessment] = field(default_factory=list)
    moderations: list[scoring.Moderation] = field(default_factory=list)


@dataclass(frozen=True)
class InScope:
    """A scope's work: its own, and the standalone work it may reuse."""

    scope: Scope
    own: Work = field(default_factory=Work)
    reusable: Work = field(default_factory=Work)

    def candidates(self) -> Iterator[tuple[Work, bool]]:
        """What to score, in order of preference, each with whether it is reused: the scope's
        own work, then (where the procurement allows it) the standalone work."""
        yield self.own, False
        if self.scope.procurement_id and self.scope.reuse_standalone:
            yield self.reusable, True

    def all(self) -> Work:
        """The work that would be scored: the scope's own, or the reused if it has none."""
        if not self.own.assessments and self.scope.reuse_standalone:
            return self.reusable
        return self.own


def _searched(model, scopes: Sequence[Scope]):
    """WHERE for the rows (assessments or moderations) scopes of one family may draw on: their
    own, and the standalone ones they may reuse."""
    first = scopes[0]
    procurement = model.procurement_id
    made_in: ColumnElement[bool]
    if first.procurement_id is None:
        made_in = procurement.is_(None)
    elif first.reuse_standalone:
        made_in = or_(procurement == first.procurement_id, procurement.is_(None))
    else:
        made_in = procurement == first.procurement_id
    return and_(
        model.vendor_id.in_([scope.vendor_id for scope in scopes]),
        model.criteria_key == first.criteria_set.key,
        model.criteria_version == first.criteria_set.version,
        made_in,
    )


def records_in(session: Session, model, scopes: Sequence[Scope]) -> list:
    """The stored assessments (or moderations) of every scope, in one query whatever their
    number, oldest first."""
    families: dict[tuple, list[Scope]] = defaultdict(list)
    for scope in scopes:
        families[scope.family].append(scope)
    if not families:
        return []
    return list(
        session.scalars(
            select(model)
            .where(or_(*(_searched(model, members) for members in families.values())))
            .order_by(model.submitted_at, model.id)
        )
    )


def assessments_in(session: Session, scopes: Sequence[Scope]) -> list[InScope]:
    """Each scope with its work (two queries), in the order of `scopes`."""
    found: dict[tuple, Work] = defaultdict(Work)
    for record in records_in(session, Assessment, scopes):
        key = (record.vendor_id, record.criteria_set, record.procurement_id)
        found[key].assessments.append(to_scoring(record))
    for moderation in records_in(session, Moderation, scopes):
        key = (moderation.vendor_id, moderation.criteria_set, moderation.procurement_id)
        found[key].moderations.append(moderation_to_scoring(moderation))
    return [
        InScope(
            scope,
            own=found[(scope.vendor_id, scope.criteria_set.ref, scope.procurement_id)],
            reusable=found[(scope.vendor_id, scope.criteria_set.ref, None)]
            if scope.procurement_id and scope.reuse_standalone
            else Work(),
        )
        for scope in scopes
    ]
