"""Scorecards: a vendor's combined, explained score on a criteria set."""

from flask_smorest import abort
from sqlalchemy import select

from .. import procurements as rules
from ..answers import to_scoring
from ..auth import READERS, allow
from ..db import session
from ..disputes import open_disputes
from ..models import Assessment, Vendor, utcnow
from ..schemas import (
    HistoryQuerySchema,
    ScorecardHistorySchema,
    ScorecardQuerySchema,
    ScorecardSchema,
)
from ..scorecards import history, presented, vendor_assessments, vendor_scorecard
from ..scoring import NoCurrentAssessment
from . import Blueprint, blind
from .common import criteria_set_named, get_or_404, procurement_named

blp = Blueprint("scorecards", __name__, url_prefix="/v1", description="Scorecards")


def procurement_set(procurement, ref: str | None):
    """The procurement's criteria set; 422 when the request names another."""
    criteria_set = criteria_set_named(ref or procurement.criteria_set)
    if criteria_set.ref != procurement.criteria_set:
        abort(
            422,
            message=f"The procurement is assessed against {procurement.criteria_set}.",
            errors=[
                {
                    "pointer": "/criteria_set",
                    "location": "query",
                    "messages": [f"Must be {procurement.criteria_set}, the procurement's set."],
                }
            ],
        )
    return criteria_set


@blp.route("/vendors/<uuid:vendor_id>/scorecard")
@allow(*READERS, "vendor")
@blp.arguments(ScorecardQuerySchema, location="query")
@blp.response(200, ScorecardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_scorecard(query, vendor_id):
    """The vendor's scorecard: total, grade, knockouts, confidence, plan"""
    vendor = get_or_404(Vendor, vendor_id)
    as_of = query.get("as_of") or utcnow()
    if "procurement_id" not in query:
        blind.require_own_first(vendor.id, None, "the combined scorecard")
        criteria_set = criteria_set_named(query.get("criteria_set"))
        try:
            scorecard = vendor_scorecard(session(), vendor, criteria_set, as_of)
        except NoCurrentAssessment as exc:
            abort(404, message=f"No scorecard: {exc}")
        disputes = open_disputes(session(), [vendor.id], criteria_set, None)[vendor.id]
        return presented(vendor, criteria_set, scorecard, disputes)

    procurement = procurement_named(query["procurement_id"], "query")
    blind.require_own_first(vendor.id, procurement.id, "the combined scorecard")
    criteria_set = procurement_set(procurement, query.get("criteria_set"))
    found = rules.bidders_with_scorecards(session(), procurement, criteria_set, as_of, vendor.id)
    if not found:
        abort(404, message="No scorecard: the vendor is not a bidder in this procurement.")
    if found[0].scorecard is None:
        abort(
            404, message="No scorecard: the bidder has no current assessment in this procurement."
        )
    disputes = open_disputes(session(), [vendor.id], criteria_set, procurement.id)[vendor.id]
    return presented(vendor, criteria_set, found[0].scorecard, disputes)


@blp.route("/vendors/<uuid:vendor_id>/scorecard/history")
@allow(*READERS, "vendor")
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200, ScorecardHistorySchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_scorecard_history(query, vendor_id):
    """How the vendor's total, grade and eligibility moved, assessment by assessment"""
    vendor = get_or_404(Vendor, vendor_id)
    procurement, weights = None, None
    if "procurement_id" in query:
        procurement = procurement_named(query["procurement_id"], "query")
        criteria_set = procurement_set(procurement, query.get("criteria_set"))
    else:
        criteria_set = criteria_set_named(query.get("criteria_set"))
    blind.require_own_first(vendor.id, procurement.id if procurement else None, "the history")
    if procurement is None:
        assessments = vendor_assessments(session(), vendor.id, criteria_set)
    else:
        weights = rules.weights_of(procurement, criteria_set)
        records = session().scalars(
            select(Assessment).where(
                Assessment.vendor_id == vendor.id,
                Assessment.procurement_id == procurement.id,
                Assessment.criteria_key == criteria_set.key,
                Assessment.criteria_version == criteria_set.version,
            )
        )
        assessments = [to_scoring(r) for r in records]
        if not assessments and procurement.reuse_standalone:
            # As the ranking does: a bidder never assessed here is judged on its standalone work.
            assessments = vendor_assessments(session(), vendor.id, criteria_set)
    return {
        "vendor": vendor,
        "criteria_set": {
            "ref": criteria_set.ref,
            "sha256": criteria_set.sha256,
            "title": criteria_set.title,
        },
        "procurement_id": procurement.id if procurement else None,
        "history": history(criteria_set, assessments, weights),
    }
