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


class RoleSchema(StrictSchema):
    """A role, and for the vendor role the vendor it acts for: a key's, or a person's when
    signed in."""

    role = fields.String(
        required=True,
        validate=validate.OneOf([role.value for role in Role]),
        metadata={"description": "What its holder may do (README: roles)"},
    )
    vendor_id = fields.UUID(
        metadata={"description": "The vendor it speaks for: required for the vendor role"}
    )


class KeyCreateSchema(RoleSchema):
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


class InvitationCreateSchema(RoleSchema):
    """The role the person signs in with."""


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
