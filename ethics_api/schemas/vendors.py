"""Vendors: the companies whose AI systems are assessed."""

import marshmallow as ma
from marshmallow import fields, validates_schema

from ..fields import FullMatch, Line, Text, WebUrl
from .common import IdentifierSchema, StrictSchema


def _country(**kwargs) -> fields.String:
    return fields.String(
        validate=FullMatch(r"[A-Z]{2}", error="Must be an ISO 3166-1 alpha-2 code."),
        metadata={"description": "ISO 3166-1 alpha-2 country code, e.g. GB"},
        **kwargs,
    )


def _website(**kwargs) -> fields.String:
    return WebUrl(500, metadata={"example": "https://vendor.example"}, **kwargs)


class VendorCreateSchema(StrictSchema):
    name = Line(200, required=True)
    identifier = fields.Nested(IdentifierSchema, allow_none=True)
    country = _country(allow_none=True)
    website = _website(allow_none=True)


class VendorUpdateSchema(StrictSchema):
    """Only the fields sent change; `null` clears country or website."""

    JSON_SCHEMA_EXTRA = {"minProperties": 1}

    name = Line(200)
    country = _country(allow_none=True)
    website = _website(allow_none=True)

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Send at least one of name, country or website.")


class VendorSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    identifier = fields.Nested(IdentifierSchema, allow_none=True)
    country = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class VendorQuerySchema(ma.Schema):
    q = Text(
        200,
        min_length=1,
        metadata={"description": "Only vendors whose name contains this text (any case)"},
    )
