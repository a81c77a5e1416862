"""Webhooks: subscriptions, the outbox written with each change, and signed delivery with retries.

Messages are delivered to a real HTTP receiver on 127.0.0.1 (a stdlib server in a thread) that
checks every signature twice: with the `standardwebhooks` package, the reference
implementation of the Standard Webhooks specification, and with the HMAC written out below from
the specification itself. Neither is the code under test. As the receiver's address is a
private one, these tests allow private targets (the apps' config, see conftest, and the
worker's settings) except where the address policy itself is tested. Times are passed to the worker
explicitly (`now`), so every retry time is checked to the microsecond.
"""

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import re
import signal
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from ethics_api import config, delivery, targets
from ethics_api.cli import main
from ethics_api.delivery import Settings, deliver_due, run
from ethics_api.models import Organisation, Webhook, WebhookAttempt, WebhookDelivery, utcnow
from ethics_api.webhooks import EVENTS

from conftest import TEST_CRITERIA, client_with_key, make_key, make_organisation
from payloads import answers, vendor
from responses import assert_problem

WEBHOOKS = "/v1/webhooks"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]+={0,2}")
# A fixed secret: 32 bytes of 0x01..0x20, so the expected signatures can be worked out apart.
KNOWN_SECRET = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
# The receivers listen on 127.0.0.1: a private target.
LOCAL = {"allow_private_targets": True}
FAST = Settings(
    backoff_seconds=10, backoff_cap_seconds=3600, max_attempts=8, timeout_seconds=5, **LOCAL
)


# --- a receiver --------------------------------------------------------------------------------


def spec_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks, written out: v1,base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class Receiver:
    """An HTTP server that verifies each message and answers the scripted statuses in turn
    (then `default`). Every request is kept, verified or not."""

    def __init__(self, secret: str | None = None, default: int = 204, delay: float = 0):
        self.secret = secret
        self.script: list[int] = []
        self.default = default
        self.delay = delay
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received(self.path, dict(self.headers), body)
                time.sleep(receiver.delay)
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/redirected")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        # Polled every 50 ms for close(): the default half second was paid on every test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/ethics?token=abc"

    def received(self, path: str, headers: dict, body: bytes) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        record = {"path": path, "headers": lowered, "body": body, "verified": False}
        try:
            record["payload"] = Verifier(self.secret).verify(body, headers)
            expected = spec_signature(
                self.secret, lowered["webhook-id"], lowered["webhook-timestamp"], body
            )
            record["verified"] = expected in lowered["webhook-signature"].split(" ")
        except Exception as exc:  # kept, and asserted on by the tests
            record["error"] = repr(exc)
        with self.lock:
            self.requests.append(record)

    def ids(self) -> list[str]:
        return [r["headers"]["webhook-id"] for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server():
    """A port that accepts connections and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        yield f"http://127.0.0.1:{listening.getsockname()[1]}/hooks"


# --- helpers -----------------------------------------------------------------------------------


def subscribe(client, url: str, events=EVENTS, **fields) -> dict:
    response = client.post(WEBHOOKS, json={"url": url, "events": list(events), **fields})
    assert response.status_code == 201, response.json
    return response.json


def subscribe_receiver(client, receiver: Receiver, events=EVENTS) -> dict:
    created = subscribe(client, receiver.url, events)
    receiver.secret = created["secret"]
    return created


def make_vendor(client, name: str = "Acme Analytics") -> str:
    response = client.post("/v1/vendors", json=vendor(name))
    assert response.status_code == 201, response.json
    return response.json["id"]


def submit(client, vendor_id: str, assessor: str = "alice", **levels):
    body = {"assessor": assessor, "answers": answers(**levels)}
    return client.post(f"/v1/vendors/{vendor_id}/assessments", json=body)


def assess(client, vendor_id: str, assessor: str = "alice", **levels) -> dict:
    response = submit(client, vendor_id, assessor, **levels)
    assert response.status_code == 201, response.json
    return response.json


def outbox(app) -> list[WebhookDelivery]:
    with app.extensions["database"].sessions() as session:
        return session.scalars(
            select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.event)
        ).all()


def events_of(app) -> list[str]:
    return sorted(d.event for d in outbox(app))


def attempt_rows(app) -> int:
    with app.extensions["database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(WebhookAttempt))


def deliveries(client, webhook: dict, **query) -> list[dict]:
    response = client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def later(moment: dt.datetime, seconds: float) -> dt.datetime:
    return moment + dt.timedelta(seconds=seconds)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


# --- subscriptions -----------------------------------------------------------------------------


def test_subscription_lifecycle_and_the_secret_shown_once(client):
    created = client.post(
        WEBHOOKS, json={"url": "https://buyer.example/hooks", "events": ["procurement.closed"]}
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["Location"] == f"{WEBHOOKS}/{body['id']}"
    assert body["url"] == "https://buyer.example/hooks"
    assert body["events"] == ["procurement.closed"]
    assert body["active"] is True
    # A generated secret: whsec_ and the base64 of 32 random bytes.
    secret = body["secret"]
    assert SECRET.fullmatch(secret)
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    other = subscribe(client, "https://buyer.example/other", ["scorecard.changed"])
    assert other["secret"] != secret

    shown = client.get(created.headers["Location"])
    assert shown.status_code == 200
    assert shown.json == {k: v for k, v in body.items() if k != "secret"}
    listed = client.get(WEBHOOKS)
    assert [w["id"] for w in listed.json] == [other["id"], body["id"]]  # newest first
    assert json.loads(listed.headers["X-Pagination"])["total"] == 2
    for response in (shown, listed, client.get(f"{WEBHOOKS}/{body['id']}/deliveries")):
        assert secret.removeprefix("whsec_") not in response.get_data(as_text=True)

    deleted = client.delete(created.headers["Location"])
    assert deleted.status_code == 204
    assert deleted.get_data() == b""
    after = client.get(created.headers["Location"]).json
    assert after["active"] is False
    assert after["updated_at"] > body["updated_at"]
    # Kept, for its delivery log; deleting again changes nothing.
    assert {w["id"]: w["active"] for w in client.get(WEBHOOKS).json} == {
        other["id"]: True,
        body["id"]: False,
    }
    assert client.delete(created.headers["Location"]).status_code == 204
    assert client.get(created.headers["Location"]).json == after


def test_a_given_secret_is_kept(client, app):
    created = subscribe(
        client, "https://buyer.example/hooks", ["scorecard.changed"], secret=KNOWN_SECRET
    )
    assert created["secret"] == KNOWN_SECRET
    with app.extensions["database"].sessions() as session:
        assert session.get(Webhook, created["id"]).secret == KNOWN_SECRET


def test_create_is_idempotent_with_a_key(client):
    body = {"url": "https://buyer.example/hooks", "events": ["procurement.closed"]}
    headers = {"Idempotency-Key": "webhook-1"}
    first = client.post(WEBHOOKS, json=body, headers=headers)
    again = client.post(WEBHOOKS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json  # the same subscription, the same secret: a retry
    assert len(client.get(WEBHOOKS).json) == 1
    changed = client.post(WEBHOOKS, json={**body, "events": ["scorecard.changed"]}, headers=headers)
    assert_problem(changed, 422)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": "ftp://buyer.example/hooks"}, "/url"),
        ({"url": "https://buyer.example/\nhooks"}, "/url"),
        ({"url": "https://a.example/" + "x" * 2000}, "/url"),
        ({"events": []}, "/events"),
        ({"events": "scorecard.changed"}, "/events"),
        ({"events": ["scorecard.changed", "scorecard.changed"]}, "/events"),
        ({"events": ["vendor.deleted"]}, "/events/0"),
        ({"secret": "secret"}, "/secret"),
        ({"secret": "whsec_" + base64.b64encode(b"x" * 23).decode()}, "/secret"),  # too short
        ({"secret": "whsec_" + base64.b64encode(b"x" * 65).decode()}, "/secret"),  # too long
        ({"secret": "whsec_" + "A" * 43}, "/secret"),  # not padded base64
        ({"secret": None}, "/secret"),
        ({"active": False}, "/active"),
        ({"url": None}, "/url"),
    ],
)
def test_invalid_subscriptions_are_422_and_store_nothing(client, body, pointer):
    full = {"url": "https://buyer.example/hooks", "events": ["scorecard.changed"], **body}
    problem = assert_problem(client.post(WEBHOOKS, json=full), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert client.get(WEBHOOKS).json == []


@pytest.mark.parametrize("size", [24, 25, 26, 63, 64])
def test_secrets_of_24_to_64_bytes_are_accepted(client, size):
    secret = "whsec_" + base64.b64encode(os.urandom(size)).decode()
    assert (
        subscribe(client, "https://buyer.example/hooks", ["scorecard.changed"], secret=secret)[
            "secret"
        ]
        == secret
    )


def test_only_admins_manage_webhooks_of_their_own_organisation(app, client):
    created = subscribe(client, "https://buyer.example/hooks", ["scorecard.changed"])
    url = f"{WEBHOOKS}/{created['id']}"
    for role in ("buyer", "assessor", "moderator", "auditor"):
        other_role = client_with_key(app, make_key(app, role))
        for response in (
            other_role.post(WEBHOOKS, json={"url": "https://x.example", "events": EVENTS[:1]}),
            other_role.get(WEBHOOKS),
            other_role.get(url),
            other_role.get(f"{url}/deliveries"),
            other_role.delete(url),
        ):
            assert_problem(response, 403)

    elsewhere = make_organisation(app, "Another council")
    stranger = client_with_key(app, make_key(app, "admin", organisation_id=elsewhere))
    assert stranger.get(WEBHOOKS).json == []
    for response in (stranger.get(url), stranger.get(f"{url}/deliveries"), stranger.delete(url)):
        assert_problem(response, 404)
    assert client.get(url).json["active"] is True  # their DELETE changed nothing
    # Their own subscription is theirs alone.
    theirs = subscribe(stranger, "https://other.example/hooks", ["scorecard.changed"])
    assert [w["id"] for w in stranger.get(WEBHOOKS).json] == [theirs["id"]]
    assert [w["id"] for w in client.get(WEBHOOKS).json] == [created["id"]]
    assert_problem(client.get(f"{WEBHOOKS}/{theirs['id']}"), 404)


def test_unknown_ids_and_query_parameters(client):
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(client.get(f"{WEBHOOKS}/{missing}"), 404)
    assert_problem(client.delete(f"{WEBHOOKS}/{missing}"), 404)
    assert_problem(client.get(f"{WEBHOOKS}/{missing}/deliveries"), 404)
    assert_problem(client.get(f"{WEBHOOKS}/not-a-uuid"), 404)
    created = subscribe(client, "https://buyer.example/hooks", ["scorecard.changed"])
    url = f"{WEBHOOKS}/{created['id']}/deliveries"
    assert_problem(client.get(url, query_string={"status": "lost"}), 422)
    assert_problem(client.get(url, query_string={"sort": "old"}), 422)


# --- the outbox, written with the change --------------------------------------------------------


def test_events_are_written_in_the_transaction_of_the_change(app, client):
    everything = subscribe(client, "https://buyer.example/all")
    knockouts = subscribe(client, "https://buyer.example/knockouts", ["knockout.triggered"])
    elsewhere = make_organisation(app, "Another council")
    stranger = client_with_key(app, make_key(app, "admin", organisation_id=elsewhere))
    subscribe(stranger, "https://other.example/all")
    vendor_id = make_vendor(client)

    # Refused, by the schema or by the view: nothing changed, so nothing is announced.
    assert_problem(submit(client, vendor_id, p1=7), 422)
    incomplete = {"assessor": "alice", "answers": answers()[1:]}
    assert_problem(client.post(f"/v1/vendors/{vendor_id}/assessments", json=incomplete), 422)
    assert outbox(app) == []

    first = assess(client, vendor_id)
    assert events_of(app) == ["assessment.submitted", "scorecard.changed"]
    rows = {d.event: d for d in outbox(app)}
    assert {d.webhook_id for d in rows.values()} == {everything["id"]}
    assert rows["assessment.submitted"].payload["data"] == {
        "vendor_id": vendor_id,
        "criteria_set": "mini@1",
        "procurement_id": None,
        "assessment_id": first["id"],
        "assessor": "alice",
    }
    assert rows["assessment.submitted"].payload["type"] == "assessment.submitted"
    assert all(d.status == "pending" and d.attempts == 0 for d in rows.values())
    assert len({d.message_id for d in outbox(app)}) == 2

    # A knockout (p1 at 0) makes the vendor ineligible: three events, the knockout to both.
    assess(client, vendor_id, assessor="bob", p1=0)
    assert events_of(app) == [
        "assessment.submitted",
        "assessment.submitted",
        "knockout.triggered",
        "knockout.triggered",
        "scorecard.changed",
        "scorecard.changed",
    ]
    knocked = [d for d in outbox(app) if d.event == "knockout.triggered"]
    assert {d.webhook_id for d in knocked} == {everything["id"], knockouts["id"]}

    # Closing a procurement.
    procurement = client.post(
        "/v1/procurements",
        json={"ocid": "ocds-213czf-0001", "title": "Analytics", "buyer": {"name": "City"}},
    )
    assert procurement.status_code == 201, procurement.json
    url = procurement.headers["Location"]
    for status in ("evaluating", "closed"):
        moved = client.patch(
            url, json={"status": status}, headers={"If-Match": client.get(url).headers["ETag"]}
        )
        assert moved.status_code == 200, moved.json
    closed = [d for d in outbox(app) if d.event == "procurement.closed"]
    assert len(closed) == 1
    assert closed[0].webhook_id == everything["id"]
    assert closed[0].payload["data"]["procurement_id"] == procurement.json["id"]


def test_a_change_that_fails_after_its_events_writes_none(make_app):
    """The messages roll back with the request that wrote them."""
    app = make_app()

    @app.after_request  # runs before the request's commit (hooks run last-registered first)
    def fail_submissions(response):
        if response.status_code == 201 and "/assessments/" in response.headers.get("Location", ""):
            response.status_code = 500  # after the view wrote its rows and its messages
        return response

    client = app.test_client()
    subscribe(client, "https://buyer.example/all")
    vendor_id = make_vendor(client)
    assert submit(client, vendor_id).status_code == 500
    assert outbox(app) == []
    assert client.get(f"/v1/vendors/{vendor_id}/assessments").json == []


# --- delivery ----------------------------------------------------------------------------------


def test_messages_arrive_signed_and_are_marked_delivered(app, client, receiver):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted", "scorecard.changed"])
    vendor_id = make_vendor(client)
    assess(client, vendor_id)
    now = utcnow()

    outcomes = deliver_due(app.extensions["database"], now=now, settings=FAST)
    assert [o.status for o in outcomes] == ["delivered", "delivered"]
    assert len(receiver.requests) == 2
    rows = {d.message_id: d for d in outbox(app)}
    for request in receiver.requests:
        assert request["verified"], request.get("error")
        headers = request["headers"]
        assert request["path"] == "/hooks/ethics?token=abc"
        assert headers["content-type"] == "application/json"
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
        row = rows[headers["webhook-id"]]
        assert json.loads(request["body"]) == request["payload"] == row.payload
        assert row.status == "delivered" and row.attempts == 1 and row.delivered_at == now
    assert sorted(r["payload"]["type"] for r in receiver.requests) == [
        "assessment.submitted",
        "scorecard.changed",
    ]
    # A tampered body, or another secret, is refused by the same verifier.
    sample = receiver.requests[0]
    with pytest.raises(WebhookVerificationError, match="signature"):
        Verifier(webhook["secret"]).verify(sample["body"] + b" ", sample["headers"])
    with pytest.raises(WebhookVerificationError, match="signature"):
        Verifier(KNOWN_SECRET).verify(sample["body"], sample["headers"])

    # Delivered messages are not sent again.
    assert deliver_due(app.extensions["database"], now=later(now, 86400), settings=FAST) == []
    assert len(receiver.requests) == 2
    logged = deliveries(client, webhook)
    assert {d["status"] for d in logged} == {"delivered"}
    assert all(d["next_attempt_at"] is None for d in logged)
    assert all([a["status_code"] for a in d["attempt_log"]] == [204] for d in logged)


def test_a_given_secret_signs_the_messages(app, client, receiver):
    subscribe(client, receiver.url, ["assessment.submitted"], secret=KNOWN_SECRET)
    receiver.secret = KNOWN_SECRET
    assess(client, make_vendor(client))
    # Given a bare engine rather than the app's Database, and the real clock.
    (outcome,) = deliver_due(app.extensions["database"].engine, settings=FAST)
    assert outcome.status == "delivered"
    (request,) = receiver.requests
    assert request["verified"], request.get("error")


def test_retries_back_off_and_keep_the_message_id(app, client, receiver):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    receiver.script = [500, 500]  # then the default, 204
    db = app.extensions["database"]
    start = utcnow()

    first = deliver_due(db, now=start, settings=FAST)
    assert [(o.status, o.status_code) for o in first] == [("pending", 500)]
    assert first[0].next_attempt_at == later(start, 10)  # base * 2**0
    assert deliver_due(db, now=later(start, 9.999), settings=FAST) == []  # not due yet

    second = deliver_due(db, now=later(start, 10), settings=FAST)
    assert [(o.status, o.status_code) for o in second] == [("pending", 500)]
    assert second[0].next_attempt_at == later(start, 10 + 20)  # base * 2**1
    assert deliver_due(db, now=later(start, 29.999), settings=FAST) == []

    third = deliver_due(db, now=later(start, 30), settings=FAST)
    assert [(o.status, o.status_code, o.attempt) for o in third] == [("delivered", 204, 3)]

    assert len(receiver.requests) == 3
    assert all(r["verified"] for r in receiver.requests), receiver.requests
    (message_id,) = set(receiver.ids())  # one id, on every attempt
    assert all(r["body"] == receiver.requests[0]["body"] for r in receiver.requests)

    (logged,) = deliveries(client, webhook)
    assert logged["message_id"] == message_id
    assert logged["event"] == "assessment.submitted"
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 3
    assert logged["delivered_at"] == iso(later(start, 30))
    assert logged["next_attempt_at"] is None
    assert [(a["attempted_at"], a["status_code"], a["error"]) for a in logged["attempt_log"]] == [
        (iso(start), 500, None),
        (iso(later(start, 10)), 500, None),
        (iso(later(start, 30)), 204, None),
    ]
    assert all(
        isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in logged["attempt_log"]
    )


def test_pending_deliveries_show_when_they_are_tried_next(app, client, receiver):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    receiver.default = 503
    start = utcnow()
    deliver_due(app.extensions["database"], now=start, settings=FAST)
    (logged,) = deliveries(client, webhook)
    assert (logged["status"], logged["attempts"]) == ("pending", 1)
    assert logged["next_attempt_at"] == iso(later(start, 10))
    assert logged["delivered_at"] is None
    assert deliveries(client, webhook, status="pending") == [logged]
    assert deliveries(client, webhook, status="delivered") == []


def test_backoff_doubles_up_to_the_cap():
    settings = Settings(backoff_seconds=10, backoff_cap_seconds=60)
    assert [settings.backoff(n).total_seconds() for n in range(1, 7)] == [10, 20, 40, 60, 60, 60]
    assert Settings().backoff(1000).total_seconds() == 3600
    assert Settings(backoff_seconds=0.5).backoff(3) == dt.timedelta(seconds=2)


def test_a_redirect_is_an_answer_not_followed(app, client, receiver):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    receiver.script = [307]
    (outcome,) = deliver_due(app.extensions["database"], settings=FAST)
    assert (outcome.status, outcome.status_code) == ("pending", 307)
    assert [r["path"] for r in receiver.requests] == ["/hooks/ethics?token=abc"]
    assert deliveries(client, webhook)[0]["attempt_log"][0]["status_code"] == 307


def test_a_receiver_that_is_down_fails_after_max_attempts(app, client):
    webhook = subscribe(client, f"http://127.0.0.1:{free_port()}/hooks", ["assessment.submitted"])
    assess(client, make_vendor(client))
    settings = Settings(backoff_seconds=1, max_attempts=3, timeout_seconds=2, **LOCAL)
    db = app.extensions["database"]
    start = utcnow()
    times = [start, later(start, 1), later(start, 3)]  # after 1 s, then 2 s more
    for number, now in enumerate(times, 1):
        (outcome,) = deliver_due(db, now=now, settings=settings)
        assert outcome.attempt == number
        assert outcome.status_code is None
        assert "ConnectionRefusedError" in outcome.error
        assert outcome.status == ("failed" if number == 3 else "pending")
    # Failed for good: never tried again.
    assert deliver_due(db, now=later(start, 10**6), settings=settings) == []
    (logged,) = deliveries(client, webhook)
    assert (logged["status"], logged["attempts"]) == ("failed", 3)
    assert logged["next_attempt_at"] is None and logged["delivered_at"] is None
    assert [a["attempted_at"] for a in logged["attempt_log"]] == [iso(t) for t in times]
    assert all(a["status_code"] is None for a in logged["attempt_log"])
    assert all("Connection refused" in a["error"] for a in logged["attempt_log"])
    assert deliveries(client, webhook, status="failed") == [logged]


def test_a_receiver_that_never_answers_times_out(app, client):
    with silent_server() as url:
        webhook = subscribe(client, url, ["assessment.submitted"])
        assess(client, make_vendor(client))
        settings = Settings(backoff_seconds=1, max_attempts=2, timeout_seconds=0.3, **LOCAL)
        start = utcnow()
        first = deliver_due(app.extensions["database"], now=start, settings=settings)
        second = deliver_due(app.extensions["database"], now=later(start, 1), settings=settings)
    assert [o.status for o in first + second] == ["pending", "failed"]
    logged = deliveries(client, webhook)[0]["attempt_log"]
    assert len(logged) == 2
    for attempt in logged:
        assert attempt["status_code"] is None
        assert "timed out" in attempt["error"]
        assert attempt["duration_ms"] >= 250


def test_an_inactive_subscription_gets_nothing_new(app, client, receiver):
    kept = Receiver()
    try:
        dropped = subscribe_receiver(client, receiver, ["assessment.submitted"])
        staying = subscribe_receiver(client, kept, ["assessment.submitted"])
        vendor_id = make_vendor(client)
        assess(client, vendor_id)  # queued for both
        assert client.delete(f"{WEBHOOKS}/{dropped['id']}").status_code == 204
        assess(client, vendor_id, assessor="bob")  # queued for the active one only

        deliver_due(app.extensions["database"], now=later(utcnow(), 3600), settings=FAST)
        assert receiver.requests == []
        assert len(kept.requests) == 2 and all(r["verified"] for r in kept.requests)
        # The one queued before the delete failed unsent; it stays in the log.
        (logged,) = deliveries(client, dropped)
        assert (logged["status"], logged["attempts"], logged["attempt_log"]) == ("failed", 0, [])
        assert {d["status"] for d in deliveries(client, staying)} == {"delivered"}
    finally:
        kept.close()


def test_the_worker_sends_nothing_to_an_inactive_subscription(app, client, receiver):
    """Whatever is still pending when a subscription is switched off stays unsent."""
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    with app.extensions["database"].transaction() as session:
        session.get(Webhook, webhook["id"]).active = False  # only the flag, nothing else
    assert deliver_due(app.extensions["database"], now=later(utcnow(), 3600), settings=FAST) == []
    assert receiver.requests == []
    assert attempt_rows(app) == 0


def test_two_workers_never_send_one_message_twice(app, client):
    receiver = Receiver(delay=0.02)
    try:
        subscribe_receiver(client, receiver)
        vendor_id = make_vendor(client)
        for n in range(4):
            assess(client, vendor_id, assessor=f"assessor {n}", p2=n)
        expected = {d.message_id for d in outbox(app)}
        assert len(expected) >= 6
        failures = []
        start = threading.Barrier(2)

        def work():
            try:
                start.wait()
                deliver_due(app.extensions["database"], settings=FAST)
            except Exception as exc:
                failures.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert not failures
        assert sorted(receiver.ids()) == sorted(expected)  # each once, none lost
        assert attempt_rows(app) == len(expected)
        assert {d.status for d in outbox(app)} == {"delivered"}
    finally:
        receiver.close()


# --- the command -------------------------------------------------------------------------------


def test_webhooks_run_once_prints_one_line_per_attempt(app, client, receiver, database_url):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted", "scorecard.changed"])
    assess(client, make_vendor(client))
    receiver.script = [500]
    environment = {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA),
        "ETHICS_DEFAULT_CRITERIA_SET": None,
        "ETHICS_WEBHOOK_BACKOFF_SECONDS": "120",
        "ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    }
    result = CliRunner().invoke(
        main, ["webhooks", "run", "--once"], env=environment, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if " attempt " in line]
    assert len(lines) == 2, result.output
    assert sum(line.endswith("; delivered") for line in lines) == 1
    (retried,) = [line for line in lines if "HTTP 500" in line]
    assert "attempt 1/8" in retried and "; retry at " in retried
    assert "token=abc" not in result.output  # the query may carry a credential
    for message_id in (d["message_id"] for d in deliveries(client, webhook)):
        assert message_id in result.output
    # The retry was scheduled with the configured base: 120 s after the attempt.
    pending = [d for d in deliveries(client, webhook) if d["status"] == "pending"]
    (logged,) = pending
    waited = dt.datetime.fromisoformat(logged["next_attempt_at"]) - dt.datetime.fromisoformat(
        logged["attempt_log"][0]["attempted_at"]
    )
    assert dt.timedelta(seconds=120) <= waited < dt.timedelta(seconds=130)


def test_webhooks_run_refuses_bad_settings(database_url):
    environment = {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA),
        "ETHICS_WEBHOOK_MAX_ATTEMPTS": "many",
    }
    result = CliRunner().invoke(main, ["webhooks", "run", "--once"], env=environment)
    assert result.exit_code == 1
    assert "ETHICS_WEBHOOK_MAX_ATTEMPTS must be a number" in result.output
    bad_interval = CliRunner().invoke(main, ["webhooks", "run", "--interval", "0"], env=environment)
    assert bad_interval.exit_code == 2


def test_run_stops_cleanly_on_sigterm(app, client, receiver):
    subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    lines: list[str] = []
    started = threading.Event()

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("Delivering webhooks"):
            started.set()

    def terminate():
        if started.wait(10):
            time.sleep(0.2)  # the first round is done: it is sleeping for 30 s
            os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    killer = threading.Thread(target=terminate)
    killer.start()
    began = time.monotonic()
    try:
        attempts = run(app, interval=30, echo=echo, settings=FAST)
    finally:
        killer.join()
    assert time.monotonic() - began < 10
    assert attempts == 1
    assert len(receiver.requests) == 1
    assert "SIGTERM: stopping after the current attempt" in lines
    assert lines[-1] == "Stopped after 1 attempts."
    assert signal.getsignal(signal.SIGTERM) is before


def test_run_refuses_an_unbounded_interval(app):
    for interval in (0, -1, 3601):
        with pytest.raises(ValueError, match="interval"):
            run(app, once=True, interval=interval)


def test_settings_come_from_config_then_environment(make_app, monkeypatch):
    monkeypatch.setenv("ETHICS_WEBHOOK_BACKOFF_SECONDS", "2.5")
    monkeypatch.setenv("ETHICS_WEBHOOK_MAX_ATTEMPTS", "3")
    settings = Settings.from_config(make_app(WEBHOOK_MAX_ATTEMPTS=5).config)
    assert (settings.backoff_seconds, settings.max_attempts) == (2.5, 5)
    assert Settings.from_config({}) == Settings()
    assert Settings.from_config(vars(config.Defaults)) == Settings()
    assert (Settings().backoff_seconds, Settings().max_attempts) == (10, 8)
    with pytest.raises(ValueError, match="backoff_seconds"):
        Settings.from_config(config.from_environment({"ETHICS_WEBHOOK_BACKOFF_SECONDS": "0"}))
    with pytest.raises(ValueError, match="ETHICS_WEBHOOK_TIMEOUT_SECONDS must be a number"):
        config.from_environment({"ETHICS_WEBHOOK_TIMEOUT_SECONDS": "soon"})
    with pytest.raises(ValueError, match="WEBHOOK_TIMEOUT_SECONDS must be a number"):
        Settings.from_config({"WEBHOOK_TIMEOUT_SECONDS": "soon"})


def test_spec_signature_matches_the_reference_library():
    """The test's own reading of the specification agrees with the reference implementation."""
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    expected = Verifier(KNOWN_SECRET).sign("msg_1", moment, '{"a":1}')
    assert spec_signature(KNOWN_SECRET, "msg_1", str(int(moment.timestamp())), b'{"a":1}') == (
        expected
    )
    assert binascii.a2b_base64(expected.split(",")[1])


# --- one message never stops the worker --------------------------------------------------------


def insert_webhook(app, url: str, secret: str = KNOWN_SECRET) -> dict:
    """A subscription to assessment.submitted written straight to the database, bypassing the
    API's checks, as rows stored before those checks existed were."""
    with app.extensions["database"].transaction() as session:
        webhook = Webhook(
            organisation_id=session.scalar(
                select(Organisation.id).order_by(Organisation.created_at)
            ),
            url=url,
            events=["assessment.submitted"],
            secret=secret,
        )
        session.add(webhook)
        session.flush()
        return {"id": webhook.id}


def due_first(app, webhook: dict, moment: dt.datetime) -> None:
    """Make the subscription's messages due before every other one, so the worker meets them
    first (the outbox is worked in order of next_attempt_at)."""
    with app.extensions["database"].transaction() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook["id"])
            .values(next_attempt_at=later(moment, -60))
        )


def test_a_stored_url_with_a_bad_port_fails_alone(app, client, receiver):
    """`webhooks run` used to stop (ValueError: Port out of range) at such a row, for everyone."""
    bad = insert_webhook(app, "http://127.0.0.1:99999/hooks?token=abc")
    good = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    due_first(app, bad, utcnow())
    lines: list[str] = []

    assert run(app, once=True, echo=lines.append, settings=FAST) == 2

    (request,) = receiver.requests
    assert request["verified"], request.get("error")
    assert [d["status"] for d in deliveries(client, good)] == ["delivered"]
    (logged,) = deliveries(client, bad)
    assert (logged["status"], logged["attempts"]) == ("pending", 1)  # retried, like any failure
    (attempt,) = logged["attempt_log"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "invalid URL: Port out of range 0-65535"
    waited = dt.datetime.fromisoformat(logged["next_attempt_at"]) - dt.datetime.fromisoformat(
        attempt["attempted_at"]
    )
    assert dt.timedelta(seconds=10) <= waited < dt.timedelta(seconds=20)
    (line,) = [line for line in lines if logged["message_id"] in line]
    assert (
        "-> http://127.0.0.1:<invalid port>/hooks attempt 1/8: invalid URL: Port out of range"
        in (line)
    )
    assert "; retry at " in line
    assert "token=abc" not in "\n".join(lines)
    assert lines[-1] == "Stopped after 2 attempts."


def test_an_unexpected_error_fails_that_message_only(app, client, receiver, caplog):
    # A secret that is not base64: signing raises (binascii.Error), a bug's stand-in.
    bad = insert_webhook(app, receiver.url, secret="whsec_not base64!")
    good = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    start = utcnow()
    due_first(app, bad, start)
    db = app.extensions["database"]

    first = deliver_due(db, now=start, settings=FAST)
    assert [(o.status, o.status_code) for o in first] == [("pending", None), ("delivered", 204)]
    assert first[0].error.startswith("unexpected error: binascii.Error: Invalid base64")
    assert first[0].next_attempt_at == later(start, 10)  # backed off like any failure
    assert len(receiver.requests) == 1 and receiver.requests[0]["verified"]
    assert [d["status"] for d in deliveries(client, good)] == ["delivered"]
    (record,) = [r for r in caplog.records if r.name == "ethics_api.delivery"]
    assert record.levelname == "ERROR" and record.exc_info
    assert first[0].message_id in record.getMessage()

    second = deliver_due(db, now=later(start, 10), settings=FAST)
    assert [(o.attempt, o.status, o.next_attempt_at) for o in second] == [
        (2, "pending", later(start, 30))
    ]
    assert [a["error"] for a in deliveries(client, bad)[0]["attempt_log"]] == [
        first[0].error,
        second[0].error,
    ]


def test_an_error_text_with_nul_is_stored(app, client):
    """PostgreSQL text cannot hold NUL: the worker must not fail to record such an error."""
    webhook = subscribe(client, "https://buyer.example/hooks", ["assessment.submitted"])
    assess(client, make_vendor(client))

    def broken(url, body, headers, timeout):
        raise OSError("no\x00answer")

    (outcome,) = deliver_due(app.extensions["database"], http=broken, settings=FAST)
    assert (outcome.status, outcome.error) == ("pending", "OSError: no\\x00answer")
    assert deliveries(client, webhook)[0]["attempt_log"][0]["error"] == outcome.error


def test_an_attempt_that_cannot_be_recorded_is_recorded_as_failed(
    app, client, receiver, monkeypatch, caplog
):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    record = delivery._record
    calls = []

    def fails_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("cannot store this")
        return record(*args)

    monkeypatch.setattr(delivery, "_record", fails_once)
    (outcome,) = deliver_due(app.extensions["database"], settings=FAST)
    assert (outcome.status, outcome.status_code) == ("pending", None)
    assert outcome.error == "unexpected error: the attempt's result could not be recorded"
    assert deliveries(client, webhook)[0]["attempt_log"][0]["error"] == outcome.error
    assert "could not record the attempt" in caplog.text


def test_a_failing_report_stops_nothing(app, client, receiver, caplog):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted", "scorecard.changed"])
    assess(client, make_vendor(client))

    def report(outcome):
        raise BrokenPipeError("the terminal went away")

    outcomes = deliver_due(app.extensions["database"], settings=FAST, report=report)
    assert [o.status for o in outcomes] == ["delivered", "delivered"]
    assert {d["status"] for d in deliveries(client, webhook)} == {"delivered"}
    assert caplog.text.count("could not report the attempt") == 2


# --- the address policy: public targets only, unless allowed -----------------------------------

REFUSED_BY_DEFAULT = "Webhooks are sent to public internet addresses only: "
NOT_ALLOWED = "; webhooks go to public addresses only unless ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS"


@pytest.fixture
def public_only(make_app):
    """An app with the default policy: webhooks to public internet addresses only."""
    return make_app(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)


class FakeDNS:
    """Resolves the names it is given as the test says: a list of answers per name, one per
    lookup (the last one repeated), each a list of addresses or None (does not resolve). Every
    other host, IP literals included, goes to the real resolver. Counts the lookups."""

    def __init__(self, monkeypatch, names: dict[str, list], delay: float = 0):
        self.names, self.delay, self.lookups = names, delay, []
        self.real = targets.resolve
        monkeypatch.setattr(targets, "resolve", self)

    def __call__(self, host: str, port: int) -> list[tuple]:
        if host not in self.names:
            return self.real(host, port)
        answers = self.names[host]
        answer = answers[min(self.lookups.count(host), len(answers) - 1)]
        self.lookups.append(host)
        time.sleep(self.delay)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/hooks", "127.0.0.1 is a private address (loopback)"),
        ("http://localhost/hooks", "localhost resolves to a private address (loopback)"),
        ("http://10.0.0.1/hooks", "10.0.0.1 is a private address (private)"),
        ("http://192.168.1.20/hooks", "192.168.1.20 is a private address (private)"),
        ("http://172.16.0.1/hooks", "172.16.0.1 is a private address (private)"),
        (
            "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
            "169.254.169.254 is a private address (link-local)",
        ),
        ("http://100.64.0.1/hooks", "100.64.0.1 is a private address (non-public)"),  # CGNAT
        # Other spellings of 127.0.0.1 and 0.0.0.0 that resolvers accept.
        ("http://2130706433/", "2130706433 resolves to a private address (loopback)"),
        ("http://127.1/", "127.1 resolves to a private address (loopback)"),
        ("http://0/", "0 resolves to a private address (unspecified)"),
    ],
)
def test_private_targets_are_refused_by_default(public_only, url, why):
    client = public_only.test_client()
    problem = assert_problem(client.post(WEBHOOKS, json={"url": url, "events": EVENTS[:1]}), 422)
    assert problem["detail"] == f"{REFUSED_BY_DEFAULT}{why}."
    assert problem["errors"] == [
        {
            "pointer": "/url",
            "location": "json",
            "messages": [f"Must be a public internet address: {why}."],
        }
    ]
    assert client.get(WEBHOOKS).json == []
    assert outbox(public_only) == []


@pytest.mark.parametrize("url", ["http://[::1]/hooks", "http://[::ffff:127.0.0.1]/hooks"])
def test_ipv6_literals_are_refused_by_default(public_only, url):
    """The URL pattern admits no IPv6 literal at all; the policy refuses these too (below)."""
    client = public_only.test_client()
    problem = assert_problem(client.post(WEBHOOKS, json={"url": url, "events": EVENTS[:1]}), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/url"]
    assert client.get(WEBHOOKS).json == []


def test_names_are_checked_by_what_they_resolve_to(public_only, monkeypatch):
    FakeDNS(
        monkeypatch,
        {
            "receiver.example": [["93.184.215.14"]],
            "intranet.example": [["10.1.2.3"]],
            "partly.example": [["93.184.215.14", "10.1.2.3"]],  # any private address refuses
            "mapped.example": [["::ffff:10.1.2.3"]],
            "metadata.example": [["169.254.169.254"]],
            "unpublished.example": [None],
        },
    )
    client = public_only.test_client()
    for url in (
        "https://93.184.215.14/hook",
        "https://receiver.example/hook",
        # Not resolvable (yet): accepted, and checked at every delivery.
        "https://unpublished.example/hook",
    ):
        subscribe(client, url, EVENTS[:1])
    for host, why in [
        ("intranet.example", "resolves to a private address (private)"),
        ("partly.example", "resolves to a private address (private)"),
        ("mapped.example", "resolves to a private address (private)"),
        ("metadata.example", "resolves to a private address (link-local)"),
    ]:
        refused = client.post(WEBHOOKS, json={"url": f"https://{host}/", "events": EVENTS[:1]})
        detail = assert_problem(refused, 422)["detail"]
        # Never the address a name resolves to: internal DNS answers stay internal.
        assert detail == f"{REFUSED_BY_DEFAULT}{host} {why}."
    assert len(client.get(WEBHOOKS).json) == 3


def test_a_slow_lookup_does_not_hold_the_request(public_only, monkeypatch):
    FakeDNS(monkeypatch, {"slow.example": [["10.1.2.3"]]}, delay=2)
    monkeypatch.setattr(targets, "LOOKUP_SECONDS", 0.1)
    began = time.monotonic()
    subscribe(public_only.test_client(), "https://slow.example/hook", EVENTS[:1])
    assert time.monotonic() - began < 1.5  # accepted unresolved: the worker checks it


def test_private_targets_are_accepted_when_allowed(app, client):
    """The tests' apps allow them (conftest), as an on-premises deployment would."""
    assert app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] is True
    for url in ("http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://10.0.0.1/h"):
        subscribe(client, url, EVENTS[:1])


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("::ffff:93.184.215.14", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),  # multicast
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated)
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("64:ff9b:1::1", False),  # local-use NAT64
    ],
)
def test_which_addresses_are_public(address, public):
    assert targets.is_public(ipaddress.ip_address(address)) is public


def test_the_worker_refuses_private_addresses_unless_allowed(app, client, receiver):
    webhook = subscribe_receiver(client, receiver, ["assessment.submitted"])
    assess(client, make_vendor(client))
    db = app.extensions["database"]
    start = utcnow()
    public_only = dataclasses.replace(FAST, allow_private_targets=False)

    (refused,) = deliver_due(db, now=start, settings=public_only)
    assert (refused.status, refused.status_code) == ("pending", None)
    assert refused.error == (
        f"refused: 127.0.0.1 is a private address (loopback){NOT_ALLOWED} is true"
    )
    assert refused.next_attempt_at == later(start, 10)
    assert receiver.requests == []  # not even a connection
    # Allowed, the same message goes.
    (sent,) = deliver_due(db, now=later(start, 10), settings=FAST)
    assert (sent.status, sent.attempt) == ("delivered", 2)
    assert len(receiver.requests) == 1
    assert [a["error"] for a in deliveries(client, webhook)[0]["attempt_log"]] == [
        refused.error,
        None,
    ]


def test_the_worker_takes_the_policy_from_the_app(public_only, receiver):
    """Rows stored before the check (or by hand) are refused at delivery, https and IPv6 too."""
    port = receiver.server.server_port
    urls = {
        f"http://[::ffff:127.0.0.1]:{port}/hooks": "::ffff:127.0.0.1 is a private address",
        f"https://localhost:{port}/hooks": "localhost resolves to a private address (loopback)",
        f"http://[::1]:{port}/hooks": "::1 is a private address (loopback)",
    }
    hooks = {insert_webhook(public_only, url)["id"]: why for url, why in urls.items()}
    client = public_only.test_client()
    assess(client, make_vendor(client))
    lines: list[str] = []

    assert run(public_only, once=True, echo=lines.append) == 3  # settings from the app's config

    assert receiver.requests == []
    for webhook_id, why in hooks.items():
        (logged,) = deliveries(client, {"id": webhook_id})
        (attempt,) = logged["attempt_log"]
        assert attempt["error"].startswith(f"refused: {why}"), attempt["error"]
        assert attempt["error"].endswith(f"{NOT_ALLOWED} is true")
    assert sum("refused: " in line for line in lines) == 3
    assert "private targets allowed" not in lines[0]


def test_a_name_that_rebinds_to_a_private_address_is_refused(public_only, receiver, monkeypatch):
    """Public when subscribed, loopback when delivered (DNS rebinding): refused at delivery."""
    dns = FakeDNS(monkeypatch, {"hooks.example": [["93.184.215.14"], ["127.0.0.1"]]})
    client = public_only.test_client()
    url = f"http://hooks.example:{receiver.server.server_port}/hooks"
    webhook = subscribe(client, url, ["assessment.submitted"])
    assess(client, make_vendor(client))

    (outcome,) = deliver_due(
        public_only.extensions["database"], settings=Settings.from_config(public_only.config)
    )
    assert outcome.error == (
        f"refused: hooks.example resolves to a private address (loopback){NOT_ALLOWED} is true"
    )
    assert receiver.requests == []
    assert dns.lookups == ["hooks.example", "hooks.example"]  # at creation, at delivery
    assert deliveries(client, webhook)[0]["attempt_log"][0]["error"] == outcome.error


def test_the_address_checked_is_the_address_connected_to(app, client, receiver, monkeypatch):
    """One lookup per attempt: a second one (here: another address) could never be used.

    For this test 127.0.0.1 counts as public, so that the receiver can stand for a public host.
    """
    dns = FakeDNS(monkeypatch, {"hooks.example": [["127.0.0.1"], ["10.255.255.1"]]})
    monkeypatch.setattr(targets, "is_public", lambda address: str(address) == "127.0.0.1")
    url = f"http://hooks.example:{receiver.server.server_port}/hooks"
    webhook = subscribe(client, url, ["assessment.submitted"])  # allowed: no lookup
    receiver.secret = webhook["secret"]
    assess(client, make_vendor(client))
    public_only = dataclasses.replace(FAST, allow_private_targets=False)

    (outcome,) = deliver_due(app.extensions["database"], settings=public_only)
    assert outcome.status == "delivered", outcome.error
    assert dns.lookups == ["hooks.example"]
    (request,) = receiver.requests
    assert request["verified"], request.get("error")
    # Sent to the checked address, still named as the URL names it.
    assert request["headers"]["host"] == f"hooks.example:{receiver.server.server_port}"


def test_the_private_targets_setting():
    assert config.Defaults.WEBHOOK_ALLOW_PRIVATE_TARGETS is False
    assert Settings().allow_private_targets is False
    assert Settings.from_config({}).allow_private_targets is False
    assert Settings.from_config({"WEBHOOK_ALLOW_PRIVATE_TARGETS": True}).allow_private_targets
    for spelled, meant in [("true", True), ("1", True), ("Yes", True), ("false", False)]:
        environ = {"ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS": spelled}
        assert Settings.from_config(config.from_environment(environ)).allow_private_targets is meant
        assert config.from_environment(environ) == {"WEBHOOK_ALLOW_PRIVATE_TARGETS": meant}
    typo = {"ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "ture"}
    with pytest.raises(ValueError, match="ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or"):
        config.from_environment(typo)
    with pytest.raises(ValueError, match="WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or"):
        Settings.from_config({"WEBHOOK_ALLOW_PRIVATE_TARGETS": "ture"})
    with pytest.raises(ValueError, match="allow_private_targets"):
        Settings(allow_private_targets="yes")
