"""The vendor pages: the organisation's vendors a page at a time, and a vendor's scorecard with
the API's numbers, its knockouts in words, its evidence with how fresh it is, and the API's
access rules (a vendor reads only its own; a blind evaluator only after assessing). Figures
from the mini set (tests/criteria/mini-1.yaml), worked out in the comments."""

import datetime as dt
import re
import uuid
from html import unescape

from evaluation import assess, declare, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_sign_in import accept, browser, clock, person_invited  # noqa: F401

from ethics_api.criteria import load_sets
from ethics_api.documents.knockouts import knockout_sentence
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.services import vendors

from conftest import TESTS
from payloads import MINI_KEYS, answer, answers


def signed_in(app, acting, role=Role.BUYER, name="Dana Buyer", vendor_id=None):
    """A browser signed in as a new person with `role`."""
    email = f"{re.sub(r'[^a-z]', '', name.lower())}@council.example"
    if vendor_id is None:
        token = person_invited(acting, name, email, role)
    else:
        token = _vendor_invited(acting, name, email, vendor_id)
    client = browser(app)
    assert accept(client, token).status_code == 302
    return client


def _vendor_invited(acting, name, email, vendor_id):
    from ethics_api.services import people, signin

    with acting(Role.ADMIN, "Ada") as context:
        person = people.create_person(context, {"name": name, "email": email})
        _, token = signin.invite(context, person.id, Role.VENDOR, vendor_id)
    return token


def text_of(response) -> str:
    """The page's words, tags removed and spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(unescape(words).split())


def two(value: float) -> str:
    """A number as the API wrote it, to two places as the page shows it."""
    return f"{value:.2f}"


# --- the list -----------------------------------------------------------------------------------


def test_the_vendor_list_links_every_vendor_a_page_at_a_time(app, acting):
    with acting(Role.BUYER, "Bea") as context:
        ids = [vendors.create_vendor(context, {"name": f"Vendor {n:02d}"}).id for n in range(21)]
    client = signed_in(app, acting)
    first = client.get("/vendors")
    assert first.status_code == 200
    linked = re.findall(r'href="/vendors/([0-9a-f-]{36})"', first.get_data(as_text=True))
    assert linked == ids[:20]  # by name: Vendor 00 to Vendor 19
    assert "Showing 1 to 20 of 21 vendors" in text_of(first)
    second = client.get("/vendors?page=2")
    assert re.findall(r'href="/vendors/([0-9a-f-]{36})"', second.get_data(as_text=True)) == [
        ids[20]
    ]
    assert 'rel="prev"' in second.get_data(as_text=True)
    for bad in ("0", "two", "-1"):
        refused = client.get(f"/vendors?page={bad}")
        assert refused.status_code == 400
        assert "The page must be a whole number from 1." in text_of(refused)


def test_the_list_needs_a_signed_in_person(app):
    response = browser(app).get("/vendors")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- the scorecard: the API's numbers ------------------------------------------------------------


def test_the_scorecard_shows_the_apis_numbers(app, acting, client):
    kestrel = vendor(acting, "Kestrel")
    assess(acting, kestrel, "Alice", answers=answers(p1=2, p2=4, p3=None, o1=3, t1=4, t2=2))
    assess(acting, kestrel, "Bob", answers=answers(p1=4, p2=2, p3=None, o1=1, t1=2, t2=0))
    api = client.get(f"/v1/vendors/{kestrel}/scorecard").json
    page = signed_in(app, acting).get(f"/vendors/{kestrel}")
    assert page.status_code == 200
    html, words = page.get_data(as_text=True), text_of(page)

    assert re.search(r'id="total">([\d.]+) out of 100', html)[1] == two(api["total"])
    assert re.search(r'id="grade">(\w+)<', html)[1] == api["grade"]
    assert re.search(r'id="confidence">([\d.]+) out of 100', html)[1] == two(
        api["confidence"]["score"]
    )
    # The criteria table: each criterion's share, score and points, as the API gives them.
    table = re.search(
        r'<table class="govuk-table app-table--numbers" id="criteria">(.*?)</table>', html, re.S
    )[1]
    for criterion in api["criteria"]:
        row = re.search(rf">{criterion['name']}</th>(.*?)</tr>", table, re.S)[1]
        cells = re.findall(r">([^<]*)</td>", row)
        assert cells[1:4] == [
            f"{criterion['effective_weight']:g}%",
            two(criterion["score"]),
            two(criterion["contribution"]),
        ]
    # The chart draws the same points after each bar.
    svg = re.search(r"<svg.*?</svg>", html, re.S)[0]
    assert [two(c["contribution"]) for c in api["criteria"]] == re.findall(
        r'font-weight="bold" fill="#0b0c0c">([\d.]+)', svg
    )
    # The plan's gains, in points of the total.
    plan = re.search(r'id="plan">(.*?)</table>', html, re.S)[1]
    gains = re.findall(r'govuk-table__cell--numeric">([\d.]+)<', plan)
    assert gains == [two(step["gain"]) for step in api["improvement_plan"]]
    assert "Gain (points of the total)" in words
    # The level's words for an indicator: p2 combined at the lower median of 4 and 2.
    assert "Is collection limited to the purpose? (p2)" in words
    assert "2 of 4: “documented”" in words


def test_every_knockout_is_said_in_words(app, acting, client):
    heron = vendor(acting, "Heron")
    assess(acting, heron, "Alice", answers=answers(p1=0))
    api = client.get(f"/v1/vendors/{heron}/scorecard").json
    assert [k["kind"] for k in api["knockouts"]] == ["indicator", "criterion_minimum"]
    words = text_of(signed_in(app, acting).get(f"/vendors/{heron}"))
    assert "Not eligible: 2 knockouts, whatever the total." in words
    # p1 is a red line: its level 0 is under level 1.
    assert (
        "Red line crossed: “Was a DPIA completed before processing?” (p1) is at level 0 of 4, "
        "“none”; the red line is level 1." in words
    )
    # Privacy: 100 x (1x0 + 3x2 + 1x2) / (4 x 5) = 40, under its minimum of 50.
    assert (
        "Criterion minimum not met: Privacy scored 40.00 out of 100, under its minimum of 50."
        in words
    )
    assert "Levels given by Alice." in words


def test_an_eligible_vendor_says_so(app, acting):
    # Every level 2: privacy 100 x (2 + 6 + 2) / 20 = 50, exactly its minimum; no red line.
    wren = vendor(acting, "Wren")
    assess(acting, wren, "Alice")
    words = text_of(signed_in(app, acting).get(f"/vendors/{wren}"))
    assert "Eligible: no red line is crossed and every minimum is met." in words
    assert "Not eligible" not in words


def test_gates_and_tier_minimums_are_named_by_their_words():
    [policing] = [s for s in load_sets([TESTS.parent / "criteria"]) if s.ref == "uk-policing@1"]
    gate = policing.gates[0]
    sentence = knockout_sentence(policing, "gate", gate.key, 0, 1)
    assert sentence.startswith(f"Gate failed: “{gate.question}” ({gate.key}).")
    tiered = next(i for i in policing.indicators if i.minimum_level_by_tier)
    tier, line = next(iter(tiered.minimum_level_by_tier.items()))
    said = knockout_sentence(policing, "indicator_minimum", tiered.key, line - 1, line, tier)
    assert said == (
        f"Indicator minimum not met: “{tiered.question}” ({tiered.key}) is at level {line - 1} "
        f"of 4, “{tiered.levels[line - 1]}”; the minimum in the {tier} impact tier is level "
        f"{line}."
    )


# --- evidence ----------------------------------------------------------------------------------


def test_evidence_shows_its_kind_and_whether_it_is_still_current(app, acting):
    osprey = vendor(acting, "Osprey")
    today = dt.date.today()
    expired = (today - dt.timedelta(days=3)).isoformat()
    current = (today + dt.timedelta(days=200)).isoformat()
    given = [
        answer(key, 3)
        if key != "o1"
        else answer(
            "o1",
            3,
            evidence=[
                {
                    "title": "Stop button test",
                    "kind": "independently_verified",
                    "valid_until": current,
                },
                {"title": "Old audit", "kind": "documented", "valid_until": expired},
            ],
        )
        for key in MINI_KEYS
    ]
    assess(acting, osprey, "Alice", answers=given)
    words = text_of(signed_in(app, acting).get(f"/vendors/{osprey}"))
    valid = dt.date.fromisoformat(current)
    gone = dt.date.fromisoformat(expired)
    assert (
        f"Stop button test Independently verified; Current, valid until "
        f"{valid.day} {valid:%B %Y}; given by Alice" in words
    )
    assert f"Old audit Documented; Expired on {gone.day} {gone:%B %Y}: it does not count" in words
    # Confidence lists the expired item too.
    assert "Evidence that does not count on" in words


# --- access -------------------------------------------------------------------------------------


def test_a_vendor_opens_its_own_scorecard_only(app, acting, client):
    own, other = vendor(acting, "Kite"), vendor(acting, "Merlin")
    assess(acting, own, "Alice")
    assess(acting, other, "Alice")
    browser_of_kite = signed_in(app, acting, Role.VENDOR, "Kim Kite", vendor_id=own)
    mine = browser_of_kite.get(f"/vendors/{own}")
    assert mine.status_code == 200
    # Evaluators appear under pseudonyms, as the API gives them to a vendor.
    assert "Evaluator 1: 2" in text_of(mine) and "Alice" not in text_of(mine)
    theirs = browser_of_kite.get(f"/vendors/{other}")
    assert theirs.status_code == 404
    assert "Merlin" not in text_of(theirs)
    listed = browser_of_kite.get("/vendors").get_data(as_text=True)
    assert re.findall(r'href="/vendors/([0-9a-f-]{36})"', listed) == [own]


def test_a_vendor_reads_a_procurements_scorecard_only_once_it_closes(app, acting):
    kite = vendor(acting, "Kite")
    procurement = tender(acting, kite, min_evaluators=1)
    declare(acting, procurement, "Alice")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kite, "Alice", procurement)
    page = signed_in(app, acting, Role.VENDOR, "Kim Kite", vendor_id=kite).get(
        f"/vendors/{kite}?procurement_id={procurement.id}"
    )
    assert page.status_code == 409
    assert "its results reach the bidders when it closes" in text_of(page)


def test_a_blind_evaluator_reads_the_scorecard_only_after_assessing(app, acting):
    bob = signed_in(app, acting, Role.ASSESSOR, "Bob")  # the person first: with an email
    kestrel = vendor(acting, "Kestrel")
    procurement = tender(acting, kestrel)
    declare(acting, procurement, "Alice")
    declare(acting, procurement, "Bob")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Alice", procurement, answers=answers(p2=3))
    path = f"/vendors/{kestrel}?procurement_id={procurement.id}"
    before = bob.get(path)
    assert before.status_code == 403
    assert "Blind evaluation: submit your own assessment" in text_of(before)
    assert "Alice" not in text_of(before)
    assess(acting, kestrel, "Bob", procurement, answers=answers(p2=1))
    after = bob.get(path)
    assert after.status_code == 200
    assert "Alice: 3, Bob: 1" in text_of(after)


def test_bad_queries_are_refused_in_words_never_a_crash(app, acting):
    kestrel = vendor(acting, "Kestrel")
    assess(acting, kestrel, "Alice")
    client = signed_in(app, acting)
    not_an_id = client.get(f"/vendors/{kestrel}?procurement_id=nonsense")
    assert not_an_id.status_code == 422
    assert "The procurement_id is not a procurement's id." in text_of(not_an_id)
    unknown = client.get(f"/vendors/{kestrel}?procurement_id={uuid.uuid4()}")
    assert unknown.status_code == 422 and "No procurement has the id" in text_of(unknown)
    assert client.get(f"/vendors/{kestrel}?criteria_set=nope").status_code == 422
    assert client.get(f"/vendors/{kestrel}?criteria_set=nope@3").status_code == 422
    assert client.get(f"/vendors/{uuid.uuid4()}").status_code == 404
    nothing = vendor(acting, "Unassessed")
    none_yet = client.get(f"/vendors/{nothing}")
    assert none_yet.status_code == 404
    assert "The vendor has no assessment against mini@1." in text_of(none_yet)
