"""Drafts: an evaluator's assessment in progress, saved as they go and submitted when complete.

A draft is private to the person who keeps it: anyone else, an admin too, is told there is
none. It is never scored, never written to the event log and never exported, because nothing
relies on it yet. Only someone who may submit the assessment may keep its draft, by the same
rules (an evaluator's role, the procurement evaluating, the vendor one of its bidders, the
person's interests declared and cleared).

A draft may be incomplete, which is its point, but what it holds is of the right kind: levels
0 to 4, indicators of the set that apply in the scope, the evidence kinds scoring knows, text
within the lengths an assessment allows. Formats still being typed (a web address, a date, a
document's hash) are checked when the draft is submitted, so saving never refuses them.

Submitting goes through the assessment use case, so every rule of an assessment holds; the
draft is deleted in the same transaction, and stays as it was when the submission is refused.
"""

from dataclasses import dataclass

import marshmallow as ma
from marshmallow import fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..answers import answer_errors
from ..criteria import Applicability, CriteriaSet
from ..enums import Role
from ..fields import StrictBoolean, Text
from ..messages import flatten, pointer
from ..models import Assessment, Draft, Person, Procurement, Vendor
from ..schemas.assessments import AssessmentCreateSchema
from ..schemas.common import StrictSchema, non_blank
from ..scoring import EVIDENCE_FACTORS
from . import blind, lookup
from .assessments import check_can_assess, submit_assessment
from .context import Context
from .declarations import require_cleared
from .errors import FieldError, Forbidden, Invalid, NotFound
from .scope import Scope

# --- what a draft may hold ----------------------------------------------------------------------


class DraftEvidenceSchema(StrictSchema):
    """Evidence as far as it is typed: every part optional; the kind one that scoring knows."""

    title = Text(500)
    kind = fields.String(validate=validate.OneOf(list(EVIDENCE_FACTORS)))
    url = Text(2000)
    sha256 = Text(200)
    effective_date = Text(100)
    valid_until = Text(100)


class DraftAnswerSchema(StrictSchema):
    """An answer as far as it is given: the indicator, and any of the rest."""

    indicator = non_blank(100, required=True)
    level = fields.Integer(strict=True, validate=validate.Range(min=0, max=4))
    not_applicable = StrictBoolean()
    rationale = Text(10_000)
    evidence = fields.List(fields.Nested(DraftEvidenceSchema), validate=validate.Length(max=50))

    @validates_schema
    def not_both(self, data, **kwargs):
        if "level" in data and data.get("not_applicable"):
            raise ma.ValidationError("Give either a level or not applicable, not both.")


class DraftContentSchema(StrictSchema):
    summary = Text(20_000, allow_none=True)
    answers = fields.List(fields.Nested(DraftAnswerSchema), required=True)


# --- where a draft is kept ----------------------------------------------------------------------


@dataclass(frozen=True)
class Drafting:
    """An assessment the caller may make, and their draft of it if they keep one: what the
    assessment form needs."""

    vendor: Vendor
    person: Person
    procurement: Procurement | None  # None: standalone
    criteria_set: CriteriaSet
    applicability: Applicability
    draft: Draft | None
    assessed_before: bool  # the caller has submitted an assessment in this scope already

    @property
    def scope_key(self) -> str:
        return self.procurement.id if self.procurement else self.criteria_set.ref


def open_draft(context: Context, vendor_id, where: dict) -> Drafting:
    """The assessment of the vendor the caller may make, with their draft (None when they keep
    none yet). `where`: procurement_id, or for a standalone assessment an optional
    criteria_set (key@version; the default set when absent)."""
    return _placed(context, vendor_id, where)


def save_draft(context: Context, vendor_id, data: dict) -> Draft:
    """Keep the caller's answers so far, replacing their earlier draft of the same assessment.
    `data`: procurement_id or criteria_set (as for open_draft), an optional summary, and the
    answers in the shape an assessment has, any of them incomplete."""
    placed = _placed(context, vendor_id, data, lock=True)
    content = _content(placed, data)
    draft = placed.draft or _new_draft(context, placed)
    draft.summary = content.get("summary")
    draft.answers = content["answers"]
    draft.saved_at = context.now()
    context.session.flush()
    return draft


def submit_draft(context: Context, vendor_id, where: dict) -> Assessment:
    """Submit the caller's draft as their assessment, through the same use case as the API, and
    delete it with the same transaction. Refused (Invalid, Conflict...) as the assessment would
    be, the draft stays as it was."""
    placed = _placed(context, vendor_id, where, lock=True)
    draft = placed.draft
    if draft is None:
        raise NotFound("You keep no draft of this assessment: save one before submitting it.")
    submission = _submission(context, placed, draft)
    # A savepoint: a refused submission undoes its own writes, never the draft.
    with context.session.begin_nested():
        record = submit_assessment(context, placed.vendor.id, submission)
        context.session.delete(draft)
        context.session.flush()
    return record


def get_draft(context: Context, draft_id) -> Draft:
    """One of the caller's own drafts; anyone else's is answered as one that does not exist."""
    draft = context.session.get(Draft, str(draft_id))
    if draft is None or draft.person_id != context.caller.person_id:
        raise NotFound(f"No draft has the id {draft_id}.")
    return draft


# --- the rules ----------------------------------------------------------------------------------


def _placed(context: Context, vendor_id, where: dict, lock: bool = False) -> Drafting:
    """Where the assessment is made, once the caller may make it there: the same checks as
    submitting (role, procurement evaluating, vendor bidding, interests cleared)."""
    caller = context.caller
    if not caller.has(Role.ASSESSOR, Role.MODERATOR) or caller.person_id is None:
        raise Forbidden("Only evaluators (assessors and moderators) assess, and keep drafts.")
    vendor = lookup.get(context, Vendor, vendor_id)
    person = lookup.get(context, Person, caller.person_id)
    procurement = None
    if where.get("procurement_id") is not None:
        procurement = lookup.get(context, Procurement, where["procurement_id"])
        check_can_assess(context, procurement, vendor)
        criteria_set = lookup.procurement_set(context, procurement, where.get("criteria_set"))
        require_cleared(context, procurement, person)
        scope = Scope.of_procurement(vendor.id, procurement, criteria_set)
    else:
        criteria_set = lookup.criteria_set(context, where.get("criteria_set"))
        scope = Scope(vendor.id, criteria_set)
    key = procurement.id if procurement else criteria_set.ref
    draft = _kept(context, person.id, vendor.id, key, lock)
    return Drafting(
        vendor,
        person,
        procurement,
        criteria_set,
        scope.applicability,
        draft,
        blind.has_assessed(context, scope),
    )


def _kept(
    context: Context, person_id: str, vendor_id: str, scope_key: str, lock: bool
) -> Draft | None:
    """The person's draft of the vendor in the scope; `lock` holds it until the transaction
    ends (a submission and a save of the same draft never interleave)."""
    statement = select(Draft).where(
        Draft.person_id == person_id, Draft.vendor_id == vendor_id, Draft.scope_key == scope_key
    )
    return context.session.scalar(statement.with_for_update() if lock else statement)


def _content(placed: Drafting, data: dict) -> dict:
    """The draft's summary and answers, checked: Invalid when any is not of the right kind."""
    content = {"answers": data.get("answers", [])}
    if data.get("summary") is not None:
        content["summary"] = data["summary"]
    try:
        loaded = DraftContentSchema().load(content)
    except ma.ValidationError as exc:
        raise _invalid("The draft holds values no assessment could.", exc) from None
    # The set's own rules on each answer (known, applying, answered once, N/A where allowed);
    # not the rules on the whole (everything answered), which only a submission must meet.
    errors = [
        e
        for e in answer_errors(placed.criteria_set, loaded["answers"], placed.applicability)
        if e.pointer != "/answers"
    ]
    if errors:
        raise Invalid(f"The draft's answers do not fit {placed.criteria_set.ref}.", errors)
    return loaded


def _new_draft(context: Context, placed: Drafting) -> Draft:
    draft = Draft(
        organisation_id=placed.vendor.organisation_id,
        person_id=placed.person.id,
        vendor_id=placed.vendor.id,
        scope_key=placed.scope_key,
        procurement_id=placed.procurement.id if placed.procurement else None,
        criteria_key=placed.criteria_set.key,
        criteria_version=placed.criteria_set.version,
        answers=[],
    )
    session = context.session
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        # The same person's first save from two tabs at once: the other one made the row.
        found = _kept(context, placed.person.id, placed.vendor.id, placed.scope_key, lock=True)
        if found is None:
            raise
        return found
    return draft


def _submission(context: Context, placed: Drafting, draft: Draft) -> dict:
    """The draft as the assessment use case takes it, checked as the API checks a request."""
    body: dict = {"criteria_set": placed.criteria_set.ref, "answers": draft.answers}
    if placed.procurement is not None:
        body["procurement_id"] = placed.procurement.id
    if draft.summary:
        body["summary"] = draft.summary
    if context.caller.role == Role.ADMIN:
        body["assessor"] = context.caller.name  # an admin names who assesses: themselves
    try:
        return AssessmentCreateSchema().load(body)
    except ma.ValidationError as exc:
        raise _invalid("The assessment is not complete yet.", exc) from None


def _invalid(message: str, exc: ma.ValidationError) -> Invalid:
    return Invalid(
        message,
        [FieldError(pointer(path), tuple(texts)) for path, texts in flatten(exc.messages)],
    )
