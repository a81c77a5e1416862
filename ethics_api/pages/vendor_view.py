"""A vendor's own view: its results and assessment summaries once a procurement is closed,
and its right of reply (a dispute) as a form."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import per_request
from ..documents.links import Links
from ..documents.markdown import readable_time, written_address
from ..enums import Role
from ..errors import STATUS_OF
from ..schemas.summaries import BidderSummarySchema
from ..services.errors import DomainError, Invalid
from ..services.vendor_results import (
    closed_bid,
    dispute_result,
    own_disputes,
    own_results,
    result,
)
from .blueprint import blp, error_page
from .session import signed_in

# As long a statement as the API takes.
STATEMENT_LIMIT = 20_000


class DisputeForm(FlaskForm):
    """The vendor's reply to how one indicator of its result was judged."""

    indicator = SelectField("Indicator", validators=[DataRequired("Choose the indicator.")])
    statement = TextAreaField(
        "Your statement",
        validators=[
            DataRequired("Say why the indicator was judged wrongly."),
            Length(
                max=STATEMENT_LIMIT, message="Keep the statement to 20,000 characters or fewer."
            ),
        ],
    )


def links() -> Links:
    """Where the summary points its readers: the service's public address, else this one."""
    return Links(current_app.config.get("PUBLIC_URL") or request.url_root)


def dispute_form(found, posted: bool = False) -> DisputeForm:
    """The dispute form of one result (holding what was posted, if it was), its fields named
    apart from the other results'."""
    prefix = f"d_{found.procurement.id[:8]}"
    form = DisputeForm(prefix=prefix) if posted else DisputeForm(prefix=prefix, formdata=None)
    form.indicator.choices = [SelectChoice("", "Choose an indicator")] + [
        SelectChoice(i.key, f"{i.key}: {i.question}") for i in found.indicators
    ]
    return form


def written(found) -> dict:
    """The summary written out as the API writes it: the numbers the page shows are the API's."""
    return BidderSummarySchema().dump(found.summary)


def render(posted=None, problem: str | None = None, status: int = 200):
    """The vendor's results, each with its dispute form (the one just posted, if any, with
    what was entered and its errors), and its disputes."""
    context = per_request.context()
    results = [
        (
            found,
            written(found),
            posted[1] if posted and posted[0] == found.procurement.id else dispute_form(found),
        )
        for found in own_results(context, links())
    ]
    page = render_template(
        "pages/vendor_results.html",
        results=results,
        disputes=own_disputes(context),
        failed=posted[1] if posted and (posted[1].errors or problem) else None,
        problem=problem,
        titles={found.procurement.id: found.procurement.title for found, _, _ in results},
    )
    return page, status


@blp.route("/our-results", endpoint="vendor_results")
@signed_in(Role.VENDOR)
def vendor_results_page():
    try:
        return render()
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)


@blp.route(
    "/our-results/<procurement_id>/disputes", methods=["POST"], endpoint="vendor_results_dispute"
)
@signed_in(Role.VENDOR)
def dispute_page(procurement_id: str):
    context = per_request.context()
    try:
        found = result(context, closed_bid(context, procurement_id), links())
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)
    form = dispute_form(found, posted=True)
    if not form.validate_on_submit():
        return render((found.procurement.id, form), status=400)
    try:
        dispute_result(context, procurement_id, form.indicator.data, form.statement.data.strip())
    except Invalid as exc:
        form.indicator.errors = [
            *form.indicator.errors,
            *(m for e in exc.errors for m in e.messages),
        ]
        return render((found.procurement.id, form), exc.message, STATUS_OF[Invalid])
    except DomainError as exc:
        return render((found.procurement.id, form), exc.message, STATUS_OF[type(exc)])
    flash(f"Your dispute on {form.indicator.data} is filed: a moderator will resolve it.")
    return redirect(url_for("pages.vendor_results"))


@blp.route("/our-results/<procurement_id>/summary", endpoint="vendor_results_summary")
@signed_in(Role.VENDOR)
def summary_page(procurement_id: str):
    """The vendor's assessment summary, as the API's HTML document says it, in the pages'
    layout (and under their Content-Security-Policy)."""
    context = per_request.context()
    try:
        summary = written(result(context, closed_bid(context, procurement_id), links()))
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)
    return render_template(
        "pages/vendor_results_summary.html",
        summary=summary,
        closed=readable_time(summary["procurement"]["closed_at"]),
        address=written_address(summary["supplier"]["address"]),
    )
