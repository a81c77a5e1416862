"""Scorecards: a vendor's combined, explained score on a criteria set."""

from flask_smorest import abort

from .. import procurements as rules
from ..auth import READERS, allow
from ..db import session
from ..disputes import open_disputes
from ..models import Vendor, utcnow
from ..schemas import ScorecardQuerySchema, ScorecardSchema
from ..scorecards import presented, vendor_scorecard
from ..scoring import NoCurrentAssessment
from . import Blueprint, blind
from .assessments import criteria_set_named, procurement_named
from .common import get_or_404

blp = Blueprint("scorecards", __name__, url_prefix="/v1", description="Scorecards")


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
    criteria_set = criteria_set_named(query.get("criteria_set") or procurement.criteria_set)
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
    found = rules.bidders_with_scorecards(session(), procurement, criteria_set, as_of, vendor.id)
    if not found:
        abort(404, message="No scorecard: the vendor is not a bidder in this procurement.")
    if found[0].scorecard is None:
        abort(
            404, message="No scorecard: the bidder has no current assessment in this procurement."
        )
    disputes = open_disputes(session(), [vendor.id], criteria_set, procurement.id)[vendor.id]
    return presented(vendor, criteria_set, found[0].scorecard, disputes)
