"""Recognising a presented key on every request: read once per connection while SQLite can
tell nothing was committed since, and still refused at once when revoked or expired."""

import datetime as dt
from contextlib import contextmanager

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from ethics_api.models import ApiKey, utcnow
from ethics_api.services.keys import Unauthenticated, caller_for, digest

from conftest import make_key


@contextmanager
def _one_connection(app):
    """A connection held for the test, and the statements that read keys on the engine."""
    engine = app.extensions["database"].engine
    reads = []

    def on_execute(_conn, _cursor, statement, *_):
        if "FROM api_keys" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        with engine.connect() as connection:
            yield connection, reads
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _request(connection, secret: str, now: dt.datetime | None = None):
    """What authentication does in a request: a session on the connection, its transaction
    ended when the request ends."""
    with Session(bind=connection) as session:
        return caller_for(session.connection(), secret, now or utcnow())


def _sqlite(app) -> bool:
    return app.extensions["database"].engine.dialect.name == "sqlite"


def test_a_key_is_read_once_while_nothing_is_committed(app):
    secret = make_key(app, "buyer", "Bea")
    with _one_connection(app) as (connection, reads):
        callers = [_request(connection, secret) for _ in range(3)]
    assert {caller.name for caller in callers} == {"Bea"}
    # SQLite can tell nothing changed; elsewhere every request reads the key.
    assert len(reads) == (1 if _sqlite(app) else 3)


def test_a_key_revoked_through_another_connection_is_refused_at_once(app):
    secret = make_key(app, "buyer", "Bea")
    with _one_connection(app) as (connection, reads):
        _request(connection, secret)
        with app.extensions["database"].transaction() as session:  # another connection
            session.execute(
                update(ApiKey)
                .where(ApiKey.secret_sha256 == digest(secret))
                .values(revoked_at=utcnow())
            )
        with pytest.raises(Unauthenticated, match="revoked"):
            _request(connection, secret)
    assert len(reads) == 2


def test_a_key_revoked_on_the_same_connection_is_refused_at_once(app):
    """SQLite's data_version does not move for a connection's own commits."""
    secret = make_key(app, "buyer", "Bea")
    with _one_connection(app) as (connection, reads):
        _request(connection, secret)
        with Session(bind=connection) as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.secret_sha256 == digest(secret))
                .values(revoked_at=utcnow())
            )
            session.commit()
        with pytest.raises(Unauthenticated, match="revoked"):
            _request(connection, secret)
    assert len(reads) == 2


def test_a_kept_key_still_expires_on_time(app):
    secret = make_key(app, "buyer", "Bea")
    now = utcnow()
    with app.extensions["database"].transaction() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.secret_sha256 == digest(secret))
            .values(expires_at=now + dt.timedelta(hours=1))
        )
    with _one_connection(app) as (connection, _reads):
        assert _request(connection, secret, now).name == "Bea"
        with pytest.raises(Unauthenticated, match="expired"):
            _request(connection, secret, now + dt.timedelta(hours=1))


def test_an_unknown_key_is_refused_every_time(app):
    with _one_connection(app) as (connection, reads):
        for _ in range(2):
            with pytest.raises(Unauthenticated, match="not valid"):
                _request(connection, "eth_00000000_not-a-key")
    assert len(reads) == 2
