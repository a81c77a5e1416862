"""A vendor's right of reply: disputes on indicators of its scorecard, and their resolution."""

from flask import url_for

from ..auth import READERS, allow
from ..enums import Role
from ..schemas.disputes import (
    DisputeCreateSchema,
    DisputeQuerySchema,
    DisputeResolutionSchema,
    DisputeSchema,
    OrganisationDisputeQuerySchema,
)
from ..services import disputes
from . import Blueprint
from .common import LOCATION_HEADER, context, items, page
from .idempotency import idempotent

blp = Blueprint("disputes", __name__, url_prefix="/v1", description="Vendors' right of reply")


@blp.route("/vendors/<uuid:vendor_id>/disputes", methods=["POST"])
@allow(Role.VENDOR)
@idempotent
@blp.arguments(DisputeCreateSchema)
@blp.response(201, DisputeSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def open_dispute(payload, vendor_id):
    """Dispute one indicator of the vendor's scorecard, with a statement and evidence"""
    dispute = disputes.open_dispute(context(), vendor_id, payload)
    location = url_for("disputes.get_dispute", dispute_id=dispute.id)
    return dispute, 201, {"Location": location}


@blp.route("/disputes")
@allow(*READERS)
@blp.arguments(OrganisationDisputeQuerySchema, location="query")
@blp.response(200, DisputeSchema(many=True))
@blp.paginate()
def list_organisation_disputes(query, pagination_parameters):
    """The organisation's disputes, newest first: ?status=open is the moderators' queue"""
    found = disputes.list_disputes(
        context(), page(pagination_parameters), query.get("status"), query.get("vendor_id")
    )
    return items(found, pagination_parameters)


@blp.route("/vendors/<uuid:vendor_id>/disputes")
@allow(*READERS, Role.VENDOR)
@blp.arguments(DisputeQuerySchema, location="query")
@blp.response(200, DisputeSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_disputes(query, vendor_id, pagination_parameters):
    """The vendor's disputes, newest first"""
    found = disputes.vendor_disputes(
        context(), vendor_id, page(pagination_parameters), query.get("status")
    )
    return items(found, pagination_parameters)


@blp.route("/disputes/<uuid:dispute_id>")
@allow(*READERS, Role.VENDOR)
@blp.response(200, DisputeSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_dispute(dispute_id):
    """One dispute, with its resolution once resolved"""
    return disputes.get_dispute(context(), dispute_id)


@blp.route("/disputes/<uuid:dispute_id>/resolution", methods=["POST"])
@allow(Role.MODERATOR)
@blp.arguments(DisputeResolutionSchema)
@blp.response(200, DisputeSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def resolve_dispute(payload, dispute_id):
    """Resolve a dispute: upheld (with the moderated assessment that settles it) or rejected"""
    return disputes.resolve_dispute(context(), dispute_id, payload)
