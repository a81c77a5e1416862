"""Reading the event log: filtered history, per object, and verification of the chain."""

import json

from sqlalchemy import select

from .. import audit
from ..auth import READERS, allow, principal
from ..db import session
from ..models import Assessment, Event, Vendor
from ..schemas import AuditQuerySchema, EventSchema, VerificationSchema
from . import Blueprint
from .common import get_or_404, page_of

blp = Blueprint("audit", __name__, url_prefix="/v1", description="The tamper-evident event log")


def _events_of_organisation():
    return (
        select(Event)
        .where(Event.organisation_id == principal().organisation_id)
        .order_by(Event.seq)
    )


def _readable(event: Event) -> Event:
    event.change_document = json.loads(event.change)
    return event


@blp.route("/audit")
@allow("auditor")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, EventSchema(many=True))
@blp.paginate()
def list_events(query, pagination_parameters):
    """The organisation's events, oldest first; filter by object, actor or time"""
    statement = _events_of_organisation()
    if "object_type" in query:
        statement = statement.where(Event.object_type == query["object_type"])
    if "object_id" in query:
        statement = statement.where(Event.object_id == query["object_id"])
    if "actor" in query:
        statement = statement.where(Event.actor.contains(query["actor"], autoescape=True))
    if "since" in query:
        statement = statement.where(Event.occurred_at >= query["since"])
    if "until" in query:
        statement = statement.where(Event.occurred_at < query["until"])
    return [_readable(e) for e in page_of(statement, pagination_parameters)]


@blp.route("/audit/verify")
@allow("auditor")
@blp.response(200, VerificationSchema)
def verify_log():
    """Recompute the whole chain; the first bad event, if any"""
    return audit.verify(session())


@blp.route("/vendors/<uuid:vendor_id>/events")
@allow(*READERS)
@blp.response(200, EventSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def vendor_events(vendor_id, pagination_parameters):
    """The events that concern a vendor, oldest first"""
    vendor = get_or_404(Vendor, vendor_id)
    statement = _events_of_organisation().where(
        Event.object_type == "vendor", Event.object_id == vendor.id
    )
    return [_readable(e) for e in page_of(statement, pagination_parameters)]


@blp.route("/assessments/<uuid:assessment_id>/events")
@allow("buyer", "moderator", "auditor")
@blp.response(200, EventSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def assessment_events(assessment_id, pagination_parameters):
    """The events that concern an assessment"""
    record = get_or_404(Assessment, assessment_id)
    statement = _events_of_organisation().where(
        Event.object_type == "assessment", Event.object_id == record.id
    )
    return [_readable(e) for e in page_of(statement, pagination_parameters)]
