"""Organisations and their API keys: creating, revoking, and recognising a presented key.

A key is `eth_<8 hex>_<43 url-safe characters>`: the first part is a visible prefix that
identifies the key in lists and logs, the second 256 bits of randomness. Only the SHA-256 of
the whole key is stored; the secret is shown once, when the key is made.
"""

import dataclasses
import datetime as dt
import hashlib
import secrets

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from ..database import read_while_unchanged
from ..enums import Action, ObjectType, Role
from ..models import ApiKey, Organisation, Person, Vendor
from . import changes, lookup
from .context import Caller, Context
from .errors import Invalid, NotFound
from .pages import Page, Paged, page_of
from .people import create_person

FIRST_ORGANISATION = "Default organisation"
FIRST_ADMIN = "first admin"


class Unauthenticated(Exception):
    """The presented key is unknown, revoked or expired; the message says which."""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_organisation(context: Context, name: str) -> Organisation:
    """A new organisation; its creation is its own first event."""
    organisation = Organisation(name=name, created_at=context.now())
    context.session.add(organisation)
    context.session.flush()
    inside = dataclasses.replace(
        context, caller=dataclasses.replace(context.caller, organisation_id=organisation.id)
    )
    changes.record(
        inside,
        Action.ORGANISATION_CREATED,
        ObjectType.ORGANISATION,
        organisation.id,
        {"name": organisation.name},
    )
    return organisation


def create_key(
    context: Context,
    person: Person,
    role: Role | str,
    vendor_id: str | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A key for a person of the caller's organisation, and its secret (returned once, and
    set on the key for the response; never stored). A vendor key is bound to one vendor of the
    organisation, and only a vendor key is.
    """
    if role not in tuple(Role):
        raise Invalid.at(
            f"unknown role {role!r}; roles: {', '.join(Role)}", "/role", "Unknown role."
        )
    if (role == Role.VENDOR) != (vendor_id is not None):
        raise Invalid.at(
            "a vendor key is bound to exactly one vendor, and only a vendor key is",
            "/vendor_id",
        )
    organisation_id = context.caller.organisation_id
    if vendor_id is not None:
        vendor = context.session.get(Vendor, vendor_id)
        if vendor is None or vendor.organisation_id != organisation_id:
            raise NotFound(f"no vendor {vendor_id} in organisation {organisation_id}")
    prefix = f"eth_{secrets.token_hex(4)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organisation_id=organisation_id,
        person_id=person.id,
        name=person.name,
        prefix=prefix,
        secret_sha256=digest(secret),
        role=Role(role),
        vendor_id=vendor_id,
        expires_at=expires_at,
        created_at=context.now(),
    )
    context.session.add(key)
    context.session.flush()
    key.secret = secret
    changes.record(
        context,
        Action.API_KEY_CREATED,
        ObjectType.API_KEY,
        key.id,
        {
            "prefix": prefix,
            "name": person.name,
            "person_id": person.id,
            "role": key.role,
            "vendor_id": vendor_id,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, secret


def give_key(context: Context, person_id, data: dict) -> tuple[ApiKey, str]:
    """A new key for a person of the organisation. `data`: role, and vendor_id (vendor keys)
    and expires_at (in the future) when given."""
    person = lookup.get(context, Person, person_id)
    expires_at = data.get("expires_at")
    if expires_at is not None and expires_at <= context.now():
        raise Invalid.at("A key must expire in the future.", "/expires_at")
    vendor_id = data.get("vendor_id")
    return create_key(
        context, person, data["role"], str(vendor_id) if vendor_id else None, expires_at
    )


def revoke_key(context: Context, prefix: str) -> ApiKey:
    """Revoke the key with this prefix at once; revoking it again changes nothing."""
    key = context.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no key has the prefix {prefix}")
    return _revoked(context, key)


def revoke(context: Context, key_id) -> ApiKey:
    """Revoke a key of the caller's organisation, by id."""
    return _revoked(context, lookup.get(context, ApiKey, key_id))


def _revoked(context: Context, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = context.now()
        owner = dataclasses.replace(context.caller, organisation_id=key.organisation_id)
        changes.record(
            dataclasses.replace(context, caller=owner),
            Action.API_KEY_REVOKED,
            ObjectType.API_KEY,
            key.id,
            {"prefix": key.prefix},
        )
    return key


def keys_of(context: Context, person_id, page: Page) -> Paged:
    """A person's keys, oldest first (never their secrets: those are not kept)."""
    person = lookup.get(context, Person, person_id)
    statement = (
        select(ApiKey).where(ApiKey.person_id == person.id).order_by(ApiKey.created_at, ApiKey.id)
    )
    return page_of(context.session, statement, page)


def list_keys(session: Session, organisation_id: str | None = None) -> list[ApiKey]:
    """Every key, or one organisation's, by organisation then age."""
    statement = select(ApiKey).order_by(ApiKey.organisation_id, ApiKey.created_at)
    if organisation_id:
        statement = statement.where(ApiKey.organisation_id == organisation_id)
    return list(session.scalars(statement))


def first_organisation(session: Session) -> Organisation | None:
    return session.scalar(select(Organisation).order_by(Organisation.created_at).limit(1))


def bootstrap(session: Session) -> str | None:
    """On an empty database: an organisation and its admin key, whose secret is returned once;
    None when there is an organisation already."""
    if first_organisation(session) is not None:
        return None
    first_start = Context(session, Caller.system("", "first start"))
    organisation = create_organisation(first_start, FIRST_ORGANISATION)
    command_line = Context(session, Caller.system(organisation.id))
    admin = create_person(command_line, {"name": FIRST_ADMIN})
    _, secret = create_key(command_line, admin, Role.ADMIN)
    return secret


# Read on every authenticated request, so built once, and as plain columns: no ORM object to
# build and track.
_KEY_BY_DIGEST = (
    select(
        ApiKey.id,
        ApiKey.organisation_id,
        ApiKey.person_id,
        ApiKey.prefix,
        ApiKey.role,
        ApiKey.vendor_id,
        ApiKey.revoked_at,
        ApiKey.expires_at,
        Person.name,
    )
    .join(Person, Person.id == ApiKey.person_id)
    .where(ApiKey.secret_sha256 == bindparam("digest"))
)


@dataclasses.dataclass(frozen=True)
class _Known:
    """A valid key as read, and when it expires."""

    caller: Caller
    expires_at: dt.datetime | None


def caller_for(connection: Connection, presented: str, now: dt.datetime) -> Caller:
    """The caller a presented key stands for: its person, with the key's role;
    Unauthenticated when it stands for none.

    Revocation and expiry take effect at once in every worker: a key is read afresh unless the
    database can tell nothing was committed since it was last read on this connection (SQLite;
    `database.while_unchanged`), and its expiry is checked on every request."""
    hashed = digest(presented)
    known = read_while_unchanged(connection, ("key", hashed), lambda: _read(connection, hashed))
    if known.expires_at is not None and known.expires_at <= now:
        raise Unauthenticated("The API key has expired.")
    return known.caller


def _read(connection: Connection, hashed: str) -> _Known:
    """The key with this digest, if it was not revoked; Unauthenticated otherwise."""
    key = connection.execute(_KEY_BY_DIGEST, {"digest": hashed}).first()
    name = key.name if key is not None else None
    if key is None or name is None:
        raise Unauthenticated("The API key is not valid.")
    if key.revoked_at is not None:
        raise Unauthenticated("The API key was revoked.")
    role = Role(key.role)
    caller = Caller(
        organisation_id=key.organisation_id,
        role=role,
        name=name,
        actor=f"key {key.prefix} ({role}: {name}, person {key.person_id})",
        person_id=key.person_id,
        key_id=key.id,
        key_prefix=key.prefix,
        vendor_id=key.vendor_id,
    )
    return _Known(caller, key.expires_at)
