"""Moderation per indicator: the agreed level and reason for what evaluators disagree on."""

from flask import url_for

from ..auth import READERS, allow
from ..enums import Role
from ..schemas.moderations import ModerationCreateSchema, ModerationSchema
from ..services import moderations
from . import Blueprint
from .common import LOCATION_HEADER, context, items, page
from .idempotency import idempotent

blp = Blueprint("moderations", __name__, url_prefix="/v1", description="Moderations")


@blp.route("/vendors/<uuid:vendor_id>/moderations", methods=["POST"])
@allow(Role.MODERATOR)
@idempotent
@blp.arguments(ModerationCreateSchema)
@blp.response(201, ModerationSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def record_moderation(payload, vendor_id):
    """Settle indicators of a vendor's scorecard: the agreed level and the reason for each

    By a moderator who has not assessed the vendor in that scope; in a procurement, while it
    is evaluating and once the moderator has declared their interests.
    """
    record = moderations.record_moderation(context(), vendor_id, payload)
    location = url_for("moderations.get_moderation", moderation_id=record.id)
    return record, 201, {"Location": location}


@blp.route("/vendors/<uuid:vendor_id>/moderations")
@allow(*READERS)
@blp.response(200, ModerationSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_moderations(vendor_id, pagination_parameters):
    """The vendor's moderations, newest first"""
    found = moderations.list_moderations(context(), vendor_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/moderations/<uuid:moderation_id>")
@allow(*READERS)
@blp.response(200, ModerationSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_moderation(moderation_id):
    """One moderation exactly as recorded"""
    return moderations.get_moderation(context(), moderation_id)
