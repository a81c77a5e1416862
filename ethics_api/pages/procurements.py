"""Procurements: the list, and one procurement's status, ranking, readiness and the actions a role
allows.

The page shows what the API would show the same person and nothing more: the ranking and the
readiness to close only to the roles that may read the API's ranking (an assessor scores blind,
so never sees another's scores here), with the numbers as the API writes them out. Every action
is a POST form with a CSRF token that calls the same use case as the API; a refusal is shown on
the page in the use case's own words, with the status the API would answer.
"""

from dataclasses import dataclass
from fractions import Fraction

from flask import redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from .. import per_request
from ..api.procurements import RANKING_READERS
from ..documents.knockouts import knockout_sentence
from ..documents.numbers import percent, points
from ..enums import ProcurementStatus, Role
from ..errors import STATUS_OF
from ..exact import exact
from ..models import Procurement
from ..services import (
    declarations,
    lookup,
    procurements,
    profiles,
    rankings,
    scorecards,
    vendors,
)
from ..services.context import Context
from ..services.errors import Conflict, DomainError, Invalid
from ..services.pages import Page
from ..services.revisions import Expected
from .blueprint import CSRF_MESSAGE, blp, error_page, page_url
from .charts import Bar, stacked_bars
from .session import signed_in

# Who may open the pages: whoever may read procurements through the API (admins always).
PAGE_READERS = (Role.BUYER, Role.ASSESSOR, Role.MODERATOR, Role.AUDITOR)
# Who declares from the page: people evaluating or buying for themselves (an admin acts on
# someone else's behalf, which the API's declaration takes a name for).
DECLARERS = (Role.BUYER, Role.ASSESSOR, Role.MODERATOR)
# The board pack is for the buyer, the moderator who settled the disagreements, and those who
# hold the buyer to account (as its page allows).
BOARD_PACK_READERS = (Role.BUYER, Role.MODERATOR, Role.AUDITOR)

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200  # as the API pages its lists
ALL = Page(0, 1000)  # a procurement's bidders or declarations, on one page
STATUS_TAGS = {
    ProcurementStatus.DRAFT: "govuk-tag--grey",
    ProcurementStatus.EVALUATING: "govuk-tag--blue",
    ProcurementStatus.CLOSED: "govuk-tag--green",
}
# What a successful action says on the page it returns to (redirected, so a reload repeats
# nothing).
DONE = {
    "declared": "Your declaration of interests is recorded.",
    "bidder": "The bidder is added.",
    "evaluating": "Evaluation has started: the weights and the profile are now fixed.",
    "closed": "The procurement is closed: its ranking is stored as it stands and never changes.",
    "tie_break": "The tie-break is recorded.",
}
# The one step forward a buyer may take from each status.
MOVES = {
    ProcurementStatus.DRAFT: ProcurementStatus.EVALUATING,
    ProcurementStatus.EVALUATING: ProcurementStatus.CLOSED,
}


# --- forms ----------------------------------------------------------------------------------

ANSWER_CONFLICT = "Say whether you have a conflict of interest."


class DeclarationForm(FlaskForm):
    CHOICES = [("no", "No, I have no conflict of interest"), ("yes", "Yes, I have a conflict")]
    conflict = StringField(
        "Do you have a conflict of interest in this procurement?",
        validators=[
            InputRequired(ANSWER_CONFLICT),
            AnyOf([value for value, _ in CHOICES], message=ANSWER_CONFLICT),
        ],
    )
    description = TextAreaField(
        "Describe the conflict",
        validators=[Length(max=20_000, message="Use at most 20,000 characters.")],
    )
    # The API's errors point into its request body; here, at the form's fields.
    POINTERS = {"/conflict": "conflict", "/description": "description"}


class BidderForm(FlaskForm):
    # Any vendor may be named: the use case checks it (a vendor of the organisation, not yet a
    # bidder), so that the page and the API refuse in the same words. `choices` is what the
    # page offers.
    vendor = StringField("Add a bidder")
    POINTERS = {"/vendor_id": "vendor"}


class StatusForm(FlaskForm):
    status = HiddenField()
    revision = HiddenField()  # the version the page showed: a change applies only to it
    POINTERS = {"/status": "status"}


class TieBreakForm(FlaskForm):
    chosen = StringField(
        "Which bidder did the tender's tie-break choose?",
        validators=[InputRequired("Choose the bidder the tie-break chose.")],
    )
    reason = TextAreaField(
        "The tie-break the tender set out, and how it chose",
        validators=[
            DataRequired("Say how the tie-break chose."),
            Length(max=5_000, message="Use at most 5,000 characters."),
        ],
    )
    revision = HiddenField()
    POINTERS = {"/tie_break/vendor_id": "chosen", "/tie_break/reason": "reason"}


@dataclass(frozen=True)
class Problem:
    """Why an action was refused: the use case's message, and any items it listed (what
    blocks closing)."""

    message: str | None  # None: said at the form's field instead
    items: tuple[str, ...] = ()


# --- the list --------------------------------------------------------------------------------


@blp.route("/procurements", endpoint="procurements")
@signed_in(*PAGE_READERS)
def procurement_list():
    """The organisation's procurements, newest first, a page at a time, optionally by status."""
    try:
        number, size = _page_number("page", 1), _page_number("page_size", DEFAULT_PAGE_SIZE)
    except ValueError as exc:
        return error_page(400, str(exc))
    size = min(size, MAX_PAGE_SIZE)
    status = request.args.get("status") or None
    if status is not None and status not in STATUS_TAGS:
        return error_page(400, f"status must be one of {', '.join(STATUS_TAGS)}.")
    found = procurements.list_procurements(
        per_request.context(), Page((number - 1) * size, size), status
    )
    pages = max(1, -(-found.total // size))
    return render_template(
        "pages/procurements.html",
        found=found,
        number=number,
        pages=pages,
        size=size,
        status=status,
        statuses=list(STATUS_TAGS),
        tags=STATUS_TAGS,
    )


def _page_number(name: str, default: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number from 1.")
    return int(text)


# --- one procurement -------------------------------------------------------------------------


@blp.route("/procurements/<procurement_id>", endpoint="procurement")
@signed_in(*PAGE_READERS)
def procurement_page(procurement_id: str):
    return _render(procurement_id, {}, None, 200)


def _render(procurement_id: str, posted: dict, problem: Problem | None, status: int):
    """The procurement page; `posted`: the forms as submitted (with their errors), by name."""
    context = per_request.context()
    try:
        procurement = procurements.get_procurement(context, procurement_id)
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)
    values = _page_values(context, procurement)
    forms = _forms(context, procurement, values, posted)
    links = _work_links(context, procurement)
    done = DONE.get(request.args.get("done", "")) if request.method == "GET" else None
    page = render_template(
        "pages/procurement.html",
        procurement=procurement,
        **values,
        **links,
        forms=forms,
        problem=problem,
        done=done,
        tag=STATUS_TAGS[ProcurementStatus(procurement.status)],
    )
    return page, status


def _work_links(context: Context, procurement: Procurement) -> dict:
    """Where the roles do the procurement's other work: assessing each bidder, moderating, the
    board pack (each left out until its page exists)."""
    caller, status = context.caller, procurement.status
    evaluating = status == ProcurementStatus.EVALUATING
    moderation = caller.has(Role.MODERATOR) and evaluating
    board_pack = caller.has(*BOARD_PACK_READERS) and status != ProcurementStatus.DRAFT
    return {
        "assessing": caller.role == Role.ASSESSOR and evaluating,
        "moderation_link": page_url("pages.moderation", procurement_id=procurement.id)
        if moderation
        else None,
        "board_pack_link": page_url("pages.board_pack", procurement_id=procurement.id)
        if board_pack
        else None,
    }


def _page_values(context: Context, procurement: Procurement) -> dict:
    """Everything the page shows of the procurement, as the caller may see it."""
    criteria_set = lookup.set_of(context, procurement)
    written = _ranking_for(context, procurement)
    bidders = procurements.list_bidders(context, procurement.id, ALL).items
    declared = declarations.declarations_of(context, procurement.id, ALL).items
    values = {
        "criteria_set": criteria_set,
        "profile": profiles.procurement_profile(context, procurement.id),
        "weights": _weights(procurement, criteria_set, written),
        "bidders": bidders,
        "declarations": declared,
        "ranking": written,
        "may_read_ranking": context.caller.has(*RANKING_READERS),
        "has_declared": any(d.person_id == context.caller.person_id for d in declared),
    }
    if written is not None:
        values.update(_ranking_values(criteria_set, written))
    return values


def _ranking_for(context: Context, procurement: Procurement) -> dict | None:
    """The ranking as the API writes it out, when the caller may read it and there is one
    (nothing is scored in draft)."""
    if procurement.status == ProcurementStatus.DRAFT or not context.caller.has(*RANKING_READERS):
        return None
    return rankings.written_ranking(context, procurement.id)[1]


@dataclass(frozen=True)
class WeightRow:
    name: str
    weight: str
    share: str  # percent of the ethics evaluation
    award_share: str | None  # percent of the whole award, where the ranking states it


def _weights(procurement: Procurement, criteria_set, written: dict | None) -> list[WeightRow]:
    """The criterion weights in force, as percentages: the ranking's own where the caller may
    read it, else the same division of the weights the ranking makes (over the criteria the
    profile leaves in, once it is answered)."""
    if written is not None:
        return [
            WeightRow(
                w["name"],
                points_text(w["weight"]),
                percent(exact(w["effective_weight"])),
                percent(exact(w["award_weight"])),
            )
            for w in written["weights"]
        ]
    weights = scorecards.weights_of(procurement, criteria_set)
    answered = procurement.profile is not None or not criteria_set.profile
    applicability = criteria_set.in_procurement(procurement.profile) if answered else None
    criteria = {c.key: c for c in criteria_set.criteria}
    counted = {
        key: weight
        for key, weight in weights.items()
        if applicability is None or applicability.covers(criteria[key])
    }
    whole = sum(counted.values(), Fraction(0))
    return [
        WeightRow(
            criteria[key].name,
            points_text(weight),
            percent(counted[key] / whole * 100) if key in counted else "not asked",
            None,
        )
        for key, weight in weights.items()
    ]


def points_text(value) -> str:
    """A weight as the criteria file gives it: 2, 2.5."""
    number = exact(value)
    return str(number.numerator) if number.denominator == 1 else f"{float(number):g}"


@dataclass(frozen=True)
class RankedRow:
    """One bidder of the ranking table, its numbers as the API writes them."""

    rank: str
    vendor_id: str
    name: str
    contributions: list[str]  # per criterion, in the weights' order
    total: str
    result: str  # Eligible, Not eligible, Not assessed
    knockouts: list[str]  # why not eligible: a sentence per knockout


def _ranking_values(criteria_set, written: dict) -> dict:
    """The ranking's table, its chart (drawn from the same numbers) and its sentences."""
    keys = [w["criterion"] for w in written["weights"]]
    series = [w["name"] for w in written["weights"]]
    rows, bars = [], []
    for row in written["ranking"]:
        parts = {c["criterion"]: c["contribution"] for c in row.get("criteria", [])}
        rows.append(_ranked_row(criteria_set, written.get("tier"), row, keys, parts))
        if row["assessed"]:
            bars.append(
                Bar(
                    row["vendor_name"],
                    [exact(parts.get(key) or 0) for key in keys],
                    points(exact(row["total"])),
                    "" if row["eligible"] else "not eligible",
                )
            )
    chart = (
        stacked_bars(
            "Each bidder's total, by what each criterion contributes",
            "Stacked bars, one per assessed bidder, from 0 to 100 points; each part is one "
            "criterion's contribution, numbered as in the key. The table below gives the same "
            "numbers.",
            series,
            bars,
            Fraction(100),
        )
        if bars
        else None
    )
    sensitivity = written["sensitivity"]
    margin = sensitivity.get("margin")
    return {
        "series": series,
        "rows": rows,
        "chart": chart,
        "award_summary": written["award"]["summary"],
        "sensitivity_summary": sensitivity["summary"],
        "margin_sentence": margin["sentence"] if margin else None,
        "what_if": [
            *(left["sentence"] for left in sensitivity["leave_one_out"]),
            *(point["sentence"] for point in sensitivity["tipping_points"]),
        ],
        "readiness": written["readiness"],
        "tied": [r for r in written["ranking"] if r["vendor_id"] in _tied(written)],
    }


def _ranked_row(
    criteria_set, tier: str | None, row: dict, keys: list[str], parts: dict
) -> RankedRow:
    if not row["assessed"]:
        return RankedRow("", row["vendor_id"], row["vendor_name"], [], "", "Not assessed", [])
    return RankedRow(
        str(row["rank"]),
        row["vendor_id"],
        row["vendor_name"],
        ["not scored" if parts.get(key) is None else points(exact(parts[key])) for key in keys],
        points(exact(row["total"])),
        "Eligible" if row["eligible"] else "Not eligible",
        [
            knockout_sentence(criteria_set, k["kind"], k["key"], k["value"], k["threshold"], tier)
            for k in row["knockouts"]
        ],
    )


def _tied(written: dict) -> list[str]:
    """The bidders tied for first with no tie-break recorded yet: whom a tie-break chooses
    among."""
    award = written["award"]
    return award["first_vendor_ids"] if award["tie_for_first"] and not award["tie_break"] else []


# --- the actions -----------------------------------------------------------------------------


def _forms(context: Context, procurement: Procurement, values: dict, posted: dict) -> dict:
    """The forms of the actions the caller may take now (the posted ones as submitted)."""
    caller, status = context.caller, ProcurementStatus(procurement.status)
    forms: dict[str, FlaskForm] = {}
    if (
        caller.role in DECLARERS
        and not values["has_declared"]
        and status != ProcurementStatus.CLOSED
    ):
        forms["declare"] = posted.get("declare") or DeclarationForm(formdata=None)
    if not caller.has(Role.BUYER):
        return forms
    if status != ProcurementStatus.CLOSED:
        form = posted.get("bidder") or BidderForm(formdata=None)
        form.choices = _vendor_choices(context, values["bidders"])
        if form.choices:
            forms["bidder"] = form
    if status in MOVES:
        forms["status"] = StatusForm(formdata=None, status=MOVES[status])
    tied = values.get("tied") or []
    if tied and status == ProcurementStatus.EVALUATING:
        form = posted.get("tie_break") or TieBreakForm(formdata=None)
        form.choices = [(row["vendor_id"], row["vendor_name"]) for row in tied]
        forms["tie_break"] = form
    # A change applies to the version the person is now looking at, even after a refusal.
    for form in forms.values():
        if "revision" in form:
            form.revision.data = procurement.revision
    return forms


def _vendor_choices(context: Context, bidders) -> list[tuple[str, str]]:
    """The organisation's vendors that are not bidders yet, by name."""
    taken = {b.vendor_id for b in bidders}
    found = vendors.list_vendors(context, Page(0, MAX_PAGE_SIZE)).items
    return [(v.id, v.name) for v in found if v.id not in taken]


def _act(procurement_id: str, name: str, form: FlaskForm, action, done: str):
    """Run an action's use case with the form's values; back to the page with what it did, or
    the page again with why not (the status the API would answer, nothing written)."""
    if form.csrf_token.errors:
        return error_page(400, CSRF_MESSAGE)
    if form.errors:
        return _render(procurement_id, {name: form}, None, 422)
    try:
        action(per_request.context())
    except DomainError as exc:
        per_request.session().rollback()
        problem = _problem(exc, form)
        return _render(procurement_id, {name: form}, problem, STATUS_OF[type(exc)])
    return redirect(url_for("pages.procurement", procurement_id=procurement_id, done=done))


def _validated(form: FlaskForm) -> FlaskForm:
    form.validate_on_submit()
    return form


def _problem(exc: DomainError, form: FlaskForm) -> Problem:
    """The refusal on the form: each field's errors at the field, the rest in the summary.

    A refusal about one field is said once, at that field, in the use case's sentence for
    people (its field messages are the API's terse ones, "Required when conflict is true.");
    the error summary then links to it, as GOV.UK's pattern has it."""
    blocking = exc.details.get("blocking", []) if isinstance(exc, Conflict) else []
    items = tuple(item["message"] for item in blocking)
    if not isinstance(exc, Invalid):
        return Problem(exc.message, items)
    pointers = getattr(form, "POINTERS", {})
    placed = [(pointers[e.pointer], e) for e in exc.errors if e.pointer in pointers]
    if len(exc.errors) == 1 and len(placed) == 1:
        name, _ = placed[0]
        form[name].errors = [*form[name].errors, exc.message]
        return Problem(None, items)
    for name, error in placed:
        form[name].errors = [*form[name].errors, *error.messages]
    return Problem(exc.message, items)


@blp.route("/procurements/<procurement_id>/declaration", methods=["POST"])
@signed_in(*DECLARERS)
def declare(procurement_id: str):
    form = _validated(DeclarationForm())

    def action(context: Context) -> None:
        data: dict = {"conflict": form.conflict.data == "yes"}
        # The description is revealed under "Yes" only: text left in it after choosing "No"
        # was hidden from the person, so it is not declared.
        if data["conflict"] and (form.description.data or "").strip():
            data["description"] = form.description.data.strip()
        declarations.declare(context, procurement_id, data)

    return _act(procurement_id, "declare", form, action, "declared")


@blp.route("/procurements/<procurement_id>/bidders", methods=["POST"])
@signed_in(Role.BUYER)
def add_bidder(procurement_id: str):
    form = _validated(BidderForm())

    def action(context: Context) -> None:
        procurements.add_bidder(context, procurement_id, form.vendor.data or "")

    return _act(procurement_id, "bidder", form, action, "bidder")


@blp.route("/procurements/<procurement_id>/status", methods=["POST"])
@signed_in(Role.BUYER)
def move_status(procurement_id: str):
    form = _validated(StatusForm())
    target = form.status.data or ""

    def action(context: Context) -> None:
        if target not in STATUS_TAGS:
            raise Invalid.at("Choose a status to move to.", "/status", "Not a status.")
        procurements.update_procurement(
            context, procurement_id, {"status": target}, _expected(form.revision.data)
        )

    return _act(procurement_id, "status", form, action, target)


@blp.route("/procurements/<procurement_id>/tie-break", methods=["POST"])
@signed_in(Role.BUYER)
def record_tie_break(procurement_id: str):
    form = _validated(TieBreakForm())

    def action(context: Context) -> None:
        choice = {"vendor_id": form.chosen.data, "reason": form.reason.data.strip()}
        procurements.update_procurement(
            context, procurement_id, {"tie_break": choice}, _expected(form.revision.data)
        )

    return _act(procurement_id, "tie_break", form, action, "tie_break")


def _expected(revision: str | None) -> Expected | None:
    """The version the page was showing when the form was sent: None when the form carries
    none (the use case then asks for one); a version no row has when it is not a number."""
    if not revision:
        return None
    return Expected(frozenset({int(revision)} if revision.isdigit() else ()))
