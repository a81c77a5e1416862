"""Idempotency-Key on creating POSTs, and If-Match under concurrent writers.

A retried request never creates twice: the first successful response to a key is stored with
what it created and replayed, byte for byte, for the same request; the same key with another
request is 422; failures are not stored; keys belong to the API key that sent them (so never
reach across organisations, vendors or blind assessors). Simultaneous retries create one row and
get identical answers, on SQLite and PostgreSQL alike.
"""

import json
import threading

import pytest

from conftest import client_with_key, make_key, make_organisation
from payloads import answers, vendor
from responses import assert_problem, created

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


# --- helpers -------------------------------------------------------------------------------------


def total(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.headers["X-Pagination"])["total"]


def post(client, url: str, body: dict, key: str | None):
    headers = {} if key is None else {HEADER: key}
    return client.post(url, json=body, headers=headers)


def procurement_body(ocid: str = "ocds-abc123-1") -> dict:
    return {"ocid": ocid, "title": "Video analytics", "buyer": {"name": "Example Council"}}


def assert_replay(first, second) -> None:
    """`second` is `first` replayed: same status, bytes, Location and ETag, marked replayed."""
    assert REPLAYED not in first.headers
    assert second.headers.get(REPLAYED) == "true"
    assert second.status_code == first.status_code
    assert second.get_data() == first.get_data()
    assert second.mimetype == first.mimetype
    for header in ("Location", "ETag"):
        assert second.headers.get(header) == first.headers.get(header), header


class Targets:
    """Every creating POST that takes an Idempotency-Key: its URL, a valid body, its rows."""

    def __init__(self, client):
        self.client = client
        self.vendor_id = created(client.post("/v1/vendors", json=vendor("Existing Vendor")))["id"]
        self.procurement_id = created(client.post("/v1/procurements", json=procurement_body()))[
            "id"
        ]
        v, p = self.vendor_id, self.procurement_id
        # A vendor disputes a scorecard it has: give the existing vendor one.
        assessed = {"assessor": "bob", "answers": answers()}
        created(client.post(f"/v1/vendors/{v}/assessments", json=assessed))
        self.all = {
            "vendor": ("/v1/vendors", vendor("Acme Analytics"), "/v1/vendors"),
            "procurement": (
                "/v1/procurements",
                procurement_body("ocds-abc123-2"),
                "/v1/procurements",
            ),
            "bidder": (
                f"/v1/procurements/{p}/bidders",
                {"vendor_id": v},
                f"/v1/procurements/{p}/bidders",
            ),
            "assessment": (
                f"/v1/vendors/{v}/assessments",
                {"assessor": "alice", "answers": answers()},
                f"/v1/vendors/{v}/assessments",
            ),
            "dispute": (
                f"/v1/vendors/{v}/disputes",
                {"indicator": "p2", "statement": "Documented since February."},
                f"/v1/vendors/{v}/disputes",
            ),
            "webhook": (
                "/v1/webhooks",
                {"url": "https://buyer.example/hooks", "events": ["dispute.opened"]},
                "/v1/webhooks",
            ),
        }

    def __getitem__(self, name):
        return self.all[name]

    def rows(self, name: str) -> int:
        return total(self.client, self[name][2])


TARGETS = ["vendor", "procurement", "bidder", "assessment", "dispute", "webhook"]


@pytest.fixture
def targets(client) -> Targets:
    return Targets(client)


# --- replays -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_a_retry_with_the_same_key_replays_the_first_response(client, targets, target):
    url, body, _ = targets[target]
    before = targets.rows(target)
    first = post(client, url, body, "retry-1")
    assert first.status_code == 201, first.get_data(as_text=True)
    second = post(client, url, body, "retry-1")
    assert_replay(first, second)
    assert second.json == first.json
    assert targets.rows(target) == before + 1
    # Keys are the same request whatever the order of the body's members.
    reordered = dict(reversed(list(body.items())))
    assert_replay(first, post(client, url, reordered, "retry-1"))
    assert targets.rows(target) == before + 1


@pytest.mark.parametrize("target", TARGETS)
def test_the_same_key_with_another_body_is_422_and_creates_nothing(client, targets, target):
    url, body, _ = targets[target]
    first = post(client, url, body, "retry-2")
    assert first.status_code == 201
    rows = targets.rows(target)
    other = {**body, "unexpected": True} if target == "bidder" else _changed(target, body)
    problem = assert_problem(post(client, url, other, "retry-2"), 422)
    assert HEADER in problem["detail"]
    assert targets.rows(target) == rows
    # The key still stands for the first request.
    assert_replay(first, post(client, url, body, "retry-2"))


def _changed(target: str, body: dict) -> dict:
    changes = {
        "vendor": {"name": "Other Name"},
        "procurement": {"title": "Other title"},
        "assessment": {"summary": "Changed."},
        "dispute": {"statement": "Another statement."},
        "webhook": {"url": "https://buyer.example/other"},
    }
    return {**body, **changes[target]}


def test_the_same_key_on_another_route_is_422(client, targets):
    first = post(client, "/v1/vendors", vendor("Acme Analytics"), "shared")
    assert first.status_code == 201
    response = post(client, "/v1/procurements", procurement_body("ocds-abc123-3"), "shared")
    assert_problem(response, 422)
    assert targets.rows("procurement") == 1


def test_different_keys_create_different_rows(client):
    first = post(client, "/v1/vendors", vendor("Acme Analytics"), "key-a")
    second = post(client, "/v1/vendors", vendor("Acme Analytics"), "key-b")
    assert first.status_code == second.status_code == 201
    assert REPLAYED not in second.headers
    assert first.json["id"] != second.json["id"]
    assert total(client, "/v1/vendors") == 2


def test_requests_without_a_key_are_not_deduplicated(client):
    for _ in range(2):
        assert post(client, "/v1/vendors", vendor("Acme Analytics"), None).status_code == 201
    assert total(client, "/v1/vendors") == 2


def test_a_failed_first_request_is_not_stored(client):
    assert_problem(post(client, "/v1/vendors", {"name": ""}, "fix-me"), 422)
    assert total(client, "/v1/vendors") == 0
    corrected = post(client, "/v1/vendors", vendor("Acme Analytics"), "fix-me")
    assert corrected.status_code == 201
    assert REPLAYED not in corrected.headers
    assert_replay(corrected, post(client, "/v1/vendors", vendor("Acme Analytics"), "fix-me"))
    assert total(client, "/v1/vendors") == 1


def test_a_conflict_is_not_stored_either(client):
    identifier = {"scheme": "GB-COH", "id": "01234567"}
    created(client.post("/v1/vendors", json=vendor("First", identifier=identifier)))
    duplicate = vendor("Second", identifier=identifier)
    assert_problem(post(client, "/v1/vendors", duplicate, "dup"), 409)
    # Nothing was stored for the key: the corrected request (another body) succeeds with it.
    identifier["id"] = "76543210"
    retried = post(client, "/v1/vendors", vendor("Second", identifier=identifier), "dup")
    assert retried.status_code == 201
    assert REPLAYED not in retried.headers
    assert total(client, "/v1/vendors") == 2


def test_keys_are_per_organisation(app, client):
    organisation_id = make_organisation(app, "Second Council")
    stranger = client_with_key(app, make_key(app, "admin", organisation_id=organisation_id))
    ours = post(client, "/v1/vendors", vendor("Acme Analytics"), "same-key")
    theirs = post(stranger, "/v1/vendors", vendor("Acme Analytics"), "same-key")
    assert ours.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert ours.json["id"] != theirs.json["id"]
    assert total(client, "/v1/vendors") == 1
    assert total(stranger, "/v1/vendors") == 1
    assert_replay(theirs, post(stranger, "/v1/vendors", vendor("Acme Analytics"), "same-key"))


@pytest.mark.parametrize(
    "key",
    ["a" * 201, "", "clé", "caf\u00e9-\u00a0", "two words", " padded", "tab\there", "nul\x7f"],
    ids=["too long", "empty", "non-ASCII", "non-breaking space", "space", "leading", "tab", "DEL"],
)
def test_an_invalid_key_is_400_and_creates_nothing(client, key):
    response = post(client, "/v1/vendors", vendor("Acme Analytics"), key)
    assert HEADER in assert_problem(response, 400)["detail"]
    assert total(client, "/v1/vendors") == 0


def test_the_longest_and_oddest_valid_keys_are_accepted(client):
    for key in ("k" * 200, "!#$%&'*+-.^_`|~0123456789:/?=", "550e8400-e29b-41d4-a716-446655440000"):
        first = post(client, "/v1/vendors", vendor(f"Vendor {key[:8]}"), key)
        assert first.status_code == 201, first.get_data(as_text=True)
        assert_replay(first, post(client, "/v1/vendors", vendor(f"Vendor {key[:8]}"), key))
    assert total(client, "/v1/vendors") == 3


# --- the caller behind a key ---------------------------------------------------------------------


def test_a_replay_never_shows_another_vendors_dispute(app, client):
    """A replay comes before the view's checks, so it must be the caller's own request."""
    own = created(client.post("/v1/vendors", json=vendor("Acme Analytics")))["id"]
    rival = created(client.post("/v1/vendors", json=vendor("Rival Robotics")))["id"]
    for vendor_id in (own, rival):  # each has a scorecard to dispute
        assessed = {"assessor": "bob", "answers": answers()}
        created(client.post(f"/v1/vendors/{vendor_id}/assessments", json=assessed))
    own_key = client_with_key(app, make_key(app, "vendor", "Acme desk", vendor_id=own))
    rival_key = client_with_key(app, make_key(app, "vendor", "Rival desk", vendor_id=rival))
    body = {"indicator": "p2", "statement": "Acme's confidential reply."}
    assert post(own_key, f"/v1/vendors/{own}/disputes", body, "reply-1").status_code == 201
    # Without the key the rival's key gets a 404 for Acme; with it, it must not get more.
    assert_problem(rival_key.post(f"/v1/vendors/{own}/disputes", json=body), 404)
    response = post(rival_key, f"/v1/vendors/{own}/disputes", body, "reply-1")
    assert_problem(response, 404)
    assert "confidential" not in response.get_data(as_text=True)


def test_a_replay_never_shows_another_assessors_work(app, client):
    """Ben, sending a key Ann used, must not be served Ann's assessment (blind evaluation
    forbids him to read it) instead of having his own recorded."""
    vendor_id = created(client.post("/v1/vendors", json=vendor()))["id"]
    ann = client_with_key(app, make_key(app, "assessor", "Ann"))
    ben = client_with_key(app, make_key(app, "assessor", "Ben"))
    url = f"/v1/vendors/{vendor_id}/assessments"
    body = {"answers": answers()}
    anns = created(post(ann, url, body, "assessment-1"))
    assert_problem(ben.get(f"/v1/assessments/{anns['id']}"), 403)
    response = post(ben, url, body, "assessment-1")
    assert REPLAYED not in response.headers
    assert "Ann" not in response.get_data(as_text=True)
    assert created(response)["assessor"] == "Ben"
    assert total(client, url) == 2


def test_two_keys_of_one_organisation_do_not_share_idempotency_keys(app, client):
    first, second = (client_with_key(app, make_key(app, "buyer", name)) for name in ("b1", "b2"))
    one = post(first, "/v1/vendors", vendor("Acme Analytics"), "shared-key")
    two = post(second, "/v1/vendors", vendor("Acme Analytics"), "shared-key")
    assert one.status_code == two.status_code == 201
    assert REPLAYED not in two.headers
    assert one.json["id"] != two.json["id"]
    assert total(client, "/v1/vendors") == 2
    assert_replay(two, post(second, "/v1/vendors", vendor("Acme Analytics"), "shared-key"))


# --- concurrency ---------------------------------------------------------------------------------


def run_together(count: int, action) -> list:
    """`action(n)` in `count` threads released at once; their results, in thread order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(n):
        barrier.wait()
        results[n] = action(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("target", ["vendor", "assessment", "dispute"])
def test_simultaneous_retries_create_one_row_and_get_identical_answers(app, targets, target):
    url, body, _ = targets[target]
    before = targets.rows(target)
    clients = [app.test_client() for _ in range(8)]

    def send(n):
        response = post(clients[n], url, body, "simultaneous")
        return response.status_code, response.get_data(), response.headers.get(REPLAYED)

    results = run_together(8, send)
    assert [status for status, _, _ in results] == [201] * 8
    assert len({data for _, data, _ in results}) == 1
    assert sorted(str(replayed) for _, _, replayed in results) == ["None"] + ["true"] * 7
    assert targets.rows(target) == before + 1


def test_simultaneous_requests_with_one_key_and_different_bodies_create_one_row(app, client):
    clients = [app.test_client() for _ in range(8)]

    def send(n):
        return post(clients[n], "/v1/vendors", vendor(f"Vendor {n}"), "contested").status_code

    statuses = run_together(8, send)
    assert sorted(statuses) == [201] + [422] * 7
    assert total(client, "/v1/vendors") == 1


@pytest.mark.parametrize(
    "changes",
    [{"title": "Renamed"}, {"weights": {"privacy": 1, "oversight": 1, "openness": 1}}],
    ids=["title", "weights"],
)
def test_concurrent_procurement_patches_with_one_etag_let_exactly_one_win(app, client, changes):
    """Pitfall: an app-side ETag check lets several writers win under Read Committed."""
    procurement_id = created(client.post("/v1/procurements", json=procurement_body()))["id"]
    url = f"/v1/procurements/{procurement_id}"
    clients = [app.test_client() for _ in range(8)]

    def write(n):
        body = {**changes, "title": f"Writer {n}"} if "title" in changes else changes
        return clients[n].patch(url, json=body, headers={"If-Match": '"v1"'}).status_code

    statuses = run_together(8, write)
    assert sorted(statuses) == [200] + [412] * 7
    assert client.get(url).headers["ETag"] == '"v2"'


def test_a_stale_etag_is_412_even_when_the_move_has_since_become_impossible(client):
    procurement_id = created(client.post("/v1/procurements", json=procurement_body()))["id"]
    url = f"/v1/procurements/{procurement_id}"
    headers = {"If-Match": '"v1"'}
    assert client.patch(url, json={"status": "evaluating"}, headers=headers).status_code == 200
    # The same request again, as a client that never saw the first answer would send it.
    assert_problem(client.patch(url, json={"status": "evaluating"}, headers=headers), 412)
    assert client.get(url).headers["ETag"] == '"v2"'


def test_concurrent_status_moves_with_one_etag_let_exactly_one_win(app, client):
    """Seven writers holding the ETag the winner replaced are told it is stale (412), not that
    the move they asked for has become impossible (409)."""
    procurement_id = created(client.post("/v1/procurements", json=procurement_body()))["id"]
    url = f"/v1/procurements/{procurement_id}"
    clients = [app.test_client() for _ in range(8)]

    def move(n):
        response = clients[n].patch(
            url, json={"status": "evaluating"}, headers={"If-Match": '"v1"'}
        )
        return response.status_code

    statuses = run_together(8, move)
    assert sorted(statuses) == [200] + [412] * 7
    after = client.get(url)
    assert after.headers["ETag"] == '"v2"'
    assert after.json["status"] == "evaluating"
