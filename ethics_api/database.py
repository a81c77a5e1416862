"""The database engine and one session per request.

SQLite gets the pragmas it needs to behave under several gunicorn workers (WAL, a busy timeout,
foreign keys) and takes its write lock at BEGIN for requests that write, so two writers never
deadlock half way through a transaction.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Leave transaction control to the "begin" hook below rather than to pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Engine and session factories, bound to the app as `app.extensions["db"]`."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
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


def get_db() -> Database:
    return current_app.extensions["db"]


def session() -> Session:
    """The request's session, opened on first use; requests that write hold the write lock."""
    if "db_session" not in g:
        db = get_db()
        factory = db.sessions if request.method in SAFE_METHODS else db.write_sessions
        g.db_session = factory()
    return g.db_session


def finish_request(response):
    """One transaction per request: a write that succeeded commits, anything else rolls back.

    Views only flush, so that what a request writes (its rows, its idempotency record, its
    outgoing webhook messages) commits together or not at all.
    """
    db_session = g.get("db_session")
    if db_session is not None:
        if request.method not in SAFE_METHODS and response.status_code < 400:
            db_session.commit()
        else:
            db_session.rollback()
    return response


def close_session(_exc: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
