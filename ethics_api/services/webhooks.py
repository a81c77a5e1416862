"""Webhook subscriptions: the events an organisation wants POSTed to its URL, and their log.

Messages are written to the outbox in the transaction of the change they report (see
`services.changes`) and sent by `ethics-api webhooks run`. URLs are checked against the
address policy of `ethics_api.targets` here, for a clear refusal, and again by the worker at
every delivery.
"""

import base64
import secrets
from collections import defaultdict

from sqlalchemy import select, update

from .. import targets
from ..enums import Action, DeliveryStatus, ObjectType
from ..models import Webhook, WebhookAttempt, WebhookDelivery
from . import changes, lookup
from .context import Context
from .errors import Invalid
from .pages import Page, Paged, page_of


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and the base64 of 32 random bytes."""
    return f"whsec_{base64.b64encode(secrets.token_bytes(32)).decode()}"


def subscribe(context: Context, data: dict) -> Webhook:
    """Subscribe a URL to events. `data`: url, events, and an optional secret (generated when
    absent). The URL's host must be a public internet address unless the deployment allows
    private targets; a name that does not resolve yet is accepted (the worker checks the
    address of every delivery)."""
    if not context.settings.allow_private_targets:
        refusal = targets.refusal(data["url"])
        if refusal is not None:
            raise Invalid.at(
                f"Webhooks are sent to public internet addresses only: {refusal}.",
                "/url",
                f"Must be a public internet address: {refusal}.",
            )
    webhook = Webhook(
        organisation_id=context.caller.organisation_id,
        url=data["url"],
        events=list(data["events"]),
        secret=data.get("secret") or new_secret(),
        created_at=context.now(),
        updated_at=context.now(),
    )
    context.session.add(webhook)
    context.session.flush()
    # The secret stays out of the log: it is the subscriber's, and the log is read by auditors.
    changes.record(
        context,
        Action.WEBHOOK_CREATED,
        ObjectType.WEBHOOK,
        webhook.id,
        {"url": webhook.url, "events": webhook.events},
    )
    return webhook


def list_webhooks(context: Context, page: Page) -> Paged:
    """The organisation's subscriptions, newest first, deactivated ones included."""
    statement = (
        select(Webhook)
        .where(Webhook.organisation_id == context.caller.organisation_id)
        .order_by(Webhook.created_at.desc(), Webhook.id)
    )
    return page_of(context.session, statement, page)


def get_webhook(context: Context, webhook_id) -> Webhook:
    return lookup.get(context, Webhook, webhook_id)


def deactivate(context: Context, webhook_id) -> None:
    """No new messages; pending ones fail unsent; the log is kept. Deactivating twice is
    deactivating once."""
    webhook = lookup.get(context, Webhook, webhook_id, lock=True)
    if not webhook.active:
        return
    webhook.active = False
    webhook.revision += 1
    webhook.updated_at = context.now()
    context.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.FAILED)
    )
    context.session.flush()
    changes.record(
        context, Action.WEBHOOK_DEACTIVATED, ObjectType.WEBHOOK, webhook.id, {"active": False}
    )


def deliveries(context: Context, webhook_id, page: Page, status: str | None = None) -> Paged:
    """The subscription's messages, newest first, each with every attempt to deliver it
    (`attempt_log`)."""
    webhook = lookup.get(context, Webhook, webhook_id)
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    found = page_of(context.session, statement, page)
    attempts = defaultdict(list)
    if found.items:
        for attempt in context.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([d.id for d in found.items]))
            .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    for delivery in found.items:
        delivery.attempt_log = attempts[delivery.id]
    return found
