"""Reading the event log: the organisation's events, filtered, per object, and the chain's
verification."""

import json

from sqlalchemy import select

from .. import audit
from ..enums import ObjectType
from ..models import Assessment, Event, Vendor
from . import lookup
from .context import Context
from .pages import Page, Paged, page_of


def _organisation_events(context: Context):
    return (
        select(Event)
        .where(Event.organisation_id == context.caller.organisation_id)
        .order_by(Event.seq)
    )


def _readable(found: Paged) -> Paged:
    for event in found.items:
        event.change_document = json.loads(event.change)
    return found


def list_events(context: Context, page: Page, filters: dict) -> Paged:
    """The organisation's events, oldest first. `filters`: object_type, object_id, actor (a
    part of it), since (inclusive), until (exclusive)."""
    statement = _organisation_events(context)
    if "object_type" in filters:
        statement = statement.where(Event.object_type == filters["object_type"])
    if "object_id" in filters:
        statement = statement.where(Event.object_id == filters["object_id"])
    if "actor" in filters:
        statement = statement.where(Event.actor.contains(filters["actor"], autoescape=True))
    if "since" in filters:
        statement = statement.where(Event.occurred_at >= filters["since"])
    if "until" in filters:
        statement = statement.where(Event.occurred_at < filters["until"])
    return _readable(page_of(context.session, statement, page))


def object_events(context: Context, model, object_id, page: Page) -> Paged:
    """The events about one vendor or assessment, oldest first."""
    row = lookup.get(context, model, object_id)
    object_type = {Vendor: ObjectType.VENDOR, Assessment: ObjectType.ASSESSMENT}[model]
    statement = _organisation_events(context).where(
        Event.object_type == object_type, Event.object_id == row.id
    )
    return _readable(page_of(context.session, statement, page))


def verify(context: Context) -> audit.Verification:
    """Recompute the whole chain; the first bad event, if any."""
    return audit.verify(context.session)
