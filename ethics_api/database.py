"""The database: its engine, and sessions for reading and for writing.

SQLite gets the pragmas it needs to behave under several gunicorn workers (WAL, a busy timeout,
foreign keys) and takes its write lock at BEGIN for transactions that write, so two writers
never deadlock half way through a transaction; writers queue for it at `write_gate`.
PostgreSQL waits as long for any lock (`lock_timeout`): past it a request is answered 503
(errors.py) rather than holding its worker for as long as another transaction holds a lock.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from . import write_gate

# Seconds a transaction waits for a lock before failing: a SQLite writer for the write lock (at
# the gate, then in SQLite), anything on PostgreSQL for a row, table or advisory lock. Well
# under gunicorn's 30 s worker timeout, so that a request kept waiting is answered (503) before
# gunicorn would kill its worker mid-request.
BUSY_TIMEOUT = 10


def make_engine(url: str, busy_timeout: float = BUSY_TIMEOUT) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout})
        _sqlite_pragmas(engine, busy_timeout)
        write_gate.install(engine)
        return engine
    # Set as the connection opens (no statement, no round trip), after whatever options the
    # URL gives (a search_path, say), which the connection's own arguments would replace.
    given = make_url(url).query.get("options", ())
    options = [*([given] if isinstance(given, str) else given)]
    options.append(f"-c lock_timeout={round(busy_timeout * 1000)}")
    return create_engine(url, pool_pre_ping=True, connect_args={"options": " ".join(options)})


def _sqlite_pragmas(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Leave transaction control to the "begin" hook below rather than to pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "commit")
    def on_commit(connection):
        # SQLite's data_version does not move for a connection's own commits (see
        # `while_unchanged`): what was kept with it goes with them.
        connection.info.pop(_UNCHANGED, None)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # Straight to the driver: every request begins a transaction, and the engine's
        # execution machinery cost twenty times what SQLite takes to run BEGIN.
        driver = connection.connection.driver_connection
        if not writing(connection):
            driver.execute("BEGIN")
            return
        write_gate.enter(connection.info, busy_timeout)
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:  # SQLite's busy timeout, say: the next writer may go in
            write_gate.leave(connection.info)
            raise


_UNCHANGED = "kept while the database is unchanged"
# Enough for every key and vendor a busy worker reads between two commits; past it, what was
# kept is dropped and read again (a search for any text must not grow it without end).
_KEPT_AT_MOST = 2_000

T = TypeVar("T")


def writing(bind: Connection | Engine) -> bool:
    """Whether the connection (or an engine's connections) is for writing transactions (a
    POST, a command), whose own changes, not yet committed, no data version tells of."""
    return bool(bind.get_execution_options().get("sqlite_immediate"))


def while_unchanged(connection: Connection) -> dict | None:
    """A dict kept with this connection for as long as nobody commits a change to the
    database, for what requests read far more often than anyone changes (keys, vendors): on
    SQLite, whose `PRAGMA data_version` tells in a few microseconds whether another connection
    has committed since it was last asked, and whose own commits empty it (`on_commit`). In a
    reading transaction only, and there the pragma also starts its snapshot, so what is kept is
    what the transaction would read. None elsewhere, and on other databases, which have no
    such cheap question: read afresh there."""
    if connection.dialect.name != "sqlite" or writing(connection):
        return None
    # Straight to the driver, like BEGIN: the question is cheaper than the engine's machinery.
    [version] = connection.connection.driver_connection.execute("PRAGMA data_version").fetchone()
    kept = connection.info.get(_UNCHANGED)
    if kept is None or kept[0] != version or len(kept[1]) >= _KEPT_AT_MOST:
        kept = connection.info[_UNCHANGED] = (version, {})
    return kept[1]


def read_while_unchanged(connection: Connection, key: Hashable, read: Callable[[], T]) -> T:
    """What `read()` returns, read once and kept under `key` while the database is unchanged
    (`while_unchanged`); read every time where nothing can be kept. `read` raising keeps
    nothing. What is kept is shared: callers must not change it."""
    kept = while_unchanged(connection)
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return kept[key]


class Database:
    """Engine and session factories, bound to the app as `app.extensions["database"]`."""

    def __init__(self, url: str, busy_timeout: float = BUSY_TIMEOUT):
        self.url = url
        self.engine = make_engine(url, busy_timeout)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction outside a request (commands, the demo)."""
        with self.write_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
