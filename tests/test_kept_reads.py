"""What reading requests read far more often than anyone changes (keys, vendors, a page of
vendors), read once per connection while SQLite can tell nothing was committed, and read
afresh the moment anything is: from another connection, from the same one, or inside a
transaction that writes."""

import json
from contextlib import contextmanager

import pytest
from evaluation import assess
from spying import recorded_calls, statements
from sqlalchemy import text
from sqlalchemy.orm import Session

from ethics_api import database
from ethics_api.database import read_while_unchanged
from ethics_api.enums import Role
from ethics_api.services import lookup, scorecard_store, scorecards, vendors
from ethics_api.services.context import Context
from ethics_api.services.errors import Forbidden, NotFound
from ethics_api.services.pages import Page
from ethics_api.services.revisions import Expected

from payloads import MINI_KEYS, answer, supplier


def _sqlite(app) -> bool:
    return app.extensions["database"].engine.dialect.name == "sqlite"


def _vendor_reads(seen: list[str]) -> list[str]:
    return [statement for statement in seen if "FROM vendors" in statement]


@contextmanager
def _reading(app, connection, caller, clock=None):
    """A reading request's context on a connection held by the test: its transaction ends
    with the block, as a request's does. On the tests' clock when given one."""
    catalog, settings = app.extensions["catalog"], app.extensions["settings"]
    with Session(bind=connection) as session:
        yield Context(session, caller, catalog, settings, *([clock] if clock else []))


def _auditor_and_vendor(acting, name: str = "Acme Analytics"):
    with acting(Role.BUYER, "Bea") as context:
        vendor_id = vendors.create_vendor(context, supplier(name)).id
    with acting(Role.AUDITOR, "Aud") as context:
        return context.caller, vendor_id


def _every_vendor_read(context: Context, vendor_id: str) -> tuple:
    return (
        lookup.vendor_ref(context, vendor_id),
        vendors.written_vendor(context, vendor_id),
        vendors.written_vendors(context, Page(0, 20)),
    )


def test_a_vendor_is_read_once_while_nothing_is_committed(app, acting):
    caller, vendor_id = _auditor_and_vendor(acting)
    engine = app.extensions["database"].engine
    with engine.connect() as connection, statements(engine) as seen:
        found = []
        for _ in range(3):
            with _reading(app, connection, caller) as context:
                found.append(_every_vendor_read(context, vendor_id))
    assert found[0] == found[1] == found[2]
    assert found[0][0].name == "Acme Analytics"
    # The row, its four columns for a scorecard, and a page's count and window: once on
    # SQLite; every time elsewhere.
    assert len(_vendor_reads(seen)) == (4 if _sqlite(app) else 12)


def test_a_rename_through_another_connection_is_read_at_once(app, acting):
    caller, vendor_id = _auditor_and_vendor(acting)
    engine = app.extensions["database"].engine
    with engine.connect() as connection:
        with _reading(app, connection, caller) as context:
            _every_vendor_read(context, vendor_id)
        with acting(Role.BUYER, "Bea") as context:  # another connection
            vendors.update_vendor(context, vendor_id, {"name": "Acme Ltd"}, Expected.of([1]))
        with _reading(app, connection, caller) as context:
            ref, written, page = _every_vendor_read(context, vendor_id)
    assert ref.name == "Acme Ltd"
    assert '"name":"Acme Ltd"' in written.text and written.revision == 2
    assert page.items == (written.text,)


def test_a_rename_on_the_same_connection_is_read_at_once(app, acting):
    """SQLite's data_version does not move for a connection's own commits: they empty what
    the connection kept."""
    caller, vendor_id = _auditor_and_vendor(acting)
    engine = app.extensions["database"].engine
    with engine.connect() as connection:
        with _reading(app, connection, caller) as context:
            assert lookup.vendor_ref(context, vendor_id).name == "Acme Analytics"
        with Session(bind=connection) as session:
            session.execute(text("UPDATE vendors SET name = 'Acme Ltd'"))
            session.commit()
        with _reading(app, connection, caller) as context:
            assert lookup.vendor_ref(context, vendor_id).name == "Acme Ltd"


def test_a_writing_transaction_reads_its_own_changes_not_what_was_kept(app, acting):
    caller, vendor_id = _auditor_and_vendor(acting)
    writes = app.extensions["database"].engine.execution_options(sqlite_immediate=True)
    with writes.connect() as connection:
        with _reading(app, connection, caller) as context:
            assert lookup.vendor_ref(context, vendor_id).name == "Acme Analytics"
        with Session(bind=connection) as session:
            session.execute(text("UPDATE vendors SET name = 'Acme Ltd'"))
            context = Context(
                session, caller, app.extensions["catalog"], app.extensions["settings"]
            )
            assert lookup.vendor_ref(context, vendor_id).name == "Acme Ltd"
            session.rollback()


def test_a_vendor_not_found_stays_not_found_for_other_callers_too(app, acting):
    """What is kept is the row; who may see it is decided on every read."""
    caller, vendor_id = _auditor_and_vendor(acting)
    with acting(Role.VENDOR, "Vic", vendor_id="someone else") as context:
        stranger = context.caller
    engine = app.extensions["database"].engine
    with engine.connect() as connection:
        with _reading(app, connection, caller) as context:
            assert vendors.written_vendor(context, vendor_id).revision == 1
        with _reading(app, connection, stranger) as context, pytest.raises(NotFound):
            vendors.written_vendor(context, vendor_id)


def test_a_failed_read_keeps_nothing(app):
    engine = app.extensions["database"].engine
    calls = []

    def read():
        calls.append(1)
        if len(calls) == 1:
            raise LookupError("the first read fails")
        return "read"

    with engine.connect() as connection:
        with pytest.raises(LookupError):
            read_while_unchanged(connection, "what", read)
        assert read_while_unchanged(connection, "what", read) == "read"
        assert read_while_unchanged(connection, "what", read) == "read"
        connection.rollback()
    assert len(calls) == (2 if _sqlite(app) else 3)


def test_what_is_kept_is_bounded(app, monkeypatch):
    """Searches for any text must not grow a connection's memory without end: past the
    bound, what was kept is emptied and read again."""
    monkeypatch.setattr(database, "_KEPT_AT_MOST", 3)
    engine = app.extensions["database"].engine
    calls: list[int] = []
    with engine.connect() as connection:
        for key in (0, 1, 0, 2, 0):
            read_while_unchanged(connection, key, lambda key=key: calls.append(key))
        connection.rollback()
    # 0 and 1 read, 0 found kept, 2 read (three kept), then 0 finds the bound reached.
    assert calls == ([0, 1, 2, 0] if _sqlite(app) else [0, 1, 0, 2, 0])


def test_a_scorecards_inputs_are_worked_out_once_and_again_after_an_assessment(
    app, acting, clock, monkeypatch
):
    """What a served scorecard is keyed by rests on the vendor's records: worked out once while
    nothing is committed, and again, with the new assessment in, once one is."""
    caller, vendor_id = _auditor_and_vendor(acting)
    assess(acting, vendor_id, "Alice", answers=[answer(key, 3) for key in MINI_KEYS])
    worked_out = recorded_calls(monkeypatch, scorecard_store, "inputs_sha256", 0)
    engine = app.extensions["database"].engine
    with engine.connect() as connection:
        for _ in range(3):
            with _reading(app, connection, caller, clock) as context:
                first = json.loads(scorecards.served_scorecard(context, vendor_id))
        # The first read stores the document it computed, a commit (on a connection of its
        # own): the second works the inputs out again, the third finds them kept.
        assert len(worked_out) == (2 if _sqlite(app) else 3)
        assess(acting, vendor_id, "Bob", answers=[answer(key, 1) for key in MINI_KEYS])
        with _reading(app, connection, caller, clock) as context:
            second = json.loads(scorecards.served_scorecard(context, vendor_id))
    assert first["assessors"] == ["Alice"]
    assert second["assessors"] == ["Alice", "Bob"] and second["total"] < first["total"]


def test_a_blind_assessor_is_refused_what_another_caller_read_and_until_they_assess(
    app, acting, clock
):
    """What is kept is per caller: a scorecard an auditor read on the connection is still
    refused to a blind assessor; and a refusal is never kept: once the assessor's own
    assessment is committed, they read."""
    auditor, vendor_id = _auditor_and_vendor(acting)
    assess(acting, vendor_id, "Alice")
    with acting(Role.ASSESSOR, "Bob") as context:
        bob = context.caller
    engine = app.extensions["database"].engine
    with engine.connect() as connection:
        for _ in range(2):  # the second finds what the first stored, kept
            with _reading(app, connection, auditor, clock) as context:
                assert json.loads(scorecards.served_scorecard(context, vendor_id))["assessors"]
        for _ in range(2):
            with _reading(app, connection, bob, clock) as context, pytest.raises(Forbidden):
                scorecards.served_scorecard(context, vendor_id)
        assess(acting, vendor_id, "Bob")
        with _reading(app, connection, bob, clock) as context:
            served = json.loads(scorecards.served_scorecard(context, vendor_id))
    assert served["assessors"] == ["Alice", "Bob"]
