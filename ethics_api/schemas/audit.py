"""The event log: its entries and the verification of its chain."""

import datetime as dt

import marshmallow as ma
from marshmallow import fields, validate, validates, validates_schema

from ..enums import ObjectType
from ..fields import Instant, Text


class AuditQuerySchema(ma.Schema):
    object_type = fields.String(validate=validate.OneOf([kind.value for kind in ObjectType]))
    object_id = Text(200, min_length=1)
    actor = Text(300, min_length=1, metadata={"description": "Part of the actor, e.g. a prefix"})
    since = Instant(metadata={"description": "From this time (inclusive)"})
    until = Instant(metadata={"description": "Before this time"})

    @validates("since", "until")
    def in_range(self, value, data_key, **kwargs):
        """A time with an offset may lie outside the years a database stores once in UTC
        (0001-01-01T00:00:00+23:59 is in year 0): refused here rather than failing there."""
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            raise ma.ValidationError(
                "Out of range: give a time between years 1 and 9999 in UTC."
            ) from None

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
    change = fields.Dict(attribute="change_document", metadata={"description": "What changed"})
    change_sha256 = fields.String()
    prev_hash = fields.String()
    hash = fields.String()
    record_sha256 = fields.String(
        allow_none=True,
        metadata={
            "description": "SHA-256 of the record the event created or changed, as stored "
            "after it (assessments, moderations, declarations, disputes, vendors, a closed "
            "procurement); null for other events"
        },
    )


class BadRecordSchema(ma.Schema):
    kind = fields.String(metadata={"description": "assessment, moderation, procurement, ..."})
    id = fields.String()
    seq = fields.Integer(
        allow_none=True, metadata={"description": "The event that logged its digest, if any"}
    )


class VerificationSchema(ma.Schema):
    ok = fields.Boolean()
    size = fields.Integer(metadata={"description": "Events checked"})
    head_hash = fields.String(allow_none=True)
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
    records_checked = fields.Integer(
        metadata={"description": "Records whose digest was recomputed and compared"}
    )
    first_bad_record = fields.Nested(
        BadRecordSchema,
        allow_none=True,
        metadata={"description": "The first record that differs from what its event logged"},
    )
