"""Assessments: what is accepted, stored exactly, and everything refused (contract section 2)."""

import json

import pytest

from payloads import answer, answers, assessment, vendor


@pytest.fixture
def vendor_url(client):
    return client.post("/v1/vendors", json=vendor()).headers["Location"]


def stored_count(client, vendor_url) -> int:
    return json.loads(client.get(f"{vendor_url}/assessments").headers["X-Pagination"])["total"]


def test_submit_stores_exactly_what_was_sent_and_scores_it(client, vendor_url):
    evidence = {
        "title": "DPIA v3",
        "kind": "documented",
        "url": "https://docs.example/dpia.pdf",
        "sha256": "a" * 64,
        "effective_date": "2026-01-01",
        "valid_until": "2027-01-01",
    }
    sent = answers(p1=4, p3=None, o2=0)
    sent[0] = {**sent[0], "rationale": "Full DPIA seen.", "evidence": [evidence]}
    body = {"assessor": "alice", "summary": "First look.", "answers": sent}
    response = client.post(f"{vendor_url}/assessments", json=body)
    assert response.status_code == 201, response.json
    created = response.json
    assert created["answers"] == sent
    assert created["criteria_set"] == "mini@1"
    assert len(created["criteria_sha256"]) == 64
    assert created["moderated"] is False
    # Own score: privacy (1*4 + 3*2) / (4*4) = 62.5; oversight (2 + 0) / 8 = 25;
    # openness (2*2 + 1*2) / 12 = 50. Total 62.5/2 + 25/4 + 50/4 = 50.
    assert created["score"] == {"total": 50.0, "grade": "C", "eligible": True, "knockouts": []}
    read_back = client.get(response.headers["Location"]).json
    assert read_back == created


@pytest.mark.parametrize(
    "level", [2.0, "2", 2.5, True, False, None, 5, -1, 2.589e-42, [2], {"value": 2}]
)
def test_levels_that_are_not_integers_0_to_4_are_refused_never_coerced(client, vendor_url, level):
    sent = answers()
    sent[1] = {"indicator": "p2", "level": level}
    response = client.post(f"{vendor_url}/assessments", json=assessment(answers=sent))
    assert response.status_code == 422
    assert "/answers/1/level" in [e["pointer"] for e in response.json["errors"]]
    assert stored_count(client, vendor_url) == 0


@pytest.mark.parametrize(
    ("change", "pointers"),
    [
        (lambda a: [*a, answer("zz", 2)], ["/answers/7/indicator"]),
        (lambda a: [*a, answer("p2", 3)], ["/answers/7/indicator"]),
        (lambda a: a[:-1], ["/answers"]),
        (lambda a: a[:-2], ["/answers", "/answers"]),
        (lambda a: [answer("p1", None), *a[1:]], ["/answers/0/not_applicable"]),
        (lambda a: [{"indicator": "p1"}, *a[1:]], ["/answers/0"]),
        (
            lambda a: [{"indicator": "p1", "level": 1, "not_applicable": True}, *a[1:]],
            ["/answers/0"],
        ),
        (
            lambda a: [*a[:2], {"indicator": "p3", "not_applicable": True}, *a[3:]],
            ["/answers/2/rationale"],
        ),
        (
            lambda a: [
                *a[:2],
                {"indicator": "p3", "not_applicable": True, "rationale": " "},
                *a[3:],
            ],
            ["/answers/2/rationale"],
        ),
        (
            lambda a: [
                *a[:2],
                {"indicator": "p3", "not_applicable": "true", "rationale": "x"},
                *a[3:],
            ],
            ["/answers/2/not_applicable"],
        ),
        (lambda a: [{**a[0], "colour": "red"}, *a[1:]], ["/answers/0/colour"]),
        (lambda a: [], ["/answers"] * 7),
        (lambda a: "p1=2", ["/answers"]),
    ],
    ids=[
        "unknown-key",
        "duplicate-key",
        "missing-key",
        "two-missing",
        "na-not-allowed",
        "no-level",
        "level-and-na",
        "na-without-rationale",
        "na-blank-rationale",
        "na-as-text",
        "unknown-answer-field",
        "no-answers",
        "answers-not-a-list",
    ],
)
def test_each_offending_answer_gets_an_error_and_nothing_is_stored(
    client, vendor_url, change, pointers
):
    response = client.post(f"{vendor_url}/assessments", json=assessment(answers=change(answers())))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert sorted(e["pointer"] for e in response.json["errors"]) == sorted(pointers)
    assert stored_count(client, vendor_url) == 0


def test_missing_indicators_are_named(client, vendor_url):
    response = client.post(f"{vendor_url}/assessments", json=assessment(answers=answers()[:-2]))
    messages = [m for e in response.json["errors"] for m in e["messages"]]
    assert messages == ["Indicator 't1' is not answered.", "Indicator 't2' is not answered."]


@pytest.mark.parametrize(
    ("evidence", "pointer"),
    [
        ({"title": "x", "kind": "documented"}, "/answers/0/evidence/0"),
        (
            {"title": "x", "kind": "hearsay", "url": "https://e.example"},
            "/answers/0/evidence/0/kind",
        ),
        ({"title": "x", "kind": "documented", "sha256": "ABC"}, "/answers/0/evidence/0/sha256"),
        (
            {"title": "", "kind": "documented", "url": "https://e.example"},
            "/answers/0/evidence/0/title",
        ),
        (
            {"title": "   ", "kind": "documented", "url": "https://e.example"},
            "/answers/0/evidence/0/title",
        ),
        (
            {"title": "x", "kind": "documented", "url": "https://e.example:99999/report"},
            "/answers/0/evidence/0/url",
        ),
        (
            {
                "title": "x",
                "kind": "documented",
                "url": "https://e.example",
                "valid_until": "2026-13-01",
            },
            "/answers/0/evidence/0/valid_until",
        ),
        (
            {
                "title": "x",
                "kind": "documented",
                "url": "https://e.example",
                "valid_until": "20260105",  # ISO 8601's basic form: it would be stored so
            },
            "/answers/0/evidence/0/valid_until",
        ),
        (
            {
                "title": "x",
                "kind": "documented",
                "url": "https://e.example",
                "effective_date": "2026-02-01",
                "valid_until": "2026-01-01",
            },
            "/answers/0/evidence/0/valid_until",
        ),
    ],
    ids=[
        "no-url-or-hash",
        "bad-kind",
        "bad-hash",
        "empty-title",
        "blank-title",
        "port-out-of-range",
        "bad-date",
        "basic-date",
        "ends-before-start",
    ],
)
def test_invalid_evidence_is_refused(client, vendor_url, evidence, pointer):
    sent = answers()
    sent[0] = {**sent[0], "evidence": [evidence]}
    response = client.post(f"{vendor_url}/assessments", json=assessment(answers=sent))
    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.json["errors"]]
    assert stored_count(client, vendor_url) == 0


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"assessor": ""}, "/assessor"),
        # Names group assessors: padding would make "alice " a second assessor.
        ({"assessor": "   "}, "/assessor"),
        ({"assessor": "alice "}, "/assessor"),
        ({"assessor": "\u200balice"}, "/assessor"),
        ({"summary": "  "}, "/summary"),
        ({"assessor": None}, "/assessor"),
        ({"moderated": "true"}, "/moderated"),
        ({"moderated": 1}, "/moderated"),
        ({"criteria_set": "mini"}, "/criteria_set"),
        ({"criteria_set": "mini@2"}, "/criteria_set"),
        ({"criteria_set": "ai-ethics@1"}, "/criteria_set"),
        ({"procurement_id": "00000000-0000-4000-8000-000000000000"}, "/procurement_id"),
        ({"extra": 1}, "/extra"),
    ],
)
def test_invalid_assessment_fields_are_refused(client, vendor_url, fields, pointer):
    response = client.post(f"{vendor_url}/assessments", json=assessment(**fields))
    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.json["errors"]]
    assert stored_count(client, vendor_url) == 0


def test_assessment_without_assessor_is_refused(client, vendor_url):
    body = assessment()
    del body["assessor"]
    response = client.post(f"{vendor_url}/assessments", json=body)
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json["errors"]] == ["/assessor"]


def test_all_not_applicable_is_refused(make_app):
    from conftest import TESTS

    app = make_app(CRITERIA_DIR=TESTS / "criteria-optional")
    client = app.test_client()
    url = client.post("/v1/vendors", json=vendor()).headers["Location"]
    na = [answer("x1", None), answer("x2", None)]
    response = client.post(f"{url}/assessments", json={"assessor": "a", "answers": na})
    assert response.status_code == 422
    assert response.json["errors"][0]["messages"] == [
        "Every indicator is N/A: there is nothing to score."
    ]
    one_level = [answer("x1", None), answer("x2", 3)]
    response = client.post(f"{url}/assessments", json={"assessor": "a", "answers": one_level})
    assert response.status_code == 201
    # x2 alone: 3/4 of the criterion -> 75.
    assert response.json["score"]["total"] == 75.0


def test_assessment_for_unknown_vendor_is_404(client):
    response = client.post(
        "/v1/vendors/00000000-0000-4000-8000-000000000000/assessments", json=assessment()
    )
    assert response.status_code == 404


def test_list_is_newest_first_and_paginated(client, vendor_url):
    ids = [
        client.post(f"{vendor_url}/assessments", json=assessment(f"assessor-{n}")).json["id"]
        for n in range(3)
    ]
    listed = client.get(f"{vendor_url}/assessments").json
    assert [a["id"] for a in listed] == ids[::-1]
    page = client.get(f"{vendor_url}/assessments?page=2&page_size=2")
    assert [a["id"] for a in page.json] == [ids[0]]


def test_records_the_criteria_fingerprint_on_first_use(app, client, vendor_url):
    from ethics_api.models import CriteriaVersion

    client.post(f"{vendor_url}/assessments", json=assessment())
    client.post(f"{vendor_url}/assessments", json=assessment("bob"))
    with app.extensions["database"].sessions() as session:
        rows = session.query(CriteriaVersion).all()
    assert [(r.key, r.version, r.sha256) for r in rows] == [
        ("mini", 1, app.extensions["catalog"].get("mini@1").sha256)
    ]
