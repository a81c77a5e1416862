"""Assessments: evaluators' answers with evidence. Records, never edited."""

import uuid

from flask import current_app, request, url_for
from flask_smorest import abort
from sqlalchemy import select

from .. import procurements as rules
from ..answers import answer_errors
from ..auth import READERS, allow, principal
from ..db import session
from ..fingerprints import record_use
from ..models import Assessment, Bidder, Vendor, utcnow
from ..schemas import AssessmentCreateSchema, AssessmentSchema
from ..scorecards import own_score, vendor_scorecard
from ..scoring import NoCurrentAssessment, round_half_away
from ..webhooks import emit, wanted
from . import Blueprint, blind
from .common import (
    LOCATION_HEADER,
    criteria_set_named,
    get_or_404,
    log_change,
    page_of,
    procurement_named,
    visible,
)
from .idempotency import idempotent

blp = Blueprint("assessments", __name__, url_prefix="/v1", description="Assessments")


def assessor_named(payload: dict) -> str:
    """Assessors and moderators assess under their key's name; an admin names the assessor."""
    caller = principal()
    if payload["moderated"] and caller.role not in ("moderator", "admin"):
        abort(403, message="Only a moderator submits moderated assessments.")
    if caller.role == "admin":
        if payload["assessor"] is None:
            abort(
                422,
                message="Name the assessor: an admin key assesses on someone's behalf.",
                errors=[{"pointer": "/assessor", "location": "json", "messages": ["Required."]}],
            )
        return payload["assessor"]
    if payload["assessor"] not in (None, caller.name):
        abort(403, message=f"You assess under your own name, {caller.name}.")
    return caller.name


def corrected_assessment(assessment_id, vendor, criteria_set, procurement) -> str | None:
    """The assessment a correction supersedes: same vendor, set and scope, not yet corrected,
    and an assessor's own (moderators and admins may correct anyone's); 422 / 409 otherwise."""
    if assessment_id is None:
        return None
    db = session()
    # Locked: of two simultaneous corrections of one assessment, the second sees the first.
    original = db.get(Assessment, str(assessment_id), with_for_update=True)
    procurement_id = procurement.id if procurement else None
    if (
        original is None
        or not visible(original)
        or original.vendor_id != vendor.id
        or original.criteria_set != criteria_set.ref
        or original.procurement_id != procurement_id
    ):
        abort(
            422,
            message="A correction supersedes an assessment of the same vendor, criteria set "
            "and procurement.",
            errors=[{"pointer": "/supersedes", "location": "json", "messages": ["Not found."]}],
        )
    caller = principal()
    if caller.role == "assessor" and original.assessor != caller.name:
        abort(403, message="An assessor corrects only their own assessments.")
    already = db.scalar(select(Assessment.id).where(Assessment.supersedes == original.id))
    if already is not None:
        abort(409, message=f"The assessment was already corrected by {already}.")
    return original.id


def with_score(record: Assessment) -> Assessment:
    """The record with its own score (alone, as of its submission) for the response."""
    record.score = own_score(record, current_app.extensions["catalog"].get(record.criteria_set))
    return record


@blp.route("/vendors/<uuid:vendor_id>/assessments", methods=["POST"])
@allow("assessor", "moderator")
@idempotent
@blp.arguments(AssessmentCreateSchema)
@blp.response(201, AssessmentSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
def submit_assessment(payload, vendor_id):
    """Submit an assessment of a vendor; 201 with the stored record and its own score"""
    vendor = get_or_404(Vendor, vendor_id)
    assessor = assessor_named(payload)
    procurement = None
    if payload["procurement_id"] is not None:
        procurement = procurement_named(payload["procurement_id"], "json", lock=True)
        try:
            is_bidder = session().get(Bidder, (procurement.id, vendor.id)) is not None
            rules.check_can_assess(procurement, is_bidder)
        except rules.ProcurementConflict as exc:
            abort(409, message=str(exc))
    criteria_set = criteria_set_named(
        payload["criteria_set"] or (procurement.criteria_set if procurement else None)
    )
    if procurement is not None and criteria_set.ref != procurement.criteria_set:
        abort(
            422,
            message=f"The procurement is assessed against {procurement.criteria_set}.",
            errors=[
                {
                    "pointer": "/criteria_set",
                    "location": "json",
                    "messages": [f"Must be {procurement.criteria_set}, the procurement's set."],
                }
            ],
        )
    errors = answer_errors(criteria_set, payload["answers"])
    if errors:
        abort(422, message=f"The answers do not fit {criteria_set.ref}.", errors=errors)
    corrected = corrected_assessment(payload["supersedes"], vendor, criteria_set, procurement)
    record = Assessment(
        organisation_id=vendor.organisation_id,
        vendor_id=vendor.id,
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        assessor=assessor,
        procurement_id=procurement.id if procurement else None,
        moderated=payload["moderated"],
        summary=payload["summary"],
        supersedes=corrected,
        # Stored exactly as sent: validation above refused anything it would have altered.
        answers=request.get_json()["answers"],
    )
    db = session()
    # Comparing the scorecard before and after costs two computations: only when some
    # subscription wants to hear how it moved.
    compare = bool(wanted(db, vendor.organisation_id) & {"scorecard.changed", "knockout.triggered"})
    before = scorecard_in_scope(db, vendor, criteria_set, procurement) if compare else None
    db.add(record)
    record_use(db, criteria_set)
    db.flush()
    after = scorecard_in_scope(db, vendor, criteria_set, procurement) if compare else None
    announce(db, record, vendor, before, after)
    log_change(
        "assessment.submitted",
        "assessment",
        record.id,
        {
            **request.get_json(),
            "vendor_id": vendor.id,
            "assessor": assessor,
            "criteria_set": criteria_set.ref,
            "criteria_sha256": criteria_set.sha256,
        },
    )
    location = url_for("assessments.get_assessment", assessment_id=uuid.UUID(record.id))
    return with_score(record), 201, {"Location": location}


def scorecard_in_scope(db, vendor, criteria_set, procurement):
    """The vendor's scorecard now, standalone or within the procurement; None if none."""
    now = utcnow()
    if procurement is None:
        try:
            return vendor_scorecard(db, vendor, criteria_set, now)
        except NoCurrentAssessment:
            return None
    found = rules.bidders_with_scorecards(db, procurement, criteria_set, now, vendor.id)
    return found[0].scorecard if found else None


def announce(db, record: Assessment, vendor: Vendor, before, after) -> None:
    """The webhook events of a submission: always submitted; the scorecard when its result
    moved; a knockout when the vendor has just become ineligible (`after` None: not compared)."""
    scope = {
        "vendor_id": vendor.id,
        "criteria_set": record.criteria_set,
        "procurement_id": record.procurement_id,
    }
    emit(
        db,
        record.organisation_id,
        "assessment.submitted",
        {**scope, "assessment_id": record.id, "assessor": record.assessor},
    )
    if after is None:
        return
    result = _result(after)
    if result != _result(before):
        emit(db, record.organisation_id, "scorecard.changed", {**scope, **result})
    if not after.eligible and (before is None or before.eligible):
        knockouts = [{"kind": k.kind, "key": k.key} for k in after.knockouts]
        emit(db, record.organisation_id, "knockout.triggered", {**scope, "knockouts": knockouts})


def _result(scorecard) -> dict | None:
    if scorecard is None:
        return None
    return {
        "total": float(round_half_away(scorecard.total)),
        "grade": scorecard.grade,
        "eligible": scorecard.eligible,
    }


@blp.route("/vendors/<uuid:vendor_id>/assessments")
@allow(*READERS)
@blp.response(200, AssessmentSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_assessments(vendor_id, pagination_parameters):
    """The vendor's assessments, newest first"""
    vendor = get_or_404(Vendor, vendor_id)
    statement = (
        select(Assessment)
        .where(Assessment.vendor_id == vendor.id)
        .order_by(Assessment.submitted_at.desc(), Assessment.id)
    )
    if blind.is_blind():
        statement = statement.where(blind.readable_filter(vendor.id))
    return [with_score(r) for r in page_of(statement, pagination_parameters)]


@blp.route("/assessments/<uuid:assessment_id>")
@allow(*READERS)
@blp.response(200, AssessmentSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_assessment(assessment_id):
    """One assessment exactly as submitted, with its submission time"""
    record = get_or_404(Assessment, assessment_id)
    if record.assessor != principal().name:
        blind.require_own_first(record.vendor_id, record.procurement_id, "others' assessments")
    return with_score(record)
