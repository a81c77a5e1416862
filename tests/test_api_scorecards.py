"""Scorecards through the API: stored records feed the contract's arithmetic exactly."""

import datetime as dt

import pytest

from payloads import MINI_KEYS, answer, answers, assessment, vendor


@pytest.fixture
def vendor_url(client):
    return client.post("/v1/vendors", json=vendor("Acme Analytics")).headers["Location"]


def submit(client, vendor_url, assessor, moderated=False, **levels):
    body = assessment(assessor, answers=answers(**levels), moderated=moderated)
    response = client.post(f"{vendor_url}/assessments", json=body)
    assert response.status_code == 201, response.json
    return response.json


def later(days: int = 0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


def test_two_assessors_combine_by_lower_median(client, vendor_url):
    submit(client, vendor_url, "alice", p1=2, p2=4, p3=None, o1=3, o2=1, t1=4, t2=2)
    submit(client, vendor_url, "bob", p1=4, p2=2, p3=None, o1=1, o2=1, t1=2, t2=0)
    card = client.get(f"{vendor_url}/scorecard").json
    # Lower median of two is the lower level: p1 2, p2 2, o1 1, o2 1, t1 2, t2 0.
    # privacy (1*2 + 3*2) / 16 = 50 (exactly its minimum: no knockout);
    # oversight (1 + 1) / 8 = 25; openness (2*2 + 0) / 12 = 33.33...
    # total = 50/2 + 25/4 + (100/3)/4 = 25 + 6.25 + 8.3333... = 39.5833... -> 39.58, grade D.
    assert card["total"] == 39.58
    assert card["grade"] == "D"
    assert card["eligible"] is True
    assert card["knockouts"] == []
    by_key = {c["key"]: c for c in card["criteria"]}
    assert [by_key[k]["score"] for k in ("privacy", "oversight", "openness")] == [50.0, 25.0, 33.33]
    assert [by_key[k]["effective_weight"] for k in ("privacy", "oversight", "openness")] == [
        50.0,
        25.0,
        25.0,
    ]
    assert [by_key[k]["contribution"] for k in ("privacy", "oversight", "openness")] == [
        25.0,
        6.25,
        8.33,
    ]
    p1 = by_key["privacy"]["indicators"][0]
    assert p1["level"] == 2
    assert p1["assessor_levels"] == [
        {"assessor": "alice", "level": 2},
        {"assessor": "bob", "level": 4},
    ]
    assert card["needs_moderation"] is True
    assert [d["indicator"] for d in card["disagreements"]] == ["p1", "p2", "o1", "t1", "t2"]
    assert card["assessors"] == ["alice", "bob"]
    assert card["confidence"] == {"score": 0.0, "band": "low", "stale_evidence": []}
    assert card["criteria_set"]["ref"] == "mini@1"
    assert card["vendor"]["name"] == "Acme Analytics"


def test_a_moderated_assessment_settles_every_indicator(client, vendor_url):
    alices = submit(client, vendor_url, "alice", p1=0)
    moderated = submit(client, vendor_url, "moderator", moderated=True, p1=4, p2=4, o1=4, o2=4)
    bobs = submit(client, vendor_url, "bob", p1=1)  # later, but not moderated
    card = client.get(f"{vendor_url}/scorecard").json
    # The moderator's levels for every indicator: privacy (4 + 12 + 2) / 20 = 90; oversight
    # 100; openness (4 + 2) / 12 = 50. total = 45 + 25 + 12.5 = 82.5 -> A.
    assert card["total"] == 82.5
    assert card["grade"] == "A"
    assert card["moderated"] is True
    assert [m["id"] for m in card["moderations"]] == [moderated["id"]]
    # The assessors' work stays on the scorecard; their p1 split (0 and 1) across its red line
    # is a disagreement, settled by the moderation.
    assert sorted(a["id"] for a in card["assessments"]) == sorted([alices["id"], bobs["id"]])
    [p1] = [d for d in card["disagreements"] if d["indicator"] == "p1"]
    assert p1["splits_red_line"] is True
    assert (p1["settled"]["level"], p1["settled"]["moderator"]) == (4, "moderator")
    assert card["needs_moderation"] is False


def test_both_knockouts_and_the_plan_that_clears_them(client, vendor_url):
    submit(client, vendor_url, "alice", p1=0, p2=1, o1=4, o2=4, t1=4, t2=4)
    card = client.get(f"{vendor_url}/scorecard").json
    # privacy (0 + 3 + 2) / 20 = 25 < 50; total = 12.5 + 25 + 25 = 62.5 -> B, but ineligible.
    assert card["total"] == 62.5
    assert card["grade"] == "B"
    assert card["eligible"] is False
    assert card["knockouts"] == [
        {
            "kind": "indicator",
            "key": "p1",
            "name": "Was a DPIA completed before processing?",
            "value": 0.0,
            "threshold": 1.0,
            "assessors": ["alice"],
            "message": "Indicator p1 (\u201cWas a DPIA completed before processing?\u201d) is at "
            "level 0, below the red line of 1.",
        },
        {
            "kind": "criterion_minimum",
            "key": "privacy",
            "name": "Privacy",
            "value": 25.0,
            "threshold": 50.0,
            "assessors": ["alice"],
            "message": "Criterion privacy (\u201cPrivacy\u201d) scored 25.00 of 100, below its "
            "minimum of 50.00.",
        },
    ]
    plan = [
        (s["indicator"], s["from_level"], s["to_level"], s["gain"])
        for s in card["improvement_plan"]
    ]
    # p1 0->1 (gain 100 * 1/2 * 1/5 / 4 = 2.5) gives privacy 30; then p2, the heaviest,
    # 1->2 (7.5 each) gives 45, 2->3 gives 60 >= 50. Then p3 2->3 (2.5).
    assert plan == [("p1", 0, 1, 2.5), ("p2", 1, 2, 7.5), ("p2", 2, 3, 7.5), ("p3", 2, 3, 2.5)]
    assert [s["clears_knockout"] for s in card["improvement_plan"]] == [True, True, True, False]


def test_as_of_selects_what_was_current(client, vendor_url):
    submit(client, vendor_url, "alice")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    response = client.get(f"{vendor_url}/scorecard", query_string={"as_of": past})
    assert response.status_code == 404
    assert "submitted after" in response.json["detail"]
    # The mini set keeps assessments current for 30 days.
    assert (
        client.get(f"{vendor_url}/scorecard", query_string={"as_of": later(29)}).status_code == 200
    )
    expired = client.get(f"{vendor_url}/scorecard", query_string={"as_of": later(31)})
    assert expired.status_code == 404
    assert "expired" in expired.json["detail"]


@pytest.mark.parametrize(
    "as_of",
    [
        "2027-W01-1T00:00:00Z",  # an ISO 8601 week date, not RFC 3339
        "20270101T000000Z",  # ISO 8601's basic format
        "2027-01-01T00:00:00.1234567Z",  # nanoseconds would be cut silently
        "2027-01-01T00:00:00",  # no offset: which day is it?
        "2027-01-01T00:00:00 01:00",  # an unencoded + arrives as a space
        "2027-02-30T00:00:00Z",
    ],
)
def test_as_of_must_be_rfc_3339(client, vendor_url, as_of):
    submit(client, vendor_url, "alice")
    response = client.get(f"{vendor_url}/scorecard", query_string={"as_of": as_of})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json["errors"]] == ["/as_of"]
    assert "RFC 3339" in response.json["errors"][0]["messages"][0]


def test_as_of_in_lower_case_is_rfc_3339_too(client, vendor_url):
    submit(client, vendor_url, "alice")
    as_of = later(1)
    upper = client.get(f"{vendor_url}/scorecard", query_string={"as_of": as_of})
    lower = client.get(f"{vendor_url}/scorecard", query_string={"as_of": as_of.lower()})
    assert upper.status_code == lower.status_code == 200
    assert lower.json["as_of"] == upper.json["as_of"]


def test_no_assessment_is_a_404_that_says_why(client, vendor_url):
    response = client.get(f"{vendor_url}/scorecard")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"] == "No scorecard: The vendor has no assessment against mini@1."


def test_stale_evidence_does_not_count_and_is_listed(client, vendor_url):
    sent = answers(p2=4)
    sent[1] = {
        **sent[1],
        "evidence": [
            {
                "title": "Old audit",
                "kind": "independently_verified",
                "url": "https://a.example",
                "valid_until": "2020-01-01",
            },
            {"title": "Policy", "kind": "documented", "url": "https://b.example"},
        ],
    }
    client.post(f"{vendor_url}/assessments", json=assessment(answers=sent))
    card = client.get(f"{vendor_url}/scorecard").json
    # Only p2 has current evidence (documented, 0.7): privacy 0.7 * 3/5 = 0.42, times E 1/2.
    assert card["confidence"]["score"] == 21.0
    assert card["confidence"]["band"] == "low"
    assert [
        (s["indicator"], s["title"], s["reason"]) for s in card["confidence"]["stale_evidence"]
    ] == [("p2", "Old audit", "expired")]


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"criteria_set": "nope@1"}, "/criteria_set"),
        ({"criteria_set": "nope"}, "/criteria_set"),
        ({"as_of": "2026-01-01T00:00:00"}, "/as_of"),
        ({"as_of": "yesterday"}, "/as_of"),
        ({"procurement_id": "x"}, "/procurement_id"),
    ],
)
def test_bad_scorecard_queries_are_422(client, vendor_url, query, pointer):
    submit(client, vendor_url, "alice")
    response = client.get(f"{vendor_url}/scorecard", query_string=query)
    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.json["errors"]]


def test_scorecard_uses_only_its_own_criteria_version(make_app, tmp_path):
    """Two versions of a set side by side: each scorecard counts its own assessments only."""
    import shutil

    from conftest import TEST_CRITERIA

    shutil.copy(TEST_CRITERIA / "mini-1.yaml", tmp_path / "mini-1.yaml")
    text = (TEST_CRITERIA / "mini-1.yaml").read_text().replace("version: 1", "version: 2")
    (tmp_path / "mini-2.yaml").write_text(text.replace("weight: 2\n", "weight: 3\n", 1))
    client = make_app(CRITERIA_DIR=tmp_path).test_client()
    url = client.post("/v1/vendors", json=vendor()).headers["Location"]
    client.post(f"{url}/assessments", json=assessment(criteria_set="mini@1", answers=answers(p1=4)))
    client.post(
        f"{url}/assessments",
        json=assessment(answers=[answer(k, 4) for k in MINI_KEYS]),
    )
    # No criteria_set: the latest version (mini@2) is the default.
    assert client.get(f"{url}/scorecard").json["total"] == 100.0
    assert (
        client.get(f"{url}/scorecard?criteria_set=mini@2").json["criteria_set"]["ref"] == "mini@2"
    )
    # mini@1 with p1 4, others 2: privacy (4 + 6 + 2) / 20 = 60; total 30 + 12.5 + 12.5 = 55.
    assert client.get(f"{url}/scorecard?criteria_set=mini@1").json["total"] == 55.0
