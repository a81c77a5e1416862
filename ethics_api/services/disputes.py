"""A vendor's right of reply: disputes on indicators of its scorecard, and their resolution.

A vendor key disputes one indicator with a statement and evidence; scorecards and rankings flag
the indicator until a moderator resolves the dispute: upheld by a moderated assessment of the
vendor submitted since, or rejected with reasons. Nothing is edited away: the dispute keeps its
statement beside its resolution.
"""

from sqlalchemy import select

from ..enums import Action, DisputeStatus, ObjectType, Role, WebhookEvent
from ..models import Assessment, Bidder, Dispute, Procurement, Vendor
from . import changes, lookup, scorecard_store
from .anonymity import anonymous_dispute
from .changes import Message
from .context import Context
from .errors import Conflict, Invalid
from .pages import Page, Paged, page_of
from .scope import Scope


def _announced(dispute: Dispute) -> dict:
    return {
        "dispute_id": dispute.id,
        "vendor_id": dispute.vendor_id,
        "criteria_set": dispute.criteria_set,
        "procurement_id": dispute.procurement_id,
        "indicator": dispute.indicator,
        "status": dispute.status,
    }


def open_dispute(context: Context, vendor_id, data: dict) -> Dispute:
    """File a dispute on one indicator. `data`: indicator, statement, evidence (as sent), and
    optional criteria_set and procurement_id (the scorecard disputed).

    The vendor's row is locked first (FOR UPDATE; SQLite's write lock is taken at BEGIN), so
    that of requests racing to file on one indicator, each looks for an open dispute only
    after the one before it committed: exactly one is filed."""
    vendor = lookup.get(context, Vendor, vendor_id, lock=True)
    procurement = None
    if data.get("procurement_id") is not None:
        procurement = lookup.named_row(
            context, Procurement, data["procurement_id"], "procurement_id"
        )
        criteria_set = lookup.criteria_set(
            context, data.get("criteria_set") or procurement.criteria_set
        )
        if context.session.get(Bidder, (procurement.id, vendor.id)) is None:
            raise Invalid.at(
                "The vendor is not a bidder in this procurement.", "/procurement_id", "Not bid."
            )
        scope = Scope.of_procurement(vendor.id, procurement, criteria_set)
    else:
        criteria_set = lookup.criteria_set(context, data.get("criteria_set"))
        scope = Scope(vendor.id, criteria_set)
    session = context.session
    if session.scalar(select(Assessment.id).where(*scope.rows(Assessment)).limit(1)) is None:
        where = " in this procurement" if procurement else ""
        hint = ""
        if procurement is not None and procurement.reuse_standalone:
            hint = (
                " The procurement ranks it on its standalone assessments: dispute those,"
                " without procurement_id."
            )
        raise Conflict(
            f"The vendor has no assessment against {criteria_set.ref}{where} to dispute.{hint}"
        )
    indicator = data["indicator"]
    if indicator not in {i.key for i in criteria_set.indicators}:
        raise Invalid.at(
            f"{criteria_set.ref} has no indicator {indicator!r}.", "/indicator", "Unknown."
        )
    if not scope.applicability.applies(indicator):
        raise Invalid.at(
            f"Indicator {indicator!r} does not apply to the system this procurement buys: "
            "nothing was scored on it.",
            "/indicator",
            "Does not apply.",
        )
    pending = session.scalar(
        select(Dispute.id).where(
            *scope.rows(Dispute),
            Dispute.indicator == indicator,
            Dispute.status == DisputeStatus.OPEN,
        )
    )
    if pending is not None:
        raise Conflict(
            f"The vendor's dispute {pending} on {indicator} is still open: "
            "a moderator resolves it before another can be filed."
        )
    dispute = Dispute(
        organisation_id=vendor.organisation_id,
        vendor_id=vendor.id,
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        procurement_id=scope.procurement_id,
        indicator=indicator,
        statement=data["statement"],
        evidence=data.get("evidence", []),
        person_id=context.caller.person_id,
        filed_by=context.caller.name,
        filed_at=context.now(),
        updated_at=context.now(),
    )
    session.add(dispute)
    scorecard_store.records_changed(vendor)
    session.flush()
    change = {**data, "vendor_id": vendor.id}
    changes.record(
        context,
        Action.DISPUTE_OPENED,
        ObjectType.DISPUTE,
        dispute.id,
        change,
        [Message(WebhookEvent.DISPUTE_OPENED, _announced(dispute))],
    )
    return dispute


def resolve_dispute(context: Context, dispute_id, data: dict) -> Dispute:
    """Resolve an open dispute. `data`: outcome (upheld, with the moderated assessment that
    settles it, or rejected), reasons, assessment_id."""
    dispute = lookup.get(context, Dispute, dispute_id, lock=True)
    if dispute.status != DisputeStatus.OPEN:
        raise Conflict(f"The dispute was already resolved: {dispute.status}.")
    if data["outcome"] == DisputeStatus.UPHELD:
        dispute.moderated_assessment_id = _settling_assessment(
            context, dispute, data.get("assessment_id")
        )
    elif data.get("assessment_id") is not None:
        raise Invalid.at(
            "A rejected dispute names no assessment: give the reasons only.",
            "/assessment_id",
            "Unexpected.",
        )
    dispute.status = data["outcome"]
    dispute.resolution = data["reasons"]
    dispute.resolved_by = context.caller.name
    dispute.resolved_by_person_id = context.caller.person_id
    dispute.resolved_at = dispute.updated_at = context.now()
    dispute.revision += 1
    vendor = context.session.get(Vendor, dispute.vendor_id)
    assert vendor is not None  # a foreign key
    scorecard_store.records_changed(vendor)
    context.session.flush()
    change = data
    changes.record(
        context,
        Action.DISPUTE_RESOLVED,
        ObjectType.DISPUTE,
        dispute.id,
        change,
        [Message(WebhookEvent.DISPUTE_RESOLVED, _announced(dispute))],
    )
    return dispute


def _settling_assessment(context: Context, dispute: Dispute, assessment_id) -> str:
    """The moderated assessment that upholds the dispute: same vendor, set and scope, and
    submitted after the dispute was filed."""
    if assessment_id is None:
        problem = "An upheld dispute names the moderated assessment that settles it."
    else:
        record = context.session.get(Assessment, str(assessment_id))
        if record is not None and (
            record.organisation_id == dispute.organisation_id
            and record.vendor_id == dispute.vendor_id
            and record.criteria_set == dispute.criteria_set
            and record.procurement_id == dispute.procurement_id
            and record.moderated
            and record.submitted_at >= dispute.filed_at
        ):
            return record.id
        problem = (
            "The assessment must be a moderated assessment of the same vendor, criteria set "
            "and procurement, submitted after the dispute was filed."
        )
    raise Invalid.at(problem, "/assessment_id")


def _listed(context: Context, status: str | None):
    statement = select(Dispute).where(Dispute.organisation_id == context.caller.organisation_id)
    if status is not None:
        statement = statement.where(Dispute.status == status)
    return statement.order_by(Dispute.filed_at.desc(), Dispute.id)


def list_disputes(context: Context, page: Page, status: str | None = None, vendor_id=None) -> Paged:
    """The organisation's disputes, newest first; ?status=open is the moderators' queue."""
    statement = _listed(context, status)
    if vendor_id is not None:
        statement = statement.where(Dispute.vendor_id == str(vendor_id))
    return page_of(context.session, statement, page)


def vendor_disputes(context: Context, vendor_id, page: Page, status: str | None = None) -> Paged:
    """The vendor's disputes, newest first."""
    vendor = lookup.get(context, Vendor, vendor_id)
    statement = _listed(context, status).where(Dispute.vendor_id == vendor.id)
    found = page_of(context.session, statement, page)
    return Paged([_as_read(context, d) for d in found.items], found.total)


def get_dispute(context: Context, dispute_id) -> Dispute:
    return _as_read(context, lookup.get(context, Dispute, dispute_id))


def _as_read(context: Context, dispute: Dispute) -> Dispute:
    """The dispute as the caller reads it: a vendor never reads who resolved it."""
    return anonymous_dispute(dispute) if context.caller.role == Role.VENDOR else dispute
