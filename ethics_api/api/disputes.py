"""A vendor's right of reply: disputes on indicators of its scorecard, and their resolution.

A vendor key disputes one indicator with a statement and evidence; scorecards and rankings flag
the indicator until a moderator resolves the dispute: upheld by a moderated assessment of the
vendor submitted since, or rejected with reasons. Nothing is edited away: the dispute keeps its
statement beside its resolution.
"""

import uuid

from flask import request, url_for
from flask_smorest import abort
from sqlalchemy import select

from ..auth import READERS, allow, principal
from ..db import session
from ..models import Assessment, Bidder, Dispute, Vendor, utcnow
from ..schemas import (
    DisputeCreateSchema,
    DisputeQuerySchema,
    DisputeResolutionSchema,
    DisputeSchema,
    OrganisationDisputeQuerySchema,
)
from ..webhooks import emit
from . import Blueprint
from .common import (
    LOCATION_HEADER,
    criteria_set_named,
    get_or_404,
    log_change,
    page_of,
    procurement_named,
)
from .idempotency import idempotent

blp = Blueprint("disputes", __name__, url_prefix="/v1", description="Vendors' right of reply")


def _event(dispute: Dispute) -> dict:
    return {
        "dispute_id": dispute.id,
        "vendor_id": dispute.vendor_id,
        "criteria_set": dispute.criteria_set,
        "procurement_id": dispute.procurement_id,
        "indicator": dispute.indicator,
        "status": dispute.status,
    }


def _in_scope(model, vendor, criteria_set, procurement) -> tuple:
    """Conditions for the rows (assessments or disputes) of a vendor in one scope: its
    criteria set, and the procurement or (None) standalone."""
    return (
        model.vendor_id == vendor.id,
        model.criteria_key == criteria_set.key,
        model.criteria_version == criteria_set.version,
        model.procurement_id == procurement.id if procurement else model.procurement_id.is_(None),
    )


@blp.route("/vendors/<uuid:vendor_id>/disputes", methods=["POST"])
@allow("vendor")
@idempotent
@blp.arguments(DisputeCreateSchema)
@blp.response(201, DisputeSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def open_dispute(payload, vendor_id):
    """Dispute one indicator of the vendor's scorecard, with a statement and evidence"""
    vendor = get_or_404(Vendor, vendor_id)
    procurement = None
    if payload["procurement_id"] is not None:
        procurement = procurement_named(payload["procurement_id"], "json")
    criteria_set = criteria_set_named(
        payload["criteria_set"] or (procurement.criteria_set if procurement else None)
    )
    if procurement is not None and session().get(Bidder, (procurement.id, vendor.id)) is None:
        abort(
            422,
            message="The vendor is not a bidder in this procurement.",
            errors=[{"pointer": "/procurement_id", "location": "json", "messages": ["Not bid."]}],
        )
    assessed = session().scalar(
        select(Assessment.id).where(*_in_scope(Assessment, vendor, criteria_set, procurement))
    )
    if assessed is None:
        where = " in this procurement" if procurement else ""
        hint = ""
        if procurement is not None and procurement.reuse_standalone:
            hint = (
                " The procurement ranks it on its standalone assessments: dispute those,"
                " without procurement_id."
            )
        abort(
            409,
            message=f"The vendor has no assessment against {criteria_set.ref}{where} to "
            f"dispute.{hint}",
        )
    if payload["indicator"] not in {i.key for i in criteria_set.indicators}:
        abort(
            422,
            message=f"{criteria_set.ref} has no indicator {payload['indicator']!r}.",
            errors=[{"pointer": "/indicator", "location": "json", "messages": ["Unknown."]}],
        )
    pending = session().scalar(
        select(Dispute.id).where(
            *_in_scope(Dispute, vendor, criteria_set, procurement),
            Dispute.indicator == payload["indicator"],
            Dispute.status == "open",
        )
    )
    if pending is not None:
        abort(
            409,
            message=f"The vendor's dispute {pending} on {payload['indicator']} is still open: "
            "a moderator resolves it before another can be filed.",
        )
    dispute = Dispute(
        organisation_id=vendor.organisation_id,
        vendor_id=vendor.id,
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        procurement_id=procurement.id if procurement else None,
        indicator=payload["indicator"],
        statement=payload["statement"],
        evidence=request.get_json().get("evidence", []),
        filed_by=principal().name,
    )
    db = session()
    db.add(dispute)
    db.flush()
    emit(db, dispute.organisation_id, "dispute.opened", _event(dispute))
    log_change(
        "dispute.opened", "dispute", dispute.id, {**request.get_json(), "vendor_id": vendor.id}
    )
    location = url_for("disputes.get_dispute", dispute_id=uuid.UUID(dispute.id))
    return dispute, 201, {"Location": location}


def _disputes(query: dict):
    statement = select(Dispute).where(Dispute.organisation_id == principal().organisation_id)
    if "status" in query:
        statement = statement.where(Dispute.status == query["status"])
    return statement.order_by(Dispute.filed_at.desc(), Dispute.id)


@blp.route("/disputes")
@allow(*READERS)
@blp.arguments(OrganisationDisputeQuerySchema, location="query")
@blp.response(200, DisputeSchema(many=True))
@blp.paginate()
def list_organisation_disputes(query, pagination_parameters):
    """The organisation's disputes, newest first: ?status=open is the moderators' queue"""
    statement = _disputes(query)
    if "vendor_id" in query:
        statement = statement.where(Dispute.vendor_id == str(query["vendor_id"]))
    return page_of(statement, pagination_parameters)


@blp.route("/vendors/<uuid:vendor_id>/disputes")
@allow(*READERS, "vendor")
@blp.arguments(DisputeQuerySchema, location="query")
@blp.response(200, DisputeSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_disputes(query, vendor_id, pagination_parameters):
    """The vendor's disputes, newest first"""
    vendor = get_or_404(Vendor, vendor_id)
    return page_of(_disputes(query).where(Dispute.vendor_id == vendor.id), pagination_parameters)


@blp.route("/disputes/<uuid:dispute_id>")
@allow(*READERS, "vendor")
@blp.response(200, DisputeSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_dispute(dispute_id):
    """One dispute, with its resolution once resolved"""
    return get_or_404(Dispute, dispute_id)


@blp.route("/disputes/<uuid:dispute_id>/resolution", methods=["POST"])
@allow("moderator")
@blp.arguments(DisputeResolutionSchema)
@blp.response(200, DisputeSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def resolve_dispute(payload, dispute_id):
    """Resolve a dispute: upheld (with the moderated assessment that settles it) or rejected"""
    db = session()
    dispute = get_or_404(Dispute, dispute_id, lock=True)
    if dispute.status != "open":
        abort(409, message=f"The dispute was already resolved: {dispute.status}.")
    if payload["outcome"] == "upheld":
        dispute.moderated_assessment_id = _settling_assessment(dispute, payload["assessment_id"])
    elif payload["assessment_id"] is not None:
        abort(
            422,
            message="A rejected dispute names no assessment: give the reasons only.",
            errors=[{"pointer": "/assessment_id", "location": "json", "messages": ["Unexpected."]}],
        )
    dispute.status = payload["outcome"]
    dispute.resolution = payload["reasons"]
    dispute.resolved_by = principal().name
    dispute.resolved_at = dispute.updated_at = utcnow()
    dispute.revision += 1
    db.flush()
    emit(db, dispute.organisation_id, "dispute.resolved", _event(dispute))
    log_change("dispute.resolved", "dispute", dispute.id, request.get_json())
    return dispute


def _settling_assessment(dispute: Dispute, assessment_id) -> str:
    """The moderated assessment that upholds the dispute: same vendor, set and scope, and
    submitted after the dispute was filed; 422 otherwise."""
    if assessment_id is None:
        problem = "An upheld dispute names the moderated assessment that settles it."
    else:
        record = session().get(Assessment, str(assessment_id))
        fits = (
            record is not None
            and record.organisation_id == dispute.organisation_id
            and record.vendor_id == dispute.vendor_id
            and record.criteria_set == dispute.criteria_set
            and record.procurement_id == dispute.procurement_id
            and record.moderated
            and record.submitted_at >= dispute.filed_at
        )
        if fits:
            return record.id
        problem = (
            "The assessment must be a moderated assessment of the same vendor, criteria set "
            "and procurement, submitted after the dispute was filed."
        )
    abort(
        422,
        message=problem,
        errors=[{"pointer": "/assessment_id", "location": "json", "messages": [problem]}],
    )
