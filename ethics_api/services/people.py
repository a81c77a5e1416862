"""People: the identities of an organisation behind its keys, assessments, moderations,
declarations and disputes.

A person's name is unique in the organisation. An admin creates people and gives them keys; a
person may hold several keys, so rotating a key keeps the identity. An admin who records an
assessment or a moderation on someone's behalf names that person; a name the organisation does
not know yet becomes a new person, recorded as such.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..enums import Action, ObjectType, Role
from ..models import Person
from . import changes, lookup
from .context import Context
from .errors import Conflict, Forbidden, Invalid
from .pages import Page, Paged, page_of


def create_person(context: Context, data: dict) -> Person:
    """`data`: name (unique in the organisation) and an optional email."""
    person = Person(
        organisation_id=context.caller.organisation_id,
        name=data["name"],
        email=data.get("email"),
        created_at=context.now(),
    )
    session = context.session
    try:
        with session.begin_nested():
            session.add(person)
    except IntegrityError:
        raise Conflict(
            f"A person named {data['name']!r} exists in the organisation: give them another key "
            "rather than a second identity."
        ) from None
    changes.record(context, Action.PERSON_CREATED, ObjectType.PERSON, person.id, data)
    return person


def get_person(context: Context, person_id) -> Person:
    return lookup.get(context, Person, person_id)


def named(context: Context, name: str) -> Person | None:
    return context.session.scalar(
        select(Person).where(
            Person.organisation_id == context.caller.organisation_id, Person.name == name
        )
    )


def acting_person(context: Context, named_as: str | None, field: str) -> Person:
    """Who does what the request records: the caller's own person, or for an admin (who acts
    on someone's behalf) the person named in `field`, created if the organisation has no one
    of that name yet. Naming someone else is forbidden to everyone else."""
    caller = context.caller
    if caller.role == Role.ADMIN:
        if named_as is None:
            raise Invalid.at(
                f"Name the {field}: an admin key acts on someone's behalf.",
                f"/{field}",
                "Required.",
            )
        return named(context, named_as) or create_person(context, {"name": named_as})
    if named_as not in (None, caller.name) or caller.person_id is None:
        raise Forbidden(f"You act under your own name, {caller.name}.")
    return lookup.get(context, Person, caller.person_id)


def find(context: Context, reference: str) -> Person:
    """A person of the organisation by id or by name; Invalid when there is none."""
    person = lookup.find(context, Person, reference) or named(context, reference)
    if person is None:
        raise Invalid.at(
            f"No person {reference!r} in the organisation.", "/person", "Unknown person."
        )
    return person


def list_people(context: Context, page: Page) -> Paged:
    """The organisation's people, by name."""
    statement = (
        select(Person)
        .where(Person.organisation_id == context.caller.organisation_id)
        .order_by(Person.name, Person.id)
    )
    return page_of(context.session, statement, page)
