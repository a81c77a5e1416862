"""The assessment form through Flask's test client: every indicator that applies with its levels
and what is at stake; drafts saved and resumed; CSRF; errors placed on their fields with the
draft kept; and a submitted form scored exactly as the same answers sent to the API. The mini
set (tests/criteria/mini-1.yaml); the browser journey is in test_pages_browser_evaluator.py."""

import re
import uuid

from evaluation import assess, declare, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_sign_in import TOKEN, accept, browser, clock, person_invited  # noqa: F401

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.services import drafts

from conftest import client_with_key, make_key
from payloads import MINI_KEYS, answers

ALICE = ("Alice Evaluator", "alice@police.example")


def evaluating(acting):
    """Kestrel, Osprey and Heron bidding in a procurement that is evaluating; Alice and Bob
    declared. Bob has assessed Kestrel already (his rationale must never show on Alice's
    form)."""
    kestrel, osprey, heron = (vendor(acting, name) for name in ("Kestrel", "Osprey", "Heron"))
    procurement = tender(acting, kestrel, osprey, heron)
    token = person_invited(acting, *ALICE)
    declare(acting, procurement, ALICE[0])
    declare(acting, procurement, "Bob")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    bobs = [{**a, "rationale": "Bob's secret reasoning."} for a in answers(p2=4)]
    assess(acting, kestrel, "Bob", procurement, answers=bobs)
    return procurement, kestrel, osprey, heron, token


def signed_in_as_alice(app, token):
    client = browser(app)
    accept(client, token)
    return client


def form_path(procurement, vendor_id) -> str:
    return f"/procurements/{procurement.id}/bidders/{vendor_id}/assessment"


def token_of(client, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True))[1]


def filled(levels: dict, **extra) -> dict:
    """Form fields giving these levels ("na" for not applicable), as a browser posts them."""
    return {**{f"{key}-level": str(level) for key, level in levels.items()}, **extra}


def post(client, path, fields: dict, action: str):
    return client.post(
        path, data={"csrf_token": token_of(client, path), "action": action, **fields}
    )


def alices_draft(acting, procurement, vendor_id):
    with acting(Role.ASSESSOR, ALICE[0]) as context:
        return drafts.open_draft(context, vendor_id, {"procurement_id": procurement.id}).draft


ALL_AT_TWO = {key: 2 for key in MINI_KEYS}


def test_the_form_asks_every_indicator_with_its_levels_and_what_is_at_stake(app, acting):
    procurement, kestrel, _, _, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    response = client.get(form_path(procurement, kestrel))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Assess Kestrel" in page
    for key in MINI_KEYS:
        for level in range(5):
            radio = f"{key}-level" if level == 0 else f"{key}-level-{level}"
            assert f'id="{radio}" name="{key}-level" type="radio" value="{level}"' in page
    # Not applicable only where the indicator allows it: p3, o2, t1, t2 of the mini set.
    offered = set(re.findall(r'id="(\w+)-level-na"', page))
    assert offered == {"p3", "o2", "t1", "t2"}
    assert "Red line: level 0 disqualifies the bidder." in page  # p1, a knockout
    assert "a bidder scoring below 50 on Privacy is disqualified" in page
    assert "0 of 7 indicators answered" in page
    # Blind: nothing of Bob's assessment, and no score.
    assert "Bob" not in page and "secret reasoning" not in page
    assert "Grade" not in page and "total" not in page.lower()


def test_a_draft_is_saved_and_resumed_on_the_form(app, acting):
    procurement, kestrel, _, _, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    path = form_path(procurement, kestrel)
    fields = filled(
        {"p1": 3, "t1": "na"},
        **{
            "p1-rationale": "The DPIA was signed off in March.",
            "t1-rationale": "No ATRS record is needed for this tool.",
            "p2-evidence-0-title": "Collection policy",
            "p2-evidence-0-kind": "documented",
            "p2-evidence-0-url": "https://docs.example/policy.pdf",
            "p2-evidence-1-title": "",
        },
    )
    saved = post(client, path, fields, "save")
    assert (saved.status_code, saved.headers["Location"]) == (303, f"{path}?saved=1")
    page = client.get(f"{path}?saved=1").get_data(as_text=True)
    assert "Draft saved at" in page
    assert 'id="p1-level-3" name="p1-level" type="radio" value="3" checked' in page
    assert 'id="t1-level-na" name="t1-level" type="radio" value="na" checked' in page
    assert "The DPIA was signed off in March." in page
    assert 'value="https://docs.example/policy.pdf"' in page
    assert 'id="p2-evidence-1-title"' in page  # a blank row for more evidence
    assert "2 of 7 indicators answered" in page
    # Stored as an assessment's answers, the blank evidence row left out.
    assert alices_draft(acting, procurement, kestrel).answers == [
        {"indicator": "p1", "level": 3, "rationale": "The DPIA was signed off in March."},
        {
            "indicator": "p2",
            "evidence": [
                {
                    "title": "Collection policy",
                    "kind": "documented",
                    "url": "https://docs.example/policy.pdf",
                }
            ],
        },
        {
            "indicator": "t1",
            "not_applicable": True,
            "rationale": "No ATRS record is needed for this tool.",
        },
    ]
    # Later, without the banner: the draft says when it was saved.
    assert "Your draft was last saved at" in client.get(path).get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_saved(app, acting):
    procurement, kestrel, _, _, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    path = form_path(procurement, kestrel)
    refused = client.post(path, data={"action": "save", **filled({"p1": 3})})
    assert refused.status_code == 400
    assert "did not come from this service" in refused.get_data(as_text=True)
    assert alices_draft(acting, procurement, kestrel) is None


def test_a_refused_submission_shows_each_error_on_its_field_and_keeps_the_draft(app, acting):
    procurement, kestrel, _, _, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    path = form_path(procurement, kestrel)
    levels = {key: 2 for key in MINI_KEYS if key != "o2"}
    fields = filled(
        levels,
        **{"p2-evidence-0-title": "Policy", "p2-evidence-0-url": "docs.example/policy.pdf"},
    )
    refused = post(client, path, fields, "submit")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "There is a problem" in page
    start = page.index('class="govuk-error-summary"')
    summary = page[start : page.index("</ul>", start)]
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary))
    assert links == {
        "p2-evidence-0-kind": "p2: Choose the kind of evidence.",
        "p2-evidence-0-url": "p2: Must be an http(s):// URL (with a port from 1 to 65535).",
    }
    # Each error on its field too.
    assert 'id="p2-evidence-0-kind-error"' in page and 'id="p2-evidence-0-url-error"' in page
    # The draft holds what was typed, the unfinished address included.
    kept = alices_draft(acting, procurement, kestrel)
    assert [a["indicator"] for a in kept.answers] == [k for k in MINI_KEYS if k != "o2"]
    assert kept.answers[1]["evidence"] == [{"title": "Policy", "url": "docs.example/policy.pdf"}]
    # The shape right, what is left unanswered is named on its indicator.
    fields.update({"p2-evidence-0-kind": "documented", "p2-evidence-0-url": "https://d.example"})
    refused = post(client, path, fields, "submit")
    assert refused.status_code == 422
    assert (
        '<a href="#o2-level">o2: Choose a level from 0 to 4, or not applicable.</a>'
        in refused.get_data(as_text=True)
    )


def test_bad_values_are_refused_in_words_never_with_a_server_error(app, acting):
    procurement, kestrel, _, _, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    path = form_path(procurement, kestrel)
    for fields in (
        filled({"p1": 7}),
        filled({"p1": "na"}),  # p1 allows no N/A
        {"p2-evidence-0-title": "Policy", "p2-evidence-0-kind": "rumour"},
    ):
        response = post(client, path, fields, "save")
        assert response.status_code == 422, fields
        assert "There is a problem" in response.get_data(as_text=True)
    assert alices_draft(acting, procurement, kestrel) is None


def test_the_form_opens_only_for_someone_who_may_assess_here(app, acting):
    procurement, kestrel, _, _, _ = evaluating(acting)
    undeclared = person_invited(acting, "Carol Evaluator", "carol@police.example")
    client = browser(app)
    accept(client, undeclared)
    response = client.get(form_path(procurement, kestrel))
    assert response.status_code == 409
    assert "has not declared their interests" in response.get_data(as_text=True)
    buyer = browser(app)
    accept(buyer, person_invited(acting, "Dana Buyer", "dana@council.example", Role.BUYER))
    assert buyer.get(form_path(procurement, kestrel)).status_code == 403
    missing = form_path(procurement, uuid.uuid4())
    assert signed_in_as_alice(app, person_invited(acting, *ALICE)).get(missing).status_code == 404


def test_a_submitted_form_scores_as_the_same_answers_through_the_api(app, acting):
    procurement, _, osprey, heron, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    levels = {"p1": 3, "p2": 1, "p3": "na", "o1": 4, "o2": 2, "t1": 0, "t2": 3}
    evidence = {
        "p2-evidence-0-title": "Collection policy",
        "p2-evidence-0-kind": "independently_verified",
        "p2-evidence-0-url": "https://docs.example/policy.pdf",
        # Asked as GOV.UK asks a date: day, month and year.
        "p2-evidence-0-effective_date-day": "1",
        "p2-evidence-0-effective_date-month": "1",
        "p2-evidence-0-effective_date-year": "2026",
        "p3-rationale": "No special-category data is processed.",
    }
    submitted = post(client, form_path(procurement, osprey), filled(levels, **evidence), "submit")
    assert (submitted.status_code, submitted.headers["Location"]) == (303, "/my-work")
    work = client.get("/my-work").get_data(as_text=True)
    assert "Your assessment of Osprey is submitted." in work
    assert 'govuk-notification-banner--success" role="alert"' in work
    assert alices_draft(acting, procurement, osprey) is None
    # The same answers for Heron, through the API with Alice's own key.
    body = {
        "procurement_id": procurement.id,
        "answers": [
            {"indicator": "p1", "level": 3},
            {
                "indicator": "p2",
                "level": 1,
                "evidence": [
                    {
                        "title": "Collection policy",
                        "kind": "independently_verified",
                        "url": "https://docs.example/policy.pdf",
                        "effective_date": "2026-01-01",
                    }
                ],
            },
            {
                "indicator": "p3",
                "not_applicable": True,
                "rationale": "No special-category data is processed.",
            },
            {"indicator": "o1", "level": 4},
            {"indicator": "o2", "level": 2},
            {"indicator": "t1", "level": 0},
            {"indicator": "t2", "level": 3},
        ],
    }
    api = client_with_key(app, make_key(app, "assessor", ALICE[0]))
    assert api.post(f"/v1/vendors/{heron}/assessments", json=body).status_code == 201
    [from_form] = api.get(f"/v1/vendors/{osprey}/assessments").get_json()
    assert (from_form["assessor"], from_form["answers"]) == (ALICE[0], body["answers"])
    buyer = client_with_key(app, make_key(app, "buyer", "Bea"))
    form_card, api_card = (
        buyer.get(f"/v1/vendors/{v}/scorecard?procurement_id={procurement.id}").get_json()
        for v in (osprey, heron)
    )
    numbers = ("total", "grade", "eligible", "knockouts", "criteria", "confidence", "assessors")
    assert {k: form_card[k] for k in numbers} == {k: api_card[k] for k in numbers}
    assert form_card["assessors"] == [ALICE[0]]


def date_fields(prefix: str, day: str, month: str, year: str) -> dict:
    return {f"{prefix}-day": day, f"{prefix}-month": month, f"{prefix}-year": year}


def shown_date(page: str, prefix: str) -> tuple[str, str, str]:
    """What the form's day, month and year inputs of a date hold."""
    found = []
    for name in ("day", "month", "year"):
        found.append(re.search(rf'name="{prefix}-{name}"[^>]*value="([^"]*)"', page)[1])
    return found[0], found[1], found[2]


def test_evidence_dates_are_asked_and_shown_as_day_month_and_year(app, acting):
    procurement, kestrel, _, _, token = evaluating(acting)
    client = signed_in_as_alice(app, token)
    path = form_path(procurement, kestrel)
    start, until = "p2-evidence-0-effective_date", "p2-evidence-0-valid_until"
    page = client.get(path).get_data(as_text=True)
    # GOV.UK's date input: a group of three labelled inputs, the day's carrying the date's id.
    assert (
        f'<input class="govuk-input govuk-date-input__input govuk-input--width-2" id="{start}"'
        in page
    )
    assert f'name="{start}-year"' in page and f'id="{start}-year"' in page
    evidence = {
        "p2-evidence-0-title": "Policy",
        "p2-evidence-0-kind": "documented",
        "p2-evidence-0-url": "https://docs.example/policy.pdf",
        **date_fields(start, "5", "1", "2026"),
        **date_fields(until, "31", "12", "2027"),
    }
    saved = post(client, path, filled({"p2": 2}, **evidence), "save")
    assert saved.status_code == 303
    [item] = alices_draft(acting, procurement, kestrel).answers[0]["evidence"]
    assert (item["effective_date"], item["valid_until"]) == ("2026-01-05", "2027-12-31")
    page = client.get(path).get_data(as_text=True)
    assert shown_date(page, start) == ("5", "1", "2026")
    assert shown_date(page, until) == ("31", "12", "2027")
    # A date that is not one is refused at its field in words, and shows back as typed.
    evidence.update(date_fields(until, "31", "2", "2027"))
    refused = post(client, path, filled(ALL_AT_TWO, **evidence), "submit")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    said = "p2: Enter a real date as day, month and year, for example 5 1 2026."
    assert f'<a href="#{until}">{said}</a>' in page
    assert f'id="{until}-error"' in page
    assert shown_date(page, until) == ("31", "2", "2027")
    # Counting until before counting from: said in the same words.
    evidence.update(date_fields(until, "4", "1", "2026"))
    refused = post(client, path, filled(ALL_AT_TWO, **evidence), "submit")
    assert refused.status_code == 422
    assert (
        "p2: The date the evidence counts until must be the same as or after the date it "
        "counts from." in refused.get_data(as_text=True)
    )
