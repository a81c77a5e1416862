"""The pages' blueprint, and what every page shares: who is signed in, the sign-out form, and
the error page."""

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


def error_page(status: int, message: str):
    """A page saying what went wrong in words, with its HTTP status."""
    return render_template("pages/error.html", status=status, message=message), status
