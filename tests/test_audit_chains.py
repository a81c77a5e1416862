"""One chain per organisation: its own sequence, its own prev_hash, its own checkpoints; an
auditor of one organisation sees nothing of another's (no hash, no count, no gap). And the
upgrade (migration 0010) from the single chain of revision 0009, with events of two
organisations: the old chain kept as "legacy", verifiable with its old hashes and checkpoints,
each organisation's chain opening with copies of its events pinned to it.

Run on SQLite and (with ETHICS_TEST_DATABASE_URL) PostgreSQL.
"""

import base64
import dataclasses
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from ethics_api import audit, migrate
from ethics_api.cli import main
from ethics_api.database import Database, make_engine
from ethics_api.models import Event, Organisation

from conftest import BACKENDS, TEST_CRITERIA, client_with_key, make_key, migrated_database
from payloads import vendor
from responses import created, ok

AUDIT = "/v1/audit"


def events_of(database: Database, chain: str) -> list[Event]:
    with database.sessions() as session:
        return list(session.scalars(select(Event).where(Event.chain == chain).order_by(Event.seq)))


def listed(client) -> tuple[list[dict], int]:
    """Every event the client's auditor is shown, and the total the pagination reports."""
    response = client.get(AUDIT, query_string={"page_size": 100})
    return ok(response), json.loads(response.headers["X-Pagination"])["total"]


@dataclasses.dataclass
class TwoOrganisations:
    a: str
    b: str
    auditor_a: object
    auditor_b: object


@pytest.fixture
def two(app, database_url) -> TwoOrganisations:
    """The first organisation (A) and a second (B) made on the command line, with writes in
    both, interleaved."""
    out = cli(
        database_url,
        *("keys", "create", "--role", "admin", "--name", "Bo", "--new-organisation", "B"),
    )
    assert out.exit_code == 0, out.output
    admin_b = client_with_key(app, out.stdout.split("secret (shown once): ")[1].strip())
    admin_a = client_with_key(app, app.config["ADMIN_KEY"])
    for round_ in range(3):
        for client, name in ((admin_a, "A"), (admin_b, "B")):
            created(client.post("/v1/vendors", json=vendor(f"{name} vendor {round_}")))
    with app.extensions["database"].sessions() as session:
        a, b = session.scalars(select(Organisation.id).order_by(Organisation.created_at))
    return TwoOrganisations(
        a,
        b,
        client_with_key(app, make_key(app, "auditor", "Otto", organisation_id=a)),
        client_with_key(app, make_key(app, "auditor", "Una", organisation_id=b)),
    )


def test_each_organisation_has_its_own_chain(app, two):
    database = app.extensions["database"]
    for chain in (two.a, two.b):
        events = events_of(database, chain)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == audit.GENESIS
        assert all(e.organisation_id == chain for e in events)
        assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(events))
        with database.sessions() as session:
            assert audit.verify(session, chain).ok


def test_an_auditor_sees_nothing_of_another_organisation(app, two):
    database = app.extensions["database"]
    theirs = {e.hash for e in events_of(database, two.a)}
    mine = events_of(database, two.b)
    shown, total = listed(two.auditor_b)
    # Exactly B's chain: numbered from 1 without a gap, linked to nothing but B's own events.
    assert [e["seq"] for e in shown] == [e.seq for e in mine] == list(range(1, len(mine) + 1))
    assert total == len(mine)
    assert shown[0]["prev_hash"] == audit.GENESIS
    assert not {e["prev_hash"] for e in shown} & theirs
    assert not {e["hash"] for e in shown} & theirs
    body = two.auditor_b.get(AUDIT, query_string={"page_size": 100}).get_data(as_text=True)
    assert not [h for h in theirs if h in body]
    verified = ok(two.auditor_b.get(f"{AUDIT}/verify"))
    assert (verified["ok"], verified["size"], verified["head_hash"]) == (
        True,
        len(mine),
        mine[-1].hash,
    )
    # A's auditor likewise sees A's chain alone.
    shown_a, total_a = listed(two.auditor_a)
    assert total_a == len(events_of(database, two.a))
    assert not {e["hash"] for e in shown_a} & {e.hash for e in mine}


def cli(database_url: str, *args: str, **env: str | None):
    environment = {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA),
        "ETHICS_DEFAULT_CRITERIA_SET": None,
        "ETHICS_AUDIT_SIGNING_KEY": None,
        "ETHICS_AUDIT_PUBLIC_KEY": None,
        **env,
    }
    return CliRunner().invoke(main, list(args), env=environment)


def test_checkpoints_are_per_chain(app, two, database_url, tmp_path):
    key_file = tmp_path / "signing.pem"
    assert cli("", "audit", "keygen", str(key_file)).exit_code == 0
    # Two organisations: which chain to sign must be said.
    unnamed = cli(database_url, "audit", "checkpoint", "--key", str(key_file))
    assert unnamed.exit_code == 1
    assert two.a in unnamed.stderr and two.b in unnamed.stderr
    signed = cli(
        database_url, "audit", "checkpoint", "--key", str(key_file), "--organisation", two.a
    )
    assert signed.exit_code == 0, signed.output
    checkpoint = json.loads(signed.stdout)
    chain_a = events_of(app.extensions["database"], two.a)
    assert (checkpoint["chain"], checkpoint["size"], checkpoint["head_hash"]) == (
        two.a,
        len(chain_a),
        chain_a[-1].hash,
    )
    checkpoint_file = tmp_path / "checkpoint.json"
    checkpoint_file.write_text(signed.stdout)
    # B's later activity is no concern of A's checkpoint.
    admin_b = client_with_key(app, make_key(app, "admin", "Bo", organisation_id=two.b))
    created(admin_b.post("/v1/vendors", json=vendor("B vendor later")))
    verified = cli(
        database_url,
        "audit",
        "verify",
        "--checkpoint",
        str(checkpoint_file),
        ETHICS_AUDIT_SIGNING_KEY=str(key_file),
    )
    assert verified.exit_code == 0, verified.output
    time = checkpoint["time"]
    assert verified.stdout.startswith(
        f"ok: checkpoint of chain {two.a} at event {len(chain_a)}, taken {time}, key sha256:"
    )
    # The same statement presented as B's chain does not verify: the chain is signed.
    as_b = {**checkpoint, "chain": two.b}
    checkpoint_file.write_text(json.dumps(as_b))
    moved = cli(
        database_url,
        "audit",
        "verify",
        "--checkpoint",
        str(checkpoint_file),
        ETHICS_AUDIT_SIGNING_KEY=str(key_file),
    )
    assert moved.exit_code == 1
    assert "signature does not verify" in moved.stderr


def test_the_command_line_verifies_every_chain(app, two, database_url):
    result = cli(database_url, "audit", "verify")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    database = app.extensions["database"]
    for chain in sorted((two.a, two.b)):
        events = events_of(database, chain)
        assert f"ok: chain {chain}: {len(events)} events, head {events[-1].hash}" in lines


# --- the upgrade from the single chain -----------------------------------------------------------


T0 = dt.datetime(2026, 11, 30, 9, 0, 0, 123456, tzinfo=dt.UTC)


@dataclasses.dataclass
class OldDatabase:
    """What revision 0009 held: two organisations, their records, one chain of their events
    (and one of no organisation), and a checkpoint of it as the service signed them then."""

    url: str
    a: str
    b: str
    legacy: list[dict]
    checkpoint: dict
    key: Ed25519PrivateKey
    ids: dict


def _old_event(seq: int, prev: str, organisation_id, action: str, kind: str, object_id, change):
    change_text = audit.canonical(change).decode()
    row = {
        "seq": seq,
        "occurred_at": T0 + dt.timedelta(minutes=seq),
        "organisation_id": organisation_id,
        "actor": f"key eth_{seq:08d} (admin: Ada)",
        "action": action,
        "object_type": kind,
        "object_id": object_id,
        "change_sha256": audit.sha256(change_text.encode()),
        "change": change_text,
        "prev_hash": prev,
    }
    row["hash"] = audit.event_hash(Event(chain=audit.LEGACY, **row))
    return row


def _old_checkpoint(key: Ed25519PrivateKey, rows: list[dict]) -> dict:
    """A checkpoint as revision 0009 signed it: size, head hash and time, no chain."""
    statement = {"size": len(rows), "head_hash": rows[-1]["hash"], "time": T0.isoformat()}
    signature = key.sign(audit.canonical(statement))
    return {**statement, "signature": base64.b64encode(signature).decode()}


@pytest.fixture(params=BACKENDS)
def old_database(request, tmp_path) -> Iterator[OldDatabase]:
    with migrated_database(request.param, tmp_path, "chains", revision="0009") as url:
        yield _fill_at_0009(url)


def _fill_at_0009(url: str) -> OldDatabase:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    ids = {name: str(uuid.uuid4()) for name in ("ada", "bo", "va", "vb", "vb_old", "assessment")}
    naive = T0.replace(tzinfo=None)
    plan = [  # interleaved: A, B, A, none, B, A
        (a, "vendor.created", "vendor", ids["va"], {"name": "A vendor"}),
        (b, "vendor.created", "vendor", ids["vb"], {"name": "B vendor"}),
        (a, "vendor.updated", "vendor", ids["va"], {"website": "https://a.example"}),
        (None, "test.appended", "test", "0", {"i": 0}),
        (b, "vendor.updated", "vendor", ids["vb"], {"country": "GB"}),
        (a, "assessment.submitted", "assessment", ids["assessment"], {"answers": []}),
    ]
    rows, prev = [], audit.GENESIS
    for seq, (organisation, action, kind, object_id, change) in enumerate(plan, 1):
        rows.append(_old_event(seq, prev, organisation, action, kind, object_id, change))
        prev = rows[-1]["hash"]
    engine = make_engine(url)
    with engine.begin() as connection:
        run = connection.execute
        for organisation, name in ((a, "A"), (b, "B")):
            run(
                text("INSERT INTO organisations (id, name, created_at) VALUES (:id, :name, :t)"),
                {"id": organisation, "name": name, "t": naive},
            )
        for person, organisation, name in (("ada", a, "Ada"), ("bo", b, "Bo")):
            run(
                text(
                    "INSERT INTO people (id, organisation_id, name, created_at) "
                    "VALUES (:id, :org, :name, :t)"
                ),
                {"id": ids[person], "org": organisation, "name": name, "t": naive},
            )
        # vb_old: older than the log, no event names it.
        for vendor_id, organisation, name, website in (
            ("va", a, "A vendor", "https://a.example"),
            ("vb", b, "B vendor", None),
            ("vb_old", b, "B's first vendor", None),
        ):
            run(
                text(
                    "INSERT INTO vendors (id, organisation_id, name, website, country, "
                    "created_at, updated_at, revision) "
                    "VALUES (:id, :org, :name, :website, :country, :t, :t, 1)"
                ),
                {
                    "id": ids[vendor_id],
                    "org": organisation,
                    "name": name,
                    "website": website,
                    "country": "GB" if vendor_id == "vb" else None,
                    "t": naive,
                },
            )
        run(
            text(
                "INSERT INTO assessments (id, organisation_id, vendor_id, criteria_key, "
                "criteria_version, criteria_sha256, person_id, assessor, moderated, answers, "
                "submitted_at) VALUES (:id, :org, :vendor, 'mini', 1, 'x', :person, 'Ada', "
                "false, :answers, :t)"
            ),
            {
                "id": ids["assessment"],
                "org": a,
                "vendor": ids["va"],
                "person": ids["ada"],
                "answers": json.dumps([{"indicator": "p1", "level": 3}]),
                "t": naive,
            },
        )
        for row in rows:
            run(
                text(
                    "INSERT INTO events (seq, occurred_at, organisation_id, actor, action, "
                    "object_type, object_id, change_sha256, change, prev_hash, hash) VALUES "
                    "(:seq, :occurred_at, :organisation_id, :actor, :action, :object_type, "
                    ":object_id, :change_sha256, :change, :prev_hash, :hash)"
                ),
                {**row, "occurred_at": row["occurred_at"].replace(tzinfo=None)},
            )
    engine.dispose()
    key = Ed25519PrivateKey.generate()
    return OldDatabase(url, a, b, rows, _old_checkpoint(key, rows), key, ids)


def upgraded(old: OldDatabase) -> Database:
    engine = make_engine(old.url)
    migrate.upgrade(engine)
    engine.dispose()
    return Database(old.url)


LEGACY_FIELDS = (
    "seq",
    "occurred_at",
    "organisation_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "change_sha256",
    "change",
    "prev_hash",
    "hash",
)


def test_the_upgrade_keeps_the_old_chain_verifiable(old_database):
    database = upgraded(old_database)
    try:
        legacy = events_of(database, audit.LEGACY)
        assert [{f: getattr(e, f) for f in LEGACY_FIELDS} for e in legacy] == old_database.legacy
        public_key = audit.public_key_pem(old_database.key)
        with database.sessions() as session:
            assert audit.verify(session, audit.LEGACY) == audit.Verification(
                True, 6, old_database.legacy[-1]["hash"], chain=audit.LEGACY
            )
            # The checkpoint signed before the upgrade (no chain named) still holds.
            against = audit.verify_against(session, old_database.checkpoint, public_key)
            assert against.ok, against
            assert against.size == 6
    finally:
        database.dispose()


def test_the_upgrade_gives_each_organisation_a_chain_of_its_own(old_database):
    old = old_database
    database = upgraded(old)
    try:
        with database.sessions() as session:
            assert set(audit.chains(session)) == {audit.LEGACY, old.a, old.b}
            for chain in (old.a, old.b):
                assert audit.verify(session, chain).ok
            assert audit.verify_copies(session) is None
            assert audit.verify_records(session) == audit.RecordCheck(True, 4)
        chain_a, chain_b = events_of(database, old.a), events_of(database, old.b)
        originals_a = [r for r in old.legacy if r["organisation_id"] == old.a]
        originals_b = [r for r in old.legacy if r["organisation_id"] == old.b]
        # Copies of the organisation's own events, numbered from 1, then the event pinning them.
        for originals, chain in ((originals_a, chain_a), (originals_b, chain_b)):
            copies = chain[: len(originals)]
            assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
            for original, copy in zip(originals, copies, strict=True):
                for name in audit.COPIED:
                    assert getattr(copy, name) == original[name], name
            pin = chain[len(originals)]
            assert pin.action == audit.MIGRATED
            assert json.loads(pin.change) == {
                "legacy_events": len(originals),
                "legacy_hashes_sha256": audit.sha256(
                    audit.canonical([r["hash"] for r in originals])
                ),
            }
        # The record digests: on the last copy about each record, and a sealing event for the
        # vendor no event had named.
        digested = {(e.object_id, e.action) for e in chain_a + chain_b if e.record_sha256}
        assert digested == {
            (old.ids["va"], "vendor.updated"),
            (old.ids["assessment"], "assessment.submitted"),
            (old.ids["vb"], "vendor.updated"),
            (old.ids["vb_old"], audit.SEALED),
        }
        # Nothing of A in B's chain: no hash of A's, no count of the whole.
        hashes_a = {r["hash"] for r in originals_a} | {e.hash for e in chain_a}
        assert not {e.prev_hash for e in chain_b} & hashes_a
        assert len(chain_b) == len(originals_b) + 2  # copies, the pin, one sealed vendor
        # The service appends after the pin.
        with database.transaction() as session:
            event = audit.record(
                session, "test.appended", "test", "1", {}, actor="test", organisation_id=old.a
            )
            assert (event.seq, event.prev_hash) == (len(chain_a) + 1, chain_a[-1].hash)
    finally:
        database.dispose()


def test_a_copy_that_differs_from_the_legacy_chain_is_caught(old_database):
    """B's chain rewritten consistently (an actor changed, every hash recomputed) verifies as
    a chain, but not against the legacy chain its copies came from."""
    old = old_database
    database = upgraded(old)
    try:
        with database.transaction() as session:
            bind = session.connection()
            if bind.dialect.name == "postgresql":
                bind.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                bind.execute(text("DROP TRIGGER events_no_update"))
            chain = list(
                session.scalars(select(Event).where(Event.chain == old.b).order_by(Event.seq))
            )
            chain[0].actor = "key eth_00000000 (admin: Mallory)"
            prev = audit.GENESIS
            for event in chain:
                event.prev_hash = prev
                event.hash = audit.event_hash(event)
                prev = event.hash
            session.flush()
            if bind.dialect.name != "postgresql":
                bind.execute(
                    text(
                        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
                        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
                    )
                )
        with database.sessions() as session:
            assert audit.verify(session, old.b).ok
            found = audit.verify_copies(session)
        assert found is not None and not found.ok
        assert (found.chain, found.first_bad_seq) == (old.b, 1)
        assert "not a copy of legacy event 2" in found.problem
        result = cli(old.url, "audit", "verify")
        assert result.exit_code == 1
        assert f"FAILED in chain {old.b} at event 1" in result.stderr
    finally:
        database.dispose()
