"""The application under test, in-process: an app on one database and a client with a key.

The Flask test client calls the WSGI app directly, so the timings are the application's and the
database's, without the network, gunicorn or a JSON client in between.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from ethics_api import create_app
from ethics_api.config import PROJECT_CRITERIA_DIR
from ethics_api.criteria import CriteriaSet
from ethics_api.services.context import Caller, Context
from ethics_api.services.keys import create_key, create_organisation
from ethics_api.services.people import create_person


class UnexpectedResponse(RuntimeError):
    """A request the benchmark relies on did not get the answer it needs."""


@dataclass(frozen=True)
class Service:
    database: str  # how the results name it: "sqlite", "postgresql", "sqlite #2"
    app: Flask
    client: FlaskClient

    @property
    def engine(self) -> Engine:
        return self.app.extensions["database"].engine

    @property
    def criteria_set(self) -> CriteriaSet:
        return self.app.extensions["catalog"].default

    def call(self, method: str, path: str, expect: int = 200, **options):
        """One request; raises UnexpectedResponse unless its status is `expect`."""
        response = self.client.open(path, method=method, **options)
        if response.status_code != expect:
            raise UnexpectedResponse(
                f"{method} {path}: {response.status_code} instead of {expect}: "
                f"{response.get_data(as_text=True)[:500]}"
            )
        return response


@contextmanager
def running_service(url: str, label: str) -> Iterator[Service]:
    """The app on `url` (a migrated database) with the project's default criteria set, and a
    client sending an admin key of an organisation of the benchmark's own."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "CRITERIA_DIR": str(PROJECT_CRITERIA_DIR),  # ai-ethics@1, what buyers really use
            "DEFAULT_CRITERIA_SET": None,
            # Hundreds of requests a minute from one key: the limiter would refuse them, and
            # its bookkeeping is not what is measured.
            "RATE_LIMIT_DEFAULT": "off",
            "RATE_LIMIT_FAILED_AUTH": "off",
        }
    )
    try:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {_admin_key(app)}"
        yield Service(label, app, client)
    finally:
        app.extensions["database"].dispose()


def _admin_key(app: Flask) -> str:
    """An admin key (its secret) in a new organisation, so that the benchmark's rows stay apart
    from anything else in the database. An admin may do everything, and names the assessor."""
    with app.extensions["database"].transaction() as session:
        organisation = create_organisation(
            Context(session, Caller.system("", "benchmark")), "Benchmark organisation"
        )
        context = Context(session, Caller.system(organisation.id, "benchmark"))
        _, secret = create_key(context, create_person(context, {"name": "benchmark"}), "admin")
    return secret
