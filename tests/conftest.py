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
from sqlalchemy import Engine, make_url, select, text

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


# Modules run first: each starts a served site, a browser or a build for its tests, or holds
# tests that take from several seconds to a minute or more on their own. The suite runs with
# `--dist worksteal` (pyproject.toml): a worker out of tests takes the last half of another's
# queue, so what comes first is neither split between two workers (its set-up made twice) nor
# left for last (one worker busy, the other idle).
RUN_FIRST = (
    "test_pages_browser",  # every test_pages_browser*.py
    "test_openapi_contract",
    "test_crash_safety",
    "test_benchmarks",
    "test_scorecard_store",
    "test_ranking_store",
    "test_wheel",
    "test_serve",
)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by backend
def pytest_collection_modifyitems(config, items):
    """Without PostgreSQL, its half of the tests is deselected, not skipped one by one: a
    default run says so once (below) instead of burying its summary under skip lines.

    The modules of RUN_FIRST are moved to the front, in their order otherwise."""
    if not _postgres_configured():
        postgres = [item for item in items if item.get_closest_marker("postgres") is not None]
        if postgres:
            config.hook.pytest_deselected(items=postgres)
            items[:] = [item for item in items if item.get_closest_marker("postgres") is None]
    items.sort(key=lambda item: not item.path.name.startswith(RUN_FIRST))  # a stable sort


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


def empty_tables(url: str, engine: Engine | None = None) -> None:
    """Every table emptied, the append-only event log included: its triggers, which refuse
    deletes, are set aside for this (PostgreSQL: replica mode; SQLite: dropped and put back).

    Through `engine` when given (one kept open for the database), else through an engine of
    its own, disposed of afterwards."""
    own = engine is None
    engine = make_engine(url) if own else engine
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
    if own:
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


def _shape(app) -> tuple:
    """What a test could change of an app besides its database, its configuration and its rate
    limit counts: hooks, routes, error handlers, extensions, the WSGI callable, the templates'
    names. An app whose shape a test changed is not handed to another test."""

    def ids(functions: dict) -> tuple:
        return tuple(sorted((repr(k), tuple(map(id, v))) for k, v in functions.items()))

    handlers = tuple(
        sorted(
            (repr(scope), repr(code), repr(error), id(handler))
            for scope, codes in app.error_handler_spec.items()
            for code, errors in codes.items()
            for error, handler in errors.items()
        )
    )
    return (
        ids(app.before_request_funcs),
        ids(app.after_request_funcs),
        ids(app.teardown_request_funcs),
        tuple(map(id, app.teardown_appcontext_funcs)),
        ids(app.url_value_preprocessors),
        ids(app.url_default_functions),
        ids(app.template_context_processors),
        handlers,
        tuple(sorted((name, id(view)) for name, view in app.view_functions.items())),
        tuple(sorted(rule.rule for rule in app.url_map.iter_rules())),
        tuple(sorted((name, id(value)) for name, value in app.extensions.items())),
        tuple(sorted(app.blueprints)),
        tuple(sorted(app.jinja_env.globals)),
        tuple(sorted(app.jinja_env.filters)),
        id(vars(app).get("wsgi_app")),  # a middleware put around the app
        id(app.json),
        id(app.session_interface),
        id(app.request_class),
        id(app.response_class),
    )


class AppPool:
    """The apps `make_app` built on one database in this process, each as it was built, for
    later tests that ask for the same settings: an app costs more to build (its OpenAPI
    document, its routes, the criteria read) than most tests take to run.

    Only the app is reused, never what a test saw: every test still starts on an emptied
    database with a first start of its own, and an app is lent again only with its
    configuration as built, its rate limit counts cleared, and nothing a test added to it (an
    app a test changed is disposed of instead). Apps whose limits count in a shared store
    (Redis) are never reused: clearing it would clear other processes' counts.
    """

    SIZE = 6  # settings seen recently; most tests use a handful

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.idle: dict[tuple, tuple] = {}  # key -> (app, its configuration, its shape)
        # Emptying the database before each test through one engine: a connection to
        # PostgreSQL costs more than emptying its tables.
        self.engine = make_engine(database_url)

    @staticmethod
    def key(config: dict) -> tuple:
        # The environment counts: create_app reads the ETHICS_* variables too.
        environment = sorted((k, v) for k, v in os.environ.items() if k.startswith("ETHICS_"))
        return (repr(sorted(config.items())), repr(environment))

    def take(self, config: dict):
        key = self.key(config)
        if key in self.idle:
            app, built, shape = self.idle.pop(key)
            app.config.clear()
            app.config.update(built)
            limits = app.extensions.get("ratelimit")
            if limits is not None:
                limits.storage.reset()
            # As if it had never served: a test may still add a route or a hook to it (it is
            # then not reused, see give_back).
            app._got_first_request = False
            return app, key, built, shape
        app = app_on(self.database_url, **config)
        return app, key, dict(app.config), _shape(app)

    def give_back(self, app, key: tuple, built: dict, shape: tuple) -> None:
        storage = (app.config.get("RATE_LIMIT_STORAGE_URI") or "memory://").strip()
        current = {k: v for k, v in app.config.items() if k != "ADMIN_KEY"}
        unchanged = current == {k: v for k, v in built.items() if k != "ADMIN_KEY"}
        if key in self.idle or not storage.startswith("memory://") or not unchanged:
            app.extensions["database"].dispose()
            return
        if _shape(app) != shape:
            app.extensions["database"].dispose()
            return
        self.idle[key] = (app, built, shape)
        while len(self.idle) > self.SIZE:
            oldest = next(iter(self.idle))
            self.idle.pop(oldest)[0].extensions["database"].dispose()

    def dispose(self) -> None:
        for app, _built, _shape in self.idle.values():
            app.extensions["database"].dispose()
        self.idle.clear()
        self.engine.dispose()


@pytest.fixture(scope="session")
def app_pool(database_url):
    """The apps built on the session's database, disposed of before it is dropped."""
    pool = AppPool(database_url)
    yield pool
    pool.dispose()


@pytest.fixture
def make_app(database_url, app_pool):
    """Build apps on the session's database, emptied for each test; disposes their engines (or
    keeps an app its test left as built for a later test: AppPool).

    The database starts with one organisation and its admin key, like a first start; the
    apps' test clients send that key.
    """
    empty_tables(database_url, app_pool.engine)
    lent = []
    admin_key = []

    def build(**config):
        app, *kept = app_pool.take(config)
        lent.append((app, *kept))
        if not admin_key:
            admin_key.append(first_start(app))
        return with_admin_key(app, admin_key[0])

    yield build
    for app, *kept in lent:
        app_pool.give_back(app, *kept)


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
