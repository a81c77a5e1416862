"""Assessments: evaluators' answers with evidence. Records, never edited."""

from flask import url_for

from ..auth import READERS, allow
from ..enums import Role
from ..schemas.assessments import AssessmentCreateSchema, AssessmentSchema
from ..services import assessments
from . import Blueprint
from .common import LOCATION_HEADER, context, items, page
from .idempotency import idempotent

blp = Blueprint("assessments", __name__, url_prefix="/v1", description="Assessments")


@blp.route("/vendors/<uuid:vendor_id>/assessments", methods=["POST"])
@allow(Role.ASSESSOR, Role.MODERATOR)
@idempotent
@blp.arguments(AssessmentCreateSchema)
@blp.response(201, AssessmentSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
def submit_assessment(payload, vendor_id):
    """Submit an assessment of a vendor; 201 with the stored record and its own score"""
    record = assessments.submit_assessment(context(), vendor_id, payload)
    location = url_for("assessments.get_assessment", assessment_id=record.id)
    return record, 201, {"Location": location}


@blp.route("/vendors/<uuid:vendor_id>/assessments")
@allow(*READERS)
@blp.response(200, AssessmentSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_assessments(vendor_id, pagination_parameters):
    """The vendor's assessments, newest first"""
    found = assessments.list_assessments(context(), vendor_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/assessments/<uuid:assessment_id>")
@allow(*READERS)
@blp.response(200, AssessmentSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_assessment(assessment_id):
    """One assessment exactly as submitted, with its submission time"""
    return assessments.get_assessment(context(), assessment_id)
