"""Vendors: the companies whose AI systems are assessed."""

import uuid

from flask import request, url_for
from flask_smorest import abort
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth import READERS, allow, principal
from ..db import session
from ..models import Vendor
from ..schemas import VendorCreateSchema, VendorQuerySchema, VendorSchema, VendorUpdateSchema
from . import Blueprint
from .common import (
    ETAG_HEADER,
    IF_MATCH_PARAMETER,
    LOCATION_HEADER,
    etag_of,
    get_or_404,
    log_change,
    page_of,
    update_if_match,
)
from .idempotency import idempotent

blp = Blueprint("vendors", __name__, url_prefix="/v1/vendors", description="Vendors")


@blp.route("", methods=["POST"])
@allow("buyer")
@idempotent
@blp.arguments(VendorCreateSchema)
@blp.response(201, VendorSchema, headers={"Location": LOCATION_HEADER, "ETag": ETAG_HEADER})
@blp.alt_response(409, response="CONFLICT")
def create_vendor(payload):
    """Create a vendor"""
    identifier = payload.pop("identifier") or {}
    vendor = Vendor(
        organisation_id=principal().organisation_id,
        identifier_scheme=identifier.get("scheme"),
        identifier_id=identifier.get("id"),
        **payload,
    )
    db = session()
    db.add(vendor)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        abort(
            409,
            message=f"A vendor with identifier {identifier['scheme']}/{identifier['id']} exists.",
        )
    log_change("vendor.created", "vendor", vendor.id, request.get_json())
    location = url_for("vendors.get_vendor", vendor_id=uuid.UUID(vendor.id))
    return vendor, 201, {"Location": location, "ETag": etag_of(vendor)}


@blp.route("")
@allow(*READERS, "vendor")
@blp.arguments(VendorQuerySchema, location="query")
@blp.response(200, VendorSchema(many=True))
@blp.paginate()
def list_vendors(query, pagination_parameters):
    """List vendors by name, optionally searching names"""
    caller = principal()
    statement = (
        select(Vendor)
        .where(Vendor.organisation_id == caller.organisation_id)
        .order_by(Vendor.name, Vendor.id)
    )
    if caller.role == "vendor":
        statement = statement.where(Vendor.id == caller.vendor_id)
    if "q" in query:
        pattern = query["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Vendor.name).contains(pattern.lower(), escape="\\"))
    return page_of(statement, pagination_parameters)


@blp.route("/<uuid:vendor_id>")
@allow(*READERS, "vendor")
@blp.response(200, VendorSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
def get_vendor(vendor_id):
    """One vendor"""
    vendor = get_or_404(Vendor, vendor_id)
    return vendor, 200, {"ETag": etag_of(vendor)}


@blp.route("/<uuid:vendor_id>", methods=["PATCH"])
@allow("buyer")
@blp.arguments(VendorUpdateSchema)
@blp.doc(parameters=[IF_MATCH_PARAMETER])
@blp.response(200, VendorSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(428, response="PRECONDITION_REQUIRED")
def update_vendor(changes, vendor_id):
    """Change a vendor's name, country or website (send If-Match with its ETag)"""
    vendor = get_or_404(Vendor, vendor_id)
    update_if_match(vendor, changes)
    log_change(
        "vendor.updated", "vendor", vendor.id, {**request.get_json(), "revision": vendor.revision}
    )
    return vendor, 200, {"ETag": etag_of(vendor)}
