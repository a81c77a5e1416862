"""Scorecards: a vendor's combined, explained score on a criteria set."""

from flask import Response

from ..auth import READERS, allow
from ..enums import Role
from ..schemas.scorecards import (
    HistoryQuerySchema,
    ScorecardHistorySchema,
    ScorecardQuerySchema,
    ScorecardSchema,
)
from ..services import scorecards
from . import Blueprint
from .common import context

blp = Blueprint("scorecards", __name__, url_prefix="/v1", description="Scorecards")


@blp.route("/vendors/<uuid:vendor_id>/scorecard")
@allow(*READERS, Role.VENDOR)
@blp.arguments(ScorecardQuerySchema, location="query")
@blp.response(200, ScorecardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_scorecard(query, vendor_id):
    """The vendor's scorecard: total, grade, knockouts, confidence, plan"""
    # Served as stored, already written out by ScorecardSchema (services.scorecard_store).
    document = scorecards.served_scorecard(
        context(),
        vendor_id,
        criteria_ref=query.get("criteria_set"),
        procurement_id=query.get("procurement_id"),
        as_of=query.get("as_of"),
    )
    return Response(document, mimetype="application/json")


@blp.route("/vendors/<uuid:vendor_id>/scorecard/history")
@allow(*READERS, Role.VENDOR)
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200, ScorecardHistorySchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_scorecard_history(query, vendor_id):
    """How the vendor's total, grade and eligibility moved, assessment by assessment

    A page at a time: `limit` records (assessments and moderations, oldest first) from
    `start`, with the entries among them where the scorecard moved; `next_start` is where the
    next page starts, null after the latest record.
    """
    return scorecards.vendor_history(
        context(),
        vendor_id,
        criteria_ref=query.get("criteria_set"),
        procurement_id=query.get("procurement_id"),
        start=query["start"],
        limit=query["limit"],
    )
