"""The admin's people page: everyone with their sign-in role and whether they have signed up;
adding a person and inviting them through the same use cases as the API; the invitation link
shown once. Nobody but an admin opens it, and no form works without its CSRF token."""

import re

from evaluation import vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_sign_in import TOKEN, accept, browser, clock, person_invited  # noqa: F401

from ethics_api.enums import Role

LINK = re.compile(r'id="invitation-link" type="text" value="([^"]+)"')


def admin(app, acting):
    client = browser(app)
    accept(client, person_invited(acting, "Ada Admin", "ada@council.example", Role.ADMIN))
    return client


def token_of(client) -> str:
    return TOKEN.search(client.get("/people").get_data(as_text=True))[1]


def add(client, name, email, token=None):
    data = {"person-name": name, "person-email": email}
    if token is not False:
        data["person-csrf_token"] = token or token_of(client)
    return client.post("/people", data=data)


def invite(client, person_id, role, vendor_id="", token=None):
    data = {"invite-person": person_id, "invite-role": role, "invite-vendor": vendor_id}
    if token is not False:
        data["invite-csrf_token"] = token or token_of(client)
    return client.post("/people/invitations", data=data)


def api_person(app, name) -> dict:
    everyone = app.test_client().get("/v1/people").get_json()
    return next(p for p in everyone if p["name"] == name)


def row_of(page: str, name: str) -> str:
    start = page.index(f">{name}</th>")
    return page[start : page.index("</tr>", start)]


def test_the_page_lists_people_with_their_role_and_whether_they_signed_up(app, acting):
    client = admin(app, acting)
    person_invited(acting, "Ivy Invited", "ivy@council.example", Role.BUYER)
    page = client.get("/people").get_data(as_text=True)
    assert "Admin" in row_of(page, "Ada Admin") and "Signed up" in row_of(page, "Ada Admin")
    assert "Buyer" in row_of(page, "Ivy Invited") and ">Invited<" in row_of(page, "Ivy Invited")


def test_an_admin_adds_a_person_and_invites_them_once(app, acting):
    client = admin(app, acting)
    added = add(client, "Rhea Patel", "rhea@council.example")
    person = api_person(app, "Rhea Patel")
    assert person["email"] == "rhea@council.example"
    assert (added.status_code, added.headers["Location"]) == (302, f"/people?added={person['id']}")
    page = client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Rhea Patel is added." in page
    assert "Not invited" in row_of(page, "Rhea Patel")
    assert f'<option value="{person["id"]}" selected>' in page  # chosen for inviting

    invited = invite(client, person["id"], "moderator")
    assert invited.status_code == 201
    text = invited.get_data(as_text=True)
    link = LINK.search(text)[1]
    assert "This link is a secret" in text
    assert "Moderator" in row_of(text, "Rhea Patel")
    # The link works, once: Rhea chooses a password through it and signs in as a moderator.
    token = link.rsplit("/invitations/", 1)[1]
    rhea = browser(app)
    assert accept(rhea, token).status_code == 302
    assert "Rhea Patel (moderator)" in rhea.get("/my-work").get_data(as_text=True)
    assert browser(app).get(f"/invitations/{token}").status_code == 404
    # Never shown again: the page lists her as signed up, with no link.
    again = client.get("/people").get_data(as_text=True)
    assert token not in again and "Signed up" in row_of(again, "Rhea Patel")


def test_a_vendors_person_is_invited_for_one_vendor(app, acting):
    kestrel = vendor(acting, "Kestrel")
    client = admin(app, acting)
    add(client, "Kim", "kim@kestrel.example")
    kim = api_person(app, "Kim")
    no_vendor = invite(client, kim["id"], "vendor")
    assert no_vendor.status_code == 422  # as the API answers
    text = no_vendor.get_data(as_text=True)
    assert 'href="#invite-vendor"' in text and "signs in for exactly one vendor" in text
    invited = invite(client, kim["id"], "vendor", kestrel)
    assert invited.status_code == 201
    assert "Vendor for Kestrel" in row_of(invited.get_data(as_text=True), "Kim")


def test_the_use_cases_refusals_are_shown(app, acting):
    client = admin(app, acting)
    add(client, "Rhea Patel", "rhea@council.example")
    twin = add(client, "Rhea Patel", "other@council.example")
    assert twin.status_code == 409
    assert "A person named &#39;Rhea Patel&#39; exists" in twin.get_data(as_text=True)
    bad_email = add(client, "Sam", "not an email")
    assert bad_email.status_code == 422
    assert 'href="#person-email"' in bad_email.get_data(as_text=True)
    add(client, "Noel", "")
    noel = api_person(app, "Noel")
    refused = invite(client, noel["id"], "buyer")
    assert refused.status_code == 409
    assert "Noel has no email address" in refused.get_data(as_text=True)
    assert [p["name"] for p in app.test_client().get("/v1/people").get_json()].count(
        "Rhea Patel"
    ) == 1


def test_only_an_admin_opens_the_page_and_every_form_needs_its_token(app, acting):
    buyer = browser(app)
    accept(buyer, person_invited(acting, "Bea Buyer", "bea@council.example", Role.BUYER))
    assert buyer.get("/people").status_code == 403
    assert buyer.post("/people", data={"person-name": "X"}).status_code == 403
    assert browser(app).get("/people").status_code == 302  # to sign in
    client = admin(app, acting)
    assert add(client, "Tok Less", "tok@council.example", token=False).status_code == 400
    assert "Tok Less" not in [p["name"] for p in app.test_client().get("/v1/people").get_json()]
    ada = api_person(app, "Ada Admin")
    refused = invite(client, ada["id"], "buyer", token=False)
    assert refused.status_code == 400
    assert "This form had expired" in refused.get_data(as_text=True)
