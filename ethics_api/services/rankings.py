"""A procurement's ranking, and the documents rendered from it: CSV, summaries, OCDS.

While a procurement is open its ranking is computed from the bidders' current assessments on
every request; at closing it is stored as it was served, and every document of a closed
procurement is rendered from that stored ranking, never recomputed.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from .. import ocds, ranking
from ..criteria import CriteriaSet
from ..enums import ProcurementStatus, Role
from ..models import Assessment, Bidder, Procurement, Vendor
from ..ranking_report import ranking_report
from ..schemas.procurements import RankingSchema
from ..scoring import Scorecard
from ..summaries import bidder_summary
from . import lookup
from .anonymity import scorecard_renaming
from .context import Context
from .errors import Conflict, NotFound
from .scope import Scope, assessments_in
from .scorecards import open_disputes, require_weights_fixed, scored, weights_of


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
    statement = (
        select(Vendor)
        .join(Bidder, Bidder.vendor_id == Vendor.id)
        .where(Bidder.procurement_id == procurement.id)
    )
    if vendor_id is not None:
        statement = statement.where(Vendor.id == vendor_id)
    vendors = context.session.scalars(statement).all()
    scopes = [Scope.of_procurement(v.id, procurement, criteria_set) for v in vendors]
    weights = weights_of(procurement, criteria_set)
    bidders = []
    for vendor, found in zip(vendors, assessments_in(context.session, scopes), strict=True):
        scorecard, reused = scored(found, as_of, weights)
        bidders.append(ranking.Bidder(vendor.id, vendor.name, scorecard, reused))
    return bidders


@dataclass(frozen=True)
class Evaluation:
    """The bidders' scorecards on one instant, and the ranking report made of them."""

    bidders: list[ranking.Bidder]
    report: dict

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
    bidders = bidders_with_scorecards(context, procurement, criteria_set, as_of)
    disputes = open_disputes(context, [b.vendor_id for b in bidders], criteria_set, procurement.id)
    disputed = {vendor: [d.indicator for d in found] for vendor, found in disputes.items()}
    weights = weights_of(procurement, criteria_set)
    report = ranking_report(
        criteria_set,
        weights,
        bidders,
        as_of,
        disputed,
        procurement.weights_fixed_at,
        procurement.tie_break,
    )
    return Evaluation(
        bidders,
        {
            "procurement_id": procurement.id,
            "ocid": procurement.ocid,
            "status": ProcurementStatus.CLOSED if final else procurement.status,
            "final": final,
            **report,
        },
    )


def live_ranking(
    context: Context, procurement: Procurement, as_of: dt.datetime, final: bool = False
) -> dict:
    """The ranking on `as_of`, with exact values."""
    return evaluation(context, procurement, as_of, final).report


def served(exact_ranking: dict) -> dict:
    """The ranking as it is written out (rounded), as stored at closing."""
    return RankingSchema().dump(exact_ranking)


def procurement_ranking(context: Context, procurement_id) -> tuple[Procurement, dict, bool]:
    """The procurement, its ranking and whether that ranking is the stored final one (already
    written out) rather than computed now (exact values)."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    if procurement.final_ranking is not None:
        return procurement, procurement.final_ranking, True
    return procurement, live_ranking(context, procurement, context.now()), False


def written_ranking(context: Context, procurement_id) -> tuple[Procurement, dict]:
    """The ranking as written out: the one stored at closing, else the ranking as of now."""
    procurement, found, final = procurement_ranking(context, procurement_id)
    return procurement, found if final else served(found)


def summary(context: Context, procurement_id, vendor_id) -> dict:
    """A bidder's assessment summary, once the procurement is closed; a vendor key reads its
    own only."""
    procurement = lookup.get(context, Procurement, procurement_id)
    caller = context.caller
    if caller.role == Role.VENDOR and str(vendor_id) != caller.vendor_id:
        raise NotFound("A vendor key reads its own vendor's summary only.")
    if procurement.final_ranking is None:
        raise Conflict("Assessment summaries exist once the procurement is closed.")
    criteria_set = lookup.set_of(context, procurement)
    rationales = _rationales(context, procurement, criteria_set, str(vendor_id))
    found = bidder_summary(
        procurement, criteria_set, procurement.final_ranking, str(vendor_id), rationales
    )
    if found is None:
        raise NotFound(f"The vendor {vendor_id} was not a bidder in this procurement.")
    return found


def _rationales(context: Context, procurement, criteria_set, vendor_id) -> list[dict]:
    """The evaluators' rationales in the assessments the closed ranking rests on, the
    evaluators anonymous: the summary goes to the bidder."""
    found = bidders_with_scorecards(
        context, procurement, criteria_set, procurement.closed_at, vendor_id
    )
    if not found or found[0].scorecard is None:
        return []
    rename = scorecard_renaming(found[0].scorecard)
    used = [a.id for a in found[0].scorecard.assessments]
    records = context.session.scalars(select(Assessment).where(Assessment.id.in_(used))).all()
    order = {i.key: n for n, i in enumerate(criteria_set.indicators)}
    return sorted(
        (
            {
                "assessor": rename(record.assessor),
                "indicator": answer["indicator"],
                "level": answer.get("level"),
                "rationale": answer["rationale"],
            }
            for record in records
            for answer in record.answers
            if answer.get("rationale")
        ),
        key=lambda r: (order[r["indicator"]], r["assessor"]),
    )


def ocds_release(context: Context, procurement_id) -> dict:
    """The process as an OCDS 1.1 release, from the ranking as written out."""
    procurement, written = written_ranking(context, procurement_id)
    ids = [row["vendor_id"] for row in written["ranking"]]
    vendors = {
        v.id: {"name": v.name, "identifier": v.identifier, "country": v.country}
        for v in context.session.scalars(select(Vendor).where(Vendor.id.in_(ids)))
    }
    return ocds.release(procurement, lookup.set_of(context, procurement), written, vendors)
