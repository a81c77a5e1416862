"""Procurements: a tender's criteria, weights, bidders, ranking and exports."""

import uuid

from flask import current_app, render_template, request, url_for
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, ocds
from .. import procurements as rules
from ..auth import READERS, allow, principal
from ..criteria import CriteriaSet
from ..db import session
from ..disputes import open_disputes
from ..exports import ranking_csv
from ..models import Assessment, Bidder, Procurement, Vendor, utcnow
from ..ranking_report import ranking_report
from ..schemas import (
    BidderCreateSchema,
    BidderSchema,
    BidderSummarySchema,
    ProcurementCreateSchema,
    ProcurementQuerySchema,
    ProcurementSchema,
    ProcurementUpdateSchema,
    RankingSchema,
    SummaryQuerySchema,
)
from ..summaries import bidder_summary, readable_time, to_markdown
from ..webhooks import emit
from . import Blueprint
from .common import (
    ETAG_HEADER,
    IF_MATCH_PARAMETER,
    LOCATION_HEADER,
    criteria_set_named,
    etag_of,
    get_or_404,
    log_change,
    page_of,
    revisions_matched,
    update_if_match,
    visible,
)
from .idempotency import idempotent

SUMMARY_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)

blp = Blueprint(
    "procurements",
    __name__,
    url_prefix="/v1/procurements",
    description="Tenders: bidders ranked with knockouts, fixed weights and a sensitivity analysis",
)


def conflict(exc: rules.ProcurementConflict):
    abort(409, message=str(exc))


def check_weights(criteria_set: CriteriaSet, weights: dict | None) -> None:
    if weights is None:
        return
    errors = rules.weight_errors(criteria_set, weights)
    if errors:
        abort(422, message=f"The weights do not fit {criteria_set.ref}.", errors=errors)


def criteria_set_of(procurement: Procurement) -> CriteriaSet:
    return current_app.extensions["catalog"].get(procurement.criteria_set)


@blp.route("", methods=["POST"])
@allow("buyer")
@idempotent
@blp.arguments(ProcurementCreateSchema)
@blp.response(201, ProcurementSchema, headers={"Location": LOCATION_HEADER, "ETag": ETAG_HEADER})
@blp.alt_response(409, response="CONFLICT")
def create_procurement(payload):
    """Open a procurement (in draft) on one criteria set, with optional weights"""
    criteria_set = criteria_set_named(payload["criteria_set"])
    check_weights(criteria_set, payload["weights"])
    buyer = payload["buyer"]
    identifier = buyer["identifier"] or {}
    procurement = Procurement(
        organisation_id=principal().organisation_id,
        ocid=payload["ocid"],
        title=payload["title"],
        buyer_name=buyer["name"],
        buyer_identifier_scheme=identifier.get("scheme"),
        buyer_identifier_id=identifier.get("id"),
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        weights=request.get_json()["weights"] if payload["weights"] is not None else None,
        reuse_standalone=payload["reuse_standalone"],
    )
    db = session()
    db.add(procurement)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        abort(409, message=f"A procurement with ocid {payload['ocid']} exists.")
    log_change("procurement.created", "procurement", procurement.id, request.get_json())
    location = url_for("procurements.get_procurement", procurement_id=uuid.UUID(procurement.id))
    return procurement, 201, {"Location": location, "ETag": etag_of(procurement)}


@blp.route("")
@allow(*READERS)
@blp.arguments(ProcurementQuerySchema, location="query")
@blp.response(200, ProcurementSchema(many=True))
@blp.paginate()
def list_procurements(query, pagination_parameters):
    """List procurements, newest first, optionally by status"""
    statement = (
        select(Procurement)
        .where(Procurement.organisation_id == principal().organisation_id)
        .order_by(Procurement.created_at.desc(), Procurement.id)
    )
    if "status" in query:
        statement = statement.where(Procurement.status == query["status"])
    return page_of(statement, pagination_parameters)


@blp.route("/<uuid:procurement_id>")
@allow(*READERS)
@blp.response(200, ProcurementSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
def get_procurement(procurement_id):
    """One procurement"""
    procurement = get_or_404(Procurement, procurement_id)
    return procurement, 200, {"ETag": etag_of(procurement)}


@blp.route("/<uuid:procurement_id>", methods=["PATCH"])
@allow("buyer")
@blp.arguments(ProcurementUpdateSchema)
@blp.doc(parameters=[IF_MATCH_PARAMETER])
@blp.response(200, ProcurementSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(428, response="PRECONDITION_REQUIRED")
def update_procurement(changes, procurement_id):
    """Move the status forward, change weights (in draft) or the title (send If-Match)"""
    db = session()
    # Locked, so that no assessment or bidder slips in while the ranking is frozen.
    procurement = get_or_404(Procurement, procurement_id, lock=True)
    # The precondition first: a stale ETag is 412, whatever else the request would meet.
    revisions = revisions_matched(request.if_match)
    if revisions is not None and procurement.revision not in revisions:
        abort(412, message="The procurement changed since that ETag: GET it again and retry.")
    try:
        rules.check_changeable(procurement, changes)
        if "status" in changes:
            rules.check_transition(procurement, changes["status"])
    except rules.ProcurementConflict as exc:
        conflict(exc)
    values = dict(changes)
    if "weights" in changes:
        check_weights(criteria_set_of(procurement), changes["weights"])
        values["weights"] = request.get_json()["weights"]
    if changes.get("status") == "closed":
        closed_at = utcnow()
        final = RankingSchema().dump(_ranking(db, procurement, closed_at, final=True))
        values.update(closed_at=closed_at, final_ranking=final)
        winners = final["sensitivity"]["winner_vendor_ids"]
        emit(
            db,
            procurement.organisation_id,
            "procurement.closed",
            {"procurement_id": procurement.id, "ocid": procurement.ocid, "winners": winners},
        )
    update_if_match(procurement, values, Procurement.status == procurement.status)
    change = {**request.get_json(), "revision": procurement.revision}
    if "final_ranking" in values:
        change["final_ranking_sha256"] = audit.sha256(audit.canonical(values["final_ranking"]))
    log_change("procurement.updated", "procurement", procurement.id, change)
    return procurement, 200, {"ETag": etag_of(procurement)}


@blp.route("/<uuid:procurement_id>/bidders", methods=["POST"])
@allow("buyer")
@idempotent
@blp.arguments(BidderCreateSchema)
@blp.response(201, BidderSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def add_bidder(payload, procurement_id):
    """Add a vendor as a bidder (in draft or evaluating)"""
    db = session()
    procurement = get_or_404(Procurement, procurement_id, lock=True)
    try:
        rules.check_can_add_bidder(procurement)
    except rules.ProcurementConflict as exc:
        conflict(exc)
    vendor_id = str(payload["vendor_id"])
    vendor = db.get(Vendor, vendor_id)
    if vendor is None or not visible(vendor):
        abort(
            422,
            message=f"No vendor has the id {vendor_id}.",
            errors=[{"pointer": "/vendor_id", "location": "json", "messages": ["Unknown vendor."]}],
        )
    bidder = Bidder(procurement_id=procurement.id, vendor_id=vendor_id)
    db.add(bidder)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        abort(409, message="The vendor is already a bidder in this procurement.")
    db.refresh(bidder)
    log_change("bidder.added", "procurement", procurement.id, {"vendor_id": vendor_id})
    location = url_for("procurements.list_bidders", procurement_id=uuid.UUID(procurement.id))
    return bidder, 201, {"Location": location}


@blp.route("/<uuid:procurement_id>/bidders")
@allow(*READERS)
@blp.response(200, BidderSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_bidders(procurement_id, pagination_parameters):
    """The procurement's bidders, in the order they were added"""
    procurement = get_or_404(Procurement, procurement_id)
    statement = (
        select(Bidder)
        .where(Bidder.procurement_id == procurement.id)
        .order_by(Bidder.added_at, Bidder.vendor_id)
    )
    return page_of(statement, pagination_parameters)


def _ranking(db, procurement: Procurement, as_of, final: bool = False) -> dict:
    """The ranking with exact values: one computation for every rendering."""
    criteria_set = criteria_set_of(procurement)
    weights = rules.weights_of(procurement, criteria_set)
    bidders = rules.bidders_with_scorecards(db, procurement, criteria_set, as_of)
    disputes = open_disputes(db, [b.vendor_id for b in bidders], criteria_set, procurement.id)
    disputed = {vendor: [d.indicator for d in found] for vendor, found in disputes.items()}
    return {
        "procurement_id": procurement.id,
        "ocid": procurement.ocid,
        "status": "closed" if final else procurement.status,
        "final": final,
        **ranking_report(criteria_set, weights, bidders, as_of, disputed),
    }


def ranking_of(procurement: Procurement) -> dict:
    """The ranking as served: the one stored at closing, else the ranking as of now."""
    if procurement.final_ranking is not None:
        return procurement.final_ranking
    return RankingSchema().dump(_ranking(session(), procurement, utcnow()))


@blp.route("/<uuid:procurement_id>/ranking")
@allow("buyer", "moderator", "auditor")
@blp.response(200, RankingSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_ranking(procurement_id):
    """The bidders ranked (eligible first), with the ranking's sensitivity to the weights"""
    procurement = get_or_404(Procurement, procurement_id)
    if procurement.final_ranking is not None:
        # Stored as it was served at closing; served again exactly, not recomputed.
        return current_app.json.response(procurement.final_ranking)
    return _ranking(session(), procurement, utcnow())


@blp.route("/<uuid:procurement_id>/ranking.csv")
@allow("buyer", "moderator", "auditor")
@blp.doc(
    responses={
        200: {
            "description": "One row per bidder: rank, total, knockouts, confidence, scores",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
)
@blp.alt_response(404, response="NOT_FOUND")
def get_ranking_csv(procurement_id):
    """The ranking as CSV"""
    procurement = get_or_404(Procurement, procurement_id)
    filename = f"{procurement.ocid.replace('/', '_')}-ranking.csv"
    return current_app.response_class(
        ranking_csv(ranking_of(procurement)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/<uuid:procurement_id>/bidders/<uuid:vendor_id>/summary")
@allow("buyer", "moderator", "auditor", "vendor")
@blp.arguments(SummaryQuerySchema, location="query")
@blp.doc(
    responses={
        200: {
            "description": "The bidder's assessment summary",
            "content": {
                "application/json": {"schema": BidderSummarySchema},
                "text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    }
)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def get_bidder_summary(query, procurement_id, vendor_id):
    """A bidder's assessment summary (Procurement Act 2023 s.50), once closed"""
    db = session()
    procurement = get_or_404(Procurement, procurement_id)
    caller = principal()
    if caller.role == "vendor" and str(vendor_id) != caller.vendor_id:
        abort(404, message="A vendor key reads its own vendor's summary only.")
    if procurement.final_ranking is None:
        abort(409, message="Assessment summaries exist once the procurement is closed.")
    criteria_set = criteria_set_of(procurement)
    rationales = _rationales(db, procurement, criteria_set, str(vendor_id))
    summary = bidder_summary(
        procurement, criteria_set, procurement.final_ranking, str(vendor_id), rationales
    )
    if summary is None:
        abort(404, message=f"The vendor {vendor_id} was not a bidder in this procurement.")
    if query["format"] == "md":
        return current_app.response_class(to_markdown(summary), mimetype="text/markdown")
    if query["format"] == "html":
        return current_app.response_class(
            render_template(
                "summary.html",
                summary=summary,
                closed=readable_time(summary["procurement"]["closed_at"]),
            ),
            mimetype="text/html",
            # The page is read where it is sent: it needs its own styles and nothing else.
            headers={"Content-Security-Policy": SUMMARY_PAGE_POLICY},
        )
    return current_app.json.response(BidderSummarySchema().dump(summary))


def _rationales(db, procurement, criteria_set, vendor_id) -> list[dict]:
    """The evaluators' rationales in the assessments the closed ranking rests on."""
    found = rules.bidders_with_scorecards(
        db, procurement, criteria_set, procurement.closed_at, vendor_id
    )
    if not found or found[0].scorecard is None:
        return []
    used = [a.id for a in found[0].scorecard.assessments]
    records = db.scalars(select(Assessment).where(Assessment.id.in_(used))).all()
    order = {i.key: n for n, i in enumerate(criteria_set.indicators)}
    return sorted(
        (
            {
                "assessor": record.assessor,
                "indicator": answer["indicator"],
                "level": answer.get("level"),
                "rationale": answer["rationale"],
            }
            for record in records
            for answer in record.answers
            if answer.get("rationale")
        ),
        key=lambda r: (order[r["indicator"]], r["assessor"]),
    )


@blp.route("/<uuid:procurement_id>/ocds")
@allow("buyer", "moderator", "auditor")
@blp.doc(
    responses={
        200: {
            "description": "An OCDS 1.1 release: award criteria, tenderers, bids, the ranking",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
)
@blp.alt_response(404, response="NOT_FOUND")
def get_ocds_release(procurement_id):
    """The process as an OCDS 1.1 release, for procurement systems"""
    db = session()
    procurement = get_or_404(Procurement, procurement_id)
    ranked = ranking_of(procurement)
    ids = [row["vendor_id"] for row in ranked["ranking"]]
    vendors = {
        v.id: {"name": v.name, "identifier": v.identifier, "country": v.country}
        for v in db.scalars(select(Vendor).where(Vendor.id.in_(ids)))
    }
    return current_app.json.response(
        ocds.release(procurement, criteria_set_of(procurement), ranked, vendors)
    )
