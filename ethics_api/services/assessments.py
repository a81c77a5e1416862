"""Assessments: evaluators' answers with evidence. Records, never edited: a correction is a
new assessment that supersedes the one it corrects."""

from sqlalchemy import select

from .. import scoring, webhooks
from ..answers import answer_errors
from ..enums import Action, ObjectType, ProcurementStatus, Role, WebhookEvent
from ..exact import round_half_away
from ..fingerprints import record_use
from ..models import Assessment, Bidder, Procurement, Vendor
from . import blind, changes, lookup, scorecard_store
from .changes import Message
from .context import Context
from .declarations import require_cleared
from .errors import Conflict, Forbidden, Invalid
from .pages import Page, Paged, page_of
from .people import acting_person
from .scope import Scope
from .scorecards import current, own_score


def submit_assessment(context: Context, vendor_id, data: dict) -> Assessment:
    """Store an assessment of a vendor, standalone or in a procurement that is evaluating;
    the record, with its own score.

    `data`: answers (as sent: they are stored exactly so), and optional criteria_set,
    assessor, procurement_id, moderated, summary and supersedes.
    """
    vendor = lookup.get(context, Vendor, vendor_id)
    if data.get("moderated") and not context.caller.has(Role.MODERATOR):
        raise Forbidden("Only a moderator submits moderated assessments.")
    assessor = acting_person(context, data.get("assessor"), "assessor")
    procurement = None
    if data.get("procurement_id") is not None:
        # Locked: no assessment slips in while the procurement closes.
        procurement = lookup.named_row(
            context, Procurement, data["procurement_id"], "procurement_id", lock=True
        )
        check_can_assess(context, procurement, vendor)
        criteria_set = lookup.procurement_set(context, procurement, data.get("criteria_set"))
        require_cleared(context, procurement, assessor)
    else:
        criteria_set = lookup.criteria_set(context, data.get("criteria_set"))
    scope = (
        Scope.of_procurement(vendor.id, procurement, criteria_set)
        if procurement
        else Scope(vendor.id, criteria_set)
    )
    errors = answer_errors(criteria_set, data["answers"], scope.applicability)
    if errors:
        raise Invalid(f"The answers do not fit {criteria_set.ref}.", errors)
    corrected = _corrected(context, data.get("supersedes"), scope, data["answers"])
    record = Assessment(
        organisation_id=vendor.organisation_id,
        vendor_id=vendor.id,
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        person_id=assessor.id,
        assessor=assessor.name,
        procurement_id=scope.procurement_id,
        moderated=data.get("moderated", False),
        summary=data.get("summary"),
        supersedes=corrected,
        answers=data["answers"],
        submitted_at=context.now(),
    )
    session = context.session
    # Comparing the scorecard before and after costs two computations: only when some
    # subscription wants to hear how it moved.
    compare = bool(
        webhooks.wanted(session, vendor.organisation_id)
        & {WebhookEvent.SCORECARD_CHANGED, WebhookEvent.KNOCKOUT_TRIGGERED}
    )
    before = current(context, scope, procurement) if compare else None
    session.add(record)
    scorecard_store.records_changed(vendor)
    record_use(session, criteria_set)
    session.flush()
    after = current(context, scope, procurement) if compare else None
    change = {
        **data,
        "vendor_id": vendor.id,
        "assessor": assessor.name,
        "person_id": assessor.id,
        "criteria_set": criteria_set.ref,
        "criteria_sha256": criteria_set.sha256,
    }
    changes.record(
        context,
        Action.ASSESSMENT_SUBMITTED,
        ObjectType.ASSESSMENT,
        record.id,
        change,
        _messages(record, before, after, compare),
    )
    return with_score(context, record)


def check_can_assess(context: Context, procurement: Procurement, vendor: Vendor) -> None:
    """Conflict unless the procurement is evaluating and the vendor bids in it."""
    if procurement.status != ProcurementStatus.EVALUATING:
        raise Conflict(
            f"The procurement is {procurement.status}: assessments are accepted only while "
            "it is evaluating."
        )
    if context.session.get(Bidder, (procurement.id, vendor.id)) is None:
        raise Conflict("The vendor is not a bidder in this procurement.")


def _corrected(context: Context, assessment_id, scope: Scope, answers: list[dict]) -> str | None:
    """The assessment a correction supersedes: of the same vendor, set and scope, not yet
    corrected, and an assessor's own (moderators and admins may correct anyone's). In a
    procurement, once others' levels could be read, levels change only through moderation."""
    if assessment_id is None:
        return None
    # Locked: of two simultaneous corrections of one assessment, the second sees the first.
    original = lookup.find(context, Assessment, assessment_id, lock=True)
    if (
        original is None
        or original.vendor_id != scope.vendor_id
        or original.criteria_set != scope.criteria_set.ref
        or original.procurement_id != scope.procurement_id
    ):
        raise Invalid.at(
            "A correction supersedes an assessment of the same vendor, criteria set "
            "and procurement.",
            "/supersedes",
            "Not found.",
        )
    caller = context.caller
    if caller.role == Role.ASSESSOR and original.person_id != caller.person_id:
        raise Forbidden("An assessor corrects only their own assessments.")
    already = context.session.scalar(
        select(Assessment.id).where(Assessment.supersedes == original.id)
    )
    if already is not None:
        raise Conflict(f"The assessment was already corrected by {already}.")
    if scope.procurement_id and _levels(answers) != _levels(original.answers):
        _require_blind(context, scope, original)
    return original.id


def _levels(answers: list[dict]) -> dict[str, int | None]:
    return {a["indicator"]: None if a.get("not_applicable") else a["level"] for a in answers}


def _require_blind(context: Context, scope: Scope, original: Assessment) -> None:
    """Conflict when anyone else has assessed the vendor in the procurement: the assessor could
    read their levels, so changing one now would no longer be an independent mark. Rationale
    and evidence may still be corrected."""
    others = context.session.scalar(
        select(Assessment.id)
        .where(*scope.rows(Assessment), Assessment.person_id != original.person_id)
        .limit(1)
    )
    if others is not None:
        raise Conflict(
            f"{original.assessor} could read other evaluators' levels for this bidder: their "
            "own levels now change only through moderation (a correction may change rationale "
            "and evidence)."
        )


def _messages(record: Assessment, before, after, compared: bool) -> list[Message]:
    """The webhook messages of a submission: always submitted; the scorecard when its result
    moved; a knockout when the vendor has just become ineligible."""
    scope = {
        "vendor_id": record.vendor_id,
        "criteria_set": record.criteria_set,
        "procurement_id": record.procurement_id,
    }
    messages = [
        Message(
            WebhookEvent.ASSESSMENT_SUBMITTED,
            {**scope, "assessment_id": record.id, "assessor": record.assessor},
        )
    ]
    if not compared or after is None:
        return messages
    result = _result(after)
    if before is None or result != _result(before):
        messages.append(Message(WebhookEvent.SCORECARD_CHANGED, {**scope, **result}))
    if not after.eligible and (before is None or before.eligible):
        knockouts = [{"kind": k.kind, "key": k.key} for k in after.knockouts]
        messages.append(Message(WebhookEvent.KNOCKOUT_TRIGGERED, {**scope, "knockouts": knockouts}))
    return messages


def _result(scorecard: scoring.Scorecard) -> dict:
    return {
        "total": float(round_half_away(scorecard.total)),
        "grade": scorecard.grade,
        "eligible": scorecard.eligible,
    }


def with_score(context: Context, record: Assessment) -> Assessment:
    """The record with its own score (alone, as of its submission), for the response."""
    record.score = own_score(context, record)
    return record


def list_assessments(context: Context, vendor_id, page: Page) -> Paged:
    """The vendor's assessments the caller may read, newest first, each with its own score."""
    vendor = lookup.get(context, Vendor, vendor_id)
    statement = (
        select(Assessment)
        .where(Assessment.vendor_id == vendor.id, blind.readable(context, vendor.id))
        .order_by(Assessment.submitted_at.desc(), Assessment.id)
    )
    found = page_of(context.session, statement, page)
    return Paged([with_score(context, r) for r in found.items], found.total)


def get_assessment(context: Context, assessment_id) -> Assessment:
    """One assessment exactly as submitted; a blind assessor reads others' only after their
    own."""
    record = lookup.get(context, Assessment, assessment_id)
    if record.person_id != context.caller.person_id:
        scope = Scope(
            record.vendor_id, context.criteria.sets[record.criteria_set], record.procurement_id
        )
        blind.require_own_first(context, scope, "others' assessments")
    return with_score(context, record)
