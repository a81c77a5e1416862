"""The event log: append-only in the database, hash-chained, pinned by signed checkpoints.

Run on SQLite and (with ETHICS_TEST_DATABASE_URL) PostgreSQL, like every test of the app. The
logs here are one organisation's chain (tests/test_audit_chains.py has several, and the
migration from the single chain; tests/test_audit_records.py the records' digests):

* the database itself refuses UPDATE and DELETE on `events` (and TRUNCATE on PostgreSQL) sent as
  raw SQL, while `audit.record` still appends;
* a log built through the API (vendors, assessments and a correction, a procurement from draft
  to closed, disputes rejected and upheld, webhooks) verifies, alone and against checkpoints
  signed half way and at the end;
* tampering, with the triggers set aside as conftest's `empty_tables` does, is detected with
  the first bad event named: every field of one event, deleted, inserted, swapped, truncated
  and consistently rewritten events; the results form a detection table, asserted case by case
  and as a whole (every case detected, no false alarm);
* checkpoints: a changed size, head, time or signature, or another key, fails; the `audit`
  commands keygen, checkpoint and verify, which checks a checkpoint only against a public key
  it is given or configured, never the one the checkpoint carries;
* concurrent appends from several processes never fork the chain;
* a query's time beyond the years a database stores is a 422 on its parameter, never a 500.
"""

import base64
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import stat
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.exc import DBAPIError

from ethics_api import audit, create_app
from ethics_api.cli import main
from ethics_api.database import Database, make_engine
from ethics_api.models import Event, Organisation, UTCDateTime
from ethics_api.services.keys import bootstrap

from conftest import TEST_CRITERIA, client_with_key, empty_tables, make_key
from payloads import answers, vendor
from responses import created, ok

EVENTS = Event.__table__
REFUSAL = "append-only"
FIELDS = (
    "chain",
    "occurred_at",
    "organisation_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "change",
    "change_sha256",
    "prev_hash",
    "hash",
    "record_sha256",
)
AUDIT_QUERY = "/v1/audit"
# The chain events are appended to when the database has no organisation (emptied).
LONE_CHAIN = "00000000-0000-4000-8000-000000000000"
# What verify says about each kind of bad event.
MISSING = "is missing"
UNLINKED = "does not follow the previous event"
DIGEST = "its change does not match its digest"
CONTENT = "its hash does not match its content"
TRUNCATED = "the log was truncated"
REWRITTEN = "history was rewritten"
SIGNATURE = "the checkpoint's signature does not verify"


# audit.verify reads the log with yield_per (a server-side cursor on PostgreSQL) and returns at
# the first bad event without closing it: psycopg then warns (ResourceWarning) when the cursor is
# collected. That bug has its own test (test_verify_that_stops_early_closes_its_cursor); the
# tests that verify tampered logs set only that warning aside, to report on detection itself.
LEAKED_CURSOR = pytest.mark.filterwarnings(
    "ignore:.*ServerCursor.*was deleted while still open:ResourceWarning"
)


# --- database helpers ----------------------------------------------------------------------------


@contextmanager
def engine_of(url: str) -> Iterator:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def rows_of(connection: Connection) -> list[dict]:
    """Every event as a dict of its columns (times aware, as the model reads them), by seq."""
    statement = select(EVENTS).order_by(EVENTS.c.chain, EVENTS.c.seq)
    return [dict(row._mapping) for row in connection.execute(statement)]


def snapshot(url: str) -> list[dict]:
    with engine_of(url) as engine, engine.connect() as connection:
        return rows_of(connection)


@contextmanager
def triggers_aside(url: str) -> Iterator[Connection]:
    """One transaction in which the append-only triggers do not fire, as conftest's
    `empty_tables` does (PostgreSQL: replica mode; SQLite: dropped, and put back before the
    commit, or with the rollback if the block fails)."""
    with engine_of(url) as engine, engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            guards = []
        else:
            guards = connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'events'"
                )
            ).all()
            assert {name for name, _ in guards} == {
                "events_no_update",
                "events_no_delete",
                "events_no_overwrite",
            }
            for name, _ in guards:
                connection.execute(text(f"DROP TRIGGER {name}"))
        yield connection
        for _, sql in guards:
            connection.execute(text(sql))


def restore(url: str, rows: list[dict]) -> None:
    """The log exactly as `rows` (a snapshot)."""
    with triggers_aside(url) as connection:
        connection.execute(EVENTS.delete())
        if rows:
            connection.execute(EVENTS.insert(), rows)


def set_field(connection: Connection, seq: int, field: str, value) -> None:
    """Raw SQL: UPDATE one column of one event."""
    statement = text(f'UPDATE events SET "{field}" = :value WHERE seq = :seq')
    if field == "occurred_at":
        statement = statement.bindparams(bindparam("value", type_=UTCDateTime()))
    assert connection.execute(statement, {"value": value, "seq": seq}).rowcount == 1


def set_fields(connection: Connection, seq: int, values: dict) -> None:
    for field, value in values.items():
        set_field(connection, seq, field, value)


def row_at(connection: Connection, seq: int) -> dict:
    return dict(connection.execute(select(EVENTS).where(EVENTS.c.seq == seq)).one()._mapping)


def forged(seq: int, previous: dict, occurred_at: dt.datetime, **fields) -> dict:
    """An event row as `audit.record` would have written it after `previous` (a row), hash
    and digest computed."""
    change = audit.canonical(fields.pop("change", {"name": "Forged Analytics"})).decode()
    row = {
        "chain": previous["chain"],
        "seq": seq,
        "occurred_at": occurred_at,
        "organisation_id": previous["chain"],
        "actor": "key eth_00000000 (admin: Mallory)",
        "action": "vendor.created",
        "object_type": "vendor",
        "object_id": str(uuid.uuid4()),
        "change": change,
        "change_sha256": audit.sha256(change.encode()),
        "prev_hash": previous["hash"],
        "record_sha256": None,
        **fields,
    }
    row["hash"] = audit.event_hash(Event(**row))
    return row


def rehash_from(connection: Connection, start: int) -> None:
    """Recompute prev_hash and hash of every event from `start` on with audit.event_hash: a
    consistent rewrite that plain verification cannot tell from the original."""
    rows = rows_of(connection)
    prev = audit.GENESIS
    for row in rows:
        if row["seq"] >= start:
            row["prev_hash"] = prev
            row["hash"] = audit.event_hash(Event(**row))
            set_fields(connection, row["seq"], {"prev_hash": row["prev_hash"], "hash": row["hash"]})
        prev = row["hash"]


def chain_of(session) -> str:
    """The chain of the tests' one organisation (LONE_CHAIN when the database has none)."""
    organisations = list(session.scalars(select(Organisation.id)))
    assert len(organisations) <= 1, "these tests keep one organisation"
    return organisations[0] if organisations else LONE_CHAIN


def record(url: str, count: int, actor: str = "test", action: str = "test.appended") -> None:
    database = Database(url)
    try:
        for i in range(count):
            with database.transaction() as session:
                audit.record(
                    session,
                    action,
                    "test",
                    str(i),
                    {"i": i},
                    actor=actor,
                    organisation_id=chain_of(session),
                )
    finally:
        database.dispose()


def verification(url: str, *checkpoints: dict, public_key: str | None = None) -> list:
    """verify the chain, then verify_against each checkpoint (with the public key it carries
    unless one is given: these tests check the library, which takes the key it is given)."""
    database = Database(url)
    try:
        with database.sessions() as session:
            results = [audit.verify(session, chain_of(session))]
            for signed in checkpoints:
                key = public_key or signed["public_key"]
                results.append(audit.verify_against(session, signed, key))
            return results
    finally:
        database.dispose()


def sign(url: str, key: Ed25519PrivateKey) -> dict:
    database = Database(url)
    try:
        with database.transaction() as session:
            return audit.checkpoint(session, key, chain_of(session))
    finally:
        database.dispose()


def assert_ok(result: audit.Verification, size: int | None = None) -> None:
    assert result.ok, result
    assert result.first_bad_seq is None and result.problem is None, result
    if size is not None:
        assert result.size == size, result


def assert_bad(result: audit.Verification, seq: int | None, problem: str) -> None:
    assert not result.ok, result
    assert result.first_bad_seq == seq, result
    assert problem in result.problem, result


# --- a log built through the API -----------------------------------------------------------------


def patched(client, url: str, changes: dict) -> dict:
    etag = client.get(url).headers["ETag"]
    return ok(client.patch(url, json=changes, headers={"If-Match": etag}))


@dataclasses.dataclass
class Scenario:
    """A realistic history, in two halves with a checkpoint between them."""

    app: object
    admin_key: str
    ids: dict = dataclasses.field(default_factory=dict)

    def first_half(self) -> None:
        app, ids = self.app, self.ids
        admin = client_with_key(app, self.admin_key)
        buyer = client_with_key(app, make_key(app, "buyer", "Beatrix Buyer"))
        assessor = client_with_key(app, make_key(app, "assessor", "Åsa Assessor"))
        self.moderator = client_with_key(app, make_key(app, "moderator", "Morgan Moderator"))
        self.buyer, self.assessor, self.admin = buyer, assessor, admin
        ids["vendors"] = [
            created(buyer.post("/v1/vendors", json=body))["id"]
            for body in (
                vendor(
                    "Zürcher Datenwerke AG",
                    country="CH",
                    identifier={"scheme": "CH-FDJP", "id": "CHE-123.456.789"},
                ),
                vendor("東京アナリティクス株式会社", country="JP"),
                vendor("Acme Analytics 🛰", country="GB", website="https://acme.example"),
            )
        ]
        first = ids["vendors"][0]
        patched(buyer, f"/v1/vendors/{first}", {"website": "https://zdw.example/ethik"})
        standalone = [
            created(assessor.post(f"/v1/vendors/{v}/assessments", json={"answers": answers()}))
            for v in ids["vendors"][:2]
        ]
        correction = {"answers": answers(p1=3, t2=None), "supersedes": standalone[0]["id"]}
        created(assessor.post(f"/v1/vendors/{first}/assessments", json=correction))
        ids["webhook"] = created(
            admin.post(
                "/v1/webhooks",
                json={"url": "https://buyer.example/hooks", "events": ["dispute.opened"]},
            )
        )["id"]
        body = {
            "ocid": "ocds-213czf-2026-0042",
            "title": "Video analytics",
            "buyer": {"name": "Stadt Zürich"},
            "min_evaluators": 1,  # one assessor here: closing's rules are tested elsewhere
        }
        ids["procurement"] = created(buyer.post("/v1/procurements", json=body))["id"]
        procurement = f"/v1/procurements/{ids['procurement']}"
        patched(buyer, procurement, {"title": "Video analytics for the city centre"})
        for vendor_id in ids["vendors"]:
            created(buyer.post(f"{procurement}/bidders", json={"vendor_id": vendor_id}))
        for evaluator in (self.assessor, self.moderator):
            created(evaluator.post(f"{procurement}/declarations", json={"conflict": False}))
        patched(buyer, procurement, {"status": "evaluating"})

    def second_half(self) -> None:
        app, ids = self.app, self.ids
        first = ids["vendors"][0]
        vendor_key = client_with_key(
            app, make_key(app, "vendor", "Zürcher reply desk", vendor_id=first)
        )
        for vendor_id, level in zip(ids["vendors"], (1, 3, 4), strict=True):
            body = {"answers": answers(p1=level), "procurement_id": ids["procurement"]}
            created(self.assessor.post(f"/v1/vendors/{vendor_id}/assessments", json=body))
        disputes = [
            created(
                vendor_key.post(
                    f"/v1/vendors/{first}/disputes",
                    json={"indicator": indicator, "statement": f"{indicator} is documented."},
                )
            )["id"]
            for indicator in ("p2", "t1")
        ]
        resolution = {"outcome": "rejected", "reasons": "The policy postdates the pilot."}
        ok(self.moderator.post(f"/v1/disputes/{disputes[0]}/resolution", json=resolution))
        moderated = created(
            self.moderator.post(
                f"/v1/vendors/{first}/assessments",
                json={"answers": answers(t1=4), "moderated": True},
            )
        )
        resolution = {
            "outcome": "upheld",
            "reasons": "Confirmed.",
            "assessment_id": moderated["id"],
        }
        ok(self.moderator.post(f"/v1/disputes/{disputes[1]}/resolution", json=resolution))
        settled = {"settlements": [{"indicator": "o1", "level": 3, "reason": "Agreed."}]}
        created(self.moderator.post(f"/v1/vendors/{first}/moderations", json=settled))
        procurement = f"/v1/procurements/{ids['procurement']}"
        conflicted = {"conflict": True, "description": "Worked for a bidder.", "person": "Uli"}
        declared = created(self.admin.post(f"{procurement}/declarations", json=conflicted))
        mitigation = {"mitigation": "Uli evaluates nothing in this procurement."}
        ok(
            self.buyer.post(
                f"{procurement}/declarations/{declared['id']}/mitigation", json=mitigation
            )
        )
        patched(self.buyer, procurement, {"status": "closed"})
        response = self.admin.delete(f"/v1/webhooks/{ids['webhook']}")
        assert response.status_code == 204, response.get_data(as_text=True)


# Every kind of change the API records appears in the log built above.
ACTIONS = {
    "organisation.created",
    "person.created",
    "api_key.created",
    "declaration.made",
    "conflict.mitigated",
    "moderation.recorded",
    "vendor.created",
    "vendor.updated",
    "assessment.submitted",
    "webhook.created",
    "procurement.created",
    "procurement.updated",
    "bidder.added",
    "dispute.opened",
    "dispute.resolved",
    "webhook.deactivated",
}


@dataclasses.dataclass
class Log:
    """A log built through the API, its rows, and checkpoints signed half way and at the end."""

    url: str
    rows: list[dict]
    mid: dict
    end: dict
    key: Ed25519PrivateKey

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def m(self) -> int:
        return self.mid["size"]

    @property
    def public_key(self) -> str:
        return audit.public_key_pem(self.key)

    @property
    def k(self) -> int:
        """The event tampered with: the vendor update, well inside the first half."""
        return next(r["seq"] for r in self.rows if r["action"] == "vendor.updated")


def build_log(app, admin_key: str, url: str) -> Log:
    key = Ed25519PrivateKey.generate()
    scenario = Scenario(app, admin_key)
    scenario.first_half()
    mid = sign(url, key)
    scenario.second_half()
    end = sign(url, key)
    log = Log(url, snapshot(url), mid, end, key)
    assert {r["action"] for r in log.rows} == ACTIONS
    assert 2 < log.k < log.m - 4 and log.m + 4 < log.n
    return log


@contextmanager
def fresh_app(url: str) -> Iterator[tuple]:
    """What conftest's make_app does, for a fixture wider than one test: an app on the emptied
    database, its first organisation and admin key."""
    empty_tables(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "CRITERIA_DIR": TEST_CRITERIA,
            "RATE_LIMIT_DEFAULT": "off",
        }
    )
    try:
        with app.extensions["database"].transaction() as session:
            admin_key = bootstrap(session)
        yield app, admin_key
    finally:
        app.extensions["database"].dispose()


# --- 1. the database refuses changes -------------------------------------------------------------


@pytest.fixture
def small_log(app, database_url) -> list[dict]:
    """The bootstrap's three events (organisation, person, key) and three more, appended
    through audit.record."""
    record(database_url, 3)
    rows = snapshot(database_url)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6]
    return rows


def assert_refused(url: str, sql: str, rows: list[dict]) -> None:
    """The statement fails with the triggers' refusal, and the log is as it was."""
    with (
        engine_of(url) as engine,
        pytest.raises(DBAPIError, match=REFUSAL),
        engine.begin() as connection,
    ):
        connection.execute(text(sql))
    assert snapshot(url) == rows


def assert_refused_and_intact(url: str, sql: str, rows: list[dict]) -> None:
    assert_refused(url, sql, rows)
    assert_ok(verification(url)[0], len(rows))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET actor = 'Mallory' WHERE seq = 3",
        "UPDATE events SET seq = seq + 100",
        "UPDATE events SET change = change WHERE seq = 5",  # even a change to the same value
        "UPDATE events SET hash = 'x', prev_hash = 'y' WHERE seq = 1",
    ],
)
def test_update_is_refused_by_the_database(small_log, database_url, sql):
    assert_refused_and_intact(database_url, sql, small_log)


@pytest.mark.parametrize(
    "sql",
    ["DELETE FROM events WHERE seq = 5", "DELETE FROM events WHERE seq > 2", "DELETE FROM events"],
)
def test_delete_is_refused_by_the_database(small_log, database_url, sql):
    assert_refused_and_intact(database_url, sql, small_log)


def test_truncate_is_refused_on_postgresql(small_log, database_url):
    """TRUNCATE skips row triggers on PostgreSQL: a statement trigger refuses it. SQLite has no
    TRUNCATE; its truncate optimisation (DELETE without WHERE) is refused above."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no TRUNCATE statement")
    assert_refused_and_intact(database_url, "TRUNCATE events", small_log)
    assert_refused_and_intact(database_url, "TRUNCATE TABLE events CASCADE", small_log)


def test_an_insert_cannot_overwrite_an_event(small_log, database_url):
    """Overwriting through INSERT is an UPDATE (upsert) or a DELETE (SQLite's REPLACE deletes
    the conflicting row, and fires no delete trigger unless recursive_triggers is on): refused
    like them."""
    names = [column.name for column in EVENTS.columns]
    columns = ", ".join(f'"{c}"' for c in names)
    values = ", ".join("'Mallory'" if c == "actor" else f'"{c}"' for c in names)
    upsert = (
        f"INSERT INTO events ({columns}) SELECT {values} FROM events WHERE seq = 3 "
        "ON CONFLICT (chain, seq) DO UPDATE SET actor = excluded.actor"
    )
    assert_refused_and_intact(database_url, upsert, small_log)
    if database_url.startswith("sqlite"):
        for verb in ("REPLACE", "INSERT OR REPLACE"):
            replace = f"{verb} INTO events ({columns}) SELECT {values} FROM events WHERE seq = 3"
            assert_refused_and_intact(database_url, replace, small_log)


def test_record_still_appends(small_log, database_url):
    record(database_url, 2, actor="after the refusals")
    rows = snapshot(database_url)
    assert rows[:6] == small_log
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert rows[6]["prev_hash"] == small_log[-1]["hash"]
    assert rows[7]["prev_hash"] == rows[6]["hash"]
    assert rows[7]["actor"] == "after the refusals"
    assert_ok(verification(database_url)[0], 8)


def test_triggers_are_back_after_they_were_set_aside(small_log, database_url):
    """The tampering below sets the triggers aside in one transaction; they return with it."""
    with triggers_aside(database_url) as connection:
        set_field(connection, 3, "actor", "Mallory")
    tampered = snapshot(database_url)
    assert tampered[2]["actor"] == "Mallory"
    assert_refused(database_url, "UPDATE events SET actor = 'Eve' WHERE seq = 3", tampered)
    assert_refused(database_url, "DELETE FROM events WHERE seq = 3", tampered)
    with pytest.raises(ZeroDivisionError), triggers_aside(database_url) as connection:
        connection.execute(text("DELETE FROM events WHERE seq = 5"))
        raise ZeroDivisionError
    assert snapshot(database_url) == tampered
    assert_refused(database_url, "DELETE FROM events WHERE seq = 5", tampered)


def test_verify_that_stops_early_closes_its_cursor(small_log, database_url):
    """verify streams the log in batches (yield_per: a server-side cursor on PostgreSQL); when it
    stops at a bad event it must close that cursor, not leave it to the garbage collector (which
    makes psycopg warn, an error under warnings-as-errors)."""
    with triggers_aside(database_url) as connection:
        set_field(connection, 2, "actor", "Mallory")
    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = verification(database_url)[0]
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert_bad(result, 2, CONTENT)
    assert [str(w.message) for w in caught] == []
    assert [repr(u.exc_value) for u in unraisable] == []


# --- 2. an untouched log verifies ----------------------------------------------------------------


def test_an_untouched_log_verifies_alone_and_against_its_checkpoints(make_app, database_url):
    app = make_app(RATE_LIMIT_DEFAULT="off")
    log = build_log(app, app.config["ADMIN_KEY"], database_url)

    assert [r["seq"] for r in log.rows] == list(range(1, log.n + 1))
    previous = audit.GENESIS
    for row in log.rows:
        assert row["prev_hash"] == previous
        assert row["hash"] == audit.event_hash(Event(**row))
        assert row["change_sha256"] == audit.sha256(row["change"].encode())
        previous = row["hash"]
    # The change is stored canonical, non-ASCII text as is, so the digest is of those bytes.
    names = [
        json.loads(r["change"]).get("name") for r in log.rows if r["action"] == "vendor.created"
    ]
    assert names == ["Zürcher Datenwerke AG", "東京アナリティクス株式会社", "Acme Analytics 🛰"]

    assert log.mid["size"] == log.m and log.mid["head_hash"] == log.rows[log.m - 1]["hash"]
    assert log.end["size"] == log.n and log.end["head_hash"] == log.rows[-1]["hash"]
    plain, mid, end = verification(database_url, log.mid, log.end, public_key=log.public_key)
    assert_ok(plain, log.n)
    assert plain.head_hash == log.rows[-1]["hash"]
    assert_ok(mid, log.m)
    assert mid.head_hash == log.mid["head_hash"]
    assert_ok(end, log.n)
    # The API says the same.
    verified = ok(client_with_key(app, app.config["ADMIN_KEY"]).get("/v1/audit/verify"))
    assert verified == {
        "ok": True,
        "size": log.n,
        "head_hash": log.rows[-1]["hash"],
        "first_bad_seq": None,
        "problem": None,
        "records_checked": verified["records_checked"],
        "first_bad_record": None,
    }
    # 3 vendors, 7 assessments, 3 declarations, 2 disputes, 1 moderation, the closed
    # procurement: each compared with the digest its latest event logged.
    assert verified["records_checked"] == 17
    # Later appends keep both checkpoints valid: they vouch for a prefix.
    record(database_url, 3)
    plain, mid, end = verification(database_url, log.mid, log.end, public_key=log.public_key)
    assert_ok(plain, log.n + 3)
    assert_ok(mid, log.m)
    assert_ok(end, log.n)


# --- 3. tampering --------------------------------------------------------------------------------

# What one check should say: None for ok, else (first bad seq, words of the problem).
Expected = tuple[int, str] | None


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    apply: Callable[[Log], None]
    # (verify, verify_against the mid checkpoint, verify_against the end checkpoint)
    expected: Callable[[Log], tuple[Expected, Expected, Expected]]
    tampered: bool = True


def raw(tamper: Callable[[Connection, Log], None]) -> Callable[[Log], None]:
    """Tamper in one transaction with the triggers set aside."""

    def apply(log: Log) -> None:
        with triggers_aside(log.url) as connection:
            tamper(connection, log)

    return apply


def everywhere(seq_of: Callable[[Log], int], problem: str):
    """Expected: verify and both checkpoints name the same first bad event."""
    return lambda log: ((seq_of(log), problem),) * 3


def at_k(log: Log) -> int:
    return log.k


FORGED_CHANGE = audit.canonical({"website": "https://mallory.example"}).decode()
FIELD_VALUES = {
    "occurred_at": lambda row: row["occurred_at"] + dt.timedelta(microseconds=1),
    "organisation_id": lambda row: str(uuid.uuid4()),
    "actor": lambda row: "key eth_00000000 (admin: Mallory)",
    "action": lambda row: "vendor.created",
    "object_type": lambda row: "procurement",
    "object_id": lambda row: str(uuid.uuid4()),
    "change": lambda row: FORGED_CHANGE,
    "change_sha256": lambda row: audit.sha256(FORGED_CHANGE.encode()),
    "prev_hash": lambda row: audit.sha256(b"a forged link"),
    "hash": lambda row: audit.sha256(b"a forged hash"),
    "record_sha256": lambda row: audit.sha256(b"a forged record"),
    # Moved to another organisation's chain: a gap in its own.
    "chain": lambda row: str(uuid.uuid4()),
}
FIELD_PROBLEMS = {
    "change": DIGEST,
    "change_sha256": DIGEST,
    "prev_hash": UNLINKED,
    "chain": MISSING,
}


def change_field(field: str, value: Callable[[dict], object], seq_of=at_k):
    def tamper(connection: Connection, log: Log) -> None:
        seq = seq_of(log)
        before = row_at(connection, seq)
        new = value(before)
        assert new != before[field]
        set_field(connection, seq, field, new)

    return raw(tamper)


def forge_change_and_digest(connection: Connection, log: Log) -> None:
    set_fields(
        connection,
        log.k,
        {"change": FORGED_CHANGE, "change_sha256": audit.sha256(FORGED_CHANGE.encode())},
    )


def forge_hash_and_relink(connection: Connection, log: Log) -> None:
    """The event's hash changed, and the next event's link to it, so the chain still joins."""
    fake = audit.sha256(b"a forged hash")
    set_field(connection, log.k, "hash", fake)
    set_field(connection, log.k + 1, "prev_hash", fake)


def delete(seq_of: Callable[[Log], int]):
    def tamper(connection: Connection, log: Log) -> None:
        deleted = connection.execute(text("DELETE FROM events WHERE seq = :s"), {"s": seq_of(log)})
        assert deleted.rowcount == 1

    return raw(tamper)


def insert_at_end(connection: Connection, log: Log) -> None:
    """Appended by hand: chained to the head, a well-formed hash that is not its content's."""
    head = log.rows[-1]
    row = forged(log.n + 1, head, head["occurred_at"] + dt.timedelta(seconds=1))
    row["hash"] = audit.sha256(row["hash"].encode())
    connection.execute(EVENTS.insert(), [row])


def insert_in_the_middle(connection: Connection, log: Log) -> None:
    """Events k.. renumbered one up; a forged event at k, chained to k-1 with a correct hash;
    the renumbered event re-linked to the forged one."""
    for statement in (
        "UPDATE events SET seq = -seq WHERE seq >= :k",
        "UPDATE events SET seq = 1 - seq WHERE seq < 0",
    ):
        connection.execute(text(statement), {"k": log.k})
    previous = row_at(connection, log.k - 1)
    row = forged(log.k, previous, previous["occurred_at"] + dt.timedelta(microseconds=1))
    set_field(connection, log.k + 1, "prev_hash", row["hash"])
    connection.execute(EVENTS.insert(), [row])


# All but the links (chain, prev_hash, hash).
CONTENT_FIELDS = tuple(f for f in FIELDS if f not in ("chain", "prev_hash", "hash"))


def swap(fields: tuple[str, ...]):
    def tamper(connection: Connection, log: Log) -> None:
        first, second = row_at(connection, log.k), row_at(connection, log.k + 2)
        assert all(first[f] != second[f] for f in ("object_id", "change", "hash"))
        if "hash" in fields:  # both hashes are unique: park the first pair out of the way
            parked = {"prev_hash": "p" * 64, "hash": "h" * 64}
            set_fields(connection, log.k, parked)
        set_fields(connection, log.k + 2, {f: first[f] for f in fields})
        set_fields(connection, log.k, {f: second[f] for f in fields})

    return raw(tamper)


def truncate_after(seq_of: Callable[[Log], int]):
    def tamper(connection: Connection, log: Log) -> None:
        connection.execute(text("DELETE FROM events WHERE seq > :s"), {"s": seq_of(log)})

    return raw(tamper)


def truncate_and_regrow(connection: Connection, log: Log) -> None:
    """The last 3 events dropped, 5 consistent forged ones appended: longer than the checkpoint."""
    connection.execute(text("DELETE FROM events WHERE seq > :s"), {"s": log.n - 3})
    previous = log.rows[log.n - 4]
    for seq in range(log.n - 2, log.n + 3):
        row = forged(seq, previous, previous["occurred_at"] + dt.timedelta(seconds=1))
        connection.execute(EVENTS.insert(), [row])
        previous = row


def rewrite_from(seq_of: Callable[[Log], int]):
    def tamper(connection: Connection, log: Log) -> None:
        seq = seq_of(log)
        set_field(connection, seq, "actor", "key eth_00000000 (admin: Mallory)")
        rehash_from(connection, seq)

    return raw(tamper)


def backdate_everything(connection: Connection, log: Log) -> None:
    """Every event a day earlier, the whole chain rehashed from the first event."""
    for row in log.rows:
        set_field(connection, row["seq"], "occurred_at", row["occurred_at"] - dt.timedelta(days=1))
    rehash_from(connection, 1)


def append_legitimately(log: Log) -> None:
    record(log.url, 4, actor="a later request")


CASES = [
    Case("untouched", lambda log: None, lambda log: (None, None, None), tampered=False),
    Case(
        "legitimate appends after the checkpoints",
        append_legitimately,
        lambda log: (None, None, None),
        tampered=False,
    ),
    *(
        Case(
            f"{field} of event k",
            change_field(field, value),
            everywhere(at_k, FIELD_PROBLEMS.get(field, CONTENT)),
        )
        for field, value in FIELD_VALUES.items()
    ),
    Case(
        "organisation_id of event k set to NULL",
        change_field("organisation_id", lambda row: None),
        everywhere(at_k, CONTENT),
    ),
    Case(
        "change and change_sha256 of event k, consistently",
        raw(forge_change_and_digest),
        everywhere(at_k, CONTENT),
    ),
    Case(
        "hash of event k, next event re-linked",
        raw(forge_hash_and_relink),
        everywhere(at_k, CONTENT),
    ),
    Case(
        "actor of the first event",
        change_field("actor", FIELD_VALUES["actor"], lambda log: 1),
        everywhere(lambda log: 1, CONTENT),
    ),
    Case(
        "change of the last event",
        change_field("change", FIELD_VALUES["change"], lambda log: log.n),
        lambda log: ((log.n, DIGEST), None, (log.n, DIGEST)),
    ),
    Case("delete event k", delete(at_k), lambda log: ((log.k, MISSING),) * 3),
    Case("delete the first event", delete(lambda log: 1), lambda log: ((1, MISSING),) * 3),
    Case(
        "insert a forged event at the end",
        raw(insert_at_end),
        lambda log: ((log.n + 1, CONTENT), None, None),
    ),
    Case(
        "insert a forged event at k, renumbering the rest",
        raw(insert_in_the_middle),
        everywhere(lambda log: log.k + 1, CONTENT),
    ),
    Case("swap the contents of events k and k+2", swap(CONTENT_FIELDS), everywhere(at_k, CONTENT)),
    Case("swap events k and k+2 whole (seq kept)", swap(FIELDS), everywhere(at_k, UNLINKED)),
    Case(
        "truncate the last 3 events",
        truncate_after(lambda log: log.n - 3),
        lambda log: (None, None, (log.n - 2, TRUNCATED)),
    ),
    Case(
        "truncate to before the mid checkpoint",
        truncate_after(lambda log: log.m - 2),
        lambda log: (None, (log.m - 1, TRUNCATED), (log.m - 1, TRUNCATED)),
    ),
    Case(
        "truncate the last 3 events, append 5 forged ones",
        raw(truncate_and_regrow),
        lambda log: (None, None, (log.n, REWRITTEN)),
    ),
    Case(
        "rewrite the chain from event k (before the mid checkpoint)",
        rewrite_from(at_k),
        lambda log: (None, (log.m, REWRITTEN), (log.n, REWRITTEN)),
    ),
    Case(
        "rewrite the chain from after the mid checkpoint",
        rewrite_from(lambda log: log.m + 2),
        lambda log: (None, None, (log.n, REWRITTEN)),
    ),
    Case(
        "rewrite the whole chain (every event backdated)",
        raw(backdate_everything),
        lambda log: (None, (log.m, REWRITTEN), (log.n, REWRITTEN)),
    ),
]
CHECKS = ("verify", "verify_against mid", "verify_against end")


@dataclasses.dataclass
class Outcome:
    case: Case
    expected: tuple[Expected, Expected, Expected]
    got: list[audit.Verification]

    def matches(self, i: int) -> bool:
        expected, got = self.expected[i], self.got[i]
        if expected is None:
            return got.ok
        return not got.ok and got.first_bad_seq == expected[0] and expected[1] in got.problem

    @property
    def detected(self) -> bool:
        """Every check that should flag the log flags it, at the right event."""
        flagging = [i for i, e in enumerate(self.expected) if e is not None]
        return bool(flagging) and all(self.matches(i) for i in flagging)

    @property
    def false_alarms(self) -> int:
        return sum(
            1 for e, g in zip(self.expected, self.got, strict=True) if e is None and not g.ok
        )


def shown(result: Expected | audit.Verification) -> str:
    if result is None:
        return "ok"
    if isinstance(result, tuple):
        return f"#{result[0]} {result[1]}"
    return "ok" if result.ok else f"#{result.first_bad_seq} {result.problem}"


SHORT = {MISSING: "missing", UNLINKED: "unlinked", DIGEST: "digest", CONTENT: "hash"}


def cell(expected: Expected, got: audit.Verification, matches: bool) -> str:
    """`ok`, or `#seq kind` of the expected result; ✓ when got matches, else what it got."""
    if expected is None:
        wanted = "ok"
    else:
        wanted = f"#{expected[0]} {SHORT.get(expected[1], expected[1].split()[-1])}"
    return f"{wanted} ✓" if matches else f"{wanted} ✗ got {shown(got)}"


def table(outcomes: list[Outcome], log: Log) -> str:
    lines = [
        f"n={log.n} events, mid checkpoint at {log.m}, k={log.k}",
        "| case | " + " | ".join(CHECKS) + " | verdict |",
        "|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        cells = [
            cell(e, g, outcome.matches(i))
            for i, (e, g) in enumerate(zip(outcome.expected, outcome.got, strict=True))
        ]
        if outcome.case.tampered:
            verdict = "detected" if outcome.detected else "MISSED"
        else:
            verdict = "no alarm" if not outcome.false_alarms else "FALSE ALARM"
        lines.append(f"| {outcome.case.name} | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def tampering(database_url) -> tuple[Log, dict[str, Outcome]]:
    """Every case applied to a copy of one log built through the API, then checked three ways;
    the log restored between cases."""
    with fresh_app(database_url) as (app, admin_key):
        log = build_log(app, admin_key, database_url)
    outcomes = {}
    for case in CASES:
        restore(database_url, log.rows)
        case.apply(log)
        got = verification(database_url, log.mid, log.end, public_key=log.public_key)
        outcomes[case.name] = Outcome(case, case.expected(log), got)
    restore(database_url, log.rows)
    assert_ok(verification(database_url)[0], log.n)
    return log, outcomes


@LEAKED_CURSOR
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tampering_case(tampering, case):
    log, outcomes = tampering
    outcome = outcomes[case.name]
    for i, check in enumerate(CHECKS):
        assert outcome.matches(i), (
            f"{case.name}: {check} expected {shown(outcome.expected[i])}, "
            f"got {shown(outcome.got[i])}\n{table([outcome], log)}"
        )


@LEAKED_CURSOR
def test_detection_table(tampering):
    """Every tampering detected, by every check that can see it; no false alarm anywhere."""
    log, outcomes = tampering
    summary = table(list(outcomes.values()), log)
    print(summary)
    tampered = [o for o in outcomes.values() if o.case.tampered]
    detected = sum(o.detected for o in tampered)
    false_alarms = sum(o.false_alarms for o in outcomes.values())
    checks = [o.matches(i) for o in outcomes.values() for i in range(len(CHECKS))]
    assert len(tampered) >= 20
    assert (detected, false_alarms) == (len(tampered), 0), summary
    assert all(checks), summary
    # Every kind of problem plain verification knows turns up.
    problems = [o.got[0].problem for o in tampered if not o.got[0].ok]
    kinds = {k for k in (MISSING, UNLINKED, DIGEST, CONTENT) if any(k in p for p in problems)}
    assert kinds == {MISSING, UNLINKED, DIGEST, CONTENT}


# --- 4. checkpoints ------------------------------------------------------------------------------


@pytest.fixture
def signed(app, database_url) -> tuple[dict, Ed25519PrivateKey]:
    record(database_url, 6)
    key = Ed25519PrivateKey.generate()
    checkpoint = sign(database_url, key)
    assert checkpoint["size"] == 9  # the first start's 3 events and 6 more
    assert checkpoint["head_hash"] == snapshot(database_url)[-1]["hash"]
    assert dt.datetime.fromisoformat(checkpoint["time"]).utcoffset() == dt.timedelta(0)
    assert checkpoint["public_key"] == audit.public_key_pem(key)
    assert_ok(verification(database_url, checkpoint)[1], 9)
    return checkpoint, key


def flipped(signature: str) -> str:
    raw_bytes = bytearray(base64.b64decode(signature))
    raw_bytes[10] ^= 1
    return base64.b64encode(bytes(raw_bytes)).decode()


CHECKPOINT_EDITS = {
    "size one less": lambda c, rows: {**c, "size": c["size"] - 1},
    "size one more": lambda c, rows: {**c, "size": c["size"] + 1},
    "size zero": lambda c, rows: {**c, "size": 0, "head_hash": None},
    "head of an earlier event": lambda c, rows: {**c, "head_hash": rows[-2]["hash"]},
    "time a day later": lambda c, rows: {
        **c,
        "time": (dt.datetime.fromisoformat(c["time"]) + dt.timedelta(days=1)).isoformat(),
    },
    "time reformatted": lambda c, rows: {**c, "time": c["time"].replace("+00:00", "Z")},
    "signature with one bit flipped": lambda c, rows: {**c, "signature": flipped(c["signature"])},
    "signature not base64": lambda c, rows: {**c, "signature": "not base64!"},
    "signature empty": lambda c, rows: {**c, "signature": ""},
    "signature missing": lambda c, rows: {k: v for k, v in c.items() if k != "signature"},
    "size missing": lambda c, rows: {k: v for k, v in c.items() if k != "size"},
}


@pytest.mark.parametrize("edit", CHECKPOINT_EDITS)
def test_an_edited_checkpoint_fails_its_signature(signed, database_url, edit):
    checkpoint, key = signed
    edited = CHECKPOINT_EDITS[edit](checkpoint, snapshot(database_url))
    result = verification(database_url, edited, public_key=audit.public_key_pem(key))[1]
    assert_bad(result, None, SIGNATURE)


def test_a_checkpoint_checked_with_another_key_fails(signed, database_url):
    checkpoint, key = signed
    other = Ed25519PrivateKey.generate()
    result = verification(database_url, checkpoint, public_key=audit.public_key_pem(other))[1]
    assert_bad(result, None, SIGNATURE)
    # A checkpoint forged with another key and carrying that key fails against the trusted one.
    forged_checkpoint = sign(database_url, other)
    result = verification(database_url, forged_checkpoint, public_key=audit.public_key_pem(key))[1]
    assert_bad(result, None, SIGNATURE)
    # Swapping the public key a checkpoint carries does not make it the other key's.
    swapped = {**checkpoint, "public_key": audit.public_key_pem(other)}
    assert_bad(verification(database_url, swapped)[1], None, SIGNATURE)


def test_a_checkpoint_checked_with_a_non_ed25519_key_fails(signed, database_url):
    checkpoint, _ = signed
    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    result = verification(database_url, checkpoint, public_key=pem)[1]
    assert_bad(result, None, "not an Ed25519 key")


@LEAKED_CURSOR
def test_a_checkpoint_of_a_broken_log_is_refused(signed, database_url):
    with triggers_aside(database_url) as connection:
        set_field(connection, 4, "actor", "Mallory")
    with pytest.raises(ValueError, match="does not verify at event 4"):
        sign(database_url, Ed25519PrivateKey.generate())


def test_a_checkpoint_of_an_empty_log(make_app, database_url):
    make_app()
    empty_tables(database_url)
    key = Ed25519PrivateKey.generate()
    checkpoint = sign(database_url, key)
    assert (checkpoint["size"], checkpoint["head_hash"]) == (0, None)
    record(database_url, 2)
    assert_ok(verification(database_url, checkpoint)[1], 0)


# --- the audit commands --------------------------------------------------------------------------


def cli(database_url: str, *args: str, catch_exceptions: bool = False, **env: str | None):
    environment = {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA),
        "ETHICS_DEFAULT_CRITERIA_SET": None,
        "ETHICS_AUDIT_SIGNING_KEY": None,
        "ETHICS_AUDIT_PUBLIC_KEY": None,
        **env,
    }
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=catch_exceptions)


def keygen(path: Path) -> str:
    """`audit keygen` needs no database."""
    result = cli("", "audit", "keygen", str(path))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_keygen_writes_a_private_pem_and_prints_its_public_key(tmp_path):
    path = tmp_path / "signing.pem"
    public = keygen(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    key = audit.load_private_key(pem)
    assert public == audit.public_key_pem(key)
    assert public.startswith("-----BEGIN PUBLIC KEY-----")
    assert b"PRIVATE" not in public.encode()
    # Two keys are two keys.
    assert keygen(tmp_path / "other.pem") != public


def test_keygen_never_overwrites(tmp_path):
    path = tmp_path / "signing.pem"
    keygen(path)
    before = path.read_bytes()
    again = cli("", "audit", "keygen", str(path))
    assert again.exit_code == 1
    assert "exists" in again.stderr and "overwritten" in again.stderr
    assert again.stdout == ""
    assert path.read_bytes() == before
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("keep me")
    assert cli("", "audit", "keygen", str(unrelated)).exit_code == 1
    assert unrelated.read_text() == "keep me"


@pytest.fixture
def cli_log(app, database_url, tmp_path) -> tuple[Path, str]:
    """Eight events, a signing key file and its public key."""
    record(database_url, 6)
    path = tmp_path / "signing.pem"
    return path, keygen(path)


def test_checkpoint_command_prints_a_signed_json_checkpoint(cli_log, database_url, tmp_path):
    path, public = cli_log
    for how in ("--key", "environment"):
        if how == "--key":
            result = cli(database_url, "audit", "checkpoint", "--key", str(path))
        else:
            result = cli(database_url, "audit", "checkpoint", ETHICS_AUDIT_SIGNING_KEY=str(path))
        assert result.exit_code == 0, result.output
        checkpoint = json.loads(result.stdout)
        assert set(checkpoint) == {
            "chain",
            "size",
            "head_hash",
            "time",
            "signature",
            "public_key",
        }
        assert checkpoint["chain"] == snapshot(database_url)[-1]["chain"]
        assert checkpoint["size"] == 9
        assert checkpoint["head_hash"] == snapshot(database_url)[-1]["hash"]
        assert checkpoint["public_key"] == public
        assert_ok(verification(database_url, checkpoint, public_key=public)[1], 9)
    assert cli(database_url, "audit", "checkpoint").exit_code == 2  # no key at all


@LEAKED_CURSOR
def test_verify_command_on_a_good_and_a_tampered_log(cli_log, database_url):
    result = cli(database_url, "audit", "verify")
    assert result.exit_code == 0, result.output
    head = snapshot(database_url)[-1]
    assert result.stdout == (
        f"ok: chain {head['chain']}: 9 events, head {head['hash']}\n"
        "ok: 0 records match the digests their events logged\n"
    )
    with triggers_aside(database_url) as connection:
        set_field(connection, 5, "object_id", "another")
    result = cli(database_url, "audit", "verify")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"FAILED in chain {head['chain']} at event 5: {CONTENT}\n"
    # A checkpoint is refused for the tampered log.
    path, _ = cli_log
    refused = cli(database_url, "audit", "checkpoint", "--key", str(path))
    assert refused.exit_code == 1
    assert "does not verify at event 5" in refused.stderr


def test_verify_command_with_a_checkpoint_detects_truncation(cli_log, database_url, tmp_path):
    path, public = cli_log
    result = cli(database_url, "audit", "checkpoint", "--key", str(path))
    checkpoint_file = tmp_path / "checkpoint.json"
    checkpoint_file.write_text(result.stdout)
    public_file = tmp_path / "public.pem"
    public_file.write_text(public)
    other_file = tmp_path / "other.pem"
    other_file.write_text(keygen(tmp_path / "other-signing.pem"))
    with_checkpoint = ("audit", "verify", "--checkpoint", str(checkpoint_file))

    chain = json.loads(checkpoint_file.read_text())["chain"]

    good = cli(database_url, *with_checkpoint, "--public-key", str(public_file))
    assert good.exit_code == 0, good.output
    assert good.stdout.startswith(f"ok: checkpoint of chain {chain} at event 9, taken ")
    assert "9 events" in good.stdout

    with triggers_aside(database_url) as connection:
        connection.execute(text("DELETE FROM events WHERE seq > 6"))
    plain = cli(database_url, "audit", "verify")
    assert plain.exit_code == 0, plain.output  # a shorter chain is still a chain
    assert plain.stdout.startswith(f"ok: chain {chain}: 6 events")
    trusted_ways = {
        "--public-key": {"args": ("--public-key", str(public_file))},
        "ETHICS_AUDIT_PUBLIC_KEY": {"env": {"ETHICS_AUDIT_PUBLIC_KEY": str(public_file)}},
        "ETHICS_AUDIT_SIGNING_KEY": {"env": {"ETHICS_AUDIT_SIGNING_KEY": str(path)}},
    }
    for way in trusted_ways.values():
        truncated = cli(database_url, *with_checkpoint, *way.get("args", ()), **way.get("env", {}))
        assert truncated.exit_code == 1
        assert truncated.stderr.startswith(f"FAILED in chain {chain} at event 7: {TRUNCATED}"), (
            truncated.stderr
        )
    wrong_key = cli(database_url, *with_checkpoint, "--public-key", str(other_file))
    assert wrong_key.exit_code == 1
    assert SIGNATURE in wrong_key.stderr


def test_verify_command_names_no_event_when_the_checkpoint_itself_fails(
    cli_log, database_url, tmp_path
):
    """A checkpoint whose signature fails puts no event at fault: "FAILED at event None" is
    not a message for an operator."""
    path, _ = cli_log
    checkpoint = json.loads(cli(database_url, "audit", "checkpoint", "--key", str(path)).stdout)
    checkpoint_file = tmp_path / "checkpoint.json"
    checkpoint_file.write_text(json.dumps({**checkpoint, "size": 7}))
    public_file = tmp_path / "public.pem"
    public_file.write_text(cli_log[1])
    result = cli(
        database_url,
        "audit",
        "verify",
        "--checkpoint",
        str(checkpoint_file),
        "--public-key",
        str(public_file),
    )
    assert result.exit_code == 1
    assert SIGNATURE in result.stderr
    assert "None" not in result.stderr, result.stderr


def test_verify_command_refuses_a_checkpoint_without_a_trusted_key(cli_log, database_url, tmp_path):
    """The key a checkpoint carries proves nothing: whoever rewrote the history can sign a
    checkpoint of it with a key of their own. Without a key to trust, no verdict."""
    path, _ = cli_log
    checkpoint_file = tmp_path / "checkpoint.json"
    checkpoint_file.write_text(cli(database_url, "audit", "checkpoint", "--key", str(path)).stdout)
    result = cli(database_url, "audit", "verify", "--checkpoint", str(checkpoint_file))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "public key you trust" in result.stderr
    assert "--public-key" in result.stderr and "ETHICS_AUDIT_PUBLIC_KEY" in result.stderr


@LEAKED_CURSOR
def test_a_history_rewritten_and_signed_again_with_another_key_is_caught(
    cli_log, database_url, tmp_path
):
    """Mallory rewrites the chain from event 4 and signs a fresh checkpoint of it with her own
    key: checked against the instance's key (configured) it fails, as does the honest
    checkpoint taken before the rewrite."""
    path, _ = cli_log
    honest = tmp_path / "honest.json"
    honest.write_text(cli(database_url, "audit", "checkpoint", "--key", str(path)).stdout)
    with triggers_aside(database_url) as connection:
        set_field(connection, 4, "actor", "key eth_00000000 (admin: Mallory)")
        rehash_from(connection, 4)
    mallory = tmp_path / "mallory.pem"
    keygen(mallory)
    forged_checkpoint = tmp_path / "forged.json"
    forged_checkpoint.write_text(
        cli(database_url, "audit", "checkpoint", "--key", str(mallory)).stdout
    )
    assert cli(database_url, "audit", "verify").exit_code == 0  # the chain itself is whole
    configured = {"ETHICS_AUDIT_SIGNING_KEY": str(path)}
    forged_result = cli(
        database_url, "audit", "verify", "--checkpoint", str(forged_checkpoint), **configured
    )
    assert forged_result.exit_code == 1
    assert SIGNATURE in forged_result.stderr
    honest_result = cli(database_url, "audit", "verify", "--checkpoint", str(honest), **configured)
    assert honest_result.exit_code == 1
    assert REWRITTEN in honest_result.stderr
    # What the forged checkpoint carries is Mallory's key, which does vouch for it: the very
    # thing the verifier must not take from the checkpoint.
    mallory_public = tmp_path / "mallory-public.pem"
    mallory_public.write_text(json.loads(forged_checkpoint.read_text())["public_key"])
    trusting_mallory = cli(
        database_url,
        "audit",
        "verify",
        "--checkpoint",
        str(forged_checkpoint),
        "--public-key",
        str(mallory_public),
    )
    assert trusting_mallory.exit_code == 0, trusting_mallory.output
    fingerprint = audit.fingerprint(audit.load_public_key(mallory_public.read_text()))
    assert f"key {fingerprint}" in trusting_mallory.stdout


def test_the_fingerprint_is_the_sha256_of_the_raw_key():
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public = audit.load_public_key(audit.public_key_pem(key))
    assert audit.fingerprint(public) == "sha256:" + hashlib.sha256(raw).hexdigest()


def encrypted_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )


def rsa_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("command", "content"),
    [
        ("checkpoint --key", b"not a key"),
        ("checkpoint --key", "rsa"),
        ("checkpoint --key", "encrypted"),
        ("verify --public-key", "private"),  # the signing key given by mistake
        ("verify --public-key", b"not a key"),
        ("verify --checkpoint", b"not json"),
        ("verify --checkpoint", b'{"size": 8}'),
    ],
)
def test_unusable_keys_and_checkpoints_are_a_clean_error(
    cli_log, database_url, tmp_path, command, content
):
    """An operator's mistake gets a message and exit 1, never a traceback."""
    path, public = cli_log
    public_file = tmp_path / "public.pem"
    public_file.write_text(public)
    makers = {"rsa": rsa_pem, "encrypted": encrypted_pem, "private": path.read_bytes}
    given = tmp_path / "given"
    given.write_bytes(makers[content]() if isinstance(content, str) else content)
    good_checkpoint = tmp_path / "checkpoint.json"
    good_checkpoint.write_text(cli(database_url, "audit", "checkpoint", "--key", str(path)).stdout)
    args = {
        "checkpoint --key": ("audit", "checkpoint", "--key", str(given)),
        "verify --public-key": (
            "audit",
            "verify",
            "--checkpoint",
            str(good_checkpoint),
            "--public-key",
            str(given),
        ),
        "verify --checkpoint": (
            "audit",
            "verify",
            "--checkpoint",
            str(given),
            "--public-key",
            str(public_file),
        ),
    }[command]
    result = cli(database_url, *args, catch_exceptions=True)
    assert isinstance(result.exception, SystemExit), (
        f"traceback: {type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip()


# --- 5. concurrent appends -----------------------------------------------------------------------

WORKER = """
import sys
import time
from ethics_api import audit
from ethics_api.database import Database

url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
database = Database(url)
try:
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    for i in range(count):
        with database.transaction() as session:
            audit.record(
                session, "load.appended", "load", f"{worker}-{i}", {"worker": worker, "i": i},
                actor=f"worker {worker}", organisation_id="00000000-0000-4000-8000-000000000000",
            )
    end = time.time()
finally:
    database.dispose()
print("done", start, end, flush=True)
"""
PROCESSES, APPENDS = 4, 50


def test_concurrent_appends_from_several_processes_never_fork_the_chain(database_url, tmp_path):
    """4 processes x 50 appends, each in its own Database(url).transaction(), all at once on
    the same database: one chain of 200 events, no error, no two events on one predecessor."""
    empty_tables(database_url)
    processes = [
        subprocess.Popen(
            [sys.executable, "-W", "error", "-c", WORKER, database_url, str(w), str(APPENDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for w in range(PROCESSES)
    ]
    outputs = []
    try:
        for process in processes:  # all connected and waiting: then all go at once
            assert process.stdout.readline() == "ready\n", process.stderr.read()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            outputs.append((*process.communicate(timeout=120), process.returncode))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    windows = []
    for stdout, stderr, returncode in outputs:
        assert (returncode, stderr) == (0, ""), stderr
        done, start, end = stdout.split()
        assert done == "done"
        windows.append((float(start), float(end)))
    # The appends raced: every process was still appending when the last one started.
    assert max(start for start, _ in windows) < min(end for _, end in windows), windows

    rows = snapshot(database_url)
    total = PROCESSES * APPENDS
    assert [r["seq"] for r in rows] == list(range(1, total + 1))
    assert len({r["prev_hash"] for r in rows}) == total
    assert len({r["hash"] for r in rows}) == total
    assert sorted(r["object_id"] for r in rows) == sorted(
        f"{w}-{i}" for w in range(PROCESSES) for i in range(APPENDS)
    )
    # Each worker's own appends keep their order.
    for w in range(PROCESSES):
        mine = [json.loads(r["change"])["i"] for r in rows if r["actor"] == f"worker {w}"]
        assert mine == list(range(APPENDS))
    assert_ok(verification(database_url)[0], total)


# --- 6. the query's times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("since", "9999-12-31T23:59:59-23:59"),  # in UTC: the year 10000
        ("until", "0001-01-01T00:00:00+23:59"),  # in UTC: the year 0
        ("since", "9999-12-31T23:59:59-00:01"),
    ],
)
def test_a_time_beyond_the_years_a_database_stores_is_a_422_on_its_parameter(
    client, parameter, value
):
    response = client.get(AUDIT_QUERY, query_string={parameter: value})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    [error] = response.json["errors"]
    assert (error["pointer"], error["location"]) == (f"/{parameter}", "query")
    assert "Out of range" in error["messages"][0]


@pytest.mark.parametrize(
    "query",
    [
        {"since": "9999-12-31T23:59:59+00:00"},
        {"since": "9999-12-31T23:59:59+23:59"},
        {"until": "0001-01-01T00:00:00-23:59"},
        {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"},
    ],
)
def test_the_first_and_last_times_a_database_stores_are_answered(client, query):
    response = client.get(AUDIT_QUERY, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = 3 if query.get("since", "").startswith("0001") else 0
    assert len(response.json) == expected
