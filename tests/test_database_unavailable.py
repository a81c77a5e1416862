"""A database busy past the wait allowed, or away, is a 503 with Retry-After that changed
nothing: never a 500, never a worker held for as long as another transaction holds a lock."""

import logging
import threading
import time
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from gunicorn.config import Config as GunicornConfig
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ethics_api import config, errors, write_gate
from ethics_api.cli import main
from ethics_api.database import Database

from payloads import vendor
from processes import gate_held
from responses import assert_problem

WAIT = 0.3  # the app's busy timeout in these tests, in seconds


@contextmanager
def writes_held(app):
    """What another writer would hold: SQLite's write gate (another worker's open file of
    it), or on PostgreSQL a lock on the audit log that lets reads through but no insert."""
    engine = app.extensions["database"].engine
    if engine.dialect.name == "sqlite":
        with gate_held(write_gate.lock_path(engine)):
            yield
        return
    with engine.connect() as other:
        other.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
        # Should the app wait without end, the lock goes after a while: the test then fails
        # on the status rather than hanging.
        release = threading.Timer(10, other.rollback)
        release.start()
        try:
            yield
        finally:
            release.cancel()
            release.join()
            other.rollback()


def _vendor_total(client) -> int:
    return len(client.get("/v1/vendors").json)


def test_a_write_kept_waiting_past_the_busy_timeout_is_a_503_that_writes_nothing(make_app, caplog):
    app = make_app(DATABASE_BUSY_TIMEOUT_SECONDS=WAIT)
    client = app.test_client()
    before = _vendor_total(client)
    with writes_held(app):
        started = time.monotonic()
        response = client.post("/v1/vendors", json=vendor(name="Waited Ltd"))
        waited = time.monotonic() - started
        assert _vendor_total(client) == before  # reads go on meanwhile
    body = assert_problem(response, 503)
    assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    assert "Idempotency-Key" in body["detail"]
    assert WAIT <= waited < 5  # the app's own wait, not the default 10 seconds
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == errors.__name__)
    assert "database unavailable on POST /v1/vendors: " in logged  # and why, in one line
    assert "lock" in logged and "Traceback" not in caplog.text
    assert _vendor_total(client) == before
    # Once the lock is free, the same request goes through.
    assert client.post("/v1/vendors", json=vendor(name="Waited Ltd")).status_code == 201
    assert _vendor_total(client) == before + 1


def test_a_database_out_of_reach_is_a_503(make_app, monkeypatch):
    """Nothing listens where the database should be (port 1): the connection for the key's
    read is refused by the driver itself."""
    app = make_app()
    unreachable = Database("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    monkeypatch.setitem(app.extensions, "database", unreachable)
    try:
        for response in (
            app.test_client().get("/v1/vendors"),
            app.test_client().post("/v1/vendors", json=vendor(name="Unreached Ltd")),
        ):
            assert_problem(response, 503)
            assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    finally:
        unreachable.dispose()


def test_a_database_failing_after_the_view_is_a_503_too(make_app):
    """A commit fails after the view returned: Flask hands that failure over inside a 500
    (served, not raised into the test as a testing app would)."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.after_request
    def commit_fails(response):
        if response.status_code < 400:  # a commit is tried for a success only
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return response

    response = app.test_client().get("/v1/vendors")
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)


def test_other_failures_stay_500_without_retry_after(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.after_request
    def fails(response):
        if response.status_code < 400:
            raise RuntimeError("a bug")
        return response

    response = app.test_client().get("/v1/vendors")
    assert_problem(response, 500)
    assert "Retry-After" not in response.headers


def test_a_page_whose_database_is_busy_is_a_page_that_says_so(make_app):
    app = make_app()

    def busy():
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    app.view_functions["pages.sign_in"] = busy
    with caplog_silenced():
        response = app.test_client().get("/sign-in")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == str(errors.RETRY_AFTER_SECONDS)
    page = response.get_data(as_text=True)
    assert "Sorry, the service is unavailable" in page
    assert "check whether your change was saved" in page
    assert "Idempotency-Key" not in page  # the API's words are for programs


def test_a_page_that_fails_otherwise_is_a_page_too(make_app):
    app = make_app()

    def broken():
        raise RuntimeError("a bug")

    app.view_functions["pages.sign_in"] = broken
    with caplog_silenced():
        response = app.test_client().get("/sign-in")
    assert (response.status_code, response.mimetype) == (500, "text/html")
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert "a bug" not in response.get_data(as_text=True)


@contextmanager
def caplog_silenced():
    """The failures above are logged on purpose: kept out of the test's output."""
    logger = logging.getLogger(errors.__name__)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def test_every_operation_with_a_key_documents_the_503_and_its_retry_after(client):
    spec = client.get("/openapi.json").json
    documented = spec["components"]["responses"][errors.DATABASE_UNAVAILABLE_RESPONSE]
    assert documented["headers"]["Retry-After"]["required"] is True
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            keyed = {"bearerAuth": []} in operation.get("security", [])
            has_503 = "503" in operation["responses"]
            assert has_503 == (keyed or path == "/readyz"), (method, path)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_a_busy_timeout_that_is_not_a_wait_is_refused_by_name(value):
    with pytest.raises(ValueError, match="ETHICS_DATABASE_BUSY_TIMEOUT_SECONDS must be"):
        config.from_environment({"ETHICS_DATABASE_BUSY_TIMEOUT_SECONDS": value})
    assert config.from_environment({"ETHICS_DATABASE_BUSY_TIMEOUT_SECONDS": "2.5"}) == {
        "DATABASE_BUSY_TIMEOUT_SECONDS": 2.5
    }


@pytest.mark.parametrize("command", [["db", "upgrade"], ["keys", "list"]])
def test_a_command_on_a_database_out_of_reach_says_so_without_a_traceback(command):
    runner = CliRunner()
    result = runner.invoke(
        main, command, env={"ETHICS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    )
    assert result.exit_code == 1
    assert "Error: the database is busy or cannot be reached (" in result.output
    assert "127.0.0.1" in result.output and "ETHICS_DATABASE_URL" in result.output
    assert "Traceback" not in result.output and result.exception is not None


def test_a_command_kept_waiting_for_the_write_lock_says_so(tmp_path, monkeypatch):
    """A command's write waits for the lock as a request does, then stops with a message."""
    database = tmp_path / "cli.db"
    url = f"sqlite:///{database}"
    runner = CliRunner()
    env = {"ETHICS_DATABASE_URL": url, "ETHICS_DATABASE_BUSY_TIMEOUT_SECONDS": "0.2"}
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    with gate_held(write_gate.lock_file(database)):
        result = runner.invoke(
            main, ["keys", "create", "--role", "auditor", "--name", "A"], env=env
        )
    assert result.exit_code == 1, result.output
    assert "Error: the database is busy or cannot be reached (database is locked)" in result.output


TOKEN = "one-time-token-Zq81xkP0"


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        (OperationalError("SELECT", {}, Exception("database is locked")), "database unavailable"),
        (RuntimeError("a bug"), "unexpected error"),
    ],
    ids=["busy", "bug"],
)
def test_a_failure_on_an_invitation_logs_its_path_without_the_token(
    make_app, caplog, failure, logged
):
    app = make_app()

    def fails(token):
        raise failure

    app.view_functions["pages.invitation"] = fails
    response = app.test_client().get(f"/invitations/{TOKEN}")
    assert response.status_code in (500, 503)
    assert f"{logged} on GET /invitations/[redacted]" in caplog.text
    assert TOKEN not in caplog.text


def test_flask_s_own_line_for_a_failure_after_the_view_hides_the_token_too(make_app, caplog):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    app.view_functions["pages.invitation"] = lambda token: "a page"

    @app.after_request
    def fails(response):
        if response.status_code < 400:
            raise RuntimeError("a bug after the view")
        return response

    response = app.test_client().get(f"/invitations/{TOKEN}")
    assert response.status_code == 500
    assert "Exception on /invitations/[redacted] [GET]" in caplog.text
    assert TOKEN not in caplog.text


def test_the_default_wait_ends_before_gunicorn_would_kill_the_waiting_worker():
    """`serve` leaves gunicorn's worker timeout as it is: a request waiting for a lock must
    get its 503 well before the worker it holds is killed (and the client cut off)."""
    worker_timeout = GunicornConfig().timeout
    assert worker_timeout >= config.Defaults.DATABASE_BUSY_TIMEOUT_SECONDS * 2
