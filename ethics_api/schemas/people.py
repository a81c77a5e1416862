"""People and their API keys."""

import marshmallow as ma
from marshmallow import fields, validate

from ..enums import Role
from ..fields import Instant, Line
from .common import StrictSchema


class PersonCreateSchema(StrictSchema):
    name = Line(200, required=True, metadata={"description": "Unique in the organisation"})
    email = fields.Email(
        validate=validate.Length(max=320), metadata={"description": "Where to reach the person"}
    )


class PersonSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class KeyCreateSchema(StrictSchema):
    role = fields.String(
        required=True,
        validate=validate.OneOf([role.value for role in Role]),
        metadata={"description": "What the key may do (README: roles)"},
    )
    vendor_id = fields.UUID(
        metadata={"description": "The vendor a vendor key speaks for: required for vendor keys"}
    )
    expires_at = Instant(metadata={"description": "When the key stops working; never if absent"})


class KeySchema(ma.Schema):
    id = fields.String()
    prefix = fields.String(metadata={"description": "The key's visible part, in logs and lists"})
    person_id = fields.String()
    role = fields.String()
    vendor_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class InvitationCreateSchema(StrictSchema):
    role = fields.String(
        required=True,
        validate=validate.OneOf([role.value for role in Role]),
        metadata={"description": "The role the person signs in with (README: roles)"},
    )
    vendor_id = fields.UUID(
        metadata={"description": "For the vendor role: the vendor the person acts for"}
    )


class InvitationSchema(ma.Schema):
    person_id = fields.String(attribute="person.id")
    name = fields.String(attribute="person.name")
    email = fields.String(attribute="person.email")
    role = fields.String(attribute="person.sign_in_role")
    expires_at = fields.AwareDateTime(attribute="person.invitation_expires_at")
    link = fields.String(
        metadata={
            "description": "Where the person chooses a password: in this response only; "
            "send it to them"
        }
    )


class KeyCreatedSchema(KeySchema):
    secret = fields.String(
        metadata={"description": "The key itself: shown in this response only; keep it"}
    )
