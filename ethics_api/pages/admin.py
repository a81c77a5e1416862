"""Administration: inviting people to sign in.

The organisation's people with their sign-in role and whether they have chosen a password; a
form to add a person and one to invite a person with a role (and, for the vendor role, the
vendor they act for). The invitation link is shown once, on the page that answers the form:
only its digest is kept.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from .. import per_request
from ..documents.links import Links
from ..enums import Role
from ..errors import STATUS_OF
from ..schemas.people import PersonCreateSchema
from ..services import people, signin, vendors
from ..services.errors import DomainError, Invalid
from ..services.pages import Page
from .blueprint import blp
from .session import signed_in

# Everyone on one page: an organisation has tens of people, not thousands.
EVERYONE = Page(0, 1000)
ROLE_CHOICES = [
    SelectChoice("", "Choose a role"),
    *(SelectChoice(str(role), str(role).capitalize()) for role in Role),
]


class PersonForm(FlaskForm):
    """A new person: their values are then loaded by the API's own schema, so the page
    accepts exactly what POST /v1/people accepts."""

    name = StringField("Full name", validators=[DataRequired("Enter the person's name.")])
    email = EmailField("Email address", validators=[Optional()])

    def loaded(self) -> dict | None:
        """The values as the API loads them; None, with the errors on the fields, otherwise."""
        sent = {"name": self.name.data}
        if self.email.data:
            sent["email"] = self.email.data.strip()
        try:
            return PersonCreateSchema().load(sent)
        except ValidationError as exc:
            for name, messages in exc.normalized_messages().items():
                field = getattr(self, name, None)
                if field is not None:
                    field.errors = [*field.errors, *_as_sentences(name, messages)]
            return None


class InvitationForm(FlaskForm):
    person = SelectField("Person", validators=[DataRequired("Choose the person to invite.")])
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        validators=[DataRequired("Choose the role they sign in with.")],
    )
    # Whether a vendor goes with the role is the use case's rule (as for the API).
    vendor = SelectField("Vendor (for the vendor role only)")


def invitation_form(context, posted: bool = False) -> InvitationForm:
    """The invitation form (holding what was posted, if it was), its choices the
    organisation's people and vendors."""
    form = (
        InvitationForm(prefix="invite")
        if posted
        else InvitationForm(prefix="invite", formdata=None)
    )
    everyone = people.list_people(context, EVERYONE).items
    form.person.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(p.id, f"{p.name} ({p.email})" if p.email else p.name) for p in everyone
    ]
    form.vendor.choices = [SelectChoice("", "No vendor")] + [
        SelectChoice(v.id, v.name) for v in vendors.list_vendors(context, EVERYONE).items
    ]
    return form


def render(context, person_form=None, invite_form=None, problem=None, invited=None, status=200):
    everyone = people.list_people(context, EVERYONE).items
    posted = next((f for f in (person_form, invite_form) if f is not None and f.errors), None)
    page = render_template(
        "pages/people.html",
        everyone=everyone,
        vendor_names={v.id: v.name for v in vendors.list_vendors(context, EVERYONE).items},
        person_form=person_form or PersonForm(prefix="person", formdata=None),
        invite_form=invite_form or invitation_form(context),
        failed=posted,
        problem=problem,
        invited=invited,
    )
    return page, status


@blp.route("/people", endpoint="invitations")
@signed_in(Role.ADMIN)
def people_page():
    """Everyone, and the forms; after adding someone, the invitation form has them chosen."""
    context = per_request.context()
    invite_form = invitation_form(context)
    added = request.args.get("added")
    if added in {choice.value for choice in invite_form.person.choices}:
        invite_form.person.data = added
    return render(context, invite_form=invite_form)


@blp.route("/people", methods=["POST"], endpoint="invitations_add_person")
@signed_in(Role.ADMIN)
def add_person():
    context = per_request.context()
    form = PersonForm(prefix="person")
    if not form.validate_on_submit():
        return render(context, person_form=form, status=400)
    data = form.loaded()
    if data is None:
        return render(context, person_form=form, status=422)
    try:
        person = people.create_person(context, data)
    except DomainError as exc:
        return render(
            context, person_form=_with(form, exc), problem=exc.message, status=STATUS_OF[type(exc)]
        )
    flash(f"{person.name} is added. Invite them to sign in below.")
    return redirect(url_for("pages.invitations", added=person.id))


@blp.route("/people/invitations", methods=["POST"], endpoint="invitations_invite")
@signed_in(Role.ADMIN)
def invite_person():
    context = per_request.context()
    form = invitation_form(context, posted=True)
    if not form.validate_on_submit():
        return render(context, invite_form=form, status=400)
    try:
        person, token = signin.invite(
            context, form.person.data, form.role.data, form.vendor.data or None
        )
    except DomainError as exc:
        return render(
            context, invite_form=_with(form, exc), problem=exc.message, status=STATUS_OF[type(exc)]
        )
    link = Links(current_app.config.get("PUBLIC_URL") or request.url_root).invitation(token)
    return render(context, invited=(person, link), status=201)


def _with(form, exc: DomainError):
    """The form with the use case's refusal beside the field it concerns (Invalid names it)."""
    if isinstance(exc, Invalid):
        for error in exc.errors:
            field = getattr(form, error.pointer.strip("/").removesuffix("_id"), None)
            if field is not None:
                field.errors = [*field.errors, *error.messages]
    return form


def _as_sentences(name: str, messages) -> list[str]:
    """The schema's messages for a field, as the page says them (the schema's own words for an
    email address are written for API clients)."""
    if name == "email":
        return ["Enter an email address of at most 320 characters, like name@example.gov.uk."]
    return [str(m) for m in (messages if isinstance(messages, list) else [messages])]
