"""Procurements: lifecycle, bidders, scoped assessments, ranking, sensitivity, exports, summaries.

Every expected figure is worked out by hand in a comment from tests/criteria/mini-1.yaml:

    privacy   W 2, minimum 50: p1 w1 (knockout), p2 w3, p3 w1 (N/A allowed)
    oversight W 1:             o1 w1, o2 w1 (N/A allowed)
    openness  W 1, minimum 25: t1 w2, t2 w1 (both N/A allowed)

With every indicator answered:
    S_privacy   = 100 * (p1 + 3 p2 + p3) / (4 * 5)  = 5 * (p1 + 3 p2 + p3)
    S_oversight = 100 * (o1 + o2) / (4 * 2)         = 12.5 * (o1 + o2)
    S_openness  = 100 * (2 t1 + t2) / (4 * 3)       = (25/3) * (2 t1 + t2)
and T = sum(W_c * S_c) / sum(W_c). Grades: A >= 80, B >= 60, C >= 40, D otherwise.
"""

import csv
import datetime as dt
import io
import json
import uuid

import pytest
from spying import statements

from ethics_api import scoring
from ethics_api.documents.markdown import readable_time

from browser import rendered_dom
from payloads import MINI_KEYS, answers, vendor
from responses import assert_problem

PROCUREMENTS = "/v1/procurements"
OVERRIDE = {"privacy": 1, "oversight": 1, "openness": 2}  # renormalised: 25%, 25%, 50%


# --- helpers -------------------------------------------------------------------------------------


def pointers(response) -> list[str]:
    return sorted(e["pointer"] for e in response.json.get("errors", []))


def total_listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return json.loads(response.headers["X-Pagination"])["total"]


def make_vendor(client, name: str) -> str:
    response = client.post("/v1/vendors", json=vendor(name))
    assert response.status_code == 201, response.json
    return response.json["id"]


def procurement_body(ocid: str = "ocds-213czf-2026-0042", **fields) -> dict:
    return {
        "ocid": ocid,
        "title": "Video analytics for city centre safety",
        "buyer": {"name": "Example City Council", "identifier": {"scheme": "GB-LAE", "id": "ECC"}},
        **fields,
    }


def create_procurement(client, ocid: str = "ocds-213czf-2026-0042", **fields) -> dict:
    """A procurement in draft. One evaluator suffices here unless said otherwise: the rules of
    closing (test_fair_evaluation.py) are not what these tests are about."""
    fields.setdefault("min_evaluators", 1)
    response = client.post(PROCUREMENTS, json=procurement_body(ocid, **fields))
    assert response.status_code == 201, response.json
    return response.json


def url_of(procurement: dict) -> str:
    return f"{PROCUREMENTS}/{procurement['id']}"


def etag(client, url: str) -> str:
    return client.get(url).headers["ETag"]


def patch(client, url: str, if_match: str | None, **changes):
    headers = {} if if_match is None else {"If-Match": if_match}
    return client.patch(url, json=changes, headers=headers)


def move(client, procurement: dict, status: str) -> dict:
    url = url_of(procurement)
    response = patch(client, url, etag(client, url), status=status)
    assert response.status_code == 200, response.json
    return response.json


def add_bidder(client, procurement: dict, vendor_id: str):
    return client.post(f"{url_of(procurement)}/bidders", json={"vendor_id": vendor_id})


def add_bidders(client, procurement: dict, *vendor_ids: str) -> None:
    for vendor_id in vendor_ids:
        response = add_bidder(client, procurement, vendor_id)
        assert response.status_code == 201, response.json


def levels(n: int, **overrides) -> dict:
    """Every mini indicator at level n, except those given."""
    return {**dict.fromkeys(MINI_KEYS, n), **overrides}


def assessment_body(assessor: str, procurement: dict | None, level_map: dict, **fields) -> dict:
    body = {"assessor": assessor, "answers": answers(**level_map), **fields}
    if procurement is not None:
        body["procurement_id"] = procurement["id"]
    return body


DECLARED: set[tuple[str, str]] = set()


def declared(client, procurement: dict, person: str) -> None:
    """The person's declaration of no conflict in the procurement (an admin's client), made
    once: tests that submit many assessments stay within the rate limit."""
    if (procurement["id"], person) in DECLARED:
        return
    response = client.post(
        f"{url_of(procurement)}/declarations", json={"conflict": False, "person": person}
    )
    assert response.status_code == 201, response.json
    DECLARED.add((procurement["id"], person))


def submit(client, vendor_id: str, level_map: dict, procurement=None, assessor="alice", **fields):
    if procurement is not None:
        declared(client, procurement, assessor)  # evaluators declare before assessing
    body = assessment_body(assessor, procurement, level_map, **fields)
    return client.post(f"/v1/vendors/{vendor_id}/assessments", json=body)


def assess(client, vendor_id: str, level_map: dict, procurement=None, assessor="alice", **fields):
    response = submit(client, vendor_id, level_map, procurement, assessor, **fields)
    assert response.status_code == 201, response.json
    return response.json


def ranking(client, procurement: dict) -> dict:
    response = client.get(f"{url_of(procurement)}/ranking")
    assert response.status_code == 200, response.json
    return response.json


def rows_by_name(ranked: dict) -> dict:
    return {row["vendor_name"]: row for row in ranked["ranking"]}


def assert_unchanged(client, url: str, before) -> None:
    """The resource and its ETag are exactly what `before` (a GET response) showed."""
    after = client.get(url)
    assert after.json == before.json
    assert after.headers["ETag"] == before.headers["ETag"]


# --- 1. create -----------------------------------------------------------------------------------


def test_create_is_a_draft_with_location_and_etag(client):
    response = client.post(PROCUREMENTS, json=procurement_body())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "draft"
    assert body["ocid"] == "ocds-213czf-2026-0042"
    assert body["criteria_set"] == "mini@1"  # the default set of the test criteria
    assert body["weights"] is None
    assert body["reuse_standalone"] is False
    assert body["closed_at"] is None
    assert body["buyer"] == {
        "name": "Example City Council",
        "identifier": {"scheme": "GB-LAE", "id": "ECC"},
    }
    assert response.headers["Location"] == f"{PROCUREMENTS}/{body['id']}"
    assert response.headers["ETag"]
    read = client.get(response.headers["Location"])
    assert read.json == body
    assert read.headers["ETag"] == response.headers["ETag"]
    assert [p["id"] for p in client.get(PROCUREMENTS).json] == [body["id"]]


@pytest.mark.parametrize("ocid", ["abc", "ocds-12-x", "ocds-213czf-", "ocds-213czf-2026 0042", ""])
def test_ocid_that_is_not_an_ocds_id_is_422_and_stores_nothing(client, ocid):
    response = client.post(PROCUREMENTS, json=procurement_body(ocid))
    assert_problem(response, 422)
    assert pointers(response) == ["/ocid"]
    assert total_listed(client, PROCUREMENTS) == 0


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"title": "   "}, "/title"),
        ({"title": "Padded "}, "/title"),
        ({"buyer": {"name": "  "}}, "/buyer/name"),
        ({"buyer": {"name": "\u200b"}}, "/buyer/name"),
    ],
)
def test_blank_or_padded_names_are_422_and_store_nothing(client, changes, pointer):
    response = client.post(PROCUREMENTS, json={**procurement_body(), **changes})
    assert_problem(response, 422)
    assert pointers(response) == [pointer]
    assert total_listed(client, PROCUREMENTS) == 0


def test_duplicate_ocid_is_a_conflict_and_stores_nothing(client):
    first = create_procurement(client)
    response = client.post(PROCUREMENTS, json=procurement_body(title="Another tender"))
    body = assert_problem(response, 409)
    assert "ocds-213czf-2026-0042" in body["detail"]
    assert [p["id"] for p in client.get(PROCUREMENTS).json] == [first["id"]]
    assert client.get(url_of(first)).json["title"] == first["title"]


@pytest.mark.parametrize(
    "weights",
    [
        {"privacy": 1, "oversight": 1, "openness": 2},
        {"privacy": 0.5, "oversight": 2.25, "openness": 7},
        {"privacy": 0.001, "oversight": 1000, "openness": 1},  # the range's two ends
    ],
)
def test_a_full_weight_profile_is_accepted_as_sent(client, weights):
    created = create_procurement(client, weights=weights)
    assert created["weights"] == weights
    assert client.get(url_of(created)).json["weights"] == weights


@pytest.mark.parametrize(
    ("weights", "offending"),
    [
        ({"privacy": 2, "oversight": 1}, ["openness"]),  # missing criterion
        ({"privacy": 2, "oversight": 1, "openness": 1, "bias": 1}, ["bias"]),  # unknown one
        ({"privacy": 0, "oversight": 1, "openness": 1}, ["privacy"]),
        ({"privacy": 2, "oversight": -1, "openness": 1}, ["oversight"]),
        ({"privacy": 2, "oversight": 1, "openness": "2"}, ["openness"]),
        ({"privacy": True, "oversight": 1, "openness": 1}, ["privacy"]),
        # Out of range: a weight of 1e308 makes every other one vanish, 1e-300 likewise.
        ({"privacy": 1e308, "oversight": 1, "openness": 1}, ["privacy"]),
        ({"privacy": 2, "oversight": 1e-300, "openness": 1}, ["oversight"]),
        ({"privacy": 2, "oversight": 1, "openness": 1001}, ["openness"]),
        ({"privacy": 2, "oversight": 0.0009, "openness": 1}, ["oversight"]),
        ({"privacy": 10**400, "oversight": 1, "openness": 1}, ["privacy"]),
        # Several at once: one entry per offending criterion.
        ({"privacy": 0, "oversight": "1", "bias": 2}, ["bias", "openness", "oversight", "privacy"]),
        ({}, ["openness", "oversight", "privacy"]),
    ],
)
def test_bad_weights_are_422_per_criterion_and_store_nothing(client, weights, offending):
    response = client.post(PROCUREMENTS, json=procurement_body(weights=weights))
    assert_problem(response, 422)
    assert pointers(response) == sorted(f"/weights/{key}" for key in offending)
    assert all(e["messages"] for e in response.json["errors"])
    assert total_listed(client, PROCUREMENTS) == 0


# --- 2. lifecycle --------------------------------------------------------------------------------


def test_lifecycle_moves_forward_one_step_at_a_time(client):
    created = create_procurement(client)
    url = url_of(created)

    # Skipping a step: draft -> closed.
    before = client.get(url)
    body = assert_problem(patch(client, url, before.headers["ETag"], status="closed"), 409)
    assert "draft" in body["detail"]
    assert_unchanged(client, url, before)

    moved = patch(client, url, before.headers["ETag"], status="evaluating")
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "evaluating"
    assert moved.json["closed_at"] is None
    assert moved.headers["ETag"] != before.headers["ETag"]
    assert client.get(url).headers["ETag"] == moved.headers["ETag"]

    # Standing still (evaluating -> evaluating); backwards to draft has its own test below.
    before = client.get(url)
    body = assert_problem(patch(client, url, before.headers["ETag"], status="evaluating"), 409)
    assert "evaluating" in body["detail"]
    assert_unchanged(client, url, before)

    closed = patch(client, url, client.get(url).headers["ETag"], status="closed")
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed"
    assert closed.json["closed_at"] is not None

    # Nothing moves a closed procurement, forwards, backwards or in place.
    for status in ("evaluating", "closed"):
        before = client.get(url)
        body = assert_problem(patch(client, url, before.headers["ETag"], status=status), 409)
        assert "closed" in body["detail"]
        assert_unchanged(client, url, before)


def test_moving_back_to_draft_is_a_409_that_says_why(client):
    """Backwards is a conflict with the procurement's state (409), like skipping a step, not
    a malformed request: "draft" is one of the statuses the resource shows."""
    created = create_procurement(client)
    url = url_of(created)
    move(client, created, "evaluating")
    before = client.get(url)
    body = assert_problem(patch(client, url, before.headers["ETag"], status="draft"), 409)
    assert "evaluating" in body["detail"]
    assert_unchanged(client, url, before)


def test_weights_change_in_draft_only(client):
    created = create_procurement(client, weights=OVERRIDE)
    url = url_of(created)

    changed = patch(
        client, url, etag(client, url), weights={"privacy": 3, "oversight": 1, "openness": 1}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["weights"] == {"privacy": 3, "oversight": 1, "openness": 1}

    # Refused weights in draft: 422 per criterion, nothing changes.
    before = client.get(url)
    refused = patch(client, url, before.headers["ETag"], weights={"privacy": 0, "oversight": 1})
    assert_problem(refused, 422)
    assert pointers(refused) == ["/weights/openness", "/weights/privacy"]
    assert_unchanged(client, url, before)

    # null goes back to the set's own weights.
    reset = patch(client, url, etag(client, url), weights=None)
    assert reset.status_code == 200, reset.json
    assert reset.json["weights"] is None

    move(client, created, "evaluating")
    before = client.get(url)
    body = assert_problem(patch(client, url, before.headers["ETag"], weights=OVERRIDE), 409)
    assert "evaluating" in body["detail"]
    assert_unchanged(client, url, before)


def test_title_changes_until_closed(client):
    created = create_procurement(client)
    url = url_of(created)
    response = patch(client, url, etag(client, url), title="Draft title")
    assert response.status_code == 200, response.json
    assert response.json["title"] == "Draft title"

    move(client, created, "evaluating")
    response = patch(client, url, etag(client, url), title="Evaluating title")
    assert response.status_code == 200, response.json
    assert response.json["title"] == "Evaluating title"

    move(client, created, "closed")
    before = client.get(url)
    body = assert_problem(patch(client, url, before.headers["ETag"], title="Too late"), 409)
    assert "closed" in body["detail"]
    assert_unchanged(client, url, before)
    assert before.json["title"] == "Evaluating title"


def test_patch_needs_a_current_if_match(client):
    created = create_procurement(client)
    url = url_of(created)
    first_etag = etag(client, url)

    before = client.get(url)
    assert_problem(patch(client, url, None, title="No precondition"), 428)
    assert_problem(patch(client, url, None, status="evaluating"), 428)
    assert_unchanged(client, url, before)

    assert patch(client, url, first_etag, title="Renamed").status_code == 200
    before = client.get(url)
    assert_problem(patch(client, url, first_etag, title="Stale"), 412)
    assert_problem(patch(client, url, first_etag, status="evaluating"), 412)
    assert_unchanged(client, url, before)
    assert before.json["title"] == "Renamed"
    assert before.json["status"] == "draft"


# --- 3. bidders ----------------------------------------------------------------------------------


def test_bidders_are_added_until_closed(client):
    created = create_procurement(client)
    url = url_of(created)
    first, second, third = (make_vendor(client, n) for n in ("Acme", "Brio", "Corvid"))

    response = add_bidder(client, created, first)
    assert response.status_code == 201, response.json
    assert response.json["vendor_id"] == first
    assert response.json["vendor_name"] == "Acme"

    body = assert_problem(add_bidder(client, created, first), 409)
    assert "already" in body["detail"]

    unknown = str(uuid.uuid4())
    refused = add_bidder(client, created, unknown)
    assert_problem(refused, 422)
    assert pointers(refused) == ["/vendor_id"]

    assert_problem(
        client.post(f"{PROCUREMENTS}/{uuid.uuid4()}/bidders", json={"vendor_id": first}), 404
    )

    move(client, created, "evaluating")
    assert add_bidder(client, created, second).status_code == 201

    for bidder in (first, second):  # every bidder assessed: closing needs it
        assess(client, bidder, levels(2 + (bidder == second)), created)
    move(client, created, "closed")
    body = assert_problem(add_bidder(client, created, third), 409)
    assert "closed" in body["detail"]

    listed = client.get(f"{url}/bidders")
    assert listed.status_code == 200
    assert [(b["vendor_id"], b["vendor_name"]) for b in listed.json] == [
        (first, "Acme"),
        (second, "Brio"),
    ]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 2
    assert_problem(client.get(f"{PROCUREMENTS}/{uuid.uuid4()}/bidders"), 404)


# --- 4. assessments within a procurement ---------------------------------------------------------


def test_procurement_assessments_need_an_evaluating_procurement_and_a_bidder(client):
    created = create_procurement(client)
    bidder = make_vendor(client, "Bidder")
    outsider = make_vendor(client, "Outsider")
    add_bidders(client, created, bidder)

    body = assert_problem(submit(client, bidder, levels(2), created), 409)
    assert "draft" in body["detail"]

    move(client, created, "evaluating")
    body = assert_problem(submit(client, outsider, levels(2), created), 409)
    assert "not a bidder" in body["detail"]

    accepted = assess(client, bidder, levels(2), created)
    assert accepted["procurement_id"] == created["id"]
    assert accepted["criteria_set"] == "mini@1"

    move(client, created, "closed")
    body = assert_problem(submit(client, bidder, levels(3), created), 409)
    assert "closed" in body["detail"]

    assert total_listed(client, f"/v1/vendors/{bidder}/assessments") == 1
    assert total_listed(client, f"/v1/vendors/{outsider}/assessments") == 0


@pytest.fixture
def two_versions(make_app, tmp_path):
    """A client of an app with mini@1 and mini@2 loaded (mini@2, the latest, is the default),
    and a procurement on mini@1, evaluating, with one bidder."""
    from conftest import TEST_CRITERIA

    text = (TEST_CRITERIA / "mini-1.yaml").read_text()
    (tmp_path / "mini-1.yaml").write_text(text)
    (tmp_path / "mini-2.yaml").write_text(text.replace("version: 1", "version: 2"))
    client = make_app(CRITERIA_DIR=tmp_path).test_client()
    created = create_procurement(client, criteria_set="mini@1")
    assert created["criteria_set"] == "mini@1"
    bidder = make_vendor(client, "Bidder")
    add_bidders(client, created, bidder)
    move(client, created, "evaluating")
    return client, created, bidder


def test_procurement_assessment_must_use_the_procurement_criteria_set(two_versions):
    client, created, bidder = two_versions
    refused = submit(client, bidder, levels(2), created, criteria_set="mini@2")
    assert_problem(refused, 422)
    assert pointers(refused) == ["/criteria_set"]
    assert total_listed(client, f"/v1/vendors/{bidder}/assessments") == 0

    # No criteria_set: the procurement's, not the default (mini@2, the latest version).
    assert assess(client, bidder, levels(2), created)["criteria_set"] == "mini@1"
    assert assess(client, bidder, levels(2), created, criteria_set="mini@1")
    card = client.get(
        f"/v1/vendors/{bidder}/scorecard", query_string={"procurement_id": created["id"]}
    )
    assert card.status_code == 200, card.json
    assert card.json["criteria_set"]["ref"] == "mini@1"


def test_procurement_scorecard_on_another_set_is_422_with_a_pointer(two_versions):
    client, created, bidder = two_versions
    assess(client, bidder, levels(2), created)
    response = client.get(
        f"/v1/vendors/{bidder}/scorecard",
        query_string={"procurement_id": created["id"], "criteria_set": "mini@2"},
    )
    assert_problem(response, 422)
    # A validation failure names the offending field, as every 422 does.
    assert pointers(response) == ["/criteria_set"]


def test_unknown_procurement_id_is_422(client):
    bidder = make_vendor(client, "Bidder")
    refused = client.post(
        f"/v1/vendors/{bidder}/assessments",
        json=assessment_body("alice", {"id": str(uuid.uuid4())}, levels(2)),
    )
    assert_problem(refused, 422)
    assert pointers(refused) == ["/procurement_id"]
    assert total_listed(client, f"/v1/vendors/{bidder}/assessments") == 0
    assess(client, bidder, levels(2))
    card = client.get(
        f"/v1/vendors/{bidder}/scorecard", query_string={"procurement_id": str(uuid.uuid4())}
    )
    assert_problem(card, 422)
    assert pointers(card) == ["/procurement_id"]


def test_assessments_count_only_in_their_own_procurement(client):
    vendor_id = make_vendor(client, "Vega Vision")
    weighted = create_procurement(client, "ocds-213czf-weighted", weights=OVERRIDE)
    plain = create_procurement(client, "ocds-213czf-plain")
    reusing = create_procurement(client, "ocds-213czf-reusing", reuse_standalone=True)
    for procurement in (weighted, plain, reusing):
        add_bidders(client, procurement, vendor_id)
        move(client, procurement, "evaluating")

    def card(procurement=None):
        query = {} if procurement is None else {"procurement_id": procurement["id"]}
        return client.get(f"/v1/vendors/{vendor_id}/scorecard", query_string=query)

    # In `weighted`: privacy 2s -> 50, oversight 2s -> 50, openness 4s -> 100.
    # Weights 1:1:2: T = (50 + 50 + 2 * 100) / 4 = 75 (the set's 2:1:1 would give 62.5).
    assess(client, vendor_id, levels(2, t1=4, t2=4), weighted)
    weighted_card = card(weighted)
    assert weighted_card.status_code == 200, weighted_card.json
    assert weighted_card.json["total"] == 75.0
    assert weighted_card.json["grade"] == "B"
    assert [
        (c["key"], c["weight"], c["effective_weight"]) for c in weighted_card.json["criteria"]
    ] == [
        ("privacy", 1, 25.0),
        ("oversight", 1, 25.0),
        ("openness", 2, 50.0),
    ]
    # Not standalone, not in another procurement.
    assert_problem(card(), 404)
    body = assert_problem(card(plain), 404)
    assert "no current assessment" in body["detail"]
    assert rows_by_name(ranking(client, plain))["Vega Vision"]["assessed"] is False

    # A standalone assessment, every level 4: standalone 100; `weighted` still counts its own.
    assess(client, vendor_id, levels(4))
    assert card().json["total"] == 100.0
    assert card(weighted).json["total"] == 75.0
    row = rows_by_name(ranking(client, weighted))["Vega Vision"]
    assert (row["total"], row["reused_standalone"]) == (75.0, False)
    # `plain` does not reuse standalone assessments: still not assessed, no rank.
    row = rows_by_name(ranking(client, plain))["Vega Vision"]
    assert (row["assessed"], row["rank"], row["reused_standalone"]) == (False, None, False)
    assert_problem(card(plain), 404)
    # `reusing` does: ranked on the standalone 100, and says so.
    row = rows_by_name(ranking(client, reusing))["Vega Vision"]
    assert (row["assessed"], row["rank"], row["total"]) == (True, 1, 100.0)
    assert row["reused_standalone"] is True
    assert card(reusing).json["total"] == 100.0

    # Once `reusing` has its own assessment (every level 1: privacy 5 * 5 = 25 < 50,
    # oversight 25, openness 25; T = (50 + 25 + 25) / 4 = 25), that one counts instead.
    assess(client, vendor_id, levels(1), reusing)
    row = rows_by_name(ranking(client, reusing))["Vega Vision"]
    assert (row["total"], row["eligible"], row["reused_standalone"]) == (25.0, False, False)


# --- 5. ranking ----------------------------------------------------------------------------------

EVIDENCE = {"title": "Audit report", "kind": "independently_verified", "url": "https://a.example"}


def build_ranked_tender(client) -> tuple[dict, dict]:
    """Seven bidders under weights 1:1:2 (25%, 25%, 50%): T = (S_p + S_o + 2 S_t) / 4.

    Alder:   p 4 4 4 -> 100, o 4 4 -> 100, t1 4 t2 2 -> (25/3) * 10 = 83.33...
             T = (100 + 100 + 500/3) / 4 = 275/3 = 91.666... -> 91.67 (A); evidence on every
             answer, independently verified: confidence 100 (high).
    Birch:   every level 3: 75, 75, 75 -> T = 75 (B).
    Cedar:   p 4 4 4 -> 100, o 2 2 -> 50, t 3 3 -> 75 -> T = (100 + 50 + 150) / 4 = 75 (B),
             exactly Birch's total: both rank 2, and the next rank is 4.
    Dogwood: alice every level 2, bob every level 2 but o1 4: lower median of (2, 4) is 2, so
             50, 50, 50 -> T = 50 (C); o1 spread 2 -> needs_moderation.
    Kauri:   p1 0 (knockout), p2 4, p3 4 -> 5 * 16 = 80, o 100, t 100
             -> T = (80 + 100 + 200) / 4 = 95 (A), the highest total, but ineligible.
    Larch:   p 1 1 1 -> 5 * 5 = 25 < minimum 50, o 100, t 100
             -> T = (25 + 100 + 200) / 4 = 81.25 (A), ineligible.
    Elm:     a bidder with no assessment in the procurement (only a standalone one).
    """
    created = create_procurement(client, weights=OVERRIDE)
    names = ("Alder", "Birch", "Cedar", "Dogwood", "Kauri", "Larch", "Elm")
    ids = {name: make_vendor(client, name) for name in names}
    add_bidders(client, created, *ids.values())
    move(client, created, "evaluating")
    alder = answers(**levels(4, t2=2))
    alder = [{**a, "evidence": [EVIDENCE]} for a in alder]
    declared(client, created, "alice")
    response = client.post(
        f"/v1/vendors/{ids['Alder']}/assessments",
        json={"assessor": "alice", "procurement_id": created["id"], "answers": alder},
    )
    assert response.status_code == 201, response.json
    assess(client, ids["Birch"], levels(3), created)
    assess(client, ids["Cedar"], levels(4, o1=2, o2=2, t1=3, t2=3), created)
    assess(client, ids["Dogwood"], levels(2), created, assessor="alice")
    assess(client, ids["Dogwood"], levels(2, o1=4), created, assessor="bob")
    assess(client, ids["Kauri"], levels(4, p1=0), created)
    assess(client, ids["Larch"], levels(4, p1=1, p2=1, p3=1), created)
    assess(client, ids["Elm"], levels(4))  # standalone: does not count here
    return created, ids


def test_ranking_orders_eligible_then_ineligible_then_unassessed(client):
    created, ids = build_ranked_tender(client)
    ranked = ranking(client, created)
    assert ranked["procurement_id"] == created["id"]
    assert ranked["ocid"] == created["ocid"]
    assert ranked["status"] == "evaluating"
    assert ranked["final"] is False
    assert ranked["criteria_set"]["ref"] == "mini@1"
    # The ethics evaluation is the whole award: each criterion weighs in it what it does in
    # the evaluation.
    assert ranked["weights"] == [
        {
            "criterion": "privacy",
            "name": "Privacy",
            "weight": 1,
            "effective_weight": 25.0,
            "award_weight": 25.0,
        },
        {
            "criterion": "oversight",
            "name": "Human oversight",
            "weight": 1,
            "effective_weight": 25.0,
            "award_weight": 25.0,
        },
        {
            "criterion": "openness",
            "name": "Openness",
            "weight": 2,
            "effective_weight": 50.0,
            "award_weight": 50.0,
        },
    ]
    summary = [
        (r["vendor_name"], r["rank"], r.get("total"), r.get("grade"), r.get("eligible"))
        for r in ranked["ranking"]
    ]
    # Eligible by total (ties share rank 2, the next is 4), then the ineligible by total
    # (ranks continue: Kauri's 95 still comes after Dogwood's 50), then the unassessed.
    assert summary[0] == ("Alder", 1, 91.67, "A", True)
    assert sorted(summary[1:3]) == [("Birch", 2, 75.0, "B", True), ("Cedar", 2, 75.0, "B", True)]
    assert summary[3:] == [
        ("Dogwood", 4, 50.0, "C", True),
        ("Kauri", 5, 95.0, "A", False),
        ("Larch", 6, 81.25, "A", False),
        ("Elm", None, None, None, None),
    ]
    rows = rows_by_name(ranked)
    assert {name: rows[name]["vendor_id"] for name in rows} == ids
    assert rows["Kauri"]["knockouts"] == [
        {
            "kind": "indicator",
            "key": "p1",
            "name": "Was a DPIA completed before processing?",
            "value": 0.0,
            "threshold": 1.0,
            "assessors": ["alice"],
            "message": "Indicator p1 (\u201cWas a DPIA completed before processing?\u201d) is at "
            "level 0, below the red line of 1.",
        }
    ]
    assert rows["Larch"]["knockouts"] == [
        {
            "kind": "criterion_minimum",
            "key": "privacy",
            "name": "Privacy",
            "value": 25.0,
            "threshold": 50.0,
            "assessors": ["alice"],
            "message": "Criterion privacy (\u201cPrivacy\u201d) scored 25.00 of 100, below its "
            "minimum of 50.00.",
        }
    ]
    for name in ("Alder", "Birch", "Cedar", "Dogwood"):
        assert rows[name]["knockouts"] == []
    assert (rows["Alder"]["confidence"], rows["Alder"]["confidence_band"]) == (100.0, "high")
    assert (rows["Birch"]["confidence"], rows["Birch"]["confidence_band"]) == (0.0, "low")
    assert rows["Dogwood"]["needs_moderation"] is True
    assert rows["Dogwood"]["assessors"] == ["alice", "bob"]
    assert [rows[n]["needs_moderation"] for n in ("Alder", "Birch", "Cedar", "Kauri")] == [
        False
    ] * 4
    # Alder's contributions: 25% of 100, 25% of 100, 50% of 83.33... = 41.67.
    assert rows["Alder"]["criteria"] == [
        {"criterion": "privacy", "name": "Privacy", "score": 100.0, "contribution": 25.0},
        {"criterion": "oversight", "name": "Human oversight", "score": 100.0, "contribution": 25.0},
        {"criterion": "openness", "name": "Openness", "score": 83.33, "contribution": 41.67},
    ]
    assert rows["Elm"]["assessed"] is False
    assert rows["Elm"]["reused_standalone"] is False

    sensitivity = ranked["sensitivity"]
    # Alder beats everyone eligible on every criterion (Cedar only ties on privacy), so no
    # weighting of one criterion, 0.8x or 1.2x or left out, unseats it.
    assert sensitivity["winner_vendor_ids"] == [ids["Alder"]]
    assert sensitivity["winner_stable"] is True
    assert [(x["criterion"], x["winner_vendor_id"]) for x in sensitivity["leave_one_out"]] == [
        ("privacy", ids["Alder"]),
        ("oversight", ids["Alder"]),
        ("openness", ids["Alder"]),
    ]
    # Cedar - Birch per criterion: +25, -25, 0; weighted 25 - 25 + 0 = 0 (the tie). Privacy
    # 0.8x or oversight 1.2x puts Cedar behind (3rd), privacy 1.2x or oversight 0.8x puts
    # Birch behind: both reach rank 3. Dogwood's flat 50 stays below Birch's flat 75 and
    # Cedar's lowest, (100 + 60 + 150) / 4.2 = 73.8. Kauri's (80, 100, 100) beats Larch's
    # (25, 100, 100) under any weights: 5 and 6. Elm has no rank to report.
    assert {x["vendor_id"]: x["worst_rank"] for x in sensitivity["one_at_a_time"]} == {
        ids["Alder"]: 1,
        ids["Birch"]: 3,
        ids["Cedar"]: 3,
        ids["Dogwood"]: 4,
        ids["Kauri"]: 5,
        ids["Larch"]: 6,
    }


def test_overriding_weights_change_the_winner(client):
    """The same two bidders, the same (standalone, reused) assessments, two weightings.

    Xenon:  p 4 4 4 -> 100, o 2 2 -> 50, t1 1 t2 1 -> (25/3) * 3 = 25 (= minimum 25: eligible)
    Yarrow: p 2 2 2 -> 50,  o 2 2 -> 50, t 4 4 -> 100
    Set weights 2:1:1: Xenon (200 + 50 + 25) / 4 = 68.75 (B), Yarrow (100 + 50 + 100) / 4 = 62.5 (B)
    Override 1:1:2:    Xenon (100 + 50 + 50) / 4 = 50 (C),    Yarrow (50 + 50 + 200) / 4 = 75 (B)
    """
    xenon, yarrow = make_vendor(client, "Xenon"), make_vendor(client, "Yarrow")
    assess(client, xenon, levels(2, p1=4, p2=4, p3=4, t1=1, t2=1))
    assess(client, yarrow, levels(2, t1=4, t2=4))
    by_set = create_procurement(client, "ocds-213czf-set", reuse_standalone=True)
    by_override = create_procurement(
        client, "ocds-213czf-override", reuse_standalone=True, weights=OVERRIDE
    )
    for procurement in (by_set, by_override):
        add_bidders(client, procurement, xenon, yarrow)
        move(client, procurement, "evaluating")  # nothing is scored before

    ranked = ranking(client, by_set)
    assert [(r["vendor_name"], r["rank"], r["total"], r["grade"]) for r in ranked["ranking"]] == [
        ("Xenon", 1, 68.75, "B"),
        ("Yarrow", 2, 62.5, "B"),
    ]
    assert all(r["reused_standalone"] for r in ranked["ranking"])
    sensitivity = ranked["sensitivity"]
    # Xenon - Yarrow per criterion d = (50, 0, -75); weighted lead D = 2*50 + 0 - 75 = 25.
    # Multiplying criterion k's weight by x leaves the lead at D + (x - 1) w_k d_k:
    #   privacy:   25 + (x - 1) * 100 = 0 at x = 0.75: below 0.8, so 0.8x keeps Xenon first
    #              (weights 1.6:1:1: Xenon 160 + 50 + 25 = 235, Yarrow 80 + 50 + 100 = 230)
    #   oversight: d = 0, the lead never changes: no tipping point
    #   openness:  25 - (x - 1) * 75 = 0 at x = 4/3 = 1.3333: above 1.2, so 1.2x keeps Xenon
    #              first (Xenon 200+50+30 = 280, Yarrow 100+50+120 = 270)
    assert sensitivity["winner_vendor_ids"] == [xenon]
    assert sensitivity["winner_stable"] is True
    assert sensitivity["summary"] == (
        "Xenon ranks first whichever criterion weighs 20% more or 20% less "
        "(one criterion at a time)."
    )
    assert {x["vendor_id"]: x["worst_rank"] for x in sensitivity["one_at_a_time"]} == {
        xenon: 1,
        yarrow: 2,
    }
    # Without privacy: Xenon (50 + 25) / 2 = 37.5, Yarrow (50 + 100) / 2 = 75 -> Yarrow.
    # Without oversight: Xenon (200 + 25) / 3 = 75, Yarrow (100 + 100) / 3 = 66.67 -> Xenon.
    # Without openness: Xenon (200 + 50) / 3 = 83.33, Yarrow (100 + 50) / 3 = 50 -> Xenon.
    assert [
        (x["criterion"], x["winner_vendor_id"], x["sentence"]) for x in sensitivity["leave_one_out"]
    ] == [
        ("privacy", yarrow, "Without Privacy, Yarrow would rank first."),
        ("oversight", xenon, "Without Human oversight, Xenon would still rank first."),
        ("openness", xenon, "Without Openness, Xenon would still rank first."),
    ]
    assert (sensitivity["first_vendor_id"], sensitivity["second_vendor_id"]) == (xenon, yarrow)
    assert [
        (t["criterion"], t["factor"], t["sentence"]) for t in sensitivity["tipping_points"]
    ] == [
        (
            "privacy",
            0.75,
            "Yarrow would overtake Xenon if Privacy weighed less than 0.75 times its current "
            "weight.",
        ),
        (
            "oversight",
            None,
            "No change to the weight of Human oversight alone would let Yarrow overtake Xenon.",
        ),
        (
            "openness",
            1.3333,
            "Yarrow would overtake Xenon if Openness weighed more than 1.3333 times its current "
            "weight.",
        ),
    ]

    ranked = ranking(client, by_override)
    assert [(r["vendor_name"], r["rank"], r["total"], r["grade"]) for r in ranked["ranking"]] == [
        ("Yarrow", 1, 75.0, "B"),
        ("Xenon", 2, 50.0, "C"),
    ]
    sensitivity = ranked["sensitivity"]
    # Yarrow - Xenon d = (-50, 0, 75) under 1:1:2: lead D = -50 + 0 + 150 = 100.
    #   privacy:   100 - (x - 1) * 50 = 0 at x = 3
    #   oversight: never
    #   openness:  100 + (x - 1) * 150 = 0 at x = 1/3 = 0.3333
    assert sensitivity["winner_vendor_ids"] == [yarrow]
    assert sensitivity["winner_stable"] is True
    assert [(t["criterion"], t["factor"]) for t in sensitivity["tipping_points"]] == [
        ("privacy", 3.0),
        ("oversight", None),
        ("openness", 0.3333),
    ]


def build_close_race(client, close: bool = False) -> tuple[dict, dict]:
    """Set weights 2:1:1, T = (2 S_p + S_o + S_t) / 4; four assessed bidders and one not.

    Falcon:  p 4 4 4 -> 100, o 1 1 -> 25,  t 2 2 -> 50; T = (200 + 25 + 50) / 4 = 68.75 (B)
    Sparrow: p1 3 p2 3 p3 0 -> 5 * 12 = 60, o 4 4 -> 100, t 2 2 -> 50;
             T = (120 + 100 + 50) / 4 = 67.5 (B)
    Gannet:  every level 2: 50, 50, 50; T = 50 (C) (privacy 50 is its minimum: eligible)
    Ibis:    p1 0 (knockout), p2 4, p3 4 -> 80, o 100, t 100; T = (160 + 100 + 100) / 4 = 90 (A),
             ineligible: rank 4 after the three eligible
    Umber:   a bidder never assessed (left out when the procurement is to be closed: every
             bidder is assessed before closing)
    """
    created = create_procurement(client, "ocds-213czf-close-race")
    names = ("Falcon", "Sparrow", "Gannet", "Ibis") + (() if close else ("Umber",))
    ids = {name: make_vendor(client, name) for name in names}
    add_bidders(client, created, *ids.values())
    move(client, created, "evaluating")
    falcon = answers(**levels(4, o1=1, o2=1, t1=2, t2=2))
    falcon[1] = {**falcon[1], "rationale": "Purpose limits audited by the DPO."}
    declared(client, created, "alice")
    response = client.post(
        f"/v1/vendors/{ids['Falcon']}/assessments",
        json={"assessor": "alice", "procurement_id": created["id"], "answers": falcon},
    )
    assert response.status_code == 201, response.json
    assess(client, ids["Sparrow"], levels(4, p1=3, p2=3, p3=0, t1=2, t2=2), created)
    assess(client, ids["Gannet"], levels(2), created)
    assess(client, ids["Ibis"], levels(4, p1=0), created)
    if close:
        move(client, created, "closed")
    return created, ids


def test_sensitivity_of_a_close_race(client):
    created, ids = build_close_race(client)
    ranked = ranking(client, created)
    assert [(r["vendor_name"], r["rank"], r.get("total")) for r in ranked["ranking"]] == [
        ("Falcon", 1, 68.75),
        ("Sparrow", 2, 67.5),
        ("Gannet", 3, 50.0),
        ("Ibis", 4, 90.0),
        ("Umber", None, None),
    ]
    falcon, sparrow, gannet, ibis = (ids[n] for n in ("Falcon", "Sparrow", "Gannet", "Ibis"))
    sensitivity = ranked["sensitivity"]
    # Criterion scores F (100, 25, 50), S (60, 100, 50), G (50, 50, 50); weighted sums:
    #   privacy 0.8x (1.6, 1, 1):   F 160 + 25 + 50 = 235, S 96 + 100 + 50 = 246   -> Sparrow
    #   privacy 1.2x (2.4, 1, 1):   F 240 + 25 + 50 = 315, S 144 + 100 + 50 = 294  -> Falcon
    #   oversight 0.8x (2, 0.8, 1): F 200 + 20 + 50 = 270, S 120 + 80 + 50 = 250   -> Falcon
    #   oversight 1.2x (2, 1.2, 1): F 200 + 30 + 50 = 280, S 120 + 120 + 50 = 290  -> Sparrow
    #   openness 0.8x (2, 1, 0.8):  F 200 + 25 + 40 = 265, S 120 + 100 + 40 = 260  -> Falcon
    #   openness 1.2x (2, 1, 1.2):  F 200 + 25 + 60 = 285, S 120 + 100 + 60 = 280  -> Falcon
    # Gannet's flat 50 is below both everywhere (Falcon's lowest 235/3.6 = 65.3, Sparrow's
    # 294/4.4 = 66.8): 3rd always. Ibis is the only ineligible one: 4th always.
    assert sensitivity["winner_vendor_ids"] == [falcon]
    assert sensitivity["winner_stable"] is False
    assert [
        (v["criterion"], v["factor"], v["winner_vendor_ids"]) for v in sensitivity["variations"]
    ] == [
        ("privacy", 0.8, [sparrow]),
        ("privacy", 1.2, [falcon]),
        ("oversight", 0.8, [falcon]),
        ("oversight", 1.2, [sparrow]),
        ("openness", 0.8, [falcon]),
        ("openness", 1.2, [falcon]),
    ]
    assert {x["vendor_id"]: x["worst_rank"] for x in sensitivity["one_at_a_time"]} == {
        falcon: 2,
        sparrow: 2,
        gannet: 3,
        ibis: 4,
    }
    assert sensitivity["summary"] == (
        "If Privacy weighed 20% less, Sparrow would rank first instead of Falcon. "
        "If Human oversight weighed 20% more, Sparrow would rank first instead of Falcon."
    )
    # Without privacy: F (25 + 50) / 2 = 37.5, S (100 + 50) / 2 = 75, G 50 -> Sparrow.
    # Without oversight: F (200 + 50) / 3 = 83.33, S (120 + 50) / 3 = 56.67 -> Falcon.
    # Without openness: F (200 + 25) / 3 = 75, S (120 + 100) / 3 = 73.33 -> Falcon.
    # (Ibis's 80/100/100 would beat them all, but it stays ineligible whatever the weights.)
    assert [(x["criterion"], x["winner_vendor_id"]) for x in sensitivity["leave_one_out"]] == [
        ("privacy", sparrow),
        ("oversight", falcon),
        ("openness", falcon),
    ]
    # Tipping points between Falcon and Sparrow: d = F - S = (40, -75, 0), weighted lead
    # D = 2*40 - 75 + 0 = 5. Multiplying w_k by x changes the lead to D + (x - 1) w_k d_k:
    #   privacy:   5 + (x - 1) * 80 = 0 at x = 75/80 = 0.9375 (check: w_p 1.875 gives
    #              F 187.5 + 25 + 50 = 262.5 = S 112.5 + 100 + 50): Sparrow overtakes below it
    #   oversight: 5 - (x - 1) * 75 = 0 at x = 16/15 = 1.0666... -> 1.0667: overtakes above it
    #   openness:  d = 0, the lead never changes -> null
    assert (sensitivity["first_vendor_id"], sensitivity["second_vendor_id"]) == (falcon, sparrow)
    assert [
        (t["criterion"], t["factor"], t["sentence"]) for t in sensitivity["tipping_points"]
    ] == [
        (
            "privacy",
            0.9375,
            "Sparrow would overtake Falcon if Privacy weighed less than 0.9375 times its current "
            "weight.",
        ),
        (
            "oversight",
            1.0667,
            "Sparrow would overtake Falcon if Human oversight weighed more than 1.0667 times its "
            "current weight.",
        ),
        (
            "openness",
            None,
            "No change to the weight of Openness alone would let Sparrow overtake Falcon.",
        ),
    ]


# --- 6. closing freezes the ranking --------------------------------------------------------------


def test_closing_stores_the_final_ranking(client):
    """reuse_standalone: Quill ranks on its own assessment, Reed on a reused standalone one.

    Quill: every level 3 -> 75, 75, 75 -> T 75. Reed: every level 2 -> T 50.
    """
    created = create_procurement(client, "ocds-213czf-frozen", reuse_standalone=True)
    quill, reed, umber = (make_vendor(client, n) for n in ("Quill", "Reed", "Umber"))
    assess(client, reed, levels(2))
    add_bidders(client, created, quill, reed, umber)
    move(client, created, "evaluating")
    assess(client, quill, levels(3), created)
    # Every bidder is assessed before closing: Umber at level 1 throughout, 25 everywhere,
    # below privacy's minimum of 50: ineligible, ranked after the eligible.
    assess(client, umber, levels(1), created)
    url = url_of(created)

    before_close = ranking(client, created)
    assert [
        (r["vendor_name"], r["rank"], r.get("total"), r["reused_standalone"])
        for r in before_close["ranking"]
    ] == [("Quill", 1, 75.0, False), ("Reed", 2, 50.0, True), ("Umber", 3, 25.0, False)]

    closed = move(client, created, "closed")
    first = client.get(f"{url}/ranking")
    assert first.status_code == 200
    final = first.json
    assert final["final"] is True
    assert final["status"] == "closed"
    assert final["as_of"] == closed["closed_at"]
    assert final["as_of"] == client.get(url).json["closed_at"]
    for key in ("ranking", "sensitivity", "weights", "criteria_set", "ocid", "procurement_id"):
        assert final[key] == before_close[key], key
    first_csv = client.get(f"{url}/ranking.csv").get_data()

    # Each of these would change a ranking computed now: Reed's reused standalone assessment
    # is replaced by a later one from the same assessor (every level 4 -> T 100, first place),
    # and Quill gets a later standalone one.
    assess(client, reed, levels(4))
    assess(client, quill, levels(0, p1=1))
    assert_problem(submit(client, quill, levels(4), created), 409)

    again = client.get(f"{url}/ranking")
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert client.get(f"{url}/ranking.csv").get_data() == first_csv


# --- 7. CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "rank",
    "vendor_id",
    "vendor_name",
    "assessed",
    "eligible",
    "total",
    "grade",
    "knockouts",
    "confidence",
    "confidence_band",
    "needs_moderation",
    "reused_standalone",
    "score_privacy",
    "score_oversight",
    "score_openness",
]


def test_ranking_csv_matches_the_json_ranking(client):
    created, ids = build_ranked_tender(client)
    url = url_of(created)
    response = client.get(f"{url}/ranking.csv?header=machine")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    ranked = ranking(client, created)
    assert table[0] == CSV_COLUMNS
    assert len(table) == 1 + len(ranked["ranking"]) == 8

    def flag(value) -> str:
        return "" if value is None else ("yes" if value else "no")

    def number(value) -> str:
        return "" if value is None else f"{value:.2f}"

    for line, row in zip(table[1:], ranked["ranking"], strict=True):
        cells = dict(zip(CSV_COLUMNS, line, strict=True))
        scores = {c["criterion"]: c["score"] for c in row.get("criteria", [])}
        assert cells == {
            "rank": "" if row["rank"] is None else str(row["rank"]),
            "vendor_id": row["vendor_id"],
            "vendor_name": row["vendor_name"],
            "assessed": flag(row["assessed"]),
            "eligible": flag(row.get("eligible")),
            "total": number(row.get("total")),
            "grade": row.get("grade", ""),
            "knockouts": cells["knockouts"],  # checked by hand below
            "confidence": number(row.get("confidence")),
            "confidence_band": row.get("confidence_band", ""),
            "needs_moderation": flag(row.get("needs_moderation")),
            "reused_standalone": flag(row["reused_standalone"]),
            "score_privacy": number(scores.get("privacy")),
            "score_oversight": number(scores.get("oversight")),
            "score_openness": number(scores.get("openness")),
        }
    by_name = {line[2]: dict(zip(CSV_COLUMNS, line, strict=True)) for line in table[1:]}
    # The hand-worked figures of build_ranked_tender.
    assert [by_name["Alder"][k] for k in ("rank", "total", "grade", "confidence")] == [
        "1",
        "91.67",
        "A",
        "100.00",
    ]
    assert [by_name["Alder"][f"score_{k}"] for k in ("privacy", "oversight", "openness")] == [
        "100.00",
        "100.00",
        "83.33",
    ]
    assert (by_name["Birch"]["rank"], by_name["Cedar"]["rank"]) == ("2", "2")
    assert by_name["Dogwood"]["needs_moderation"] == "yes"
    assert (by_name["Kauri"]["rank"], by_name["Kauri"]["eligible"]) == ("5", "no")
    assert "p1" in by_name["Kauri"]["knockouts"]
    assert "privacy" in by_name["Larch"]["knockouts"]
    assert "25.00" in by_name["Larch"]["knockouts"]
    assert by_name["Alder"]["knockouts"] == ""
    assert [by_name["Elm"][k] for k in ("rank", "assessed", "total", "score_privacy")] == [
        "",
        "no",
        "",
        "",
    ]
    assert by_name["Elm"]["vendor_id"] == ids["Elm"]


def test_the_csv_speaks_to_people_by_default_and_to_machines_on_request(client):
    """The finding: headings such as score_data-privacy. People read criterion names; a
    machine asks for the stable names, or both rows."""
    created, _ = build_ranked_tender(client)
    url = url_of(created)
    human = list(csv.reader(io.StringIO(client.get(f"{url}/ranking.csv").text)))
    assert human[0] == [
        "Rank",
        "Vendor ID",
        "Vendor",
        "Assessed",
        "Eligible",
        "Ethics total",
        "Grade",
        "Red lines and minimums not met",
        "Confidence",
        "Confidence band",
        "Needs moderation",
        "Reused standalone",
        "Privacy",
        "Human oversight",
        "Openness",
    ]
    both = list(csv.reader(io.StringIO(client.get(f"{url}/ranking.csv?header=both").text)))
    assert both[:2] == [human[0], CSV_COLUMNS]
    assert both[2:] == human[1:]
    assert_problem(client.get(f"{url}/ranking.csv?header=fancy"), 422)


def test_the_levels_csv_has_every_bidders_agreed_level_per_indicator(client):
    created, ids = build_ranked_tender(client)
    url = url_of(created)
    response = client.get(f"{url}/levels.csv?header=both")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-levels.csv"')
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == [
        "Vendor ID",
        "Vendor",
        "Criterion",
        "Indicator",
        "Question",
        "Agreed level",
        "Settled by moderation",
        "Evaluators' levels",
    ]
    assert table[1] == [
        "vendor_id",
        "vendor_name",
        "criterion",
        "indicator",
        "question",
        "level",
        "settled_by_moderation",
        "evaluators_levels",
    ]
    rows = [dict(zip(table[1], line, strict=True)) for line in table[2:]]
    assessed = [r for r in ranking(client, created)["ranking"] if r["assessed"]]
    assert len(rows) == len(assessed) * 7  # the mini set's seven indicators each
    for vendor_id in (row["vendor_id"] for row in assessed):
        card = client.get(
            f"/v1/vendors/{vendor_id}/scorecard", query_string={"procurement_id": created["id"]}
        ).json
        expected = {
            i["key"]: "N/A" if i["level"] is None else str(i["level"])
            for c in card["criteria"]
            for i in c["indicators"]
        }
        assert {r["indicator"]: r["level"] for r in rows if r["vendor_id"] == vendor_id} == (
            expected
        )
    assert {r["vendor_id"] for r in rows} < set(ids.values())  # Elm, never assessed, is not in


def test_the_csv_keeps_names_that_look_like_formulas_as_text(client):
    created = create_procurement(client, "ocds-213czf-formulas")
    names = ['=HYPERLINK("http://evil.example","Click")', "+1", "-2", "@SUM(A1)", "Plain"]
    ids = [make_vendor(client, name) for name in names]
    add_bidders(client, created, *ids)
    move(client, created, "evaluating")
    text = client.get(f"{url_of(created)}/ranking.csv?header=machine").text
    rows = list(csv.DictReader(io.StringIO(text)))
    # A leading apostrophe: spreadsheets show the rest as text and never evaluate it.
    assert sorted(row["vendor_name"] for row in rows) == sorted(
        ['\'=HYPERLINK("http://evil.example","Click")', "'+1", "'-2", "'@SUM(A1)", "Plain"]
    )


# --- 8. summaries --------------------------------------------------------------------------------


def summary_of(client, procurement: dict, vendor_id: str, **query):
    return client.get(f"{url_of(procurement)}/bidders/{vendor_id}/summary", query_string=query)


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        ("2026-03-02T11:15:00+01:00", "2 March 2026, 10:15 UTC"),  # an offset, shown in UTC
        ("2026-12-31T23:59:59.999999Z", "31 December 2026, 23:59 UTC"),  # never rounded up
    ],
)
def test_documents_show_instants_as_a_reader_expects(instant, shown):
    assert readable_time(instant) == shown


def test_summaries_exist_once_closed(client):
    created, ids = build_close_race(client)
    body = assert_problem(summary_of(client, created, ids["Falcon"]), 409)
    assert "closed" in body["detail"]
    assert_problem(summary_of(client, created, ids["Falcon"], format="md"), 409)


def test_bidder_summaries_after_closing_in_three_formats_of_one_value(client):
    """What a summary says is tested on the application layer (test_award_documents.py); here,
    that JSON, Markdown and the page carry the same written value, and the statuses."""
    created, ids = build_close_race(client, close=True)
    closed_at = client.get(url_of(created)).json["closed_at"]

    def summary(name: str) -> dict:
        response = summary_of(client, created, ids[name])
        assert response.status_code == 200, response.json
        assert response.mimetype == "application/json"
        return response.json

    winner = summary("Falcon")
    assert winner["outcome"]["won"] is True
    assert winner["procurement"]["ocid"] == "ocds-213czf-close-race"
    assert winner["procurement"]["closed_at"] == closed_at
    assert winner["method"]["url"] == "http://localhost/criteria/mini/1"
    # Falcon's own rationale (on p2, level 4) explains its score; no evaluator is named.
    p2 = winner["criteria"][0]["assessed"][1]
    assert p2["reasons"] == ["Purpose limits audited by the DPO."]
    assert "alice" not in json.dumps(winner)

    second = summary("Sparrow")
    assert second["outcome"]["won"] is False
    assert second["outcome"]["compared_with"]["vendor_id"] == ids["Falcon"]
    assert (second["outcome"]["rank"], second["ethics_total"]) == (2, 67.5)
    # Effective weights 2:1:1 -> 50%, 25%, 25%; Sparrow (60, 100, 50) beside Falcon (100, 25, 50).
    assert [
        (c["criterion"], c["weight"], c["score"], c["winning_score"]) for c in second["criteria"]
    ] == [
        ("privacy", 50.0, 60.0, 100.0),
        ("oversight", 25.0, 100.0, 25.0),
        ("openness", 25.0, 50.0, 50.0),
    ]

    markdown = summary_of(client, created, ids["Sparrow"], format="md")
    assert markdown.status_code == 200
    assert markdown.mimetype == "text/markdown"
    text = markdown.get_data(as_text=True)
    assert second["outcome"]["sentences"][0].replace("'", "'") in text
    assert "| Privacy | 50.00% | 50.00% | 50.00 | 60.00 | 100.00 |" in text
    assert "| Human oversight | 25.00% | 25.00% | - | 100.00 | 25.00 |" in text
    assert "| **Total** | | | | **67.50** | **68.75** |" in text
    # Closed "2026-11-27T05:42:03.487539+00:00" reads "closed 27 November 2026, 05:42 UTC".
    closed = dt.datetime.fromisoformat(closed_at)
    readable = f"closed {closed.day} {closed:%B %Y, %H:%M} UTC."
    assert readable in text

    page = summary_of(client, created, ids["Sparrow"], format="html")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = page.get_data(as_text=True)
    sentence = second["outcome"]["sentences"][0].replace("'", "&#39;")
    assert f'<p class="outcome">{sentence}</p>' in html
    assert f'<time datetime="{closed_at}">{readable[len("closed ") : -1]}</time>' in html
    assert (
        '<tr><td>Privacy</td><td class="number">50.00%</td><td class="number">50.00%</td>'
        '<td class="number">50.00</td><td class="number">60.00</td>'
        '<td class="number">100.00</td></tr>'
    ) in html
    assert '<td class="number">67.50</td><td class="number">68.75</td>' in html

    outsider = make_vendor(client, "Outsider")
    assert_problem(summary_of(client, created, outsider), 404)
    assert_problem(summary_of(client, created, str(uuid.uuid4())), 404)
    assert_problem(summary_of(client, created, ids["Falcon"], format="pdf"), 422)


# A vendor's name and an evaluator's rationale are users' text: in the documents sent to
# bidders they must stay text, whatever markup they carry.
HOSTILE_NAME = "<img src=x onerror=\"document.title='owned'\"> | # Shrike_AI *"
HOSTILE_RATIONALE = (
    "<script>document.title='owned'</script>\n# Not a heading | [a link](javascript:alert(1))"
)


def build_hostile_summary(client) -> tuple[dict, str]:
    created = create_procurement(client, "ocds-213czf-hostile")
    vendor_id = make_vendor(client, HOSTILE_NAME)
    add_bidders(client, created, vendor_id)
    move(client, created, "evaluating")
    given = answers(**levels(3))
    given[1] = {**given[1], "rationale": HOSTILE_RATIONALE}
    declared(client, created, "alice")
    response = client.post(
        f"/v1/vendors/{vendor_id}/assessments",
        json={"assessor": "alice", "procurement_id": created["id"], "answers": given},
    )
    assert response.status_code == 201, response.json
    move(client, created, "closed")
    return created, vendor_id


def test_users_text_stays_text_in_the_markdown_summary(client):
    created, vendor_id = build_hostile_summary(client)
    text = summary_of(client, created, vendor_id, format="md").get_data(as_text=True)
    lines = text.splitlines()
    # One heading of each kind the document has, none from the users' text.
    assert [line for line in lines if line.startswith("#")] == [
        "# Assessment summary: \\<img src=x onerror=\"document.title='owned'\"\\> "
        "\\| \\# Shrike\\_AI \\*",
        "## The supplier",
        "## Outcome",
        "## Award criteria and how tenders were assessed",
        "## Your tender's scores explained",
        "### Privacy",
        "### Human oversight",
        "### Openness",
        "## Declarations of interest",
        "## Standstill period",
    ]
    # The rationale stays on its list item's line, its markup escaped.
    assert (
        "- Is collection limited to the purpose? Level 3 of 4: “operating”. The evaluators "
        r"found: \<script\>document.title='owned'\</script\> \# Not a heading \| \[a "
        r"link\](javascript:alert(1)). Level 4 was not reached: “verified”."
    ) in lines
    # Every table row has the header's five cells (no winning tender to compare: it is the
    # only bidder), whatever the names hold.
    rows = [line for line in lines if line.startswith("| ")]
    assert all(row.replace(r"\|", "").count("|") == 6 for row in rows), rows


def test_users_text_stays_text_in_the_html_summary(client, tmp_path):
    created, vendor_id = build_hostile_summary(client)
    html = summary_of(client, created, vendor_id, format="html").get_data(as_text=True)
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in html
    # A real browser reads the page as the bidder would: the markup is shown, never run.
    page = tmp_path / "summary.html"
    page.write_text(html, encoding="utf-8")
    dom = rendered_dom(page.as_uri(), tmp_path / "profile", wait_ms=2000)
    assert "<title>Assessment summary: &lt;img src=x" in dom
    assert "owned</title>" not in dom
    assert "<script" not in dom
    assert "<img" not in dom
    assert "document.title='owned'" in dom  # shown as the evaluator wrote it


# --- 9. a fixed number of queries ----------------------------------------------------------------


def count_statements(app, client, url: str) -> int:
    """The statements one GET runs, but for the read of the caller's API key: authentication's,
    which SQLite skips while nothing was committed since the connection last read the key."""
    with statements(app.extensions["database"].engine) as seen:
        response = client.get(url)
    assert response.status_code == 200, response.json
    return len([s for s in seen if "FROM api_keys" not in s])


def test_ranking_runs_a_fixed_number_of_queries(app, client):
    vendor_ids = [make_vendor(client, f"Vendor {n:02d}") for n in range(50)]
    small = create_procurement(client, "ocds-213czf-small")
    large = create_procurement(client, "ocds-213czf-large")
    add_bidders(client, small, *vendor_ids[:5])
    add_bidders(client, large, *vendor_ids)
    move(client, small, "evaluating")
    move(client, large, "evaluating")
    for procurement, bidders in ((small, vendor_ids[:5]), (large, vendor_ids)):
        for n, vendor_id in enumerate(bidders):
            for k, assessor in enumerate(("alice", "bob", "carol")):
                level_map = levels(1 + (n + k) % 4, p2=(n * 3 + k) % 5, t1=(n * 7) % 5)
                assess(client, vendor_id, level_map, procurement, assessor=assessor)

    small_count = count_statements(app, client, f"{url_of(small)}/ranking")
    large_count = count_statements(app, client, f"{url_of(large)}/ranking")
    ranked = ranking(client, large)
    assert len(ranked["ranking"]) == 50
    assert all(len(r["assessors"]) == 3 for r in ranked["ranking"])
    assert len(ranking(client, small)["ranking"]) == 5
    # 5 bidders x 3 assessments or 50 x 3: the same statements. Measured: the procurement, its
    # bidders joined to their vendors, their assessments, their moderations, their open
    # disputes, the award components recorded for them; for the readiness beside the ranking,
    # the declarations, the people whose marks it uses and their names, the assessments'
    # authors and their rationales (11).
    assert small_count == large_count == 11


def test_rankings_and_their_exports_work_out_no_improvement_plan(client, monkeypatch):
    # A ranking scores every bidder but shows no plan; working plans out would be wasted.
    created, ids = build_close_race(client)
    worked_out = []
    real = scoring.improvement_plan

    def counted(*args):
        worked_out.append(args)
        return real(*args)

    monkeypatch.setattr(scoring, "improvement_plan", counted)
    for suffix in ("/ranking", "/ranking.csv", "/ocds"):
        response = client.get(f"{url_of(created)}{suffix}")
        assert response.status_code == 200, (suffix, response.get_data(as_text=True))
    assert worked_out == []
    # A scorecard shows its plan: there it is worked out, once.
    card = client.get(f"/v1/vendors/{ids['Falcon']}/scorecard?procurement_id={created['id']}")
    assert card.status_code == 200, card.json
    assert card.json["improvement_plan"]
    assert len(worked_out) == 1


# --- 10. OCDS ------------------------------------------------------------------------------------


def test_ocds_release_smoke(client):
    created, _ = build_close_race(client, close=True)
    response = client.get(f"{url_of(created)}/ocds")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.json["ocid"] == "ocds-213czf-close-race"
    assert_problem(client.get(f"{PROCUREMENTS}/{uuid.uuid4()}/ocds"), 404)
