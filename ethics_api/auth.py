"""API keys, who is calling, and what their role lets them do.

A key is `eth_<8 hex>_<43 url-safe characters>`: the first part is a visible prefix that
identifies the key in lists and logs, the second 256 bits of randomness. Only the SHA-256 of the
whole key is stored. Every operation names the roles it allows; one without is denied.
"""

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from functools import wraps

from flask import g, request
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .models import ApiKey, Organisation, utcnow

ROLES = ("admin", "buyer", "assessor", "moderator", "vendor", "auditor")
EVERYONE = ROLES
READERS = ("buyer", "assessor", "moderator", "auditor")  # the organisation's own people
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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """The caller: a key of one organisation, with one role."""

    key_id: str
    key_prefix: str
    organisation_id: str
    role: str
    name: str
    vendor_id: str | None = None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(
    session: Session,
    organisation_id: str,
    name: str,
    role: str,
    vendor_id: str | None = None,
    expires_at: dt.datetime | None = None,
    actor: str = "command line",
) -> tuple[ApiKey, str]:
    """Create a key, recorded in the event log; the secret is returned once, never stored."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if (role == "vendor") != (vendor_id is not None):
        raise ValueError("a vendor key is bound to exactly one vendor, and only a vendor key is")
    prefix = f"eth_{secrets.token_hex(4)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organisation_id=organisation_id,
        name=name,
        prefix=prefix,
        secret_sha256=digest(secret),
        role=role,
        vendor_id=vendor_id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        "api_key.created",
        "api_key",
        key.id,
        {
            "prefix": prefix,
            "name": name,
            "role": role,
            "vendor_id": vendor_id,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        actor=actor,
        organisation_id=organisation_id,
    )
    return key, secret


def bootstrap(session: Session) -> str | None:
    """On an empty database: an organisation and its admin key, whose secret is returned once."""
    if session.scalar(select(Organisation.id).limit(1)) is not None:
        return None
    organisation = Organisation(name="Default organisation")
    session.add(organisation)
    session.flush()
    audit.record(
        session,
        "organisation.created",
        "organisation",
        organisation.id,
        {"name": organisation.name},
        actor="first start",
        organisation_id=organisation.id,
    )
    _, secret = new_key(session, organisation.id, "first admin", "admin")
    return secret


def principal() -> Principal:
    return g.principal


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


def authenticate(session: Session) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header:
        _unauthorized("Send an API key: Authorization: Bearer <key>.")
    if scheme.lower() != "bearer" or not presented.strip():
        _unauthorized("Use the Bearer scheme: Authorization: Bearer <key>.")
    presented = presented.strip()
    key = session.scalar(select(ApiKey).where(ApiKey.secret_sha256 == digest(presented)))
    if key is None:
        _unauthorized("The API key is not valid.", presented)
    if key.revoked_at is not None:
        _unauthorized("The API key was revoked.", presented)
    if key.expires_at is not None and key.expires_at <= utcnow():
        _unauthorized("The API key has expired.", presented)
    return Principal(key.id, key.prefix, key.organisation_id, key.role, key.name, key.vendor_id)


def allow(*roles: str):
    """The roles an operation is open to (admin always); checked before the view runs."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            caller = principal()
            if caller.role != "admin" and caller.role not in roles:
                abort(
                    403,
                    message=f"A {caller.role} key cannot do this; it takes one of: "
                    f"{', '.join(('admin', *roles))}.",
                )
            return view(*args, **kwargs)

        checked.allowed_roles = ("admin", *roles)
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
    from .db import session

    @app.before_request
    def identify_caller():
        if request.routing_exception is not None or request.method == "OPTIONS":
            return  # routing answers 404 / 405 itself; preflights carry no credentials
        if request.endpoint in PUBLIC_ENDPOINTS:
            return
        g.principal = authenticate(session())
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "allowed_roles", None) is None:
            abort(403, message="No role may call this operation.")
