"""A vendor's own results: the procurements it bid in that are closed (results reach bidders
when a procurement closes, as the API decides for a vendor key), each with its assessment
summary, the indicators it may dispute, and its disputes; and a dispute filed on one result
through `open_dispute`.

A bidder ranked on reused standalone assessments disputes those, standalone on the
procurement's criteria set: they are what its result rests on.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ..criteria import Indicator
from ..documents.links import Links
from ..enums import ProcurementStatus, Role
from ..models import Bidder, Dispute, Procurement
from . import lookup
from .context import Context
from .disputes import open_dispute, vendor_disputes
from .documents import summary
from .errors import Conflict, Forbidden
from .pages import Page

# Every dispute of one vendor on one page: a vendor files a handful, never thousands.
ALL_DISPUTES = Page(0, 1000)


@dataclass(frozen=True)
class Result:
    procurement: Procurement
    summary: dict  # as documents.summary gives it: exact values, before writing out
    indicators: tuple[Indicator, ...]  # those scored in the procurement, which may be disputed


def own_vendor(context: Context) -> str:
    """The caller's vendor; Forbidden for anyone who does not sign in for a vendor."""
    caller = context.caller
    if caller.role != Role.VENDOR or caller.vendor_id is None:
        raise Forbidden("Only a vendor's own people read its results.")
    return caller.vendor_id


def closed_bids(context: Context) -> list[Procurement]:
    """The closed procurements the caller's vendor bid in, most recently closed first."""
    vendor_id = own_vendor(context)
    return list(
        context.session.scalars(
            select(Procurement)
            .join(Bidder, Bidder.procurement_id == Procurement.id)
            .where(
                Bidder.vendor_id == vendor_id,
                Procurement.organisation_id == context.caller.organisation_id,
                Procurement.status == ProcurementStatus.CLOSED,
            )
            .order_by(Procurement.closed_at.desc(), Procurement.id)
        )
    )


def result(context: Context, procurement: Procurement, links: Links) -> Result:
    """The vendor's result in a closed procurement it bid in."""
    vendor_id = own_vendor(context)
    criteria_set = lookup.set_of(context, procurement)
    applicability = criteria_set.in_procurement(procurement.profile)
    return Result(
        procurement,
        summary(context, procurement.id, vendor_id, links),
        tuple(i for i in criteria_set.indicators if applicability.applies(i.key)),
    )


def own_results(context: Context, links: Links) -> list[Result]:
    return [result(context, p, links) for p in closed_bids(context)]


def closed_bid(context: Context, procurement_id) -> Procurement:
    """One procurement the caller's vendor bid in, once closed; NotFound when it did not bid,
    Conflict while it is open."""
    vendor_id = own_vendor(context)
    procurement = lookup.get(context, Procurement, procurement_id)
    if context.session.get(Bidder, (procurement.id, vendor_id)) is None:
        raise lookup.not_found(Procurement, procurement_id)
    if procurement.status != ProcurementStatus.CLOSED:
        raise Conflict(
            f"The procurement is {procurement.status}: its results reach the bidders when it "
            "closes."
        )
    return procurement


def own_disputes(context: Context) -> Sequence[Dispute]:
    """The vendor's disputes, newest first, as a vendor reads them (no resolver's name)."""
    return vendor_disputes(context, own_vendor(context), ALL_DISPUTES).items


def dispute_result(context: Context, procurement_id, indicator: str, statement: str) -> Dispute:
    """The vendor's dispute of one indicator of its result in a closed procurement, filed
    through `open_dispute` (one open dispute per indicator, and its other rules)."""
    procurement = closed_bid(context, procurement_id)
    vendor_id = own_vendor(context)
    data: dict = {
        "indicator": indicator,
        "statement": statement,
        "evidence": [],
        "criteria_set": procurement.criteria_set,
    }
    if not _ranked_on_standalone(procurement, vendor_id):
        data["procurement_id"] = procurement.id
    return open_dispute(context, vendor_id, data)


def _ranked_on_standalone(procurement: Procurement, vendor_id: str) -> bool:
    """Whether the ranking stored at closing scored the vendor on reused standalone work."""
    ranking = procurement.final_ranking or {"ranking": []}
    return any(
        row["vendor_id"] == vendor_id and row.get("reused_standalone") for row in ranking["ranking"]
    )
