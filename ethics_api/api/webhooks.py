"""Webhook subscriptions: the events an organisation wants POSTed to its URL, and their log.

Messages are written to the outbox in the transaction of the change they report and sent by
`ethics-api webhooks run`, signed per Standard Webhooks with the subscription's secret. The
secret is shown once, in the creation response.
"""

from flask import url_for

from ..auth import allow
from ..schemas.webhooks import (
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliveryQuerySchema,
    WebhookDeliverySchema,
    WebhookSchema,
)
from ..services import webhooks
from . import Blueprint
from .common import LOCATION_HEADER, context, items, page
from .idempotency import idempotent

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/v1/webhooks",
    description="Webhook subscriptions (admin): signed Standard Webhooks messages about "
    "assessments, scorecards, knockouts, disputes and procurements, with their delivery log",
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
    webhook = webhooks.subscribe(context(), payload)
    location = url_for("webhooks.get_webhook", webhook_id=webhook.id)
    return webhook, 201, {"Location": location}


@blp.route("")
@allow()
@blp.response(200, WebhookSchema(many=True))
@blp.paginate()
def list_webhooks(pagination_parameters):
    """The organisation's subscriptions, newest first, deleted (inactive) ones included"""
    return items(
        webhooks.list_webhooks(context(), page(pagination_parameters)), pagination_parameters
    )


@blp.route("/<uuid:webhook_id>")
@allow()
@blp.response(200, WebhookSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_webhook(webhook_id):
    """One subscription (never its secret)"""
    return webhooks.get_webhook(context(), webhook_id)


@blp.route("/<uuid:webhook_id>", methods=["DELETE"])
@allow()
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def delete_webhook(webhook_id):
    """Deactivate a subscription: no new messages, pending ones fail unsent; the log is kept"""
    webhooks.deactivate(context(), webhook_id)


@blp.route("/<uuid:webhook_id>/deliveries")
@allow()
@blp.arguments(WebhookDeliveryQuerySchema, location="query")
@blp.response(200, WebhookDeliverySchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_deliveries(query, webhook_id, pagination_parameters):
    """The subscription's messages, newest first, each with every attempt to deliver it"""
    found = webhooks.deliveries(
        context(), webhook_id, page(pagination_parameters), query.get("status")
    )
    return items(found, pagination_parameters)
