"""The HTTP conventions every route keeps: problem+json errors, media types, body limits."""

import gzip
import json

import marshmallow as ma
import pytest

from ethics_api.auth import allow

from payloads import assessment, vendor
from responses import assert_problem


def test_unknown_route_is_a_404_problem(client):
    body = assert_problem(client.get("/v1/nothing-here"), 404)
    assert "Nothing is at /v1/nothing-here" in body["detail"]


def test_an_id_that_is_not_a_uuid_is_a_404_that_says_ids_are_uuids(client):
    body = assert_problem(client.get("/v1/vendors/not-a-uuid"), 404)
    assert "ids in paths are UUIDs" in body["detail"]


def test_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/v1/vendors")
    body = assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert body["detail"].startswith("DELETE is not allowed on /v1/vendors; allowed: GET,")


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"name": "x"}'),
        ("application/x-www-form-urlencoded", "name=x"),
        (None, '{"name": "x"}'),
    ],
)
def test_wrong_media_type_is_415_and_stores_nothing(client, content_type, data):
    headers = {"Content-Type": content_type} if content_type else {}
    assert_problem(client.post("/v1/vendors", data=data, headers=headers), 415)
    assert client.get("/v1/vendors").json == []


@pytest.mark.parametrize(
    "data",
    [
        '{"name": ',
        "not json",
        "{'name': 'x'}",
        "",
        "NaN",
        '{"name": "A", "x": Infinity}',
        # Valid JSON syntax, but beyond any float: a parser would make it infinity.
        '{"name": "A", "x": 1e400}',
        '{"name": "A", "x": -1e400}',
        # A name given twice: which value was meant cannot be known.
        '{"name": "A", "name": "B"}',
        '{"name": "A", "identifier": {"scheme": "GB-COH", "id": "1", "id": "2"}}',
    ],
)
def test_body_that_is_not_json_is_400(client, data):
    response = client.post("/v1/vendors", data=data, content_type="application/json")
    assert_problem(response, 400)
    assert client.get("/v1/vendors").json == []


def test_a_compressed_body_is_415_not_misread(client):
    response = client.post(
        "/v1/vendors",
        data=gzip.compress(json.dumps(vendor()).encode()),
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )
    assert "uncompressed" in assert_problem(response, 415)["detail"]
    assert client.get("/v1/vendors").json == []


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_absurdly_nested_body_is_400_not_500(client, depth):
    """Pitfall: 100k nested brackets made the JSON parser recurse into an HTML 500."""
    data = "[" * depth + "]" * depth
    response = client.post("/v1/vendors", data=data, content_type="application/json")
    body = assert_problem(response, 400)
    assert "nested" in body["detail"]


def test_reasonable_nesting_is_accepted(client):
    # An assessment body is 5 levels deep (body > answers > answer > evidence > item).
    response = client.post("/v1/vendors", json=vendor(identifier={"scheme": "GB-COH", "id": "1"}))
    assert response.status_code == 201


def test_oversized_body_is_413(client):
    data = json.dumps(vendor("x" * (1024 * 1024)))
    response = client.post("/v1/vendors", data=data, content_type="application/json")
    assert assert_problem(response, 413)["detail"] == (
        "The request body is larger than the 1024 KiB this API accepts."
    )
    assert client.get("/v1/vendors").json == []


def test_validation_problem_lists_every_offending_field(client):
    response = client.post("/v1/vendors", json={"name": 1, "country": "gb", "extra": True})
    body = assert_problem(response, 422)
    assert sorted(e["pointer"] for e in body["errors"]) == ["/country", "/extra", "/name"]
    assert all(e["location"] == "json" and e["messages"] for e in body["errors"])


def test_vendor_body_that_is_a_list_is_422(client):
    assert_problem(client.post("/v1/vendors", json=[vendor()]), 422)


def test_json_with_a_charset_parameter_is_accepted(client):
    response = client.post(
        "/v1/vendors",
        data=json.dumps(vendor()),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_unexpected_errors_are_500_problems_without_a_trace(make_app, caplog):
    app = make_app()

    @app.get("/boom")
    @allow("auditor")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in json.dumps(body)
    assert "secret internals" in caplog.text  # logged for the operator instead


def test_criteria_sets_are_listed_with_their_fingerprints(client, app):
    listed = client.get("/v1/criteria-sets").json
    mini = app.extensions["catalog"].get("mini@1")
    assert listed == [
        {
            "key": "mini",
            "version": 1,
            "ref": "mini@1",
            "title": "Mini test set",
            "published": "2026-01-15",
            "validity_days": 30,
            "sha256": mini.sha256,
            "default": True,
            "counts": {
                "criteria": 3,
                "indicators": 7,
                "knockouts": 1,
                "indicator_minimums": 0,
                "minimums": 2,
                "profile_questions": 0,
                "buyer_duties": 0,
                "gates": 0,
            },
        }
    ]


def test_one_criteria_set_in_full(client):
    full = client.get("/v1/criteria-sets/mini/1").json
    assert [c["key"] for c in full["criteria"]] == ["privacy", "oversight", "openness"]
    assert full["criteria"][0]["minimum"] == 50
    p1 = full["criteria"][0]["indicators"][0]
    assert p1["knockout"] is True
    assert p1["levels"][0] == {"level": 0, "descriptor": "none"}
    assert p1["references"] == [{"source": "UK GDPR", "clause": "Art. 35", "url": None}]
    assert full["grades"][-1] == {"label": "D", "min": 0}
    assert_problem(client.get("/v1/criteria-sets/mini/2"), 404)
    assert_problem(client.get("/v1/criteria-sets/mini/one"), 404)


def test_default_set_serves_the_real_rubric(make_app):
    from conftest import PROJECT_CRITERIA

    client = make_app(CRITERIA_DIR=PROJECT_CRITERIA).test_client()
    listed = client.get("/v1/criteria-sets").json
    assert [(s["ref"], s["default"]) for s in listed] == [
        ("ai-ethics@1", False),
        ("ai-ethics@2", True),
        ("uk-policing@1", False),
    ]
    assert [s["counts"]["criteria"] for s in listed] == [5, 5, 7]
    assert listed[2]["counts"]["profile_questions"] > 0 and listed[2]["counts"]["gates"] > 0
    url = client.post("/v1/vendors", json=vendor()).headers["Location"]
    assert_problem(client.post(f"{url}/assessments", json=assessment()), 422)


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.get_data(as_text=True)
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_every_operation_documents_the_refusals_made_before_its_view(client):
    """Unknown or repeated query parameters (422) on every operation; a body that is not JSON
    (400), too large (413) or of another media type (415) on every operation taking one."""
    paths = client.get("/openapi.json").json["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            expected = {"422"} | ({"400", "413", "415"} if "requestBody" in operation else set())
            assert expected <= set(operation["responses"]), (method, path)


def test_requests_are_read_with_schemas_made_once_not_per_request(client, monkeypatch):
    """A body, a query or a page is loaded with one schema per operation, and the
    X-Pagination header of a page is written once for the same numbers: making a schema (and
    its nested ones) for every request cost a fifth of a scorecard read's own time."""
    vendor_url = client.post("/v1/vendors", json=vendor("Acme")).headers["Location"]
    requests = [
        lambda: client.get("/v1/vendors?q=acme&page_size=5"),  # a page: its numbers unchanged
        lambda: client.get(f"{vendor_url}/scorecard?as_of=2026-01-01T00:00:00Z"),  # a query
        lambda: client.post("/v1/vendors", json=vendor("Bolt")),  # a body
    ]
    for send in requests:
        send()  # the first request of each made its schema, if any
    made = []
    real = ma.Schema.__init__

    def making(self, *args, **kwargs):
        made.append(type(self).__name__)
        real(self, *args, **kwargs)

    monkeypatch.setattr(ma.Schema, "__init__", making)
    for send in requests:
        assert send().status_code in (200, 201, 404)
    assert made == []
