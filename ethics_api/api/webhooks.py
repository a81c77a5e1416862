"""Webhook subscriptions: the events an organisation wants POSTed to its URL, and their log.

Messages are written to the outbox in the transaction of the change they report (see
`ethics_api.webhooks`) and sent by `ethics-api webhooks run`, signed per Standard Webhooks with
the subscription's secret. The secret is shown once, in the creation response.

URLs are checked against the address policy of `ethics_api.targets` (public internet addresses
only, unless the deployment allows private ones) here, for a clear 422, and again by the worker
at every delivery.
"""

import base64
import secrets
import uuid
from collections import defaultdict

from flask import current_app, url_for
from flask_smorest import abort
from sqlalchemy import select, update

from .. import targets
from ..auth import allow, principal
from ..config import flag
from ..db import session
from ..models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from ..schemas import (
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliveryQuerySchema,
    WebhookDeliverySchema,
    WebhookSchema,
)
from . import Blueprint
from .common import LOCATION_HEADER, get_or_404, log_change, page_of
from .idempotency import idempotent

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/v1/webhooks",
    description="Webhook subscriptions (admin): signed Standard Webhooks messages about "
    "assessments, scorecards, knockouts, disputes and procurements, with their delivery log",
)


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and the base64 of 32 random bytes."""
    return f"whsec_{base64.b64encode(secrets.token_bytes(32)).decode()}"


def refuse_private_target(url: str) -> None:
    """422 when the URL's host is, or resolves to, an address that is not public, unless the
    deployment allows private targets. A name that does not resolve yet is accepted: the worker
    checks the address of every delivery."""
    allowed = current_app.config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
    if flag(allowed, "WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return
    refusal = targets.refusal(url)
    if refusal is not None:
        abort(
            422,
            message=f"Webhooks are sent to public internet addresses only: {refusal}.",
            errors=[
                {
                    "pointer": "/url",
                    "location": "json",
                    "messages": [f"Must be a public internet address: {refusal}."],
                }
            ],
        )


@blp.route("", methods=["POST"])
@allow()
@idempotent
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema, headers={"Location": LOCATION_HEADER})
def create_webhook(payload):
    """Subscribe a URL to events; the signing secret is in this response only

    The URL's host must be a public internet address: one that is, or resolves to, a loopback,
    private, link-local or otherwise non-public address is refused (422), unless the deployment
    allows private targets. Each delivery checks the address again.
    """
    refuse_private_target(payload["url"])
    webhook = Webhook(
        organisation_id=principal().organisation_id,
        url=payload["url"],
        events=payload["events"],
        secret=payload.get("secret") or new_secret(),
    )
    db = session()
    db.add(webhook)
    db.flush()
    # The secret stays out of the log: it is the subscriber's, and the log is read by auditors.
    log_change(
        "webhook.created", "webhook", webhook.id, {"url": webhook.url, "events": webhook.events}
    )
    location = url_for("webhooks.get_webhook", webhook_id=uuid.UUID(webhook.id))
    return webhook, 201, {"Location": location}


@blp.route("")
@allow()
@blp.response(200, WebhookSchema(many=True))
@blp.paginate()
def list_webhooks(pagination_parameters):
    """The organisation's subscriptions, newest first, deleted (inactive) ones included"""
    statement = (
        select(Webhook)
        .where(Webhook.organisation_id == principal().organisation_id)
        .order_by(Webhook.created_at.desc(), Webhook.id)
    )
    return page_of(statement, pagination_parameters)


@blp.route("/<uuid:webhook_id>")
@allow()
@blp.response(200, WebhookSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_webhook(webhook_id):
    """One subscription (never its secret)"""
    return get_or_404(Webhook, webhook_id)


@blp.route("/<uuid:webhook_id>", methods=["DELETE"])
@allow()
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def delete_webhook(webhook_id):
    """Deactivate a subscription: no new messages, pending ones fail unsent; the log is kept"""
    webhook = get_or_404(Webhook, webhook_id, lock=True)
    if webhook.active:
        db = session()
        webhook.active = False
        webhook.revision += 1
        webhook.updated_at = utcnow()
        db.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.status == "pending")
            .values(status="failed")
        )
        db.flush()
        log_change("webhook.deactivated", "webhook", webhook.id, {"active": False})


@blp.route("/<uuid:webhook_id>/deliveries")
@allow()
@blp.arguments(WebhookDeliveryQuerySchema, location="query")
@blp.response(200, WebhookDeliverySchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_deliveries(query, webhook_id, pagination_parameters):
    """The subscription's messages, newest first, each with every attempt to deliver it"""
    webhook = get_or_404(Webhook, webhook_id)
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )
    if "status" in query:
        statement = statement.where(WebhookDelivery.status == query["status"])
    deliveries = page_of(statement, pagination_parameters)
    attempts = defaultdict(list)
    if deliveries:
        for attempt in session().scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([d.id for d in deliveries]))
            .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    for delivery in deliveries:
        delivery.attempt_log = attempts[delivery.id]
    return deliveries
