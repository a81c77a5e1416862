"""Webhook events, written to the outbox in the same transaction as the change they report.

A message exists if and only if its change committed; `ethics-api webhooks run` delivers it
later, signed, with retries. Payloads follow the Standard Webhooks shape: type, timestamp, data.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Webhook, WebhookDelivery, utcnow

EVENTS = (
    "assessment.submitted",
    "scorecard.changed",
    "knockout.triggered",
    "dispute.opened",
    "dispute.resolved",
    "procurement.closed",
)


def wanted(session: Session, organisation_id: str) -> set[str]:
    """The events some active subscription of the organisation wants."""
    subscriptions = session.scalars(
        select(Webhook.events).where(Webhook.organisation_id == organisation_id, Webhook.active)
    )
    return {event for events in subscriptions for event in events}


def emit(session: Session, organisation_id: str, event: str, data: dict) -> None:
    """Queue `event` for every active subscription of the organisation that wants it."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    subscriptions = session.scalars(
        select(Webhook).where(Webhook.organisation_id == organisation_id, Webhook.active)
    )
    now = utcnow()
    for subscription in subscriptions:
        if event in subscription.events:
            session.add(
                WebhookDelivery(
                    organisation_id=organisation_id,
                    webhook_id=subscription.id,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    event=event,
                    payload={"type": event, "timestamp": now.isoformat(), "data": data},
                    next_attempt_at=now,
                )
            )
