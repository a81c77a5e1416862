"""Vendors: the companies whose AI systems are assessed."""

from flask import Response, url_for

from ..auth import READERS, allow
from ..enums import Role
from ..schemas.vendors import (
    VendorCreateSchema,
    VendorQuerySchema,
    VendorSchema,
    VendorUpdateSchema,
)
from ..services import vendors
from . import Blueprint
from .common import (
    ETAG_HEADER,
    IF_MATCH_PARAMETER,
    LOCATION_HEADER,
    context,
    etag_of,
    expected,
    items,
    page,
)
from .idempotency import idempotent

blp = Blueprint("vendors", __name__, url_prefix="/v1/vendors", description="Vendors")


@blp.route("", methods=["POST"])
@allow(Role.BUYER)
@idempotent
@blp.arguments(VendorCreateSchema)
@blp.response(201, VendorSchema, headers={"Location": LOCATION_HEADER, "ETag": ETAG_HEADER})
@blp.alt_response(409, response="CONFLICT")
def create_vendor(payload):
    """Create a vendor"""
    vendor = vendors.create_vendor(context(), payload)
    location = url_for("vendors.get_vendor", vendor_id=vendor.id)
    return vendor, 201, {"Location": location, "ETag": etag_of(vendor)}


@blp.route("")
@allow(*READERS, Role.VENDOR)
@blp.arguments(VendorQuerySchema, location="query")
@blp.response(200, VendorSchema(many=True))
@blp.paginate()
def list_vendors(query, pagination_parameters):
    """List vendors by name, optionally searching names"""
    # Served as written, each vendor once per version (services.vendors).
    found = vendors.written_vendors(context(), page(pagination_parameters), query.get("q"))
    written = items(found, pagination_parameters)
    return Response(f"[{','.join(written)}]\n", mimetype="application/json")


@blp.route("/<uuid:vendor_id>")
@allow(*READERS, Role.VENDOR)
@blp.response(200, VendorSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
def get_vendor(vendor_id):
    """One vendor"""
    written = vendors.written_vendor(context(), vendor_id)
    return Response(
        f"{written.text}\n", mimetype="application/json", headers={"ETag": etag_of(written)}
    )


@blp.route("/<uuid:vendor_id>", methods=["PATCH"])
@allow(Role.BUYER)
@blp.arguments(VendorUpdateSchema)
@blp.doc(parameters=[IF_MATCH_PARAMETER])
@blp.response(200, VendorSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(428, response="PRECONDITION_REQUIRED")
def update_vendor(changes, vendor_id):
    """Change a vendor's name, country or website (send If-Match with its ETag)"""
    vendor = vendors.update_vendor(context(), vendor_id, changes, expected())
    return vendor, 200, {"ETag": etag_of(vendor)}
