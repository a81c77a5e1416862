"""The documents of a closed procurement: each bidder's assessment summary and the OCDS
release, rendered from the ranking stored at closing and the records it rests on."""

from collections import defaultdict

from sqlalchemy import select

from ..documents import ocds
from ..documents.explanations import Tender
from ..documents.links import Links
from ..documents.outcome import compared_tender
from ..documents.summary import bidder_summary
from ..enums import Role
from ..models import Assessment, Moderation, Procurement, Vendor
from ..scoring import Scorecard
from ..standstill import standstill
from . import lookup
from .context import Context
from .declarations import all_of
from .errors import Conflict, NotFound
from .evaluation import bidder_vendors, scored_bidders
from .rankings import written_ranking


def summary(context: Context, procurement_id, vendor_id, links: Links) -> dict:
    """A bidder's assessment summary, once the procurement is closed; a vendor key reads its
    own only."""
    procurement = lookup.get(context, Procurement, procurement_id)
    caller = context.caller
    vendor_id = str(vendor_id)
    if caller.role == Role.VENDOR and vendor_id != caller.vendor_id:
        raise NotFound("A vendor key reads its own vendor's summary only.")
    ranking = procurement.final_ranking
    if ranking is None:
        raise Conflict("Assessment summaries exist once the procurement is closed.")
    if vendor_id not in {row["vendor_id"] for row in ranking["ranking"]}:
        raise NotFound(f"The vendor {vendor_id} was not a bidder in this procurement.")
    criteria_set = lookup.set_of(context, procurement)
    winner_id = compared_tender(ranking)
    tenders = _tenders(context, procurement, {vendor_id, winner_id} - {None})
    vendor = context.session.get(Vendor, vendor_id)
    assert vendor is not None, "a bidder's vendor is never deleted"
    declared = sorted(all_of(context, procurement).values(), key=lambda d: (d.declared_at, d.id))
    notice = procurement.award_notice_date
    return bidder_summary(
        procurement={
            "id": procurement.id,
            "ocid": procurement.ocid,
            "title": procurement.title,
            "buyer": procurement.buyer,
            "closed_at": ranking["as_of"],
            "min_evaluators": procurement.min_evaluators,
        },
        criteria_set=criteria_set,
        ranking=ranking,
        supplier={
            "vendor_id": vendor.id,
            "name": vendor.name,
            "address": vendor.address,
            "email": vendor.email,
            "ppon": vendor.ppon,
            "identifier": vendor.identifier,
        },
        own=tenders.get(vendor_id),
        winner=tenders.get(winner_id) if winner_id else None,
        declarations=[
            {"conflict": d.conflict, "description": d.description, "mitigation": d.mitigation}
            for d in declared
        ],
        standstill=None if notice is None else standstill(notice),
        method_url=links.criteria_set(criteria_set.key, criteria_set.version),
    )


def _tenders(context: Context, procurement: Procurement, vendor_ids: set[str]) -> dict:
    """The named bidders' evaluations as the closed ranking rests on them: their scorecards on
    the closing instant, their evaluators' rationales and their moderations' reasons."""
    criteria_set = lookup.set_of(context, procurement)
    assert procurement.closed_at is not None, "documents are of closed procurements"
    vendors = [v for v in bidder_vendors(context, procurement) if v.id in vendor_ids]
    scored = scored_bidders(context, procurement, criteria_set, procurement.closed_at, vendors)
    cards = {b.vendor_id: b.scorecard for b in scored if b.scorecard is not None}
    rationales, reasons = _words(context, cards)
    return {
        vendor_id: Tender(vendor_id, card, rationales[vendor_id], reasons[vendor_id])
        for vendor_id, card in cards.items()
    }


def _words(context: Context, cards: dict[str, Scorecard]) -> tuple[dict, dict]:
    """Per vendor and indicator: the rationales of the assessments the scorecards use, and the
    reason of the moderation (or moderated assessment) that settles the indicator."""
    used = {a.id: vendor for vendor, card in cards.items() for a in card.assessments}
    settling = {
        m.id: (vendor, m.indicators) for vendor, card in cards.items() for m in card.moderations
    }
    session = context.session
    records = session.scalars(
        select(Assessment)
        .where(Assessment.id.in_(list(used) + list(settling)))
        .order_by(Assessment.submitted_at, Assessment.id)
    ).all()
    moderations = session.scalars(select(Moderation).where(Moderation.id.in_(list(settling))))
    rationales: dict = defaultdict(lambda: defaultdict(tuple))
    reasons: dict = defaultdict(dict)
    for record in records:
        if record.id in settling:
            vendor, indicators = settling[record.id]
            for answer in record.answers:
                if answer["indicator"] in indicators and answer.get("rationale"):
                    reasons[vendor][answer["indicator"]] = answer["rationale"]
        elif record.id in used:
            for answer in record.answers:
                if answer.get("rationale"):
                    rationales[used[record.id]][answer["indicator"]] += (answer["rationale"],)
    for moderation in moderations:
        vendor, indicators = settling[moderation.id]
        for settlement in moderation.settlements:
            if settlement["indicator"] in indicators:
                reasons[vendor][settlement["indicator"]] = settlement["reason"]
    return rationales, reasons


def ocds_release(context: Context, procurement_id, links: Links) -> dict:
    """The process as an OCDS 1.1 release, from the ranking as written out."""
    procurement, written = written_ranking(context, procurement_id)
    if procurement.buyer["identifier"] is None:
        raise Conflict(
            "An OCDS release names the buyer by its identifier, and none is recorded: PATCH the "
            "procurement's buyer with its identifier ({scheme, id}, e.g. GB-GOR)."
        )
    ids = [row["vendor_id"] for row in written["ranking"]]
    vendors = {
        v.id: {"name": v.name, "identifier": v.identifier, "country": v.country, "ppon": v.ppon}
        for v in context.session.scalars(select(Vendor).where(Vendor.id.in_(ids)))
    }
    return ocds.release(procurement, lookup.set_of(context, procurement), written, vendors, links)
