"""Moderation: each disagreement with the evaluators' levels, rationales and evidence side by side,
and the moderator's settlement."""

import re

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from .. import per_request
from ..criteria import Indicator
from ..enums import Role
from ..errors import STATUS_OF
from ..services.errors import DomainError, Invalid
from ..services.moderation_worklist import ToSettle, Worklist, moderation_worklist, settle
from .blueprint import blp, error_page
from .session import signed_in

NOT_APPLICABLE = "na"


class SettlementForm(FlaskForm):
    """The agreed level of one indicator of one bidder, and why."""

    level = RadioField("Agreed level", validators=[InputRequired("Choose the agreed level.")])
    reason = TextAreaField(
        "Why this level was agreed",
        validators=[DataRequired("Say why this level was agreed: it is the meeting's minute.")],
    )


def form_for(item: ToSettle, posted: bool = False) -> SettlementForm:
    """The settlement form of one disagreement (holding what was posted, if it was): its fields
    named apart from the others' on the page, its choices the indicator's levels (and N/A where
    the indicator allows it)."""
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", f"s_{item.vendor_id[:8]}_{item.indicator.key}")
    form = SettlementForm(prefix=prefix) if posted else SettlementForm(prefix=prefix, formdata=None)
    form.level.choices = level_choices(item.indicator)
    return form


def level_choices(indicator: Indicator) -> list[SelectChoice]:
    choices = [
        SelectChoice(str(level), f"{level}: {words}")
        for level, words in enumerate(indicator.levels)
    ]
    if indicator.allow_not_applicable:
        choices.append(SelectChoice(NOT_APPLICABLE, "Not applicable"))
    return choices


def procurement_link(procurement_id: str) -> str | None:
    """Where a person declares their interests, once that page exists."""
    if "pages.procurement" in current_app.view_functions:
        return url_for("pages.procurement", procurement_id=procurement_id)
    return None


def render(
    worklist: Worklist,
    posted: tuple[ToSettle, SettlementForm] | None = None,
    problem: str | None = None,
    status: int = 200,
):
    """The page: every unsettled disagreement with its form (the one just posted, if any,
    with what was entered and its errors)."""
    pairs = [
        (item, posted[1] if posted and item is posted[0] else form_for(item))
        for item in worklist.unsettled
    ]
    page = render_template(
        "pages/moderation.html",
        worklist=worklist,
        pairs=pairs,
        failed=posted[1] if posted and (posted[1].errors or problem) else None,
        problem=problem,
        declare_at=procurement_link(worklist.procurement.id),
    )
    return page, status


@blp.route("/procurements/<procurement_id>/moderation", endpoint="moderation")
@signed_in(Role.MODERATOR)
def moderation_page(procurement_id: str):
    try:
        worklist = moderation_worklist(per_request.context(), procurement_id)
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)
    return render(worklist)


@blp.route(
    "/procurements/<procurement_id>/moderation/<vendor_id>/<indicator>",
    methods=["POST"],
    endpoint="moderation_settle",
)
@signed_in(Role.MODERATOR)
def settle_page(procurement_id: str, vendor_id: str, indicator: str):
    context = per_request.context()
    try:
        worklist = moderation_worklist(context, procurement_id)
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)
    item = next(
        (
            i
            for i in worklist.unsettled
            if i.vendor_id == vendor_id and i.indicator.key == indicator
        ),
        None,
    )
    if item is None:
        return error_page(
            409, "This disagreement is settled already or no longer stands: reload the page."
        )
    form = form_for(item, posted=True)
    if not form.validate_on_submit():
        return render(worklist, (item, form), status=400)
    level = None if form.level.data == NOT_APPLICABLE else int(form.level.data)
    try:
        settle(context, procurement_id, vendor_id, indicator, level, form.reason.data.strip())
    except Invalid as exc:
        form.level.errors = [*form.level.errors, *(m for e in exc.errors for m in e.messages)]
        return render(worklist, (item, form), exc.message, STATUS_OF[Invalid])
    except DomainError as exc:
        return render(worklist, (item, form), exc.message, STATUS_OF[type(exc)])
    flash(f"{item.vendor_name}: {indicator} settled at {_level_words(item.indicator, level)}.")
    return redirect(url_for("pages.moderation", procurement_id=procurement_id))


def _level_words(indicator: Indicator, level: int | None) -> str:
    return "not applicable" if level is None else f"level {level} ({indicator.levels[level]})"
