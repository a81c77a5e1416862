"""A procurement's ranking, and the documents rendered from it: CSV, summaries, OCDS.

While a procurement is open its ranking is computed from the bidders' current assessments on
every request; at closing it is stored as it was served, and every document of a closed
procurement is rendered from that stored ranking, never recomputed.
"""

import datetime as dt

from sqlalchemy import select

from .. import ocds
from ..enums import Role
from ..models import Assessment, Procurement, Vendor
from ..schemas.procurements import RankingSchema
from ..summaries import bidder_summary
from . import lookup
from .anonymity import scorecard_renaming
from .context import Context
from .declarations import all_of
from .errors import Conflict, NotFound
from .evaluation import bidders_with_scorecards, evaluation
from .readiness import readiness_of
from .scorecards import require_weights_fixed


def live_ranking(
    context: Context, procurement: Procurement, as_of: dt.datetime, final: bool = False
) -> dict:
    """The ranking on `as_of`, with exact values, the procurement's readiness to close and its
    declarations of interest beside it (stored with it at closing: the record of both)."""
    evaluated = evaluation(context, procurement, as_of, final)
    declared = all_of(context, procurement)
    return {
        **evaluated.report,
        "readiness": readiness_of(context, procurement, evaluated, declared),
        "declarations": sorted(declared.values(), key=lambda d: (d.declared_at, d.id)),
    }


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
