"""SQLite's writers queue at a lock file (`write_gate`) before SQLite's write lock: held from a
writing transaction's BEGIN to its end, however it ends; waited for, then entered as soon as
it is free; given up on after the busy timeout."""

import fcntl
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from ethics_api import write_gate
from ethics_api.database import make_engine

from processes import gate_held


@pytest.fixture
def engine(tmp_path):
    made = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    yield made
    made.dispose()


def _writes(engine):
    return engine.execution_options(sqlite_immediate=True)


def _gate_is_free(engine) -> bool:
    """Whether another open file of the gate (as another process would have) can take it."""
    descriptor = os.open(write_gate.lock_path(engine), os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # and with it any hold taken
    return True


def _notes(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT body FROM notes")))


@pytest.fixture
def held_gate(engine):
    """The gate held by another open file of it, as another worker would hold it."""
    with gate_held(write_gate.lock_path(engine)) as release:
        yield release


def test_the_gate_is_a_file_beside_the_database(engine, tmp_path):
    beside = f"{os.path.realpath(tmp_path / 'gate.db')}-writers.lock"
    assert write_gate.lock_path(engine) == beside
    assert write_gate.lock_path(make_engine("sqlite://")) is None


def test_a_database_reached_through_a_link_has_the_same_gate(engine, tmp_path):
    (tmp_path / "linked").symlink_to(tmp_path, target_is_directory=True)
    linked = make_engine(f"sqlite:///{tmp_path / 'linked' / 'gate.db'}")
    assert write_gate.lock_path(linked) == write_gate.lock_path(engine)
    with _writes(engine).begin():
        assert not _gate_is_free(linked)
    linked.dispose()


def test_a_writing_transaction_holds_the_gate_until_it_commits(engine):
    with _writes(engine).begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('one')"))
        assert not _gate_is_free(engine)
    assert _gate_is_free(engine)
    assert _notes(engine) == ["one"]


def test_the_gate_opens_when_a_write_rolls_back_or_its_connection_is_returned(engine):
    with _writes(engine).connect() as connection:
        connection.begin()
        assert not _gate_is_free(engine)
        connection.rollback()
        assert _gate_is_free(engine)
        connection.begin()
        connection.execute(text("INSERT INTO notes VALUES ('never committed')"))
        assert not _gate_is_free(engine)
    assert _gate_is_free(engine)  # returned to the pool mid-transaction: rolled back
    assert _notes(engine) == []


def test_the_gate_opens_when_begin_fails(engine, tmp_path):
    other = sqlite3.connect(tmp_path / "gate.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # SQLite's write lock, taken without the gate
    try:
        with _writes(engine).connect() as connection:
            connection.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                connection.begin()
            assert _gate_is_free(engine)
    finally:
        other.rollback()
        other.close()


def test_reading_transactions_pass_the_gate_by(engine, held_gate):
    with engine.connect() as connection:
        connection.begin()
        assert connection.scalar(text("SELECT count(*) FROM notes")) == 0


def test_a_writer_waits_at_the_gate_and_goes_in_once_it_opens(engine, held_gate):
    written = threading.Event()

    def write():
        with _writes(engine).begin() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('waited')"))
        written.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not written.wait(0.3)  # still at the gate
    held_gate()
    writer.join(10)
    assert written.is_set()
    assert _notes(engine) == ["waited"]


def test_a_writer_gives_up_after_the_busy_timeout_and_writes_nothing(engine, held_gate):
    impatient = make_engine(str(engine.url), busy_timeout=0.2)
    started = time.monotonic()
    with (
        pytest.raises(sqlite3.OperationalError, match="database is locked"),
        _writes(impatient).begin() as connection,
    ):
        connection.execute(text("INSERT INTO notes VALUES ('too late')"))
    assert time.monotonic() - started < 10  # its own timeout, not the default 30 seconds
    impatient.dispose()
    assert not _gate_is_free(engine)  # still the holder's
    held_gate()
    assert _notes(engine) == []


def test_two_writers_of_one_process_queue_at_the_gate(engine):
    """Each pooled connection opens the gate's file itself, so a second connection of the same
    process waits at the gate like another process would, not in SQLite's busy handler: here
    cut to 50 ms, after which SQLite says "database is locked". (SQLAlchemy tells of a commit
    just before it is made: the second writer may still wait out its last moments there.)"""
    first = _writes(engine).connect()
    first.begin()
    first.execute(text("INSERT INTO notes VALUES ('first')"))
    second_done = threading.Event()
    failed: list[Exception] = []

    def second():
        try:
            with _writes(engine).connect() as connection:
                connection.connection.driver_connection.execute("PRAGMA busy_timeout=50")
                with connection.begin():
                    connection.execute(text("INSERT INTO notes VALUES ('second')"))
            second_done.set()
        except Exception as error:
            failed.append(error)

    writer = threading.Thread(target=second)
    writer.start()
    assert not second_done.wait(0.3)
    first.commit()
    first.close()
    writer.join(10)
    assert failed == [] and second_done.is_set()
    assert _notes(engine) == ["first", "second"]


def test_an_in_memory_database_writes_without_a_gate():
    memory = make_engine("sqlite://")
    with _writes(memory).begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('kept')"))
        assert connection.scalar(text("SELECT body FROM notes")) == "kept"
