"""Reading the event log: the organisation's own chain, filtered, per object, and its
verification together with the records it vouches for."""

import json
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..enums import ObjectType
from ..models import Assessment, Event, Vendor
from . import lookup
from .context import Context
from .pages import Page, Paged, page_of


def _organisation_events(context: Context):
    """The caller's organisation's chain: nothing of another organisation's, and nothing of
    the legacy chain (whose sequence and hashes count every organisation's events)."""
    return select(Event).where(Event.chain == context.caller.organisation_id).order_by(Event.seq)


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


@dataclass(frozen=True)
class LogCheck:
    """The organisation's chain recomputed, and its records compared with their digests."""

    ok: bool
    size: int
    head_hash: str | None
    first_bad_seq: int | None
    problem: str | None
    records_checked: int
    first_bad_record: dict | None  # {kind, id, seq}


def verify(context: Context) -> LogCheck:
    """Recompute the organisation's chain, then every record's digest: the first bad event,
    or else the first record that differs from what its event logged."""
    organisation_id = context.caller.organisation_id
    chain = audit.verify(context.session, organisation_id)
    if not chain.ok:
        return LogCheck(
            False, chain.size, chain.head_hash, chain.first_bad_seq, chain.problem, 0, None
        )
    records = audit.verify_records(context.session, organisation_id)
    bad = records.first_bad
    if bad is None:
        return LogCheck(True, chain.size, chain.head_hash, None, None, records.checked, None)
    return LogCheck(
        False,
        chain.size,
        chain.head_hash,
        bad.seq,
        audit.describe(bad),
        records.checked,
        {"kind": bad.kind, "id": bad.record_id, "seq": bad.seq},
    )
