"""One call records a change: its audit event and its webhook messages, in one transaction.

Every write a use case makes ends here, once the change is made. The event goes into the
organisation's hash-chained log, with the digest of the record the change left behind (for
the kinds of record the log vouches for: audit.RECORDS), and each message into the outbox of
the subscriptions that want it, all in the session's transaction, so none exists without the
change: a rolled-back request leaves no trace in either.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from .. import audit, webhooks
from ..enums import Action, ObjectType, WebhookEvent
from ..exact import as_json
from .context import Context


@dataclass(frozen=True)
class Message:
    """A webhook message announcing the change: its event and its data."""

    event: WebhookEvent
    data: dict


def record(
    context: Context,
    action: Action,
    object_type: ObjectType,
    object_id: str,
    change: dict,
    messages: Iterable[Message] = (),
) -> None:
    """Log `change` (what the caller asked for, as sent, and what it resolved to) as done by
    the context's caller, and queue its messages. Called after the change is made: the
    event logs the digest of the record (`object_id`) as it is then stored."""
    caller = context.caller
    audit.record(
        context.session,
        action,
        object_type,
        object_id,
        _plain(change),
        actor=caller.actor,
        organisation_id=caller.organisation_id,
        record_sha256=audit.record_digest(context.session, object_type, object_id),
    )
    for message in messages:
        webhooks.emit(context.session, caller.organisation_id, message.event, message.data)


def _plain(value):
    """The change as JSON values: ids and dates as the text a client sends them as."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Fraction):  # an exact number read from a JSON number
        return as_json(value)
    return value
