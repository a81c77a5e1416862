"""Fixtures: an app on a fresh database per test, on SQLite and (when configured) PostgreSQL.

Every test that takes `app` or `client` runs once per backend. The PostgreSQL half runs when
ETHICS_TEST_DATABASE_URL names a database (CI always sets it); it is skipped otherwise, so a
fresh machine without PostgreSQL still passes the SQLite half.
"""

import datetime as dt
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import make_url, select, text

from ethics_api import create_app, migrate
from ethics_api.database import make_engine
from ethics_api.enums import Role
from ethics_api.models import Base, Organisation
from ethics_api.services.context import Caller, Context
from ethics_api.services.keys import bootstrap, create_key, first_organisation
from ethics_api.services.people import create_person, named

# The browser's fixtures (chromium, a page, the demo served) for every test of pages.
pytest_plugins = ["browser"]

TESTS = Path(__file__).parent
TEST_CRITERIA = TESTS / "criteria"
PROJECT_CRITERIA = TESTS.parent / "criteria"
PROFILED_CRITERIA = TESTS / "criteria-profiled"  # a set with a profile, tiers and a gate

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_url() -> str:
    url = os.environ.get("ETHICS_TEST_DATABASE_URL")
    if not url and os.environ.get("ETHICS_REQUIRE_POSTGRES"):
        pytest.fail("ETHICS_REQUIRE_POSTGRES is set but ETHICS_TEST_DATABASE_URL is not")
    if not url:
        pytest.skip("ETHICS_TEST_DATABASE_URL is not set: PostgreSQL half not run")
    return url


def _postgres_configured() -> bool:
    # CI sets ETHICS_REQUIRE_POSTGRES: there its tests are kept, and fail without a database.
    return bool(
        os.environ.get("ETHICS_TEST_DATABASE_URL") or os.environ.get("ETHICS_REQUIRE_POSTGRES")
    )


def pytest_collection_modifyitems(config, items):
    """Without PostgreSQL, its half of the tests is deselected, not skipped one by one: a
    default run says so once (below) instead of burying its summary under skip lines."""
    if _postgres_configured():
        return
    postgres = [item for item in items if item.get_closest_marker("postgres") is not None]
    if postgres:
        config.hook.pytest_deselected(items=postgres)
        items[:] = [item for item in items if item.get_closest_marker("postgres") is None]


def pytest_terminal_summary(terminalreporter):
    if not _postgres_configured():
        terminalreporter.write_line(
            "PostgreSQL half not run (deselected): set ETHICS_TEST_DATABASE_URL to run it."
        )


@contextmanager
def migrated_database(backend: str, folder: Path, name: str, revision: str = "head"):
    """A new database on `backend`, migrated (to `revision`) and empty, dropped afterwards;
    yields its URL.

    On PostgreSQL it is a schema of its own (`name` and the process id; its connections get a
    search_path to it), so two test runs sharing one database never see each other's rows.
    """
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{name}.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine, revision)
        engine.dispose()
        yield url
        return
    schema = f"{name}_{os.getpid()}"
    admin = make_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = (
        make_url(postgres_url())
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    engine = make_engine(url)
    migrate.upgrade(engine, revision)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database for the session, on one backend."""
    folder = tmp_path_factory.mktemp("sqlite")
    with migrated_database(request.param, folder, "ethics_test") as url:
        yield url


def empty_tables(url: str) -> None:
    """Every table emptied, the append-only event log included: its triggers, which refuse
    deletes, are set aside for this (PostgreSQL: replica mode; SQLite: dropped and put back)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            guard = None
        else:
            guard = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'events_no_delete'")
            )
            connection.execute(text("DROP TRIGGER events_no_delete"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        if guard:
            connection.execute(text(guard))
    engine.dispose()


class KeyClient(FlaskClient):
    """A test client that sends one API key with every request."""

    api_key: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.api_key:
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.api_key}"


def client_with_key(app, key: str | None) -> FlaskClient:
    """A client of `app` sending `key` (None: no key at all)."""
    return type("Client", (KeyClient,), {"api_key": key})(app, app.response_class)


def make_key(app, role: str, name: str | None = None, vendor_id=None, organisation_id=None):
    """A new key (its secret) in the first organisation, or in the one named."""
    with app.extensions["database"].transaction() as session:
        if organisation_id is None:
            organisation_id = session.scalar(
                select(Organisation.id).order_by(Organisation.created_at)
            )
        context = Context(session, Caller.system(organisation_id))
        # The tests' people go by name: a second key of one name is that person's second key.
        name = name or f"{role} key"
        person = named(context, name) or create_person(context, {"name": name})
        _, secret = create_key(context, person, role, vendor_id)
    return secret


def split_key(key: str) -> tuple[str, str]:
    """A key's visible prefix (`eth_` and 8 hex digits) and its secret part.

    The secret part is URL-safe base64, which may itself contain `_`, so the
    key is split after the prefix, never at its last underscore.
    """
    prefix, _, secret = key.partition("_")[2].partition("_")
    return f"eth_{prefix}", secret


def make_organisation(app, name: str) -> str:
    with app.extensions["database"].transaction() as session:
        organisation = Organisation(name=name)
        session.add(organisation)
        session.flush()
        return organisation.id


def app_on(database_url: str, **config):
    """An app on the database, configured as every test's app is."""
    settings = {"TESTING": True, "DATABASE_URL": database_url, "CRITERIA_DIR": TEST_CRITERIA}
    # Webhook receivers in tests listen on 127.0.0.1, and no test should wait on DNS: tests
    # of the default (public targets only) pass WEBHOOK_ALLOW_PRIVATE_TARGETS=False.
    settings["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    return create_app({**settings, **config})


def with_admin_key(app, admin_key: str):
    app.config["ADMIN_KEY"] = admin_key
    app.test_client_class = type("AdminClient", (KeyClient,), {"api_key": admin_key})
    return app


def first_start(app) -> str:
    """The first organisation and its admin key, as on a first start."""
    with app.extensions["database"].transaction() as session:
        return bootstrap(session)


@pytest.fixture
def make_app(database_url):
    """Build apps on the session's database, emptied for each test; disposes their engines.

    The database starts with one organisation and its admin key, like a first start; the
    apps' test clients send that key.
    """
    empty_tables(database_url)
    apps = []
    admin_key = []

    def build(**config):
        app = app_on(database_url, **config)
        apps.append(app)
        if not admin_key:
            admin_key.append(first_start(app))
        return with_admin_key(app, admin_key[0])

    yield build
    for app in apps:
        app.extensions["database"].dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- the application layer without HTTP -------------------------------------------------------

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves: every use case reads the time from its context."""

    def __init__(self, now: dt.datetime = T0):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def acting(app, clock):
    """`acting(role, name)`: a context for one caller of the first organisation, in a write
    transaction that commits when the block ends (and rolls back if it raises)."""

    def system(session) -> Context:
        return Context(session, Caller.system(first_organisation(session).id))

    @contextmanager
    def context(role: Role = Role.ADMIN, name: str = "Ada", vendor_id: str | None = None):
        with app.extensions["database"].transaction() as session:  # the caller is a person
            person = named(system(session), name) or create_person(system(session), {"name": name})
        with app.extensions["database"].transaction() as session:
            organisation = first_organisation(session).id
            caller = Caller(
                organisation, role, name, f"test ({role}: {name})", person.id, vendor_id=vendor_id
            )
            yield Context(
                session, caller, app.extensions["catalog"], app.extensions["settings"], clock
            )

    return context
