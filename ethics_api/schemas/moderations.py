"""Moderations: indicators settled by a moderator, each with its agreed level and reason."""

import re

import marshmallow as ma
from marshmallow import fields, post_load, validate, validates_schema

from ..fields import VISIBLE, Line, StrictBoolean, Text
from .assessments import EvidenceSchema, StoredEvidenceSchema
from .common import StrictSchema, criteria_ref, non_blank


class SettlementSchema(StrictSchema):
    indicator = non_blank(100, required=True, metadata={"description": "An indicator key"})
    level = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=4), metadata={"description": "Agreed"}
    )
    not_applicable = StrictBoolean(metadata={"description": "Agreed N/A, where allowed"})
    reason = Text(
        20_000,
        min_length=1,
        required=True,
        metadata={"description": "Why: the minute of the moderation meeting"},
    )
    evidence = fields.List(fields.Nested(EvidenceSchema), validate=validate.Length(max=50))

    JSON_SCHEMA_EXTRA = {
        "oneOf": [
            {"required": ["level"], "properties": {"not_applicable": {"const": False}}},
            {
                "required": ["not_applicable"],
                "properties": {"not_applicable": {"const": True}},
                "not": {"required": ["level"]},
            },
        ]
    }

    @validates_schema
    def level_or_not_applicable(self, data, **kwargs):
        has_level = "level" in data
        not_applicable = data.get("not_applicable", False)
        if has_level == bool(not_applicable):
            raise ma.ValidationError("Give either a level (0..4) or not_applicable: true.")
        if not re.search(VISIBLE, data.get("reason") or ""):
            raise ma.ValidationError("Say why.", field_name="reason")


class ModerationCreateSchema(StrictSchema):
    criteria_set = criteria_ref(allow_none=True)
    procurement_id = fields.UUID(
        allow_none=True, metadata={"description": "Settle the scorecard in this procurement"}
    )
    moderator = Line(
        200,
        allow_none=True,
        metadata={
            "description": "The moderator's name: moderators moderate as themselves; "
            "required from admin keys"
        },
    )
    settlements = fields.List(
        fields.Nested(SettlementSchema),
        required=True,
        validate=validate.Length(min=1, max=500),
    )

    @post_load(pass_original=True)
    def settlements_as_sent(self, data, original, **kwargs):
        # Stored exactly as sent: loading reads evidence dates as date objects.
        return {**data, "settlements": original["settlements"]}


class StoredSettlementSchema(SettlementSchema):
    evidence = fields.List(fields.Nested(StoredEvidenceSchema))


class ModerationSchema(ma.Schema):
    id = fields.String()
    vendor_id = fields.String()
    criteria_set = fields.String()
    criteria_sha256 = fields.String()
    procurement_id = fields.String(allow_none=True)
    moderator = fields.String()
    person_id = fields.String()
    settlements = fields.List(fields.Nested(StoredSettlementSchema))
    submitted_at = fields.AwareDateTime()
