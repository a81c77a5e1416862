"""The event log: its entries and the verification of its chain."""

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..enums import ObjectType
from ..fields import Instant, Text


class AuditQuerySchema(ma.Schema):
    object_type = fields.String(validate=validate.OneOf([kind.value for kind in ObjectType]))
    object_id = Text(200, min_length=1)
    actor = Text(300, min_length=1, metadata={"description": "Part of the actor, e.g. a prefix"})
    since = Instant(metadata={"description": "From this time (inclusive)"})
    until = Instant(metadata={"description": "Before this time"})

    @validates_schema
    def in_order(self, data, **kwargs):
        if "since" in data and "until" in data and data["until"] <= data["since"]:
            raise ma.ValidationError("Must be after since.", field_name="until")


class EventSchema(ma.Schema):
    seq = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    change = fields.Raw(attribute="change_document", metadata={"description": "What changed"})
    change_sha256 = fields.String()
    prev_hash = fields.String()
    hash = fields.String()


class VerificationSchema(ma.Schema):
    ok = fields.Boolean()
    size = fields.Integer(metadata={"description": "Events checked"})
    head_hash = fields.String(allow_none=True)
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
