"""Signing in for people: an admin's one-time invitation, a password stored as argon2id, a
session cookie that is signed, HttpOnly, SameSite and expires, CSRF on every form, a strict
Content-Security-Policy, failed sign-ins limited per address. Through the pages' own forms
(Flask's test client; the browser journey is in test_pages_browser.py)."""

import re

import pytest
from sqlalchemy import select

from ethics_api.enums import Role
from ethics_api.models import Event, Person, utcnow
from ethics_api.services import people, signin
from ethics_api.services.errors import Conflict, Invalid, NotFound

from conftest import Clock, client_with_key

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def clock():
    """Invitations are made on the application layer and used through pages, which read the
    real time: the two clocks agree."""
    return Clock(utcnow())


def person_invited(
    acting, name="Alice Evaluator", email="alice@police.example", role=Role.ASSESSOR
):
    with acting(Role.ADMIN, "Ada") as context:
        found = people.named(context, name) or people.create_person(
            context, {"name": name, "email": email}
        )
        _, token = signin.invite(context, found.id, role)
    return token


def csrf(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return TOKEN.search(page.get_data(as_text=True))[1]


def browser(app):
    """A test client with no API key: a browser."""
    return client_with_key(app, None)


def accept(client, token: str, password=PASSWORD, confirmation=None):
    path = f"/invitations/{token}"
    return client.post(
        path,
        data={
            "csrf_token": csrf(client, path),
            "password": password,
            "confirmation": confirmation or password,
        },
    )


def sign_in(client, email="alice@police.example", password=PASSWORD, next_path=""):
    path = "/sign-in" + next_path
    return client.post(
        path, data={"csrf_token": csrf(client, path), "email": email, "password": password}
    )


# --- invitations and passwords ------------------------------------------------------------------


def test_an_invitation_sets_a_password_once_and_signs_the_person_in(app, acting):
    token = person_invited(acting)
    client = browser(app)
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Alice Evaluator" in page and "alice@police.example" in page
    response = accept(client, token)
    assert (response.status_code, response.headers["Location"]) == (302, "/my-work")
    assert client.get("/my-work").status_code == 200
    with app.extensions["database"].sessions() as session:
        person = session.scalar(select(Person).where(Person.name == "Alice Evaluator"))
        assert person.password_hash.startswith("$argon2id$")
        assert PASSWORD not in person.password_hash
        assert person.invitation_digest is None
        changes = [e.change for e in session.scalars(select(Event).order_by(Event.seq))]
    assert not any(token in change or PASSWORD in change for change in changes)
    # Used up: the link no longer works.
    assert browser(app).get(f"/invitations/{token}").status_code == 404


def test_a_short_or_mismatched_password_is_refused_with_the_error_summary(app, acting):
    token = person_invited(acting)
    client = browser(app)
    short = accept(client, token, password="too short")
    assert short.status_code == 400
    text = short.get_data(as_text=True)
    assert "There is a problem" in text and "at least 12 characters" in text
    assert 'href="#password"' in text
    mismatched = accept(client, token, confirmation=PASSWORD + "!")
    assert "The two passwords are not the same." in mismatched.get_data(as_text=True)
    assert accept(client, token).status_code == 302  # still valid after the refusals


def test_invitations_need_an_email_and_one_sign_in_per_address(acting):
    with acting(Role.ADMIN, "Ada") as context:
        nameless = people.create_person(context, {"name": "No Email"})
        with pytest.raises(Conflict, match="no email address"):
            signin.invite(context, nameless.id, Role.ASSESSOR)
        with pytest.raises(Invalid):
            signin.invite(context, nameless.id, "superuser")
    person_invited(acting, "Alice Evaluator", "alice@police.example")
    with acting(Role.ADMIN, "Ada") as context:
        twin = people.create_person(
            context, {"name": "Alice Twin", "email": "ALICE@police.example"}
        )
        with pytest.raises(Conflict, match="already signs in"):
            signin.invite(context, twin.id, Role.MODERATOR)


def test_an_expired_invitation_is_refused(app, acting, clock):
    token = person_invited(acting)
    clock.advance(days=8)
    with app.extensions["database"].sessions() as session, pytest.raises(NotFound):
        signin.invited(session, token, clock())


# --- signing in and out -------------------------------------------------------------------------


def test_sign_in_opens_a_signed_httponly_samesite_session_that_expires(app, acting):
    accept(browser(app), person_invited(acting))
    client = browser(app)
    response = sign_in(client, email="  Alice@Police.example ")
    assert (response.status_code, response.headers["Location"]) == (302, "/my-work")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ethics_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    page = client.get("/my-work")
    assert page.status_code == 200
    assert "Alice Evaluator (assessor)" in page.get_data(as_text=True)


def test_a_wrong_password_or_email_says_neither_which_nor_who(app, acting):
    accept(browser(app), person_invited(acting))
    wrong_password = sign_in(browser(app), password="not the password at all")
    wrong_email = sign_in(browser(app), email="mallory@police.example")
    for response in (wrong_password, wrong_email):
        assert response.status_code == 401
        assert "The email address or the password is not right." in response.get_data(as_text=True)
        assert "person_id" not in str(response.headers.get("Set-Cookie", ""))


def test_failed_sign_ins_are_limited_per_address(make_app, acting):
    app = make_app(RATE_LIMIT_FAILED_AUTH="3/minute")
    token = person_invited(acting)
    accept(browser(app), token)
    client = browser(app)
    statuses = [sign_in(client, password=f"wrong password {n}").status_code for n in range(3)]
    assert statuses == [401, 401, 401]
    refused = sign_in(client)  # even the right password waits now
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)


def test_sign_out_ends_the_session_and_needs_the_forms_token(app, acting):
    accept(browser(app), person_invited(acting))
    client = browser(app)
    sign_in(client)
    forged = client.post("/sign-out", data={})
    assert forged.status_code == 400
    assert client.get("/my-work").status_code == 200  # still signed in
    signed_out = client.post("/sign-out", data={"csrf_token": csrf(client, "/my-work")})
    assert signed_out.headers["Location"] == "/sign-in?signed_out=1"
    assert client.get("/my-work").status_code == 302


def test_every_form_refuses_a_post_without_its_token(app, acting):
    token = person_invited(acting)
    client = browser(app)
    no_token = client.post("/sign-in", data={"email": "alice@police.example", "password": "x"})
    assert no_token.status_code == 400
    assert "did not come from this service" in no_token.get_data(as_text=True)
    forged = client.post(
        f"/invitations/{token}", data={"password": PASSWORD, "confirmation": PASSWORD}
    )
    assert forged.status_code == 400
    with app.extensions["database"].sessions() as session:
        person = session.scalar(select(Person).where(Person.name == "Alice Evaluator"))
        assert person.password_hash is None  # nothing changed


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, acting):
    accept(browser(app), person_invited(acting))
    client = browser(app)
    sign_in(client)
    accept(browser(app), person_invited(acting))  # a new invitation, a new password
    assert client.get("/my-work").status_code == 302


def test_pages_send_a_strict_content_security_policy_and_no_inline_script(app):
    response = browser(app).get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    page = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []


def test_signing_in_returns_to_the_page_asked_for_never_to_another_site(app, acting):
    accept(browser(app), person_invited(acting))
    client = browser(app)
    assert client.get("/my-work").headers["Location"] == "/sign-in?next=/my-work"
    assert sign_in(client, next_path="?next=/my-work").headers["Location"] == "/my-work"
    elsewhere = sign_in(browser(app), next_path="?next=//evil.example/")
    assert elsewhere.headers["Location"] == "/my-work"


def test_api_keys_keep_working_and_pages_need_no_key(client, app):
    assert client.get("/v1/vendors").status_code == 200
    assert browser(app).get("/v1/vendors").status_code == 401
    assert browser(app).get("/sign-in").status_code == 200


def test_the_criteria_set_page_is_public(app):
    page = browser(app).get("/criteria/mini/1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Mini test set" in text and "Was a DPIA completed before processing?" in text
    assert browser(app).get("/criteria/mini/9").status_code == 404


def test_an_admin_invites_through_the_api_and_the_link_works(app, client):
    person = client.post(
        "/v1/people", json={"name": "Bea Buyer", "email": "bea@council.example"}
    ).json
    invitation = client.post(f"/v1/people/{person['id']}/invitation", json={"role": "buyer"})
    assert invitation.status_code == 201, invitation.json
    body = invitation.json
    assert (body["name"], body["role"], body["email"]) == (
        "Bea Buyer",
        "buyer",
        "bea@council.example",
    )
    link = body["link"]
    assert link.startswith("http://localhost/invitations/")
    path = link.removeprefix("http://localhost")
    assert accept(browser(app), path.rsplit("/", 1)[1]).headers["Location"] == "/my-work"
    nameless = client.post("/v1/people", json={"name": "No Mail"}).json
    refused = client.post(f"/v1/people/{nameless['id']}/invitation", json={"role": "buyer"})
    assert refused.status_code == 409
    assert "no email address" in refused.json["detail"]
