"""Scorecards: a vendor's combined, explained score on a criteria set."""

from flask_smorest import abort

from ..db import session
from ..models import Vendor, utcnow
from ..schemas import ScorecardQuerySchema, ScorecardSchema
from ..scorecards import presented, vendor_scorecard
from ..scoring import NoCurrentAssessment
from . import Blueprint
from .assessments import criteria_set_named
from .common import get_or_404

blp = Blueprint("scorecards", __name__, url_prefix="/v1", description="Scorecards")


@blp.route("/vendors/<uuid:vendor_id>/scorecard")
@blp.arguments(ScorecardQuerySchema, location="query")
@blp.response(200, ScorecardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_scorecard(query, vendor_id):
    """The vendor's scorecard: total, grade, knockouts, confidence, plan"""
    vendor = get_or_404(Vendor, vendor_id)
    criteria_set = criteria_set_named(query.get("criteria_set"))
    if "procurement_id" in query:
        abort(
            422,
            message=f"No procurement has the id {query['procurement_id']}.",
            errors=[{"pointer": "/procurement_id", "location": "query", "messages": ["Unknown."]}],
        )
    as_of = query.get("as_of") or utcnow()
    try:
        scorecard = vendor_scorecard(session(), vendor, criteria_set, as_of)
    except NoCurrentAssessment as exc:
        abort(404, message=f"No scorecard: {exc}")
    return presented(vendor, criteria_set, scorecard)
