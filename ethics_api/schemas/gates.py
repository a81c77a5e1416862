"""A bidder's pass/fail gates, as the buyer checked them."""

import marshmallow as ma
from marshmallow import fields

from ..fields import StrictBoolean, Text
from .common import StrictSchema


class GateResultSchema(StrictSchema):
    gate = fields.String(
        required=True, metadata={"description": "The key of one of the criteria set's gates"}
    )
    passed = StrictBoolean(
        required=True,
        metadata={"description": "false: the bidder fails the gate and is not eligible"},
    )
    reason = Text(
        5_000,
        min_length=1,
        required=True,
        metadata={"description": "What was checked, and what it showed"},
    )


class RecordedGateSchema(ma.Schema):
    passed = fields.Boolean()
    reason = fields.String()
    recorded_at = fields.String(metadata={"format": "date-time"})
    recorded_by = fields.String()
