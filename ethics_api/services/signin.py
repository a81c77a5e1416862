"""Signing in for people: invitations, passwords and who a signed-in browser acts as.

Machines keep API keys; people sign in with their email and a password they set themselves
through a one-time invitation an admin gives them. Only digests are stored: the invitation's
SHA-256 (it is shown once, as a link), and the password's argon2id hash. A signed-in person
acts with the role their invitation gave, as the holder of a key with that role would.
"""

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..enums import Action, ObjectType, Role
from ..models import Person, Vendor
from . import changes, lookup
from .context import Caller, Context
from .errors import Conflict, Invalid, NotFound

# An invitation is a link sent to one person: a week is long enough to act on it.
INVITATION_LIFETIME = dt.timedelta(days=7)
# Length is what makes a password strong; no composition rules (NCSC password guidance).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()  # argon2id, with the library's recommended parameters
# Checked when no person matches, so that a wrong email costs as long as a wrong password.
_NOBODY = _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(Exception):
    """The email and password do not match a person who may sign in."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    context: Context, person_id, role: Role | str, vendor_id: str | None = None
) -> tuple[Person, str]:
    """Give a person of the organisation an invitation to sign in with `role`, replacing any
    earlier one; the person and the invitation's secret token (shown once)."""
    person = lookup.get(context, Person, person_id, lock=True)
    if role not in tuple(Role):
        raise Invalid.at(f"Unknown role {role!r}; roles: {', '.join(Role)}.", "/role")
    if (role == Role.VENDOR) != (vendor_id is not None):
        raise Invalid.at(
            "A vendor's person signs in for exactly one vendor, and only they do.", "/vendor_id"
        )
    if vendor_id is not None:
        lookup.named_row(context, Vendor, vendor_id, "vendor_id")
    if not person.email:
        raise Conflict(f"{person.name} has no email address: people sign in with theirs.")
    taken = context.session.scalar(
        select(Person.id).where(
            func.lower(Person.email) == person.email.lower(),
            Person.id != person.id,
            Person.sign_in_role.is_not(None),
        )
    )
    if taken is not None:
        raise Conflict(f"Another person already signs in with {person.email}.")
    token = secrets.token_urlsafe(32)
    person.sign_in_role = Role(role)
    person.vendor_id = vendor_id
    person.invitation_digest = _digest(token)
    person.invitation_expires_at = context.now() + INVITATION_LIFETIME
    context.session.flush()
    changes.record(
        context,
        Action.PERSON_INVITED,
        ObjectType.PERSON,
        person.id,
        {"role": str(role), "vendor_id": vendor_id},
    )
    return person, token


def invited(session: Session, token: str, now: dt.datetime) -> Person:
    """The person a current invitation is for; NotFound when it is unknown, used or expired."""
    person = session.scalar(select(Person).where(Person.invitation_digest == _digest(token)))
    expires = person.invitation_expires_at if person else None
    if person is None or expires is None or expires < now:
        raise NotFound("This invitation is not valid: it was used, replaced or has expired.")
    return person


def password_errors(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters: length makes a password strong."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Use at most {MAX_PASSWORD_LENGTH} characters."]
    return []


def accept_invitation(context: Context, token: str, password: str) -> Person:
    """Set the invited person's password (the context's caller is that person, see
    `caller_of`); the invitation is then used up."""
    person = invited(context.session, token, context.now())
    if person.id != context.caller.person_id:
        raise NotFound("This invitation is for someone else.")
    errors = password_errors(password)
    if errors:
        raise Invalid.at("Choose another password.", "/password", *errors)
    person.password_hash = _hasher.hash(password)
    person.invitation_digest = None
    person.invitation_expires_at = None
    context.session.flush()
    changes.record(context, Action.PASSWORD_SET, ObjectType.PERSON, person.id, {})
    return person


def sign_in(session: Session, email: str, password: str) -> Person:
    """The person with this email and password; SignInRefused otherwise (which of the two was
    wrong is never said)."""
    person = session.scalar(
        select(Person).where(
            func.lower(Person.email) == email.strip().lower(),
            Person.sign_in_role.is_not(None),
            Person.password_hash.is_not(None),
        )
    )
    stored = person.password_hash if person and person.password_hash else _NOBODY
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise SignInRefused("The email address or the password is not right.") from None
    if person is None:
        raise SignInRefused("The email address or the password is not right.")
    if _hasher.check_needs_rehash(stored):
        person.password_hash = _hasher.hash(password)
    return person


def stamp(person: Person) -> str:
    """What a session remembers of the password it was opened with: a new password ends
    every session opened with the old one."""
    return hashlib.sha256((person.password_hash or "").encode()).hexdigest()[:16]


def caller_of(person: Person, via: str = "signed in") -> Caller:
    """Who a signed-in person's requests act as (a person who may sign in)."""
    if person.sign_in_role is None:
        raise SignInRefused(f"{person.name} may not sign in.")
    role = Role(person.sign_in_role)
    return Caller(
        organisation_id=person.organisation_id,
        role=role,
        name=person.name,
        actor=f"{person.name} ({role}, {via})",
        person_id=person.id,
        vendor_id=person.vendor_id,
    )
