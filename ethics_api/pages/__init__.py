"""Pages for people: server-rendered, in the components of the GOV.UK Design System.

Machines call the API with keys; people sign in here with their email and password, and
their browser keeps a signed, HttpOnly, SameSite session cookie that expires. Every form
carries a CSRF token (Flask-WTF), every page a Content-Security-Policy that allows no inline
script, and every write goes through the same use cases as the API.
"""

from flask import Flask, request

from ..errors import FAILURE_PAGES

# Each module adds its pages to the blueprint.
from . import (  # noqa: F401
    accounts,
    admin,
    assessments,
    board_pack,
    criteria_sets,
    moderation,
    procurements,
    scorecards,
    vendor_view,
)
from .blueprint import blp, failure_page
from .secret import secret_key

# Scripts and styles come only from this service; no inline script, no frames, no plugins.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def install(app: Flask) -> None:
    """Sessions, CSRF and the pages' blueprint."""
    app.config["SECRET_KEY"] = secret_key(app)
    app.config.update(
        SESSION_COOKIE_NAME="ethics_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Browsers send a Secure cookie only over https (and to localhost): it is Secure as
        # soon as the service says its public address is https.
        SESSION_COOKIE_SECURE=str(app.config.get("PUBLIC_URL") or "").startswith("https://"),
        PERMANENT_SESSION_LIFETIME=app.config["SIGN_IN_LIFETIME_SECONDS"],
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session that holds it
    )
    app.register_blueprint(blp)
    app.extensions.setdefault(FAILURE_PAGES, {})[blp.name] = failure_page

    @app.after_request
    def page_headers(response):
        if request.blueprint == blp.name:
            response.headers["Content-Security-Policy"] = PAGE_POLICY
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers["Cache-Control"] = "no-store"
        return response
