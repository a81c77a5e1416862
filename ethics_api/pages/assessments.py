"""The assessment form: an evaluator's answers, saved as a private draft as they go, submitted when
complete.

One page per bidder in a procurement. It asks every indicator that applies there, grouped by
criterion, with its five levels, what is at stake (red lines, minimums) and the evidence; it
never shows another evaluator's answers nor any score (blind evaluation). "Save draft" keeps
the answers so far; "Submit assessment" saves them too, then submits them through the same use
case as the API. A refused submission shows why, field by field, and keeps the draft.
"""

import re
from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from .. import per_request
from ..criteria import Criterion, Indicator
from ..enums import Role
from ..errors import STATUS_OF
from ..services import drafts
from ..services.drafts import Drafting
from ..services.errors import DomainError, FieldError, Invalid
from .blueprint import CSRF_MESSAGE, blp, error_page
from .session import signed_in

LEVELS = ("0", "1", "2", "3", "4")
NOT_APPLICABLE = "na"
EVIDENCE_PARTS = ("title", "kind", "url", "sha256", "effective_date", "valid_until")
# The evidence's dates, each asked as GOV.UK asks a date: day, month and year in fields of their
# own (the use case takes YYYY-MM-DD).
DATE_PARTS = ("effective_date", "valid_until")
EVIDENCE_KINDS = (
    ("independently_verified", "Independently verified"),
    ("documented", "Documented"),
    ("self_declared", "Self-declared"),
)
MOST_EVIDENCE = 50  # as many items as an answer may have


class AssessmentForm(FlaskForm):
    """The CSRF token; the answers' fields depend on the criteria set, so they are read from
    the request by name (see `read_answers`)."""


# --- names and ids of the form's fields ---------------------------------------------------------


def level_id(key: str) -> str:
    """The first radio of an indicator's levels: where an error about its level points."""
    return f"{key}-level"


def rationale_id(key: str) -> str:
    return f"{key}-rationale"


def evidence_id(key: str, row: int, part: str) -> str:
    return f"{key}-evidence-{row}-{part}"


# --- from the form to a draft, and back ---------------------------------------------------------


@dataclass
class Typed:
    """What the form held: the answers in the use cases' shape, and for each answer the form's
    row number of each evidence item it kept (blank rows are left out)."""

    summary: str | None
    answers: list[dict] = field(default_factory=list)
    rows: list[list[int]] = field(default_factory=list)


def read_answers(indicators: list[Indicator], form: MultiDict) -> Typed:
    """The form's answers, in the indicators' order; an indicator with nothing typed is left
    out. Values are passed on as typed: the use case says what is wrong with them."""
    typed = Typed(summary=_text(form, "summary"))
    for indicator in indicators:
        answer: dict = {"indicator": indicator.key}
        choice = form.get(level_id(indicator.key))
        if choice == NOT_APPLICABLE:
            answer["not_applicable"] = True
        elif choice in LEVELS:
            answer["level"] = int(choice)
        elif choice:
            answer["level"] = choice  # not a level: refused as such
        rationale = _text(form, rationale_id(indicator.key))
        if rationale:
            answer["rationale"] = rationale
        evidence, rows = _evidence(indicator.key, form)
        if evidence:
            answer["evidence"] = evidence
        if len(answer) > 1:
            typed.answers.append(answer)
            typed.rows.append(rows)
    return typed


def _evidence(key: str, form: MultiDict) -> tuple[list[dict], list[int]]:
    items, rows = [], []
    for row in range(MOST_EVIDENCE + 1):
        values = {
            part: _date(form, evidence_id(key, row, part))
            if part in DATE_PARTS
            else _text(form, evidence_id(key, row, part))
            for part in EVIDENCE_PARTS
        }
        if evidence_id(key, row, "title") not in form:
            break
        item = {part: value for part, value in values.items() if value}
        if item:
            items.append(item)
            rows.append(row)
    return items, rows


def _date(form: MultiDict, name: str) -> str | None:
    """A date typed as day, month and year, as YYYY-MM-DD; as typed, joined by hyphens, when it
    is not three numbers (the use case then says it is not a date, and the form shows the parts
    back as they were). None when nothing is typed; a form sending the date whole still counts."""
    day, month, year = (_text(form, f"{name}-{part}") or "" for part in ("day", "month", "year"))
    if not (day or month or year):
        return _text(form, name)
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"


def date_parts(value: str | None) -> tuple[str, str, str]:
    """A date as the form shows it again: (day, month, year), without leading zeros
    (2026-01-05 is 5, 1, 2026); whatever is not a date of three parts shows in the year."""
    if not value:
        return "", "", ""
    parts = value.split("-")
    if len(parts) != 3:
        return "", "", value
    year, month, day = parts
    return day.lstrip("0") or day, month.lstrip("0") or month, year


def _text(form: MultiDict, name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


# --- errors, where the evaluator can act on them ------------------------------------------------

# The use case's words are the API's; on the form, the same rule in the form's words.
FORM_WORDS = {
    "Give a level (0..4) or not_applicable: true.": "Choose a level from 0 to 4{na}.",
    "Give a url, a sha256 of the document, or both.": (
        "Enter a web address for the evidence, or the SHA-256 fingerprint of the document."
    ),
    "A not-applicable answer needs a rationale.": "Explain why the indicator does not apply.",
    "Must be a date as YYYY-MM-DD, e.g. 2026-01-05.": (
        "Enter a real date as day, month and year, for example 5 1 2026."
    ),
    "Must not be before effective_date.": (
        "The date the evidence counts until must be the same as or after the date it counts from."
    ),
}
REQUIRED_EVIDENCE = {
    "title": "Enter a title for the evidence.",
    "kind": "Choose the kind of evidence.",
}
CHOOSE_A_LEVEL = FORM_WORDS["Give a level (0..4) or not_applicable: true."]
UNANSWERED = re.compile(r"^Indicator '(?P<key>[^']+)' is not answered\.$")


@dataclass(frozen=True)
class Problem:
    """One error as the page shows it: the field it is about (None: the form as a whole)."""

    target: str | None
    message: str


def problems_of(
    error: DomainError, typed: Typed, indicators: dict[str, Indicator]
) -> list[Problem]:
    """The use case's refusal, each error placed on the field it is about."""
    if not isinstance(error, Invalid) or not error.errors:
        return [Problem(None, error.message)]
    found = []
    for item in error.errors:
        for message in item.messages:
            found.append(_placed(item, message, typed, indicators))
    return found


def _placed(item: FieldError, message: str, typed: Typed, indicators: dict[str, Indicator]):
    parts = item.pointer.strip("/").split("/")
    if parts == ["answers"]:
        unanswered = UNANSWERED.match(message)
        if unanswered and unanswered["key"] in indicators:
            key = unanswered["key"]
            return Problem(level_id(key), _words(key, CHOOSE_A_LEVEL, indicators))
        return Problem(None, message)
    if parts[0] == "summary":
        return Problem("summary", message)
    if parts[0] != "answers" or len(parts) < 2 or not parts[1].isdigit():
        return Problem(None, message)
    index = int(parts[1])
    if index >= len(typed.answers):
        return Problem(None, message)
    key = typed.answers[index]["indicator"]
    rest = parts[2:]
    if not rest or rest[0] in ("level", "not_applicable", "indicator"):
        return Problem(level_id(key), _words(key, FORM_WORDS.get(message, message), indicators))
    if rest[0] == "rationale":
        return Problem(rationale_id(key), _words(key, FORM_WORDS.get(message, message), indicators))
    if rest[0] == "evidence":
        rows = typed.rows[index]
        if len(rest) < 2 or not rest[1].isdigit() or int(rest[1]) >= len(rows):
            return Problem(evidence_id(key, 0, "title"), f"{key}: {message}")
        row = rows[int(rest[1])]
        part = rest[2] if len(rest) > 2 and rest[2] in EVIDENCE_PARTS else "url"
        if part in REQUIRED_EVIDENCE and message == "Missing data for required field.":
            message = REQUIRED_EVIDENCE[part]
        return Problem(evidence_id(key, row, part), f"{key}: {FORM_WORDS.get(message, message)}")
    return Problem(level_id(key), f"{key}: {message}")


def _words(key: str, message: str, indicators: dict[str, Indicator]) -> str:
    """A message about one indicator, naming it (the summary lists every indicator's)."""
    allows = indicators[key].allow_not_applicable if key in indicators else False
    return f"{key}: " + message.replace("{na}", ", or not applicable" if allows else "")


# --- the page -----------------------------------------------------------------------------------


@blp.route(
    "/procurements/<uuid:procurement_id>/bidders/<uuid:vendor_id>/assessment",
    methods=["GET", "POST"],
    endpoint="assessment",
)
@signed_in(Role.ASSESSOR, Role.MODERATOR)
def assessment_page(procurement_id, vendor_id):
    context = per_request.context()
    where = {"procurement_id": str(procurement_id)}
    try:
        placed = drafts.open_draft(context, vendor_id, where)
    except DomainError as exc:
        return _refused(exc)
    form = AssessmentForm()
    if request.method == "GET":
        draft = placed.draft
        typed = Typed(draft.summary if draft else None, list(draft.answers) if draft else [])
        return _form_page(placed, form, typed, saved=request.args.get("saved") == "1")
    if not form.validate_on_submit():
        return error_page(400, CSRF_MESSAGE)
    typed = read_answers(_applying(placed), request.form)
    try:
        drafts.save_draft(
            context, vendor_id, {**where, "summary": typed.summary, "answers": typed.answers}
        )
    except DomainError as exc:
        # Not saved (a value no assessment could hold): the form comes back as typed.
        return _refused_form(placed, form, typed, exc)
    if request.form.get("action") != "submit":
        here = url_for("pages.assessment", procurement_id=procurement_id, vendor_id=vendor_id)
        return redirect(f"{here}?saved=1", 303)
    try:
        drafts.submit_draft(context, vendor_id, where)
    except DomainError as exc:
        # The refused submission undid its own writes. The draft just saved is committed all
        # the same, although the response says the submission failed: nothing typed is lost.
        per_request.session().commit()
        return _refused_form(drafts.open_draft(context, vendor_id, where), form, typed, exc)
    flash(f"Your assessment of {placed.vendor.name} is submitted.")
    return redirect(url_for("pages.my_work"), 303)


def _refused(exc: DomainError):
    """The form cannot open (not the caller's to assess, not evaluating, not declared...)."""
    status = STATUS_OF[type(exc)]
    if status == 404:
        return error_page(404, exc.message)
    return render_template("pages/assessment_refused.html", message=exc.message), status


def _refused_form(placed: Drafting, form, typed: Typed, exc: DomainError):
    problems = problems_of(exc, typed, _by_key(placed))
    return _form_page(placed, form, typed, problems=problems, status=STATUS_OF[type(exc)])


def _applying(placed: Drafting) -> list[Indicator]:
    return [i for i in placed.criteria_set.indicators if placed.applicability.applies(i.key)]


def _by_key(placed: Drafting) -> dict[str, Indicator]:
    return {i.key: i for i in _applying(placed)}


@dataclass(frozen=True)
class Section:
    """A criterion as the form shows it: its indicators that apply, with their answers."""

    criterion: Criterion
    indicators: list[tuple[Indicator, dict]]

    @property
    def answered(self) -> int:
        return sum(1 for _, answer in self.indicators if is_answered(answer))

    @property
    def status(self) -> str:
        if self.answered == len(self.indicators):
            return "Completed"
        started = self.answered or any(answer for _, answer in self.indicators)
        return "In progress" if started else "Not started"


def is_answered(answer: dict) -> bool:
    """A level or not applicable: what submitting needs of every indicator."""
    return isinstance(answer.get("level"), int) or answer.get("not_applicable") is True


def _form_page(placed: Drafting, form, typed: Typed, problems=(), saved=False, status=200):
    by_key = {a["indicator"]: a for a in typed.answers}
    applying = placed.applicability
    sections = [
        Section(c, [(i, by_key.get(i.key, {})) for i in c.indicators if applying.applies(i.key)])
        for c in placed.criteria_set.criteria
        if applying.covers(c)
    ]
    errors: dict[str, list[str]] = {}
    for problem in problems:
        if problem.target:
            errors.setdefault(problem.target, []).append(problem.message)
    page = render_template(
        "pages/assessment.html",
        form=form,
        placed=placed,
        sections=sections,
        summary=typed.summary,
        problems=problems,
        errors=errors,
        saved=saved,
        answered=sum(s.answered for s in sections),
        total=sum(len(s.indicators) for s in sections),
        tier=applying.tier,
        levels=LEVELS,
        kinds=EVIDENCE_KINDS,
        date_parts=date_parts,
        ids={"level": level_id, "rationale": rationale_id, "evidence": evidence_id},
    )
    return page, status
