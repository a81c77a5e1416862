"""Who a browser is: the person its session cookie names, as long as their password is the one
the session was opened with and they may still sign in."""

from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from .. import per_request
from ..enums import Role
from ..models import Person
from ..services.signin import caller_of, stamp
from .blueprint import error_page


def open_session(person: Person) -> None:
    """A fresh session for the person (never one carried over from before signing in)."""
    session.clear()
    session.permanent = True  # expires after SIGN_IN_LIFETIME_SECONDS
    session["person_id"] = person.id
    session["stamp"] = stamp(person)


def signed_in_person() -> Person | None:
    person_id = session.get("person_id")
    if person_id is None:
        return None
    person = per_request.session().get(Person, person_id)
    if person is None or person.sign_in_role is None or session.get("stamp") != stamp(person):
        session.clear()
        return None
    return person


def signed_in(*roles: Role):
    """The page needs a signed-in person holding one of `roles` (any role when none is
    named); the caller of its use cases is that person."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            person = signed_in_person()
            if person is None:
                return redirect(url_for("pages.sign_in", next=request.full_path.rstrip("?")))
            g.caller = caller_of(person)
            g.person = person
            if roles and not g.caller.has(*roles):
                return error_page(403, f"Signed in as {g.caller.role}, you cannot open this page.")
            return view(*args, **kwargs)

        return checked

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """Where to go after signing in: a path of this service, never another site."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
