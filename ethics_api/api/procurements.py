"""Procurements: a tender's criteria, weights, bidders, ranking and exports."""

from flask import current_app, render_template, url_for

from ..auth import READERS, allow
from ..documents.markdown import readable_time, to_markdown, written_address
from ..enums import Role
from ..exports import levels_csv, ranking_csv
from ..schemas.components import AwardComponentsSchema, ComponentSchema
from ..schemas.gates import GateResultSchema
from ..schemas.procurements import (
    BidderCreateSchema,
    BidderSchema,
    CsvQuerySchema,
    ProcurementCreateSchema,
    ProcurementQuerySchema,
    ProcurementSchema,
    ProcurementUpdateSchema,
    RankingSchema,
)
from ..schemas.profiles import ProfileSchema
from ..schemas.summaries import BidderSummarySchema, SummaryQuerySchema
from ..services import components, documents, gates, procurements, profiles, rankings
from . import Blueprint
from .common import (
    ETAG_HEADER,
    IF_MATCH_PARAMETER,
    LOCATION_HEADER,
    context,
    etag_of,
    expected,
    items,
    links,
    page,
)
from .idempotency import idempotent

SUMMARY_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
RANKING_READERS = (Role.BUYER, Role.MODERATOR, Role.AUDITOR)

blp = Blueprint(
    "procurements",
    __name__,
    url_prefix="/v1/procurements",
    description="Tenders: bidders ranked with knockouts, fixed weights and a sensitivity analysis",
)


@blp.route("", methods=["POST"])
@allow(Role.BUYER)
@idempotent
@blp.arguments(ProcurementCreateSchema)
@blp.response(201, ProcurementSchema, headers={"Location": LOCATION_HEADER, "ETag": ETAG_HEADER})
@blp.alt_response(409, response="CONFLICT")
def create_procurement(payload):
    """Open a procurement (in draft) on one criteria set, with optional weights"""
    procurement = procurements.create_procurement(context(), payload)
    location = url_for("procurements.get_procurement", procurement_id=procurement.id)
    return procurement, 201, {"Location": location, "ETag": etag_of(procurement)}


@blp.route("")
@allow(*READERS)
@blp.arguments(ProcurementQuerySchema, location="query")
@blp.response(200, ProcurementSchema(many=True))
@blp.paginate()
def list_procurements(query, pagination_parameters):
    """List procurements, newest first, optionally by status"""
    found = procurements.list_procurements(
        context(), page(pagination_parameters), query.get("status")
    )
    return items(found, pagination_parameters)


@blp.route("/<uuid:procurement_id>")
@allow(*READERS)
@blp.response(200, ProcurementSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
def get_procurement(procurement_id):
    """One procurement"""
    procurement = procurements.get_procurement(context(), procurement_id)
    return procurement, 200, {"ETag": etag_of(procurement)}


@blp.route("/<uuid:procurement_id>", methods=["PATCH"])
@allow(Role.BUYER)
@blp.arguments(ProcurementUpdateSchema)
@blp.doc(parameters=[IF_MATCH_PARAMETER])
@blp.response(200, ProcurementSchema, headers={"ETag": ETAG_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(428, response="PRECONDITION_REQUIRED")
def update_procurement(changes, procurement_id):
    """Move the status forward, change weights (in draft) or the title (send If-Match)"""
    procurement = procurements.update_procurement(context(), procurement_id, changes, expected())
    return procurement, 200, {"ETag": etag_of(procurement)}


@blp.route("/<uuid:procurement_id>/profile")
@allow(*READERS)
@blp.response(200, ProfileSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_profile(procurement_id):
    """What the system bought does, and what that decides: the indicators that apply, the
    impact tier and its minimum levels, the buyer's own duties and the pass/fail gates"""
    return profiles.procurement_profile(context(), procurement_id)


@blp.route("/<uuid:procurement_id>/bidders", methods=["POST"])
@allow(Role.BUYER)
@idempotent
@blp.arguments(BidderCreateSchema)
@blp.response(201, BidderSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def add_bidder(payload, procurement_id):
    """Add a vendor as a bidder (in draft or evaluating)"""
    bidder = procurements.add_bidder(context(), procurement_id, payload["vendor_id"])
    location = url_for("procurements.list_bidders", procurement_id=bidder.procurement_id)
    return bidder, 201, {"Location": location}


@blp.route("/<uuid:procurement_id>/bidders")
@allow(*READERS)
@blp.response(200, BidderSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_bidders(procurement_id, pagination_parameters):
    """The procurement's bidders, in the order they were added"""
    found = procurements.list_bidders(context(), procurement_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/<uuid:procurement_id>/bidders/<uuid:vendor_id>/components", methods=["POST"])
@allow(Role.BUYER)
@idempotent
@blp.arguments(ComponentSchema(many=True))
@blp.response(201, AwardComponentsSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def record_components(payload, procurement_id, vendor_id):
    """Record the bidder's other award components (price, other quality), replacing any"""
    return components.record_components(context(), procurement_id, vendor_id, payload), 201


@blp.route("/<uuid:procurement_id>/bidders/<uuid:vendor_id>/gates", methods=["POST"])
@allow(Role.BUYER)
@idempotent
@blp.arguments(GateResultSchema(many=True))
@blp.response(201, BidderSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def record_gates(payload, procurement_id, vendor_id):
    """Record whether the bidder passes the criteria set's gates (exclusion, say), replacing
    earlier results for the gates named; a failed gate makes it ineligible"""
    return gates.record_gates(context(), procurement_id, vendor_id, payload), 201


@blp.route("/<uuid:procurement_id>/components")
@allow(*RANKING_READERS)
@blp.response(200, AwardComponentsSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_components(procurement_id, pagination_parameters):
    """Every bidder's recorded award components"""
    found = components.list_components(context(), procurement_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/<uuid:procurement_id>/ranking")
@allow(*RANKING_READERS)
@blp.response(200, RankingSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_ranking(procurement_id):
    """The bidders ranked (eligible first), with the ranking's sensitivity to the weights"""
    # Written out by the service: as stored at closing once closed, else as of now, its
    # report's part written and encoded once per change of its inputs, not on every read.
    body = rankings.ranking_json(context(), procurement_id)
    return current_app.response_class(body + b"\n", mimetype="application/json")


@blp.route("/<uuid:procurement_id>/ranking.csv")
@allow(*RANKING_READERS)
@blp.arguments(CsvQuerySchema, location="query")
@blp.doc(
    responses={
        200: {
            "description": "One row per bidder: rank, totals, red lines, confidence, scores",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
)
@blp.alt_response(404, response="NOT_FOUND")
def get_ranking_csv(query, procurement_id):
    """The ranking as CSV"""
    procurement, written = rankings.written_ranking(context(), procurement_id)
    return _csv(ranking_csv(written, query["header"]), procurement, "ranking")


@blp.route("/<uuid:procurement_id>/levels.csv")
@allow(*RANKING_READERS)
@blp.arguments(CsvQuerySchema, location="query")
@blp.doc(
    responses={
        200: {
            "description": "One row per bidder and indicator: the agreed level, whether a "
            "moderation settled it, the evaluators' levels",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
)
@blp.alt_response(404, response="NOT_FOUND")
def get_levels_csv(query, procurement_id):
    """Every bidder's agreed level per indicator, as CSV"""
    procurement, rows = rankings.agreed_levels(context(), procurement_id)
    return _csv(levels_csv(rows, query["header"]), procurement, "levels")


def _csv(text: str, procurement, name: str):
    filename = f"{procurement.ocid.replace('/', '_')}-{name}.csv"
    return current_app.response_class(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/<uuid:procurement_id>/bidders/<uuid:vendor_id>/summary")
@allow(*RANKING_READERS, Role.VENDOR)
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
    """A bidder's assessment summary (Procurement Act 2023 s.50(3), Regulations 2024 reg 31)"""
    found = documents.summary(context(), procurement_id, vendor_id, links())
    # Written out once; the three formats render the same written value.
    summary = BidderSummarySchema().dump(found)
    if query["format"] == "md":
        return current_app.response_class(to_markdown(summary), mimetype="text/markdown")
    if query["format"] == "html":
        return current_app.response_class(
            render_template(
                "summary.html",
                summary=summary,
                closed=readable_time(summary["procurement"]["closed_at"]),
                address=written_address(summary["supplier"]["address"]),
            ),
            mimetype="text/html",
            # The page is read where it is sent: it needs its own styles and nothing else.
            headers={"Content-Security-Policy": SUMMARY_PAGE_POLICY},
        )
    return current_app.json.response(summary)


@blp.route("/<uuid:procurement_id>/ocds")
@allow(*RANKING_READERS)
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
    release = documents.ocds_release(context(), procurement_id, links())
    return current_app.json.response(release)
