"""A procurement's evaluation at one instant: its bidders' scorecards, and the ranking report
made of them (with exact values: one computation for every rendering)."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from .. import ranking
from ..criteria import CriteriaSet
from ..enums import ProcurementStatus
from ..models import Bidder, Procurement, Vendor
from ..ranking_report import ranking_report
from ..scoring import Scorecard
from . import lookup
from .components import components_of
from .context import Context
from .gates import gates_of, with_gates
from .scope import Scope, assessments_in
from .scorecards import open_disputes, scored, weights_of


def bidders_with_scorecards(
    context: Context,
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    vendor_id: str | None = None,
) -> list[ranking.Bidder]:
    """Every bidder (or the one named) with its scorecard, None when nothing is current.

    Two queries whatever the number of bidders and assessments.
    """
    vendors = bidder_vendors(context, procurement, vendor_id)
    return scored_bidders(context, procurement, criteria_set, as_of, vendors)


def bidder_vendors(
    context: Context, procurement: Procurement, vendor_id: str | None = None
) -> list[Vendor]:
    """The vendor records of the procurement's bidders (or of the one named)."""
    statement = (
        select(Vendor)
        .join(Bidder, Bidder.vendor_id == Vendor.id)
        .where(Bidder.procurement_id == procurement.id)
    )
    if vendor_id is not None:
        statement = statement.where(Vendor.id == vendor_id)
    return list(context.session.scalars(statement))


def scored_bidders(
    context: Context,
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    vendors: list[Vendor],
) -> list[ranking.Bidder]:
    """The vendors as bidders with their scorecards on `as_of`, a failed gate a knockout: two
    queries."""
    scopes = [Scope.of_procurement(v.id, procurement, criteria_set) for v in vendors]
    weights = weights_of(procurement, criteria_set)
    applicability = criteria_set.in_procurement(procurement.profile)
    recorded = gates_of(context, procurement) if criteria_set.gates else {}
    bidders = []
    for vendor, found in zip(vendors, assessments_in(context.session, scopes), strict=True):
        scorecard, reused = scored(found, as_of, weights)
        if scorecard is not None:
            scorecard = with_gates(
                scorecard, criteria_set, applicability, recorded.get(vendor.id, {})
            )
        bidders.append(ranking.Bidder(vendor.id, vendor.name, scorecard, reused))
    return bidders


@dataclass(frozen=True)
class Evaluation:
    """The bidders' scorecards on one instant, and the ranking report made of them."""

    bidders: list[ranking.Bidder]
    report: dict
    vendors: dict[str, Vendor]  # the bidders' vendor records, by id

    @property
    def scorecards(self) -> dict[str, Scorecard]:
        """The assessed bidders' scorecards, by vendor id."""
        return {b.vendor_id: b.scorecard for b in self.bidders if b.scorecard is not None}


def evaluation(
    context: Context, procurement: Procurement, as_of: dt.datetime, final: bool = False
) -> Evaluation:
    """The procurement's evaluation on `as_of`, with exact values: one computation for every
    rendering."""
    criteria_set = lookup.set_of(context, procurement)
    vendors = bidder_vendors(context, procurement)
    bidders = scored_bidders(context, procurement, criteria_set, as_of, vendors)
    disputes = open_disputes(context, [b.vendor_id for b in bidders], criteria_set, procurement.id)
    disputed = {vendor: [d.indicator for d in found] for vendor, found in disputes.items()}
    applicability = criteria_set.in_procurement(procurement.profile)
    # A criterion the profile leaves out is scored for no bidder: it takes no share of the weight.
    covered = {c.key for c in criteria_set.criteria if applicability.covers(c)}
    weights = {k: w for k, w in weights_of(procurement, criteria_set).items() if k in covered}
    report = ranking_report(
        criteria_set,
        weights,
        bidders,
        as_of,
        disputed,
        procurement.weights_fixed_at,
        procurement.tie_break,
        procurement.share,
        components_of(context, procurement),
    )
    return Evaluation(
        bidders,
        {
            "procurement_id": procurement.id,
            "ocid": procurement.ocid,
            "status": ProcurementStatus.CLOSED if final else procurement.status,
            "final": final,
            "profile": procurement.profile,
            "tier": applicability.tier,
            **report,
        },
        {vendor.id: vendor for vendor in vendors},
    )
