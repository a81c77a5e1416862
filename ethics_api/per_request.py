"""One database session and one application context per HTTP request.

The session is opened on first use; requests that write take the write lock (SQLite) at BEGIN,
after their key is checked and their body loaded (`reading_connection`).
After the view, a write that succeeded commits and anything else rolls back: views and use
cases only flush, so what a request writes (its rows, its event, its webhook messages, its
idempotency record) commits together or not at all.
"""

from flask import current_app, g, request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from .database import Database
from .services.context import Caller, Context

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database() -> Database:
    return current_app.extensions["database"]


def connection() -> Connection:
    """The request's connection, in its transaction, for reads that need no ORM object. A
    reading request opens one of its own and begins it at once (on SQLite the snapshot then
    holds from its first read on); its session begins only if something loads ORM objects,
    and then joins it: a session begun and closed around the connection cost twice the
    connection alone. A writing request reads on its session's connection."""
    if request.method not in SAFE_METHODS:
        return session().connection()
    return reading_connection()


def reading_connection() -> Connection:
    """A connection of the request's own in a reading transaction, begun at once: a reading
    request's only one; a writing request's for its key, read before its write begins, so
    that SQLite's write lock is not held while the key is checked and the body loaded."""
    if "db_connection" not in g:
        opened = database().engine.connect()
        opened.begin()
        g.db_connection = opened
    return g.db_connection


def session() -> Session:
    """The request's session, made on first use; a reading request's is bound to its
    connection, and joins its transaction when it begins."""
    if "db_session" not in g:
        if request.method in SAFE_METHODS:
            g.db_session = database().sessions(bind=connection())
        else:
            g.db_session = database().write_sessions()
    return g.db_session


def caller() -> Caller:
    """Who sent the request (set by authentication, before the view)."""
    return g.caller


def context() -> Context:
    """The application context of the request: its session, its caller, the criteria."""
    if "context" not in g:
        g.context = Context(
            session(),
            caller(),
            current_app.extensions["catalog"],
            current_app.extensions["settings"],
            reading_connection=connection() if request.method in SAFE_METHODS else None,
        )
    return g.context


def finish(response):
    """Commit a write that succeeded; roll back a write that failed. A read's transaction
    ends when its session closes (`close`), which rolls it back: rolling back first too
    cost a read a tenth of its time in the session's bookkeeping."""
    db_session = g.get("db_session")
    if db_session is not None and request.method not in SAFE_METHODS:
        if response.status_code < 400:
            db_session.commit()
        else:
            db_session.rollback()
    return response


def close(_exc: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
    db_connection = g.pop("db_connection", None)
    if db_connection is not None:
        db_connection.close()  # a reading request's: its transaction rolled back
