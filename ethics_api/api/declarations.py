"""Declarations of interest in a procurement, the buyer's mitigations, and its readiness."""

from flask import url_for

from ..auth import READERS, allow
from ..enums import Role
from ..schemas.declarations import (
    DeclarationCreateSchema,
    DeclarationSchema,
    MitigationSchema,
    ReadinessSchema,
)
from ..services import declarations, readiness
from . import Blueprint
from .common import LOCATION_HEADER, context, items, page
from .idempotency import idempotent

blp = Blueprint(
    "declarations",
    __name__,
    url_prefix="/v1/procurements",
    description="Declarations of interest and readiness to close",
)


@blp.route("/<uuid:procurement_id>/declarations", methods=["POST"])
@allow(Role.BUYER, Role.ASSESSOR, Role.MODERATOR)
@idempotent
@blp.arguments(DeclarationCreateSchema)
@blp.response(201, DeclarationSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def declare(payload, procurement_id):
    """Declare your interests in a procurement before evaluating in it

    A declared conflict stops you from assessing or moderating there until the buyer records
    how it is mitigated (Procurement Act 2023 ss.81-83).
    """
    declaration = declarations.declare(context(), procurement_id, payload)
    location = url_for("declarations.list_declarations", procurement_id=procurement_id)
    return declaration, 201, {"Location": location}


@blp.route("/<uuid:procurement_id>/declarations")
@allow(*READERS)
@blp.response(200, DeclarationSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_declarations(procurement_id, pagination_parameters):
    """The procurement's declarations, in the order they were made"""
    found = declarations.declarations_of(context(), procurement_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/<uuid:procurement_id>/declarations/<uuid:declaration_id>/mitigation", methods=["POST"])
@allow(Role.BUYER)
@blp.arguments(MitigationSchema)
@blp.response(200, DeclarationSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def mitigate(payload, procurement_id, declaration_id):
    """Record how a declared conflict is mitigated; the person may then evaluate"""
    return declarations.mitigate(context(), procurement_id, declaration_id, payload)


@blp.route("/<uuid:procurement_id>/readiness")
@allow(Role.BUYER, Role.MODERATOR, Role.AUDITOR)
@blp.response(200, ReadinessSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def get_readiness(procurement_id):
    """What blocks closing the procurement, and what its board should be warned of"""
    return readiness.readiness(context(), procurement_id)
