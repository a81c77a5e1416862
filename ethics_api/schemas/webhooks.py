"""Webhook subscriptions and their delivery log."""

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..enums import DeliveryStatus, WebhookEvent
from ..fields import FullMatch, WebUrl
from .common import StrictSchema

# A Standard Webhooks secret: `whsec_` and the standard base64 (padded) of 24 to 64 random bytes,
# spelled out so that the document states exactly what is accepted.
_B64_QUAD = "[A-Za-z0-9+/]{4}"
WEBHOOK_SECRET = (
    f"whsec_(?:(?:{_B64_QUAD}){{8,21}}(?:[A-Za-z0-9+/]{{2}}==)?"
    f"|(?:{_B64_QUAD}){{8,20}}[A-Za-z0-9+/]{{3}}=)"
)


def _webhook_events(**kwargs) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf([event.value for event in WebhookEvent])),
        validate=validate.Length(min=1),
        metadata={"description": "The events to receive, each once", "uniqueItems": True},
        **kwargs,
    )


class WebhookCreateSchema(StrictSchema):
    url = WebUrl(
        2000,
        required=True,
        metadata={
            "description": "Where messages are POSTed",
            "example": "https://buyer.example/hooks",
        },
    )
    events = _webhook_events(required=True)
    secret = fields.String(
        validate=FullMatch(WEBHOOK_SECRET, error="Must be whsec_ and the base64 of 24-64 bytes."),
        metadata={
            "description": "The signing secret (Standard Webhooks); generated when absent. "
            "Shown in the creation response only",
        },
    )

    @validates_schema
    def events_once(self, data, **kwargs):
        events = data.get("events") or []
        if len(set(events)) != len(events):
            raise ma.ValidationError("Name each event once.", field_name="events")


class WebhookSchema(ma.Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean(metadata={"description": "false once deleted; its log is kept"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        metadata={
            "description": "whsec_...: verify the webhook-signature of every message with it. "
            "Shown only in this response; keep it"
        }
    )


class WebhookAttemptSchema(ma.Schema):
    attempted_at = fields.AwareDateTime()
    status_code = fields.Integer(
        allow_none=True, metadata={"description": "The receiver's HTTP status; null: no answer"}
    )
    error = fields.String(
        allow_none=True, metadata={"description": "Why it failed: a status or a network error"}
    )
    duration_ms = fields.Integer()


class WebhookDeliverySchema(ma.Schema):
    id = fields.String()
    message_id = fields.String(metadata={"description": "The webhook-id header, every attempt"})
    event = fields.String()
    status = fields.String(metadata={"description": "pending, delivered or failed"})
    attempts = fields.Integer(metadata={"description": "Attempts made so far"})
    created_at = fields.AwareDateTime()
    next_attempt_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When it is tried next; null once settled"}
    )
    delivered_at = fields.AwareDateTime(allow_none=True)
    payload = fields.Dict(metadata={"description": "The message body: type, timestamp, data"})
    attempt_log = fields.List(
        fields.Nested(WebhookAttemptSchema), metadata={"description": "Every attempt, oldest first"}
    )

    @ma.post_dump
    def settled_has_no_next_attempt(self, data, **kwargs):
        if data.get("status") != "pending":
            data["next_attempt_at"] = None
        return data


class WebhookDeliveryQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in DeliveryStatus]))
