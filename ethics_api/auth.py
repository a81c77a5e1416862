"""Who is calling, and what their role lets them do.

Every request to a non-public route presents an API key (`Authorization: Bearer eth_...`);
`services.keys` recognises it, and the request's caller is the key's holder. Every operation
names the roles it allows; one without is denied.
"""

import logging
import re
from functools import wraps

from flask import g, request
from flask_smorest import Blueprint, abort

from . import per_request
from .enums import READERS, Role
from .models import utcnow
from .services.keys import Unauthenticated, caller_for

ROLES = tuple(role.value for role in Role)
EVERYONE = tuple(Role)
__all__ = ["EVERYONE", "READERS", "ROLES", "allow", "install"]

# Routes anyone may call: probes and the API's documentation.
PUBLIC_ENDPOINTS = frozenset(
    {
        "health.healthz",
        "health.readyz",
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "docs_assets",
        "static",
    }
)
WWW_AUTHENTICATE = 'Bearer realm="ethics-api"'
PAGES = "pages"  # the blueprint of the pages for people

log = logging.getLogger(__name__)


def _unauthorized(detail: str, presented: str | None = None) -> None:
    # Never the secret: only the visible prefix of something shaped like a key.
    shaped = re.match(r"eth_([0-9a-f]{8})_", presented or "")
    prefix = shaped[1] if shaped else None
    log.warning(
        "authentication failed from %s for %s %s (key prefix %s): %s",
        request.remote_addr,
        request.method,
        request.path,
        f"eth_{prefix}" if prefix else "none",
        detail,
    )
    abort(401, message=detail, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def authenticate() -> None:
    """Set the request's caller from its key; 401 when it presents none that is valid."""
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header:
        _unauthorized("Send an API key: Authorization: Bearer <key>.")
    if scheme.lower() != "bearer" or not presented.strip():
        _unauthorized("Use the Bearer scheme: Authorization: Bearer <key>.")
    presented = presented.strip()
    try:
        g.caller = caller_for(per_request.reading_connection(), presented, utcnow())
    except Unauthenticated as exc:
        _unauthorized(str(exc), presented)


def allow(*roles: Role):
    """The roles an operation is open to (admin always); checked before the view runs."""
    unknown = set(roles) - set(Role)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            caller = per_request.caller()
            if not caller.has(*roles):
                abort(
                    403,
                    message=f"A {caller.role} key cannot do this; it takes one of: "
                    f"{', '.join(('admin', *roles))}.",
                )
            return view(*args, **kwargs)

        checked.allowed_roles = (Role.ADMIN.value, *(str(role) for role in roles))
        return Blueprint.doc(
            description=f"Roles: {', '.join(checked.allowed_roles)}.",
            security=[{"bearerAuth": []}],
            responses={
                "401": {"$ref": "#/components/responses/UNAUTHORIZED"},
                "403": {"$ref": "#/components/responses/FORBIDDEN"},
            },
        )(checked)

    return decorate


def install(app) -> None:
    """Identify the caller of every non-public route; deny routes that name no roles."""

    @app.before_request
    def identify_caller():
        if request.routing_exception is not None or request.method == "OPTIONS":
            return  # routing answers 404 / 405 itself; preflights carry no credentials
        if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == PAGES:
            return  # pages identify people by their session (ethics_api.pages.session)
        authenticate()
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "allowed_roles", None) is None:
            abort(403, message="No role may call this operation.")
