"""One transaction per request: a reading request's own connection, which its ORM session
joins if anything asks for one, and a writing request's session; neither outlives it."""

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ethics_api import per_request
from ethics_api.enums import Role
from ethics_api.models import Vendor
from ethics_api.services import vendors

from conftest import client_with_key
from payloads import supplier, vendor


def _engine(app):
    return app.extensions["database"].engine


def _count(bind) -> int:
    return bind.execute(select(func.count()).select_from(Vendor)).scalar_one()


def test_a_reading_requests_session_joins_its_connection(app, acting):
    with acting(Role.BUYER, "Bea") as context:
        vendors.create_vendor(context, supplier("Acme"))
    with app.test_request_context("/v1/vendors", method="GET"):
        connection = per_request.connection()
        before = _count(connection)  # the transaction's first read
        with acting(Role.BUYER, "Bea") as context:  # committed meanwhile, elsewhere
            vendors.create_vendor(context, supplier("Bolt"))
        session = per_request.session()
        assert session.connection() is connection
        seen = session.scalar(select(func.count()).select_from(Vendor))
        # One transaction: on SQLite one snapshot, from its first read; PostgreSQL (read
        # committed) lets each statement see what was committed before it.
        assert seen == (before if _engine(app).dialect.name == "sqlite" else before + 1)
    assert _engine(app).pool.checkedout() == 0


def test_a_writing_request_reads_on_its_sessions_connection(app):
    with app.test_request_context("/v1/vendors", method="POST"):
        assert per_request.connection() is per_request.session().connection()
    assert _engine(app).pool.checkedout() == 0


def test_a_writing_request_checks_its_key_and_body_before_it_begins_to_write(app, client):
    """The key is read in a reading transaction and the body loaded before the write begins:
    on SQLite a writer holds the write lock from BEGIN, and every other writer waits for it."""
    begun = []

    def on_begin(session, _transaction, _connection):
        begun.append(session)

    event.listen(Session, "after_begin", on_begin)
    try:
        stranger = client_with_key(app, "eth_0123abcd_not-a-key-of-anyone")
        assert stranger.post("/v1/vendors", json=vendor("Acme")).status_code == 401
        assert client.post("/v1/vendors", json={"name": 7}).status_code == 422
        assert begun == []
        assert client.post("/v1/vendors", json=vendor("Acme")).status_code == 201
        assert begun  # what is listened to: a write that goes ahead begins its session
    finally:
        event.remove(Session, "after_begin", on_begin)
    assert _engine(app).pool.checkedout() == 0


def test_reads_served_from_what_is_kept_begin_no_session(app, client):
    url = client.post("/v1/vendors", json=vendor("Acme")).headers["Location"]
    begun = []

    def on_begin(session, _transaction, _connection):
        begun.append(session)

    event.listen(Session, "after_begin", on_begin)
    try:
        for path in (url, "/v1/vendors"):
            assert client.get(path).status_code == 200
        assert begun == []
        # A read that loads ORM objects begins its session, on the request's connection.
        assert client.get("/v1/procurements").status_code == 200
        assert len(begun) == 1
    finally:
        event.remove(Session, "after_begin", on_begin)
    assert _engine(app).pool.checkedout() == 0
