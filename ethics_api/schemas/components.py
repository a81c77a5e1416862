"""A bidder's other award components, as the buyer scored them outside the service."""

import marshmallow as ma
from marshmallow import fields, validate

from ..fields import ExactNumber, Line
from .common import StrictSchema

KINDS = ("price", "quality")


class ComponentSchema(StrictSchema):
    name = Line(100, required=True, metadata={"example": "Price"})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "price or quality (OCDS award criterion types)"},
    )
    weight = ExactNumber(
        required=True,
        validate=validate.Range(min=0, min_inclusive=False, max=100, max_inclusive=False),
        metadata={
            "type": "number",
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 100,
            "description": "Percent of the whole award; with the ethics evaluation's share, "
            "the weights add up to 100",
        },
    )
    score = ExactNumber(
        required=True,
        validate=validate.Range(min=0, max=100),
        metadata={
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "description": "The bid's score out of 100, as the buyer scored it",
        },
    )


class RecordedComponentSchema(ma.Schema):
    name = fields.String()
    kind = fields.String()
    weight = fields.Raw(metadata={"type": "number"})
    score = fields.Raw(metadata={"type": "number"})


class AwardComponentsSchema(ma.Schema):
    vendor_id = fields.String()
    components = fields.List(fields.Nested(RecordedComponentSchema))
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()
