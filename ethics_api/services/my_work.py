"""What waits on one person: declarations to make, bidders to assess, disagreements to
moderate, procurements to close. The page "My work" shows it; the rules are the API's own (a
declaration before assessing, readiness before closing)."""

from dataclasses import dataclass, field

from sqlalchemy import select

from ..enums import ProcurementStatus, Role
from ..models import Assessment, Bidder, Procurement
from .context import Context
from .declarations import all_of
from .readiness import readiness_of


@dataclass
class Work:
    declarations: list[Procurement] = field(default_factory=list)
    to_assess: list[tuple[Procurement, Bidder]] = field(default_factory=list)
    to_moderate: list[tuple[Procurement, list]] = field(default_factory=list)
    to_close: list[Procurement] = field(default_factory=list)
    blocked: list[tuple[Procurement, list]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.declarations or self.to_assess or self.to_moderate or self.to_close or self.blocked
        )


def my_work(context: Context) -> Work:
    caller = context.caller
    session = context.session
    open_ones = list(
        session.scalars(
            select(Procurement)
            .where(
                Procurement.organisation_id == caller.organisation_id,
                Procurement.status != ProcurementStatus.CLOSED,
            )
            .order_by(Procurement.created_at, Procurement.id)
        )
    )
    work = Work()
    evaluates = caller.role in (Role.ASSESSOR, Role.MODERATOR)
    assessed = _assessed_by(context, open_ones)
    for procurement in open_ones:
        if evaluates and caller.person_id not in all_of(context, procurement):
            work.declarations.append(procurement)
            continue
        if procurement.status != ProcurementStatus.EVALUATING:
            continue
        if caller.role == Role.ASSESSOR:
            for bidder in _bidders(context, procurement):
                if (procurement.id, bidder.vendor_id) not in assessed:
                    work.to_assess.append((procurement, bidder))
        if caller.role in (Role.MODERATOR, Role.BUYER, Role.ADMIN):
            ready = readiness_of(context, procurement)
            unsettled = [i for i in ready.blocking if i.code == "unsettled_disagreement"]
            if unsettled and caller.role != Role.BUYER:
                work.to_moderate.append((procurement, unsettled))
            if caller.role != Role.MODERATOR:
                if ready.ready:
                    work.to_close.append(procurement)
                else:
                    work.blocked.append((procurement, ready.blocking))
    return work


def _assessed_by(context: Context, procurements: list[Procurement]) -> set[tuple[str, str]]:
    """(procurement, vendor) the caller has assessed: in the procurement, or, where the
    procurement reuses standalone work, standalone on its criteria set."""
    if not procurements:
        return set()
    person = context.caller.person_id
    rows = context.session.execute(
        select(Assessment.procurement_id, Assessment.vendor_id)
        .where(
            Assessment.person_id == person,
            Assessment.procurement_id.in_([p.id for p in procurements]),
        )
        .distinct()
    )
    assessed = {(str(procurement_id), vendor_id) for procurement_id, vendor_id in rows}
    reusing = [p for p in procurements if p.reuse_standalone]
    if reusing:
        standalone = {
            (vendor_id, key, version)
            for vendor_id, key, version in context.session.execute(
                select(Assessment.vendor_id, Assessment.criteria_key, Assessment.criteria_version)
                .where(Assessment.person_id == person, Assessment.procurement_id.is_(None))
                .distinct()
            )
        }
        for procurement in reusing:
            for vendor_id, key, version in standalone:
                if (key, version) == (procurement.criteria_key, procurement.criteria_version):
                    assessed.add((procurement.id, vendor_id))
    return assessed


def _bidders(context: Context, procurement: Procurement) -> list[Bidder]:
    return list(
        context.session.scalars(
            select(Bidder)
            .where(Bidder.procurement_id == procurement.id)
            .order_by(Bidder.added_at, Bidder.vendor_id)
        )
    )
