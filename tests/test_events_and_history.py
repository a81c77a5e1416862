"""The event log, the audit API, the scorecard history and corrections.

Every write leaves exactly one event, written in the write's own transaction (a refused write
leaves none), naming the key that made it and never a secret. Auditors and admins read their own
organisation's log, filtered and paged, and check its chain. The scorecard history shows how a
vendor's total, grade and eligibility moved, assessment by assessment; a correction is a new
assessment, and the one it supersedes stops counting.

Every expected figure is worked out by hand in a comment from tests/criteria/mini-1.yaml:

    privacy   W 2, minimum 50: p1 w1 (knockout), p2 w3, p3 w1 (N/A allowed)
    oversight W 1:             o1 w1, o2 w1 (N/A allowed)
    openness  W 1, minimum 25: t1 w2, t2 w1 (both N/A allowed)

    S_c = 100 * sum(w_i * level_i) / (4 * sum(w_i))   over the indicators given a level
    T   = sum(W_c * S_c) / sum(W_c)                   over the criteria scored

With every indicator answered: S_privacy = 5 (p1 + 3 p2 + p3), S_oversight = 12.5 (o1 + o2),
S_openness = (25/3) (2 t1 + t2). Grades: A >= 80, B >= 60, C >= 40, D otherwise. Assessors
combine by the lower median of their levels (two assessors: the lower level); the latest
moderated assessment is used alone.
"""

import base64
import contextlib
import datetime as dt
import json
import secrets
import threading
import uuid

import pytest
from sqlalchemy import func, select

from ethics_api import audit
from ethics_api.models import ApiKey, Event, Vendor
from ethics_api.services.context import Caller as SystemCaller
from ethics_api.services.context import Context
from ethics_api.services.errors import Invalid
from ethics_api.services.keys import create_key
from ethics_api.services.people import create_person

from conftest import client_with_key, make_key, make_organisation
from payloads import answers, vendor

VENDORS = "/v1/vendors"
PROCUREMENTS = "/v1/procurements"
WEBHOOKS = "/v1/webhooks"
AUDIT = "/v1/audit"
IDENTIFIER = {"scheme": "GB-COH", "id": "01234567"}
OVERRIDE = {"privacy": 1, "oversight": 1, "openness": 2}
STATEMENT = "Collection is limited to the stated purpose; see our policy."
ALL = ("p1", "p2", "p3", "o1", "o2", "t1", "t2")


# --- helpers -------------------------------------------------------------------------------------


def prefix_of(secret: str) -> str:
    """The visible prefix of a key: eth_ and 8 hex digits."""
    return "_".join(secret.split("_")[:2])


class Caller:
    """A key of one role and name, with a client sending it."""

    def __init__(
        self, app, role: str, name: str, vendor_id=None, organisation_id=None, secret=None
    ):
        self.secret = secret or make_key(app, role, name, vendor_id, organisation_id)
        self.prefix = prefix_of(self.secret)
        self.role, self.name = role, name
        self.client = client_with_key(app, self.secret)
        with app.extensions["database"].sessions() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.prefix == self.prefix))
            self.organisation_id = key.organisation_id
            self.key_id = key.id
            self.person_id = key.person_id

    @classmethod
    def admin(cls, app) -> "Caller":
        return cls(app, "admin", "first admin", secret=app.config["ADMIN_KEY"])

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        return self.client.post(*args, **kwargs)

    def patch(self, *args, **kwargs):
        return self.client.patch(*args, **kwargs)

    def delete(self, *args, **kwargs):
        return self.client.delete(*args, **kwargs)


class EventLog:
    """The `events` table, read directly."""

    def __init__(self, app):
        self.db = app.extensions["database"]

    def count(self) -> int:
        with self.db.sessions() as session:
            return session.scalar(select(func.count()).select_from(Event))

    def head(self) -> frozenset:
        """What the log holds now: (chain, seq) of every event (each organisation has a chain
        of its own, numbered from 1), to tell what comes after."""
        with self.db.sessions() as session:
            return frozenset(tuple(row) for row in session.execute(select(Event.chain, Event.seq)))

    def after(self, head: frozenset) -> list[Event]:
        """The events appended since `head`, in the order they were appended."""
        with self.db.sessions() as session:
            statement = select(Event).order_by(Event.occurred_at, Event.chain, Event.seq)
            return [e for e in session.scalars(statement) if (e.chain, e.seq) not in head]

    def all(self) -> list[Event]:
        return self.after(frozenset())

    def of_organisation(self, organisation_id: str) -> list[Event]:
        return [e for e in self.all() if e.organisation_id == organisation_id]


def recorded(log: EventLog, send, status: int):
    """The write succeeds with `status` and leaves exactly one new event: (response, event)."""
    before, head = log.count(), log.head()
    response = send()
    assert response.status_code == status, response.get_data(as_text=True)
    assert log.count() == before + 1
    [event] = log.after(head)
    return response, event


def refused(log: EventLog, send, status: int):
    """The write is refused with `status` and leaves no event."""
    before = log.count()
    response = send()
    assert response.status_code == status, response.get_data(as_text=True)
    assert log.count() == before
    return response


def check_event(event: Event, caller: Caller, action: str, object_type: str, object_id: str):
    """The event names the action, the object and the key (prefix and role); its change."""
    assert (event.action, event.object_type, event.object_id) == (action, object_type, object_id)
    assert caller.prefix in event.actor
    assert caller.role in event.actor
    assert event.organisation_id == caller.organisation_id
    assert event.change_sha256 == audit.sha256(event.change.encode())
    return json.loads(event.change)


def assert_no_secret_logged(log: EventLog, *found_secrets: str) -> None:
    """No event's change or actor holds any of the secrets, whole or its random part."""
    for event in log.all():
        for secret in found_secrets:
            random_part = secret.split("_", 2)[-1]
            for text in (event.change, event.actor):
                assert secret not in text, event.action
                assert random_part not in text, event.action


def ok(response, status: int = 200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def total_of(response) -> int:
    return json.loads(response.headers["X-Pagination"])["total"]


def make_vendor(caller, name: str = "Acme Analytics", **fields) -> str:
    return ok(caller.post(VENDORS, json=vendor(name, **fields)), 201)["id"]


def procurement_body(ocid: str = "ocds-213czf-2026-0042", **fields) -> dict:
    return {
        "ocid": ocid,
        "title": "Video analytics for city centre safety",
        "buyer": {"name": "Example City Council"},
        **fields,
    }


def etag(caller, url: str) -> str:
    return caller.get(url).headers["ETag"]


def patch(caller, url: str, **changes):
    return caller.patch(url, json=changes, headers={"If-Match": etag(caller, url)})


def new_procurement(buyer, *vendor_ids, status: str = "evaluating", evaluators=(), **fields) -> str:
    """A procurement with these bidders; its `evaluators` (callers) have declared no conflict."""
    procurement_id = ok(buyer.post(PROCUREMENTS, json=procurement_body(**fields)), 201)["id"]
    url = f"{PROCUREMENTS}/{procurement_id}"
    for vendor_id in vendor_ids:
        ok(buyer.post(f"{url}/bidders", json={"vendor_id": vendor_id}), 201)
    for evaluator in evaluators:
        ok(evaluator.post(f"{url}/declarations", json={"conflict": False}), 201)
    if status != "draft":
        ok(patch(buyer, url, status="evaluating"))
    return procurement_id


def levels(**given) -> list[dict]:
    """Every mini indicator at `default` (2 unless given) or its own level; None is N/A."""
    default = given.pop("default", 2)
    return answers(**{key: given.get(key, default) for key in ALL})


def submit(caller, vendor_id: str, **fields):
    body = {"answers": answers(), **fields}
    return caller.post(f"{VENDORS}/{vendor_id}/assessments", json=body)


def submitted(caller, vendor_id: str, **fields) -> dict:
    return ok(submit(caller, vendor_id, **fields), 201)


def scorecard(caller, vendor_id: str, **query) -> dict:
    return ok(caller.get(f"{VENDORS}/{vendor_id}/scorecard", query_string=query))


def history(caller, vendor_id: str, **query):
    return caller.get(f"{VENDORS}/{vendor_id}/scorecard/history", query_string=query)


def result(card: dict) -> tuple:
    return card["total"], card["grade"], card["eligible"]


def listed(caller, **query) -> list[dict]:
    return ok(caller.get(AUDIT, query_string={"page_size": 100, **query}))


def new_whsec() -> str:
    return f"whsec_{base64.b64encode(secrets.token_bytes(32)).decode()}"


# --- 1. every write leaves exactly one event -----------------------------------------------------


def test_first_start_and_every_new_key_are_recorded(app):
    log = EventLog(app)
    admin = Caller.admin(app)
    first, person, key = log.all()
    assert (first.seq, first.action, first.object_type, first.actor) == (
        1,
        "organisation.created",
        "organisation",
        "first start",
    )
    assert first.object_id == admin.organisation_id == first.organisation_id
    assert json.loads(first.change) == {"name": "Default organisation"}
    assert (person.seq, person.action, person.object_type, person.object_id) == (
        2,
        "person.created",
        "person",
        admin.person_id,
    )
    assert json.loads(person.change) == {"name": "first admin"}
    assert (key.seq, key.action, key.object_type, key.object_id) == (
        3,
        "api_key.created",
        "api_key",
        admin.key_id,
    )
    assert person.actor == key.actor == "command line"
    assert (person.prev_hash, key.prev_hash) == (first.hash, person.hash)
    assert json.loads(key.change) == {
        "prefix": admin.prefix,
        "name": "first admin",
        "person_id": admin.person_id,
        "role": "admin",
        "vendor_id": None,
        "expires_at": None,
    }

    before, head = log.count(), log.head()
    auditor = Caller(app, "auditor", "Otto")
    assert log.count() == before + 2
    made, event = log.after(head)
    assert (made.action, made.object_id) == ("person.created", auditor.person_id)
    assert (event.action, event.object_type, event.object_id) == (
        "api_key.created",
        "api_key",
        auditor.key_id,
    )
    assert event.organisation_id == auditor.organisation_id
    assert json.loads(event.change)["prefix"] == auditor.prefix

    # A key refused (an unknown role) records nothing: its transaction is rolled back whole.
    before = log.count()
    with (
        pytest.raises(Invalid, match="unknown role"),
        app.extensions["database"].transaction() as session,
    ):
        context = Context(session, SystemCaller.system(admin.organisation_id))
        create_key(context, create_person(context, {"name": "Nobody"}), "overlord")
    assert log.count() == before
    assert_no_secret_logged(log, admin.secret, auditor.secret)


def test_keys_made_on_the_command_line_are_recorded(app, database_url):
    """`keys create` records the key, and the organisation it creates, like a first start;
    `keys revoke` records the revocation once."""
    from click.testing import CliRunner

    from ethics_api.cli import main

    from conftest import TEST_CRITERIA

    log = EventLog(app)
    env = {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA),
        "ETHICS_DEFAULT_CRITERIA_SET": None,
    }

    def invoke(*args):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    head = log.head()
    out = invoke("keys", "create", "--role", "auditor", "--name", "Otto")
    secret = out.split("secret (shown once): ")[1].strip()
    person, event = log.after(head)
    assert (person.action, person.object_type, person.actor) == (
        "person.created",
        "person",
        "command line",
    )
    assert (event.action, event.object_type, event.actor) == (
        "api_key.created",
        "api_key",
        "command line",
    )
    assert json.loads(event.change)["prefix"] == prefix_of(secret)
    assert json.loads(event.change)["person_id"] == person.object_id

    # A second key for the same person: no new person, the same identity.
    head = log.head()
    out = invoke("keys", "create", "--role", "auditor", "--person", "Otto")
    [event] = log.after(head)
    assert event.action == "api_key.created"
    assert json.loads(event.change)["person_id"] == person.object_id

    head = log.head()
    out = invoke(
        "keys",
        "create",
        "--role",
        "admin",
        "--name",
        "Second admin",
        "--new-organisation",
        "Second",
    )
    second_secret = out.split("secret (shown once): ")[1].strip()
    second = Caller(app, "admin", "Second admin", secret=second_secret)
    new = log.after(head)
    assert [(e.action, e.object_type, e.object_id) for e in new] == [
        ("organisation.created", "organisation", second.organisation_id),
        ("person.created", "person", second.person_id),
        ("api_key.created", "api_key", second.key_id),
    ]
    assert all(e.organisation_id == second.organisation_id for e in new)
    assert json.loads(new[0].change) == {"name": "Second"}

    head = log.head()
    invoke("keys", "revoke", prefix_of(secret))
    [event] = log.after(head)
    assert (event.action, event.object_type) == ("api_key.revoked", "api_key")
    before = log.count()
    invoke("keys", "revoke", prefix_of(secret))  # already revoked: nothing changes
    assert log.count() == before
    assert_no_secret_logged(log, secret, second_secret)


def test_vendor_writes_leave_one_event_each(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    assessor = Caller(app, "assessor", "alice")
    body = vendor("Acme Analytics", identifier=IDENTIFIER, country="GB")

    response, event = recorded(log, lambda: buyer.post(VENDORS, json=body), 201)
    vendor_id = response.json["id"]
    assert check_event(event, buyer, "vendor.created", "vendor", vendor_id) == body

    # Refused: a duplicate identifier, an unknown field, a role that may not, no key, a bad key.
    duplicate = vendor("Acme Again", identifier=IDENTIFIER)
    refused(log, lambda: buyer.post(VENDORS, json=duplicate), 409)
    refused(log, lambda: buyer.post(VENDORS, json=vendor("Bogus", colour="blue")), 422)
    refused(log, lambda: buyer.post(VENDORS, json={"name": " padded "}), 422)
    refused(log, lambda: assessor.post(VENDORS, json=vendor("Sneaky")), 403)
    refused(log, lambda: client_with_key(app, None).post(VENDORS, json=vendor("Anon")), 401)
    bad_key = client_with_key(app, f"eth_0badc0de_{'x' * 43}")
    refused(log, lambda: bad_key.post(VENDORS, json=vendor("Forged")), 401)

    url = f"{VENDORS}/{vendor_id}"
    stale = etag(buyer, url)
    response, event = recorded(log, lambda: patch(buyer, url, name="Acme Analytics Ltd"), 200)
    assert check_event(event, buyer, "vendor.updated", "vendor", vendor_id) == {
        "name": "Acme Analytics Ltd",
        "revision": 2,
    }
    response, event = recorded(log, lambda: patch(buyer, url, country=None), 200)
    assert check_event(event, buyer, "vendor.updated", "vendor", vendor_id) == {
        "country": None,
        "revision": 3,
    }

    # Refused: a stale ETag, no If-Match, nothing to change, a role that may not, no vendor.
    refused(log, lambda: buyer.patch(url, json={"name": "Lost"}, headers={"If-Match": stale}), 412)
    refused(log, lambda: buyer.patch(url, json={"name": "Lost"}), 428)
    refused(log, lambda: patch(buyer, url), 422)
    refused(log, lambda: patch(assessor, url, name="Sneaky"), 403)
    unknown = f"{VENDORS}/{uuid.uuid4()}"
    refused(log, lambda: buyer.patch(unknown, json={"name": "X"}, headers={"If-Match": "*"}), 404)
    assert ok(buyer.get(url))["name"] == "Acme Analytics Ltd"
    assert_no_secret_logged(log, buyer.secret, assessor.secret, app.config["ADMIN_KEY"])


def test_assessment_submissions_leave_one_event_each(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    mona = Caller(app, "moderator", "mona")
    vendor_id = make_vendor(buyer)
    body = {"answers": levels(p2=3, t2=None), "summary": "Well documented."}

    response, event = recorded(
        log, lambda: alice.post(f"{VENDORS}/{vendor_id}/assessments", json=body), 201
    )
    record = response.json
    change = check_event(event, alice, "assessment.submitted", "assessment", record["id"])
    assert change == {
        **body,
        "vendor_id": vendor_id,
        "assessor": "alice",
        "person_id": alice.person_id,
        "criteria_set": "mini@1",
        "criteria_sha256": record["criteria_sha256"],
    }

    response, event = recorded(log, lambda: submit(mona, vendor_id, moderated=True), 201)
    change = check_event(event, mona, "assessment.submitted", "assessment", response.json["id"])
    assert (change["assessor"], change["moderated"]) == ("mona", True)

    # Refused: answers that do not fit, an unknown set, moderation by an assessor, another's
    # name, a buyer, no such vendor, and a procurement that is not evaluating (409).
    missing_p1 = [a for a in answers() if a["indicator"] != "p1"]
    refused(log, lambda: submit(alice, vendor_id, answers=missing_p1), 422)
    refused(log, lambda: submit(alice, vendor_id, answers=levels(p1=5)), 422)
    refused(log, lambda: submit(alice, vendor_id, criteria_set="nope@1"), 422)
    refused(log, lambda: submit(alice, vendor_id, moderated=True), 403)
    refused(log, lambda: submit(alice, vendor_id, assessor="bob"), 403)
    refused(log, lambda: submit(buyer, vendor_id), 403)
    refused(log, lambda: submit(alice, str(uuid.uuid4())), 404)
    draft = new_procurement(buyer, vendor_id, status="draft")
    refused(log, lambda: submit(alice, vendor_id, procurement_id=draft), 409)
    assert total_of(buyer.get(f"{VENDORS}/{vendor_id}/assessments")) == 2


def test_procurement_writes_leave_one_event_each(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    vendor_id = make_vendor(buyer)
    # One evaluator is enough for this procurement.
    body = procurement_body(weights={"privacy": 2, "oversight": 1, "openness": 1}, min_evaluators=1)

    response, event = recorded(log, lambda: buyer.post(PROCUREMENTS, json=body), 201)
    procurement_id = response.json["id"]
    url = f"{PROCUREMENTS}/{procurement_id}"
    assert check_event(event, buyer, "procurement.created", "procurement", procurement_id) == body

    # Refused: a duplicate ocid, weights missing a criterion, a role that may not, no key.
    refused(log, lambda: buyer.post(PROCUREMENTS, json=procurement_body()), 409)
    short = procurement_body("ocds-213czf-2", weights={"privacy": 1})
    refused(log, lambda: buyer.post(PROCUREMENTS, json=short), 422)
    refused(log, lambda: alice.post(PROCUREMENTS, json=procurement_body("ocds-213czf-3")), 403)
    anonymous = client_with_key(app, None)
    refused(log, lambda: anonymous.post(PROCUREMENTS, json=procurement_body("ocds-213czf-4")), 401)

    stale = etag(buyer, url)
    _, event = recorded(log, lambda: patch(buyer, url, title="Safer streets analytics"), 200)
    assert check_event(event, buyer, "procurement.updated", "procurement", procurement_id) == {
        "title": "Safer streets analytics",
        "revision": 2,
    }
    _, event = recorded(log, lambda: patch(buyer, url, weights=OVERRIDE), 200)
    assert check_event(event, buyer, "procurement.updated", "procurement", procurement_id) == {
        "weights": OVERRIDE,
        "revision": 3,
    }
    refused(log, lambda: patch(buyer, url, weights={**OVERRIDE, "privacy": 0}), 422)
    refused(log, lambda: buyer.patch(url, json={"title": "Lost"}, headers={"If-Match": stale}), 412)

    bidders = f"{url}/bidders"
    _, event = recorded(log, lambda: buyer.post(bidders, json={"vendor_id": vendor_id}), 201)
    assert check_event(event, buyer, "bidder.added", "procurement", procurement_id) == {
        "vendor_id": vendor_id
    }
    refused(log, lambda: buyer.post(bidders, json={"vendor_id": vendor_id}), 409)
    refused(log, lambda: buyer.post(bidders, json={"vendor_id": str(uuid.uuid4())}), 422)
    declarations = f"{url}/declarations"
    response, event = recorded(log, lambda: alice.post(declarations, json={"conflict": False}), 201)
    assert check_event(event, alice, "declaration.made", "declaration", response.json["id"]) == {
        "conflict": False,
        "procurement_id": procurement_id,
        "person_id": alice.person_id,
    }
    refused(log, lambda: alice.post(declarations, json={"conflict": False}), 409)  # made once
    refused(log, lambda: alice.post(declarations, json={"conflict": True}), 422)  # say what
    refused(log, lambda: alice.post(bidders, json={"vendor_id": vendor_id}), 403)

    _, event = recorded(log, lambda: patch(buyer, url, status="evaluating"), 200)
    assert check_event(event, buyer, "procurement.updated", "procurement", procurement_id) == {
        "status": "evaluating",
        "revision": 4,
    }
    # Refused: weights once evaluating, a step back, a step skipped, no If-Match, an assessor.
    refused(log, lambda: patch(buyer, url, weights=OVERRIDE), 409)
    refused(log, lambda: patch(buyer, url, status="draft"), 409)
    refused(log, lambda: patch(buyer, url, status="evaluating"), 409)
    refused(log, lambda: buyer.patch(url, json={"status": "closed"}), 428)
    refused(log, lambda: patch(alice, url, status="closed"), 403)

    submitted(alice, vendor_id, procurement_id=procurement_id)
    _, event = recorded(log, lambda: patch(buyer, url, status="closed"), 200)
    change = check_event(event, buyer, "procurement.updated", "procurement", procurement_id)
    # The event pins the final ranking it froze: the digest of the ranking served since.
    final = ok(buyer.get(f"{url}/ranking"))
    assert final["final"] is True
    assert change == {
        "status": "closed",
        "revision": 5,
        "final_ranking_sha256": audit.sha256(audit.canonical(final)),
    }
    # Closed: nothing changes any more.
    refused(log, lambda: patch(buyer, url, title="Too late"), 409)
    late = make_vendor(buyer, "Late")
    refused(log, lambda: buyer.post(bidders, json={"vendor_id": late}), 409)
    refused(log, lambda: submit(alice, vendor_id, procurement_id=procurement_id), 409)


def test_dispute_writes_leave_one_event_each(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    vendor_id = make_vendor(buyer)
    rival_id = make_vendor(buyer, "Rival Robotics")
    desk = Caller(app, "vendor", "Acme reply desk", vendor_id=vendor_id)
    rival_desk = Caller(app, "vendor", "Rival reply desk", vendor_id=rival_id)
    mona = Caller(app, "moderator", "mona")
    disputes = f"{VENDORS}/{vendor_id}/disputes"
    body = {"indicator": "p2", "statement": STATEMENT}
    # Nothing to dispute before an assessment: refused.
    refused(log, lambda: desk.post(disputes, json=body), 409)
    submitted(Caller(app, "assessor", "alice"), vendor_id)

    response, event = recorded(log, lambda: desk.post(disputes, json=body), 201)
    dispute_id = response.json["id"]
    assert check_event(event, desk, "dispute.opened", "dispute", dispute_id) == {
        **body,
        "vendor_id": vendor_id,
    }
    # Refused: an unknown indicator, a buyer, another vendor's key (as if it did not exist).
    refused(log, lambda: desk.post(disputes, json={**body, "indicator": "zz"}), 422)
    refused(log, lambda: buyer.post(disputes, json=body), 403)
    refused(log, lambda: rival_desk.post(disputes, json=body), 404)

    resolution = f"/v1/disputes/{dispute_id}/resolution"
    rejected = {"outcome": "rejected", "reasons": "The policy postdates the pilot."}
    refused(log, lambda: buyer.post(resolution, json=rejected), 403)
    _, event = recorded(log, lambda: mona.post(resolution, json=rejected), 200)
    assert check_event(event, mona, "dispute.resolved", "dispute", dispute_id) == rejected
    refused(log, lambda: mona.post(resolution, json=rejected), 409)

    second = ok(desk.post(disputes, json={**body, "indicator": "t1"}), 201)["id"]
    resolution = f"/v1/disputes/{second}/resolution"
    upheld = {"outcome": "upheld", "reasons": "Re-assessed."}
    refused(log, lambda: mona.post(resolution, json=upheld), 422)
    settling = submitted(mona, vendor_id, moderated=True, answers=levels(t1=4))["id"]
    refused(log, lambda: mona.post(resolution, json={**rejected, "assessment_id": settling}), 422)
    _, event = recorded(
        log, lambda: mona.post(resolution, json={**upheld, "assessment_id": settling}), 200
    )
    assert check_event(event, mona, "dispute.resolved", "dispute", second) == {
        **upheld,
        "assessment_id": settling,
    }


def test_webhook_writes_leave_one_event_each_and_never_the_secret(app):
    log = EventLog(app)
    admin = Caller.admin(app)
    buyer = Caller(app, "buyer", "Bea")
    chosen = new_whsec()
    body = {
        "url": "https://buyer.example/hooks",
        "events": ["dispute.opened", "procurement.closed"],
        "secret": chosen,
    }

    response, event = recorded(log, lambda: admin.post(WEBHOOKS, json=body), 201)
    webhook_id = response.json["id"]
    assert response.json["secret"] == chosen
    change = check_event(event, admin, "webhook.created", "webhook", webhook_id)
    assert change == {"url": body["url"], "events": body["events"]}

    generated_body = {"url": "https://buyer.example/other", "events": ["scorecard.changed"]}
    response, event = recorded(log, lambda: admin.post(WEBHOOKS, json=generated_body), 201)
    generated = response.json["secret"]
    assert generated.startswith("whsec_")
    assert check_event(event, admin, "webhook.created", "webhook", response.json["id"]) == (
        generated_body
    )

    # Refused: an unknown event, a secret of the wrong shape, a buyer.
    refused(log, lambda: admin.post(WEBHOOKS, json={**body, "events": ["vendor.eaten"]}), 422)
    refused(log, lambda: admin.post(WEBHOOKS, json={**body, "secret": "hunter2"}), 422)
    refused(log, lambda: buyer.post(WEBHOOKS, json=body), 403)

    url = f"{WEBHOOKS}/{webhook_id}"
    refused(log, lambda: buyer.delete(url), 403)
    _, event = recorded(log, lambda: admin.delete(url), 204)
    assert check_event(event, admin, "webhook.deactivated", "webhook", webhook_id) == {
        "active": False
    }
    # Deleting it again changes nothing, so it records nothing; an unknown one is 404.
    refused(log, lambda: admin.delete(url), 204)
    refused(log, lambda: admin.delete(f"{WEBHOOKS}/{uuid.uuid4()}"), 404)

    assert_no_secret_logged(log, chosen, generated, admin.secret, buyer.secret)


def test_an_idempotent_replay_records_nothing_more(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    headers = {"Idempotency-Key": "create-acme-once"}

    def send(name: str = "Acme Analytics"):
        return buyer.post(VENDORS, json=vendor(name), headers=headers)

    first, _ = recorded(log, send, 201)
    replay = refused(log, send, 201)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json
    # The same key with another body is refused, and records nothing either.
    refused(log, lambda: send("Other"), 422)


def test_the_event_and_the_change_commit_together_or_not_at_all(app, monkeypatch):
    """The event is written in the write's transaction: if recording fails, the write is
    undone; if the request fails after recording, the event is undone with it."""
    import ethics_api.api.vendors as vendors_api

    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")

    def vendors_named(name: str) -> int:
        with app.extensions["database"].sessions() as session:
            return session.scalar(select(func.count()).where(Vendor.name == name))

    def broken_record(*args, **kwargs):
        raise RuntimeError("the log is unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(audit, "record", broken_record)
        refused(log, lambda: buyer.post(VENDORS, json=vendor("Unlogged")), 500)
    assert vendors_named("Unlogged") == 0

    def broken_url_for(*args, **kwargs):
        raise RuntimeError("failure after the event was written")

    with monkeypatch.context() as patched:
        patched.setattr(vendors_api, "url_for", broken_url_for)
        refused(log, lambda: buyer.post(VENDORS, json=vendor("Rolled back")), 500)
    assert vendors_named("Rolled back") == 0

    # And with nothing broken, the vendor and its one event are both there.
    recorded(log, lambda: buyer.post(VENDORS, json=vendor("Logged")), 201)
    assert vendors_named("Logged") == 1


def run_together(*sends) -> list:
    """Send the requests from threads at once; their responses (or exceptions), in order."""
    results: list = [None] * len(sends)

    def run(index, send):
        try:
            results[index] = send()
        except Exception as exc:  # reported by the caller's assertions, not lost in the thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_simultaneous_writers_never_fork_the_chain(app):
    log = EventLog(app)
    buyers = [Caller(app, "buyer", f"Buyer {n}") for n in range(6)]
    auditor = Caller(app, "auditor", "Otto")
    head, before = log.head(), log.count()

    def create_three(buyer):
        return [buyer.post(VENDORS, json=vendor(f"{buyer.name} vendor {n}")) for n in range(3)]

    results = run_together(*[lambda b=b: create_three(b) for b in buyers])
    for responses in results:
        assert not isinstance(responses, Exception), responses
        assert [r.status_code for r in responses] == [201, 201, 201]
    assert log.count() == before + 18
    new = log.after(head)
    assert sorted(e.seq for e in new) == list(range(before + 1, before + 19))  # one chain
    assert {e.object_id for e in new} == {r.json["id"] for rs in results for r in rs}
    assert ok(auditor.get(f"{AUDIT}/verify"))["ok"] is True


# --- 2. the audit API ----------------------------------------------------------------------------


def test_the_audit_log_is_for_auditors_and_admins(app):
    buyer = Caller(app, "buyer", "Bea")
    vendor_id = make_vendor(buyer)
    readers = [Caller.admin(app), Caller(app, "auditor", "Otto")]
    others = [
        buyer,
        Caller(app, "assessor", "alice"),
        Caller(app, "moderator", "mona"),
        Caller(app, "vendor", "Acme desk", vendor_id=vendor_id),
    ]
    for caller in readers:
        assert ok(caller.get(AUDIT)), caller.role
        assert ok(caller.get(f"{AUDIT}/verify"))["ok"] is True, caller.role
    for caller in others:
        for url in (AUDIT, f"{AUDIT}/verify"):
            response = caller.get(url)
            assert response.status_code == 403, (caller.role, url)
            assert response.mimetype == "application/problem+json"
    for url in (AUDIT, f"{AUDIT}/verify"):
        assert client_with_key(app, None).get(url).status_code == 401


def test_another_organisations_events_never_appear(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    auditor = Caller(app, "auditor", "Otto")
    mine = make_vendor(buyer, "Acme Analytics")

    second = make_organisation(app, "Second council")
    admin2 = Caller(app, "admin", "Second admin", organisation_id=second)
    auditor2 = Caller(app, "auditor", "Second auditor", organisation_id=second)
    theirs = make_vendor(admin2, "Their vendor")
    their_assessment = submitted(admin2, theirs, assessor="zed")["id"]
    ok(
        admin2.post(
            WEBHOOKS, json={"url": "https://second.example/h", "events": ["dispute.opened"]}
        ),
        201,
    )

    ours = [e.seq for e in log.of_organisation(buyer.organisation_id)]
    others = [e.seq for e in log.of_organisation(second)]
    assert others and ours
    assert [e["seq"] for e in listed(auditor)] == ours
    assert [e["seq"] for e in listed(auditor2)] == others
    assert [e["seq"] for e in listed(Caller.admin(app))] == ours
    # Not by asking for them by id, type or actor either.
    assert listed(auditor, object_id=theirs) == []
    assert listed(auditor, actor=admin2.prefix) == []
    assert [e["object_id"] for e in listed(auditor, object_type="vendor")] == [mine]
    assert [e["object_id"] for e in listed(auditor2, object_type="vendor")] == [theirs]
    assert auditor.get(f"{VENDORS}/{theirs}/events").status_code == 404
    assert admin2.get(f"{VENDORS}/{mine}/events").status_code == 404
    assert auditor.get(f"/v1/assessments/{their_assessment}/events").status_code == 404
    assert history(auditor, theirs).status_code == 404
    assert [e["action"] for e in ok(admin2.get(f"/v1/assessments/{their_assessment}/events"))] == [
        "assessment.submitted"
    ]


def test_the_audit_log_filters_by_object(app):
    buyer = Caller(app, "buyer", "Bea")
    admin = Caller.admin(app)
    auditor = Caller(app, "auditor", "Otto")
    first = make_vendor(buyer, "First")
    second = make_vendor(buyer, "Second")
    ok(patch(buyer, f"{VENDORS}/{first}", name="First Ltd"))
    hook = ok(
        admin.post(WEBHOOKS, json={"url": "https://b.example/h", "events": ["dispute.opened"]}), 201
    )

    def actions(**query):
        return [(e["action"], e["object_id"]) for e in listed(auditor, **query)]

    assert actions(object_type="vendor") == [
        ("vendor.created", first),
        ("vendor.created", second),
        ("vendor.updated", first),
    ]
    assert actions(object_type="vendor", object_id=first) == [
        ("vendor.created", first),
        ("vendor.updated", first),
    ]
    assert actions(object_id=second) == [("vendor.created", second)]
    assert actions(object_type="webhook") == [("webhook.created", hook["id"])]
    assert actions(object_type="webhook", object_id=first) == []
    assert actions(object_type="api_key") == [("api_key.created", k) for k in _key_ids(app)]
    response = auditor.get(AUDIT, query_string={"object_type": "spaceship"})
    assert response.status_code == 422
    assert "object_type" in json.dumps(response.json["errors"])


def _key_ids(app) -> list[str]:
    with app.extensions["database"].sessions() as session:
        return list(
            session.scalars(
                select(Event.object_id).where(Event.object_type == "api_key").order_by(Event.seq)
            )
        )


def test_the_audit_log_filters_by_actor(app):
    buyer = Caller(app, "buyer", "Bea")
    other_buyer = Caller(app, "buyer", "Bo")
    admin = Caller.admin(app)
    auditor = Caller(app, "auditor", "Otto")
    first = make_vendor(buyer, "First")
    second = make_vendor(other_buyer, "Second")
    ok(patch(buyer, f"{VENDORS}/{second}", name="Second Ltd"))
    ok(admin.post(WEBHOOKS, json={"url": "https://b.example/h", "events": ["dispute.opened"]}), 201)

    def actions(actor):
        return [(e["action"], e["object_id"]) for e in listed(auditor, actor=actor)]

    assert actions(buyer.prefix) == [("vendor.created", first), ("vendor.updated", second)]
    assert actions(other_buyer.prefix) == [("vendor.created", second)]
    assert [a for a, _ in actions(admin.prefix)] == ["webhook.created"]
    for event in listed(auditor, actor=buyer.prefix):
        assert buyer.prefix in event["actor"] and "buyer" in event["actor"]
    assert [a for a, _ in actions("first start")] == ["organisation.created"]
    # The tests' keys are made on the command line, each for a person made there too.
    assert {a for a, _ in actions("command line")} == {"person.created", "api_key.created"}
    # The actor is matched as text: wildcards in it are literal.
    assert actions("%") == []
    assert actions("eth%") == []


def test_the_audit_log_filters_by_time_window(app):
    buyer = Caller(app, "buyer", "Bea")
    auditor = Caller(app, "auditor", "Otto")
    for name in ("One", "Two", "Three", "Four"):
        make_vendor(buyer, name)
    events = listed(auditor)
    times = [dt.datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert times == sorted(times)
    pivot, end = events[-3], events[-1]

    def seqs(**query):
        return [e["seq"] for e in listed(auditor, **query)]

    def expected(since=None, until=None):
        return [
            e["seq"]
            for e, at in zip(events, times, strict=True)
            if (since is None or at >= since) and (until is None or at < until)
        ]

    since = dt.datetime.fromisoformat(pivot["occurred_at"])
    until = dt.datetime.fromisoformat(end["occurred_at"])
    # since is inclusive, until exclusive.
    assert seqs(since=pivot["occurred_at"]) == expected(since=since)
    assert seqs(since=pivot["occurred_at"])[0] == pivot["seq"]
    assert seqs(until=pivot["occurred_at"]) == expected(until=since)
    assert pivot["seq"] not in seqs(until=pivot["occurred_at"])
    window = seqs(since=pivot["occurred_at"], until=end["occurred_at"])
    assert window == expected(since, until)
    assert pivot["seq"] in window and end["seq"] not in window
    # The same instant written in another time zone selects the same events.
    elsewhere = since.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    assert seqs(since=elsewhere) == expected(since=since)
    # A window in the future is empty; a naive time is refused.
    assert seqs(since=(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()) == []
    response = auditor.get(AUDIT, query_string={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 422
    # A window that ends before it starts is a mistake, not an empty answer.
    response = auditor.get(AUDIT, query_string={"since": end["occurred_at"], "until": since})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json["errors"]] == ["/until"]


def test_the_audit_log_pages(app):
    buyer = Caller(app, "buyer", "Bea")
    auditor = Caller(app, "auditor", "Otto")
    for number in range(7):
        make_vendor(buyer, f"Vendor {number}")
    everything = listed(auditor)
    seqs = [e["seq"] for e in everything]
    # First start (organisation, person, key), 2 people and their keys, 7 vendors.
    assert seqs == sorted(seqs) and len(seqs) == 3 + 2 * 2 + 7

    pages = []
    for page in (1, 2, 3, 4, 5):
        response = auditor.get(AUDIT, query_string={"page": page, "page_size": 3})
        assert response.status_code == 200
        pagination = json.loads(response.headers["X-Pagination"])
        assert pagination["total"] == len(seqs)
        assert pagination["total_pages"] == 5
        pages.append([e["seq"] for e in response.json])
    assert pages == [seqs[0:3], seqs[3:6], seqs[6:9], seqs[9:12], seqs[12:14]]
    assert ok(auditor.get(AUDIT, query_string={"page": 6, "page_size": 3})) == []
    filtered = auditor.get(AUDIT, query_string={"object_type": "vendor", "page_size": 5})
    assert total_of(filtered) == 7 and len(filtered.json) == 5


def test_the_audit_log_verifies_and_its_events_chain(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    auditor = Caller(app, "auditor", "Otto")
    vendor_id = make_vendor(buyer)
    ok(patch(buyer, f"{VENDORS}/{vendor_id}", website="https://acme.example"))

    verification = ok(auditor.get(f"{AUDIT}/verify"))
    last = log.all()[-1]
    assert verification == {
        "ok": True,
        "size": log.count(),
        "head_hash": last.hash,
        "first_bad_seq": None,
        "problem": None,
        "records_checked": 1,  # the vendor
        "first_bad_record": None,
    }
    previous = audit.GENESIS
    for event in listed(auditor):
        assert event["prev_hash"] == previous
        assert event["change_sha256"] == audit.sha256(audit.canonical(event["change"]))
        previous = event["hash"]
    assert previous == last.hash


def test_vendor_and_assessment_events_are_their_objects_own_in_order(app):
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    mona = Caller(app, "moderator", "mona")
    auditor = Caller(app, "auditor", "Otto")
    first = make_vendor(buyer, "First")
    second = make_vendor(buyer, "Second")
    ok(patch(buyer, f"{VENDORS}/{first}", name="First Ltd"))
    ok(patch(buyer, f"{VENDORS}/{second}", name="Second Ltd"))
    ok(patch(buyer, f"{VENDORS}/{first}", country="GB"))
    original = submitted(alice, first)["id"]
    other = submitted(alice, second)["id"]
    correction = submitted(mona, first, supersedes=original, answers=levels(default=3))["id"]

    response = alice.get(f"{VENDORS}/{first}/events")
    events = ok(response)
    assert total_of(response) == 3
    assert [(e["action"], e["object_type"], e["object_id"]) for e in events] == [
        ("vendor.created", "vendor", first),
        ("vendor.updated", "vendor", first),
        ("vendor.updated", "vendor", first),
    ]
    assert [e["change"].get("revision") for e in events] == [None, 2, 3]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)
    assert buyer.prefix in events[0]["actor"]
    assert events == [e for e in listed(auditor, object_type="vendor", object_id=first)]

    for assessment_id, caller in ((original, alice), (other, alice), (correction, mona)):
        response = auditor.get(f"/v1/assessments/{assessment_id}/events")
        [event] = ok(response)
        assert total_of(response) == 1
        assert (event["action"], event["object_type"], event["object_id"]) == (
            "assessment.submitted",
            "assessment",
            assessment_id,
        )
        assert caller.prefix in event["actor"]
    assert (
        ok(auditor.get(f"/v1/assessments/{correction}/events"))[0]["change"]["supersedes"]
        == original
    )
    assert auditor.get(f"/v1/assessments/{uuid.uuid4()}/events").status_code == 404


# --- 3. scorecard history ------------------------------------------------------------------------


def test_the_history_moves_assessment_by_assessment(app):
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    bob = Caller(app, "assessor", "bob")
    mona = Caller(app, "moderator", "mona")
    vendor_id = make_vendor(buyer)

    a1 = submitted(alice, vendor_id, answers=levels())
    # alice alone, every indicator at 2: S_privacy = 5 * (2 + 6 + 2) = 50, S_oversight = 50,
    # S_openness = (25/3) * 6 = 50; T = (2*50 + 50 + 50) / 4 = 50 -> C, eligible.
    b1 = submitted(bob, vendor_id, answers=levels(default=3, p2=1))
    # alice and bob: the lower level each: p1 2, p2 1, p3 2, o 2 2, t 2 2.
    # S_privacy = 5 * (2 + 3 + 2) = 35 < 50: ineligible; S_oversight = 50, S_openness = 50;
    # T = (70 + 50 + 50) / 4 = 42.5 -> C, ineligible; change 42.5 - 50 = -7.5.
    a2 = submitted(alice, vendor_id, answers=levels(), summary="Reviewed again, no change.")
    # alice's new assessment replaces her first with the same levels: nothing moves, no entry.
    m1 = submitted(
        mona,
        vendor_id,
        moderated=True,
        answers=levels(p1=4, p2=4, p3=None, o1=3, o2=None, t1=4, t2=None),
    )
    # Moderated, used alone: S_privacy = 100 * (4 + 3*4) / (4 * 4) = 100,
    # S_oversight = 100 * 3 / 4 = 75, S_openness = 100 * 2*4 / (4 * 2) = 100;
    # T = (200 + 75 + 100) / 4 = 93.75 -> A, eligible; change 93.75 - 42.5 = 51.25.
    c1 = submitted(
        mona,
        vendor_id,
        moderated=True,
        supersedes=m1["id"],
        answers=levels(p1=4, p2=3, p3=None, o1=3, o2=None, t1=4, t2=None),
    )
    # The correction, used alone: S_privacy = 100 * (4 + 3*3) / 16 = 81.25;
    # T = (162.5 + 75 + 100) / 4 = 84.375 -> 84.38, A, eligible;
    # change 84.375 - 93.75 = -9.375 -> -9.38 (not 84.38 - 93.75 = -9.37: the exact delta).

    body = ok(history(alice, vendor_id))
    assert body["vendor"] == {"id": vendor_id, "name": "Acme Analytics"}
    assert body["criteria_set"]["ref"] == "mini@1"
    assert body["procurement_id"] is None
    entries = body["history"]
    assert [e["assessment_id"] for e in entries] == [a1["id"], b1["id"], m1["id"], c1["id"]]
    assert a2["id"] not in [e["assessment_id"] for e in entries]
    assert [e["as_of"] for e in entries] == [r["submitted_at"] for r in (a1, b1, m1, c1)]
    assert [(e["total"], e["grade"], e["eligible"], e["change"]) for e in entries] == [
        (50.0, "C", True, None),
        (42.5, "C", False, -7.5),
        (93.75, "A", True, 51.25),
        (84.38, "A", True, -9.38),
    ]
    assert [[(k["kind"], k["key"]) for k in e["knockouts"]] for e in entries] == [
        [],
        [("criterion_minimum", "privacy")],
        [],
        [],
    ]
    reasons = [e["reason"] for e in entries]
    assert "alice" in reasons[0] and "moderated" not in reasons[0]
    assert "bob" in reasons[1] and "corrected" not in reasons[1]
    assert "mona" in reasons[2] and "moderated" in reasons[2]
    assert "mona" in reasons[3] and "corrected" in reasons[3] and m1["id"] in reasons[3]

    # The history ends where the scorecard is now.
    assert result(scorecard(alice, vendor_id)) == (84.38, "A", True)
    # Others may read it; a vendor its own, with the evaluators anonymous.
    assert ok(history(buyer, vendor_id))["history"] == entries
    desk = Caller(app, "vendor", "Acme desk", vendor_id=vendor_id)
    pseudonyms = {"alice": "Evaluator 1", "bob": "Evaluator 2", "mona": "Moderator 1"}

    def anonymous(entry: dict) -> dict:
        who = entry["reason"].split()[0]
        knockouts = [
            {**k, "assessors": [pseudonyms[a] for a in k["assessors"]]} for k in entry["knockouts"]
        ]
        return {
            **entry,
            "reason": entry["reason"].replace(who, pseudonyms[who]),
            "knockouts": knockouts,
        }

    renamed = [anonymous(e) for e in entries]
    assert "alice" not in str(renamed) and "bob" not in str(renamed)
    assert ok(history(desk, vendor_id))["history"] == renamed


def test_the_history_within_a_procurement_uses_its_weights(app):
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    bob = Caller(app, "assessor", "bob")
    carol = Caller(app, "assessor", "carol")
    vendor_id = make_vendor(buyer)
    procurement_id = new_procurement(buyer, vendor_id, weights=OVERRIDE, evaluators=(alice, bob))

    a1 = submitted(
        alice, vendor_id, procurement_id=procurement_id, answers=levels(o1=4, o2=4, t1=3, t2=2)
    )
    # S_privacy = 5 * (2 + 6 + 2) = 50, S_oversight = 12.5 * 8 = 100,
    # S_openness = (25/3) * (6 + 2) = 200/3. The procurement's weights 1, 1, 2:
    # T = (50 + 100 + 2 * 200/3) / 4 = 850/12 = 70.8333 -> 70.83, B, eligible.
    # (The set's weights 2, 1, 1 would give (100 + 100 + 200/3) / 4 = 66.67.)
    b1 = submitted(bob, vendor_id, procurement_id=procurement_id, answers=levels())
    # The lower levels: all 2, every criterion 50: T = 50 -> C;
    # change 50 - 850/12 = -250/12 = -20.8333 -> -20.83.
    c1 = submitted(carol, vendor_id, answers=levels(default=4))
    # Standalone, every indicator at 4: T = 100 -> A. It is not in the procurement's history,
    # nor the procurement's assessments in the standalone one.

    body = ok(history(alice, vendor_id, procurement_id=procurement_id))
    assert body["procurement_id"] == procurement_id
    assert body["criteria_set"]["ref"] == "mini@1"
    assert [
        (e["assessment_id"], e["total"], e["grade"], e["eligible"], e["change"])
        for e in body["history"]
    ] == [
        (a1["id"], 70.83, "B", True, None),
        (b1["id"], 50.0, "C", True, -20.83),
    ]
    assert "bob" in body["history"][1]["reason"]
    assert result(scorecard(buyer, vendor_id, procurement_id=procurement_id)) == (50.0, "C", True)

    standalone = ok(history(carol, vendor_id))["history"]
    assert [(e["assessment_id"], e["total"], e["grade"]) for e in standalone] == [
        (c1["id"], 100.0, "A")
    ]


def test_the_history_within_a_procurement_is_on_the_procurements_set(make_app, tmp_path):
    """Like the scorecard, the history within a procurement refuses another criteria set."""
    from conftest import TEST_CRITERIA, TESTS

    (tmp_path / "mini-1.yaml").write_text((TEST_CRITERIA / "mini-1.yaml").read_text())
    optional = (TESTS / "criteria-optional" / "optional-1.yaml").read_text()
    (tmp_path / "optional-1.yaml").write_text(optional)
    app = make_app(CRITERIA_DIR=tmp_path, DEFAULT_CRITERIA_SET="mini@1")
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    vendor_id = make_vendor(buyer)
    procurement_id = new_procurement(buyer, vendor_id, weights=OVERRIDE, evaluators=(alice,))
    submitted(alice, vendor_id, procurement_id=procurement_id)

    query = {"procurement_id": procurement_id, "criteria_set": "optional@1"}
    refused_card = buyer.get(f"{VENDORS}/{vendor_id}/scorecard", query_string=query)
    assert refused_card.status_code == 422
    response = history(buyer, vendor_id, **query)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "/criteria_set" in [e["pointer"] for e in response.json["errors"]]
    # Naming the procurement's own set is fine.
    assert ok(history(buyer, vendor_id, procurement_id=procurement_id, criteria_set="mini@1"))


def test_the_history_is_closed_to_an_assessor_who_has_not_assessed(app):
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    carol = Caller(app, "assessor", "carol")
    dave = Caller(app, "assessor", "dave")
    vendor_id = make_vendor(buyer)
    procurement_id = new_procurement(buyer, vendor_id, evaluators=(alice,))
    submitted(alice, vendor_id, procurement_id=procurement_id)
    submitted(carol, vendor_id)

    def status(caller, **query) -> int:
        return history(caller, vendor_id, **query).status_code

    # dave has assessed nothing; carol only standalone; alice only in the procurement.
    assert status(dave) == 403
    assert status(dave, procurement_id=procurement_id) == 403
    assert status(carol) == 200
    assert status(carol, procurement_id=procurement_id) == 403
    assert status(alice) == 403
    assert status(alice, procurement_id=procurement_id) == 200
    response = history(dave, vendor_id)
    assert response.mimetype == "application/problem+json"
    assert "Blind" in response.json["detail"]
    # Other roles are not blind.
    assert status(buyer) == 200
    assert status(Caller(app, "moderator", "mona"), procurement_id=procurement_id) == 200


# --- 4. corrections ------------------------------------------------------------------------------


def test_a_correction_replaces_the_assessment_it_supersedes(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    bob = Caller(app, "assessor", "bob")
    mona = Caller(app, "moderator", "mona")
    vendor_id = make_vendor(buyer)

    a1 = submitted(alice, vendor_id, answers=levels(default=3))
    b1 = submitted(bob, vendor_id, answers=levels(default=4))
    # alice at 3 everywhere, bob at 4: the lower level, 3: S_privacy = 5 * (3 + 9 + 3) = 75,
    # S_oversight = 12.5 * 6 = 75, S_openness = (25/3) * 9 = 75; T = 75 -> B, eligible.
    before = scorecard(buyer, vendor_id)
    assert result(before) == (75.0, "B", True)

    # bob may not correct alice's assessment; the moderator may.
    refused(log, lambda: submit(bob, vendor_id, supersedes=a1["id"]), 403)
    response, event = recorded(
        log,
        lambda: submit(mona, vendor_id, supersedes=a1["id"], answers=levels(default=1)),
        201,
    )
    c1 = response.json
    assert event.object_id == c1["id"] and mona.prefix in event.actor
    assert json.loads(event.change)["supersedes"] == a1["id"]
    # Now bob at 4 and mona's correction at 1; alice's assessment no longer counts.
    # The lower level, 1: S_privacy = 5 * (1 + 3 + 1) = 25 < 50: ineligible;
    # S_oversight = 12.5 * 2 = 25, S_openness = (25/3) * 3 = 25 (not under its minimum 25);
    # T = (50 + 25 + 25) / 4 = 25 -> D, ineligible.
    # (Were alice's still counted, the lower median of 3, 4, 1 would be 3: T = 75 again.)
    after = scorecard(buyer, vendor_id)
    assert result(after) == (25.0, "D", False)
    assert [(k["kind"], k["key"]) for k in after["knockouts"]] == [("criterion_minimum", "privacy")]
    assert sorted(a["id"] for a in after["assessments"]) == sorted([b1["id"], c1["id"]])
    assert sorted(after["assessors"]) == ["bob", "mona"]
    # As of before the correction, alice's assessment still counted.
    assert result(scorecard(buyer, vendor_id, as_of=b1["submitted_at"])) == (75.0, "B", True)

    # Both stay readable, exactly as submitted; the correction names the one it corrects.
    original = ok(buyer.get(f"/v1/assessments/{a1['id']}"))
    assert original == a1 and original["supersedes"] is None
    correction = ok(buyer.get(f"/v1/assessments/{c1['id']}"))
    assert correction == c1 and correction["supersedes"] == a1["id"]
    assert correction["assessor"] == "mona" and correction["moderated"] is False
    listed_ids = [r["id"] for r in ok(buyer.get(f"{VENDORS}/{vendor_id}/assessments"))]
    assert sorted(listed_ids) == sorted([a1["id"], b1["id"], c1["id"]])
    assert ok(alice.get(f"/v1/assessments/{a1['id']}")) == a1

    # Correcting it twice is a conflict, whoever tries.
    refused(log, lambda: submit(mona, vendor_id, supersedes=a1["id"]), 409)
    refused(log, lambda: submit(alice, vendor_id, supersedes=a1["id"]), 409)
    assert result(scorecard(buyer, vendor_id)) == (25.0, "D", False)


def test_an_assessor_corrects_their_own_assessment(app):
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    bob = Caller(app, "assessor", "bob")
    mona = Caller(app, "moderator", "mona")
    vendor_id = make_vendor(buyer)

    m1 = submitted(mona, vendor_id, moderated=True, answers=levels(default=4))
    a1 = submitted(alice, vendor_id, answers=levels(p1=0))
    # mona's moderated assessment is used alone: every indicator at 4, T = 100 -> A.
    assert result(scorecard(buyer, vendor_id)) == (100.0, "A", True)
    # bob has assessed too, but corrects neither alice's nor the moderator's.
    b1 = submitted(bob, vendor_id)
    refused(log, lambda: submit(bob, vendor_id, supersedes=a1["id"]), 403)
    refused(log, lambda: submit(bob, vendor_id, supersedes=m1["id"]), 403)
    # alice corrects her own (p1 was 0 by mistake, a knockout; it is 2).
    a2 = submitted(alice, vendor_id, supersedes=a1["id"], answers=levels())
    assert a2["supersedes"] == a1["id"] and a2["assessor"] == "alice"
    # The moderator corrects their moderated assessment with an ordinary one: it is no longer
    # used alone; alice's correction (all 2) and bob (all 2) and mona's correction (all 3)
    # count: the lower median of 2, 2, 3 is 2 everywhere; T = 50 -> C, eligible.
    m2 = submitted(mona, vendor_id, supersedes=m1["id"], answers=levels(default=3))
    card = scorecard(buyer, vendor_id)
    assert result(card) == (50.0, "C", True)
    assert sorted(a["id"] for a in card["assessments"]) == sorted([a2["id"], b1["id"], m2["id"]])
    assert card["moderated"] is False


def test_two_simultaneous_corrections_of_one_assessment_make_one_correction(app, monkeypatch):
    """Two corrections of one assessment sent at once: one is stored, the other is 409.

    Both requests are held, after their checks and before they write, until both got there
    (or for two seconds: on SQLite the second waits for the first's write lock instead).
    """
    import ethics_api.services.assessments as assessments_api

    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    mona = Caller(app, "moderator", "mona")
    vendor_id = make_vendor(buyer)
    a1 = submitted(alice, vendor_id)
    before = log.count()

    both_checked = threading.Barrier(2, timeout=2)
    record_use = assessments_api.record_use

    def held(session, criteria_set):
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        record_use(session, criteria_set)

    monkeypatch.setattr(assessments_api, "record_use", held)
    results = run_together(
        lambda: submit(alice, vendor_id, supersedes=a1["id"], answers=levels(default=3)),
        lambda: submit(mona, vendor_id, supersedes=a1["id"], answers=levels(default=1)),
    )
    for response in results:
        assert not isinstance(response, Exception), response
    assert sorted(r.status_code for r in results) == [201, 409], [r.json for r in results]
    corrections = [
        r["id"]
        for r in ok(buyer.get(f"{VENDORS}/{vendor_id}/assessments"))
        if r["supersedes"] == a1["id"]
    ]
    assert len(corrections) == 1
    assert log.count() == before + 1


def test_a_correction_must_be_of_the_same_vendor_set_and_scope(make_app, tmp_path):
    from conftest import TEST_CRITERIA

    text = (TEST_CRITERIA / "mini-1.yaml").read_text()
    (tmp_path / "mini-1.yaml").write_text(text)
    (tmp_path / "mini-2.yaml").write_text(text.replace("version: 1", "version: 2"))
    app = make_app(CRITERIA_DIR=tmp_path)  # mini@2, the latest, is the default
    log = EventLog(app)
    buyer = Caller(app, "buyer", "Bea")
    alice = Caller(app, "assessor", "alice")
    mona = Caller(app, "moderator", "mona")
    vendor_id = make_vendor(buyer, "Acme Analytics")
    rival_id = make_vendor(buyer, "Rival Robotics")
    procurement_id = new_procurement(
        buyer, vendor_id, criteria_set="mini@2", evaluators=(alice, mona)
    )

    standalone = submitted(alice, vendor_id)["id"]  # mini@2, standalone
    on_mini_1 = submitted(alice, vendor_id, criteria_set="mini@1")["id"]
    in_procurement = submitted(alice, vendor_id, procurement_id=procurement_id)["id"]
    of_rival = submitted(alice, rival_id)["id"]

    second = make_organisation(app, "Second council")
    admin2 = Caller(app, "admin", "Second admin", organisation_id=second)
    theirs = make_vendor(admin2, "Their vendor")
    foreign = submitted(admin2, theirs, assessor="alice")["id"]

    def refused_correction(caller, supersedes, **fields):
        response = refused(
            log, lambda: submit(caller, vendor_id, supersedes=supersedes, **fields), 422
        )
        assert "/supersedes" in [e["pointer"] for e in response.json["errors"]]

    for caller in (alice, mona):
        refused_correction(caller, of_rival)  # another vendor's
        refused_correction(caller, on_mini_1)  # another set's
        refused_correction(caller, standalone, criteria_set="mini@1")
        refused_correction(caller, in_procurement)  # another scope's
        refused_correction(caller, standalone, procurement_id=procurement_id)
        refused_correction(caller, foreign)  # another organisation's
        refused_correction(caller, str(uuid.uuid4()))  # nobody's
    # The right set and scope are accepted.
    submitted(alice, vendor_id, supersedes=on_mini_1, criteria_set="mini@1")
    submitted(alice, vendor_id, supersedes=in_procurement, procurement_id=procurement_id)
    submitted(mona, vendor_id, supersedes=standalone)
    refused(log, lambda: submit(alice, vendor_id, supersedes=standalone), 409)
