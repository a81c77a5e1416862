"""Reading the organisation's event log: filtered history, per object, and verification of
its chain and of the records it vouches for."""

from ..auth import READERS, allow
from ..enums import Role
from ..models import Assessment, Vendor
from ..schemas.audit import AuditQuerySchema, EventSchema, VerificationSchema
from ..services import audit
from . import Blueprint
from .common import context, items, page

blp = Blueprint("audit", __name__, url_prefix="/v1", description="The tamper-evident event log")


@blp.route("/audit")
@allow(Role.AUDITOR)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, EventSchema(many=True))
@blp.paginate()
def list_events(query, pagination_parameters):
    """The organisation's own chain of events, oldest first; filter by object, actor or time"""
    found = audit.list_events(context(), page(pagination_parameters), query)
    return items(found, pagination_parameters)


@blp.route("/audit/verify")
@allow(Role.AUDITOR)
@blp.response(200, VerificationSchema)
def verify_log():
    """Recompute the organisation's chain, then every record's digest; the first bad event
    or record, if any"""
    return audit.verify(context())


@blp.route("/vendors/<uuid:vendor_id>/events")
@allow(*READERS)
@blp.response(200, EventSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def vendor_events(vendor_id, pagination_parameters):
    """The events that concern a vendor, oldest first"""
    found = audit.object_events(context(), Vendor, vendor_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/assessments/<uuid:assessment_id>/events")
@allow(Role.BUYER, Role.MODERATOR, Role.AUDITOR)
@blp.response(200, EventSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def assessment_events(assessment_id, pagination_parameters):
    """The events that concern an assessment"""
    found = audit.object_events(context(), Assessment, assessment_id, page(pagination_parameters))
    return items(found, pagination_parameters)
