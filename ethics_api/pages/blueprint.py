"""The pages' blueprint, and what every page shares: who is signed in, the sign-out form, the
error page, and dates written the one way every page writes them."""

import datetime as dt

from flask import Blueprint, current_app, g, render_template, url_for

from ..enums import Role
from .forms import SignOutForm

blp = Blueprint("pages", __name__)

CSRF_MESSAGE = (
    "This form had expired or did not come from this service, so nothing was done. "
    "Go back, reload the page and try again."
)


# The service navigation: (endpoint, label, the roles it is for; every role when empty).
NAVIGATION = (
    ("pages.my_work", "My work", ()),
    (
        "pages.procurements",
        "Procurements",
        (Role.ADMIN, Role.BUYER, Role.ASSESSOR, Role.MODERATOR, Role.AUDITOR),
    ),
    ("pages.vendors", "Vendors", (Role.ADMIN, Role.BUYER, Role.ASSESSOR, Role.MODERATOR)),
    ("pages.vendor_results", "Our results", (Role.VENDOR,)),
    ("pages.invitations", "People", (Role.ADMIN,)),
)


@blp.app_context_processor
def layout_values() -> dict:
    """What the layout shows on every page: who is signed in, the sign-out form, and the
    navigation their role has."""
    person = g.get("person")
    if person is None:
        return {"person": None, "sign_out_form": None, "navigation": []}
    role = person.sign_in_role
    navigation = [
        (endpoint, label)
        for endpoint, label, roles in NAVIGATION
        if endpoint in current_app.view_functions and (not roles or role in roles)
    ]
    return {"person": person, "sign_out_form": SignOutForm(), "navigation": navigation}


@blp.app_template_global()
def page_url(endpoint: str, **values) -> str | None:
    """The address of a page, or None where this service has no such page."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@blp.app_template_filter("day")
def day(value: dt.date | dt.datetime | str | None) -> str:
    """A date as GOV.UK writes it: 2 December 2026 (an instant on its UTC day)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = _utc(value).date()
    return f"{value.day} {value:%B %Y}"


@blp.app_template_filter("moment")
def moment(value: dt.datetime | str | None) -> str:
    """An instant as the documents write it: 2 December 2026, 16:15 UTC."""
    if value is None or value == "":
        return ""
    instant = _utc(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)
    return f"{instant.day} {instant:%B %Y, %H:%M} UTC"


def _utc(instant: dt.datetime) -> dt.datetime:
    # The database hands back naive instants on SQLite: they are UTC, as every instant stored.
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant.astimezone(dt.UTC)


def error_page(status: int, message: str):
    """A page saying what went wrong in words, with its HTTP status."""
    return render_template("pages/error.html", status=status, message=message), status


# What a person is told when a page fails through no fault of theirs (errors.FAILURE_PAGES):
# the API's problem details speak to programs.
FAILURE_MESSAGES = {
    500: "Try again later. If it happens again, tell whoever runs this service.",
    503: "The service's database is busy or cannot be reached. Wait a few seconds and try "
    "again; if you were sending a form, check whether your change was saved first.",
}


def failure_page(status: int):
    return error_page(status, FAILURE_MESSAGES[status])
