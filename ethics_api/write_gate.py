"""SQLite's writers queued at a lock file of their own, not in SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the write lock taken waits in
SQLite's busy handler, which sleeps longer and longer between tries (a tenth of a second at
the end) and so favours whoever asks last: with two workers taking POSTs, the slowest write in
a hundred took up to 1.8 s while the lock was mostly free. So before BEGIN IMMEDIATE a
writing connection takes an exclusive `flock` on `<database>-writers.lock`, trying again
every millisecond or two, and lets it go when its transaction ends (commit, rollback, or the
connection returned or closed). The kernel drops it with the process, so a killed worker
leaves nothing held. SQLite's own lock still guards the data; this only decides who asks next
(SQLAlchemy tells of a commit just before making it, so the next writer may wait out its last
moments in SQLite's busy handler).

Each pooled connection opens the file itself: `flock` excludes other open files, so two
connections of one process queue like two processes. An in-memory database has no file and
no gate. (`filelock` does the same and far more: it unlinks the file, detects deadlocks
within a process and guards forks, all on every acquire of a hot path.)
"""

import fcntl
import os
import sqlite3
import time

from sqlalchemy import Engine, event

_FIRST_PAUSE, _LONGEST_PAUSE = 0.0005, 0.002
_FILE, _HELD = "write gate file", "write gate held"


def lock_path(engine: Engine) -> str | None:
    """The gate's file beside the database's; None for a database with no file. Resolved, so
    that every process reaching the database by whatever path (a link, a relative one) queues
    at the same gate."""
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return lock_file(name)


def lock_file(database: str | os.PathLike) -> str:
    """The gate's file of the SQLite database file `database`."""
    return f"{os.path.realpath(database)}-writers.lock"


def install(engine: Engine) -> None:
    """Queue the engine's writing transactions at the gate (`enter`), let each out when it ends."""
    path = lock_path(engine)
    if path is None:
        return

    @event.listens_for(engine, "connect")
    def open_file(_dbapi_connection, record):
        record.info[_FILE] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "close")
    def close_file(_dbapi_connection, record):
        leave(record.info)
        descriptor = record.info.pop(_FILE, None)
        if descriptor is not None:
            os.close(descriptor)

    @event.listens_for(engine, "commit")
    def committed(connection):
        leave(connection.info)

    @event.listens_for(engine, "rollback")
    def rolled_back(connection):
        leave(connection.info)

    @event.listens_for(engine, "reset")
    def returned(_dbapi_connection, record, _state):
        leave(record.info)


def enter(info: dict, wait_at_most: float) -> None:
    """Wait for the gate (a connection's `info`), then hold it; at once where there is none.
    After `wait_at_most` seconds, the error SQLite gives when its busy timeout runs out."""
    descriptor = info.get(_FILE)
    if descriptor is None or info.get(_HELD):
        return
    pause, gives_up = _FIRST_PAUSE, time.monotonic() + wait_at_most
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= gives_up:
                raise sqlite3.OperationalError("database is locked") from None
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)
        else:
            info[_HELD] = True
            return


def leave(info: dict) -> None:
    """Let the gate go, if this connection holds it."""
    if info.pop(_HELD, False):
        fcntl.flock(info[_FILE], fcntl.LOCK_UN)
