"""Vendors: create, list, search, read, update with If-Match."""

import json
import threading

import pytest

from payloads import vendor


def create(client, **fields):
    response = client.post("/v1/vendors", json=vendor(**fields))
    assert response.status_code == 201, response.json
    return response


def test_create_returns_the_vendor_with_location_and_etag(client):
    response = create(
        client,
        name="Acme Analytics",
        identifier={"scheme": "GB-COH", "id": "01234567"},
        country="GB",
        website="https://acme.example",
    )
    body = response.json
    assert body["name"] == "Acme Analytics"
    assert body["identifier"] == {"scheme": "GB-COH", "id": "01234567"}
    assert body["country"] == "GB"
    assert response.headers["Location"] == f"/v1/vendors/{body['id']}"
    assert response.headers["ETag"] == '"v1"'
    assert client.get(response.headers["Location"]).json == body


def test_duplicate_identifier_is_a_conflict_and_stores_nothing(client):
    identifier = {"scheme": "GB-COH", "id": "01234567"}
    create(client, name="First", identifier=identifier)
    response = client.post("/v1/vendors", json=vendor("Second", identifier=identifier))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "GB-COH/01234567" in response.json["detail"]
    assert [v["name"] for v in client.get("/v1/vendors").json] == ["First"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/name"),
        ({"name": ""}, "/name"),
        ({"name": "   "}, "/name"),
        ({"name": 42}, "/name"),
        ({"name": "A", "country": "gb"}, "/country"),
        ({"name": "A", "country": "GBR"}, "/country"),
        ({"name": "A", "website": "ftp://x.example"}, "/website"),
        ({"name": "A", "website": "https://x.example:99999/"}, "/website"),
        ({"name": "A", "website": "https://x.example:0/"}, "/website"),
        # Invisible characters alone are no name: zero-width space, direction override.
        ({"name": "\u200b"}, "/name"),
        ({"name": "\u202e"}, "/name"),
        ({"name": "\u2066Acme"}, "/name"),
        ({"name": "A", "identifier": {"scheme": "GB-COH"}}, "/identifier/id"),
        (
            {"name": "A", "identifier": {"scheme": "companies house", "id": "1"}},
            "/identifier/scheme",
        ),
        ({"name": "A", "colour": "blue"}, "/colour"),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else v,
)
def test_invalid_vendor_is_refused_with_a_pointer_and_stores_nothing(client, body, pointer):
    response = client.post("/v1/vendors", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 422
    assert pointer in [e["pointer"] for e in response.json["errors"]]
    assert client.get("/v1/vendors").json == []


def test_list_is_paginated_with_totals_in_the_header(client):
    for name in ("Delta", "Alpha", "Charlie", "Bravo", "Echo"):
        create(client, name=name)
    response = client.get("/v1/vendors?page=2&page_size=2")
    assert [v["name"] for v in response.json] == ["Charlie", "Delta"]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 5
    assert pagination["total_pages"] == 3
    assert pagination["page"] == 2


@pytest.mark.parametrize(
    "query",
    [
        "page_size=201",
        "page_size=0",
        "page=0",
        "page=x",
        # What int() reads but a number in a URL is not: padding, a sign, underscores, the
        # digits of other scripts (Arabic-Indic 3, fullwidth 1).
        "page=%201",
        "page=%2B1",
        "page=1_0",
        "page=%D9%A3",
        "page=%EF%BC%91",
        # Given twice: neither value is picked.
        "page=1&page=2",
        "q=a&q=b",
        # Blank search text.
        "q=%20",
    ],
)
def test_bad_pagination_is_refused(client, query):
    create(client, name="Alpha")
    response = client.get(f"/v1/vendors?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    name = query.split("=", 1)[0]
    assert [e["pointer"] for e in response.json["errors"]] == [f"/{name}"]


def test_search_matches_names_case_insensitively_and_literally(client):
    for name in ("Northwind Analytics", "Southwind Vision", "100% Data Ltd", "Civic_Insight"):
        create(client, name=name)
    assert [v["name"] for v in client.get("/v1/vendors?q=WIND").json] == [
        "Northwind Analytics",
        "Southwind Vision",
    ]
    # Wildcards in the query are text, not patterns.
    assert [v["name"] for v in client.get("/v1/vendors?q=%25").json] == ["100% Data Ltd"]
    assert [v["name"] for v in client.get("/v1/vendors?q=c_i").json] == ["Civic_Insight"]


def test_unknown_and_malformed_ids_are_404_problems(client):
    for path in ("/v1/vendors/00000000-0000-4000-8000-000000000000", "/v1/vendors/not-a-uuid"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_patch_with_current_etag_updates_and_moves_the_etag(client):
    location = create(client, name="Old name").headers["Location"]
    response = client.patch(
        location, json={"name": "New name", "website": None}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 200
    assert response.json["name"] == "New name"
    assert response.headers["ETag"] == '"v2"'
    assert client.get(location).json["name"] == "New name"


def test_patch_with_stale_etag_is_412_and_changes_nothing(client):
    location = create(client, name="Old name").headers["Location"]
    client.patch(location, json={"name": "Second"}, headers={"If-Match": '"v1"'})
    response = client.patch(location, json={"name": "Third"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 412
    assert response.mimetype == "application/problem+json"
    assert client.get(location).json["name"] == "Second"


def test_patch_without_if_match_is_428(client):
    location = create(client).headers["Location"]
    response = client.patch(location, json={"name": "X"})
    assert response.status_code == 428
    assert client.get(location).json["name"] == "Acme Analytics"


@pytest.mark.parametrize("body", [{}, {"identifier": {"scheme": "GB-COH", "id": "1"}}, {"name": 1}])
def test_patch_refuses_empty_or_unknown_changes(client, body):
    location = create(client).headers["Location"]
    response = client.patch(location, json=body, headers={"If-Match": '"v1"'})
    assert response.status_code == 422
    assert client.get(location).headers["ETag"] == '"v1"'


def test_concurrent_patches_with_one_etag_let_exactly_one_win(app, client):
    """Pitfall: an app-side ETag check lets several writers win under Read Committed."""
    location = create(client).headers["Location"]
    barrier = threading.Barrier(8)
    statuses = []

    def writer(n):
        local = app.test_client()
        barrier.wait()
        response = local.patch(location, json={"name": f"W{n}"}, headers={"If-Match": '"v1"'})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 7
    assert client.get(location).headers["ETag"] == '"v2"'
