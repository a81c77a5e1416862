"""Scratch databases for a run: migrated before it, gone after it."""

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from ethics_api import migrate
from ethics_api.database import make_engine


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A migrated database for one run; yields the URL the app should use.

    None: a SQLite file in a temporary folder, removed afterwards. PostgreSQL: a schema of the
    run's own in the named database (its connections get a search_path to it, replacing any
    the URL had), dropped afterwards, so a run never mixes with other data. Any other URL (a
    SQLite file) is used as it is, migrated if needed: point it at a scratch file.
    """
    if url is None:
        with tempfile.TemporaryDirectory(prefix="ethics-bench-") as folder:
            yield _migrated(f"sqlite:///{Path(folder) / 'bench.db'}")
        return
    if make_url(url).get_backend_name() != "postgresql":
        yield _migrated(url)
        return
    with _postgres_schema(url) as scoped_url:
        yield _migrated(scoped_url)


def backend_name(url: str) -> str:
    """The kind of database, as the results name it: sqlite or postgresql."""
    return make_url(url).get_backend_name()


def _migrated(url: str) -> str:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


@contextmanager
def _postgres_schema(url: str) -> Iterator[str]:
    # The pid and a random part: two runs at once (CI and a developer) never share a schema.
    schema = f"ethics_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield (
                make_url(url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()
