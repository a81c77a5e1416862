"""Vendors: the companies whose AI systems are assessed."""

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

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


# The Central Digital Platform's Public Procurement Organisation Number: four letters, four
# digits, four letters (the format the platform itself checks).
PPON = r"[A-Z]{4}-[0-9]{4}-[A-Z]{4}"


def _ppon(**kwargs) -> fields.String:
    return fields.String(
        validate=FullMatch(PPON, error="Must be a PPON: four letters, four digits, four letters."),
        metadata={
            "description": "The supplier's unique identifier under the Procurement Act 2023 "
            "(PPON, from the Central Digital Platform); unique in the organisation",
            "example": "PDTR-3338-MNPG",
        },
        **kwargs,
    )


def _email(**kwargs) -> fields.Email:
    return fields.Email(
        validate=validate.Length(max=320),
        metadata={"description": "The supplier's contact email address"},
        **kwargs,
    )


class AddressSchema(StrictSchema):
    """A contact postal address, as OCDS writes one."""

    street_address = Line(300, required=True, metadata={"example": "1 High Street"})
    locality = Line(100, metadata={"example": "Leeds"})
    region = Line(100)
    postal_code = Line(20, metadata={"example": "LS1 1AA"})
    country_name = Line(100, metadata={"example": "United Kingdom"})


def _address(**kwargs) -> fields.Nested:
    return fields.Nested(
        AddressSchema,
        metadata={"description": "The supplier's contact postal address"},
        **kwargs,
    )


class VendorCreateSchema(StrictSchema):
    name = Line(200, required=True)
    identifier = fields.Nested(IdentifierSchema, allow_none=True)
    ppon = _ppon(allow_none=True)
    country = _country(allow_none=True)
    website = _website(allow_none=True)
    address = _address(allow_none=True)
    email = _email(allow_none=True)


class VendorUpdateSchema(StrictSchema):
    """Only the fields sent change; `null` clears any of them but the name."""

    JSON_SCHEMA_EXTRA = {"minProperties": 1}

    name = Line(200)
    ppon = _ppon(allow_none=True)
    country = _country(allow_none=True)
    website = _website(allow_none=True)
    address = _address(allow_none=True)
    email = _email(allow_none=True)

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError(
                "Send at least one of name, ppon, country, website, address or email."
            )


class VendorSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    identifier = fields.Nested(IdentifierSchema, allow_none=True)
    ppon = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    address = fields.Nested(AddressSchema, allow_none=True)
    email = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class VendorQuerySchema(ma.Schema):
    q = Text(
        200,
        min_length=1,
        metadata={"description": "Only vendors whose name contains this text (any case)"},
    )
