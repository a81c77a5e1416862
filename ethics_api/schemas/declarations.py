"""Declarations of interest in a procurement, and the buyer's mitigation of a conflict."""

import marshmallow as ma
from marshmallow import fields

from ..fields import Line, StrictBoolean, Text
from .common import StrictSchema


class DeclarationCreateSchema(StrictSchema):
    conflict = StrictBoolean(
        required=True, metadata={"description": "Whether the person has a conflict of interest"}
    )
    description = Text(
        20_000, min_length=1, metadata={"description": "The conflict: required with one"}
    )
    person = Line(
        200,
        metadata={
            "description": "The person's name: people declare for themselves; required from "
            "admin keys"
        },
    )


class MitigationSchema(StrictSchema):
    mitigation = Text(
        20_000,
        min_length=1,
        required=True,
        metadata={"description": "What the buyer does about the conflict"},
    )


class DeclarationSchema(ma.Schema):
    id = fields.String()
    procurement_id = fields.String()
    person_id = fields.String()
    person_name = fields.String()
    conflict = fields.Boolean()
    description = fields.String(allow_none=True)
    declared_at = fields.AwareDateTime()
    mitigation = fields.String(allow_none=True)
    mitigated_by = fields.String(allow_none=True, metadata={"description": "A person id"})
    mitigated_at = fields.AwareDateTime(allow_none=True)
    settled = fields.Boolean(
        metadata={"description": "The person may evaluate: no conflict, or one mitigated"}
    )


class ReadinessItemSchema(ma.Schema):
    code = fields.String()
    message = fields.String()
    vendor_id = fields.String(metadata={"description": "The bidder it concerns, if one"})
    indicator = fields.String(metadata={"description": "The indicator it concerns, if one"})
    person_id = fields.String(metadata={"description": "The person it concerns, if one"})
    gate = fields.String(metadata={"description": "The gate it concerns, if one"})

    @ma.post_dump
    def only_what_it_concerns(self, data, **kwargs):
        return {key: value for key, value in data.items() if value is not None}


class ReadinessSchema(ma.Schema):
    ready = fields.Boolean(metadata={"description": "Nothing blocks closing"})
    blocking = fields.List(fields.Nested(ReadinessItemSchema))
    warnings = fields.List(fields.Nested(ReadinessItemSchema))
