"""People and their API keys (admin): one identity per person, any number of keys."""

from flask import url_for

from ..auth import READERS, allow
from ..schemas.people import (
    InvitationCreateSchema,
    InvitationSchema,
    KeyCreatedSchema,
    KeyCreateSchema,
    KeySchema,
    PersonCreateSchema,
    PersonSchema,
)
from ..services import keys, people, signin
from . import Blueprint
from .common import LOCATION_HEADER, context, items, links, page
from .idempotency import idempotent

blp = Blueprint("people", __name__, url_prefix="/v1", description="People and their API keys")


@blp.route("/people", methods=["POST"])
@allow()
@idempotent
@blp.arguments(PersonCreateSchema)
@blp.response(201, PersonSchema, headers={"Location": LOCATION_HEADER})
@blp.alt_response(409, response="CONFLICT")
def create_person(payload):
    """Add a person to the organisation (names are unique in it)"""
    person = people.create_person(context(), payload)
    return person, 201, {"Location": url_for("people.get_person", person_id=person.id)}


@blp.route("/people")
@allow(*READERS)
@blp.response(200, PersonSchema(many=True))
@blp.paginate()
def list_people(pagination_parameters):
    """The organisation's people, by name"""
    return items(people.list_people(context(), page(pagination_parameters)), pagination_parameters)


@blp.route("/people/<uuid:person_id>")
@allow(*READERS)
@blp.response(200, PersonSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_person(person_id):
    """One person"""
    return people.get_person(context(), person_id)


@blp.route("/people/<uuid:person_id>/invitation", methods=["POST"])
@allow()
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def invite(payload, person_id):
    """Invite a person with an email address to sign in to the pages with a role; the link
    where they choose their password is in this response only (it replaces any earlier one)"""
    vendor_id = str(payload["vendor_id"]) if payload.get("vendor_id") else None
    person, token = signin.invite(context(), person_id, payload["role"], vendor_id)
    return {"person": person, "link": links().invitation(token)}, 201


@blp.route("/people/<uuid:person_id>/keys", methods=["POST"])
@allow()
@blp.arguments(KeyCreateSchema)
@blp.response(201, KeyCreatedSchema)
@blp.alt_response(404, response="NOT_FOUND")
def give_key(payload, person_id):
    """Give a person a new key; its secret is in this response only

    A person may hold several keys: a new one before the old is revoked keeps their identity.
    """
    key, _ = keys.give_key(context(), person_id, payload)
    return key, 201


@blp.route("/people/<uuid:person_id>/keys")
@allow()
@blp.response(200, KeySchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
@blp.paginate()
def list_keys(person_id, pagination_parameters):
    """A person's keys, oldest first (never their secrets: those are not kept)"""
    found = keys.keys_of(context(), person_id, page(pagination_parameters))
    return items(found, pagination_parameters)


@blp.route("/keys/<uuid:key_id>", methods=["DELETE"])
@allow()
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def revoke_key(key_id):
    """Revoke a key: it stops working at once, in every worker"""
    keys.revoke(context(), key_id)
