"""The `ethics-api` command: serve, migrate, check criteria, load the demo."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .criteria import CriteriaError, load_sets


@contextmanager
def _app() -> Iterator:
    """The app for one command; its database connections are closed when the command ends."""
    from . import create_app

    try:
        app = create_app()
    except CriteriaError as exc:
        raise click.ClickException(f"the service cannot start:\n{exc}") from None
    try:
        yield app
    finally:
        app.extensions["db"].dispose()


def _shown_url(app) -> str:
    """The database URL with its password masked, fit for a terminal or a log."""
    return app.extensions["db"].engine.url.render_as_string(hide_password=True)


def _upgrade(app) -> None:
    from . import migrate

    migrate.upgrade(app.extensions["db"].engine)


@click.group()
def main() -> None:
    """Ethics scoring service for AI vendors in public procurement.

    Configuration comes from ETHICS_DATABASE_URL (default: a SQLite file in the instance
    folder), ETHICS_CRITERIA_DIR and ETHICS_DEFAULT_CRITERIA_SET.
    """


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(bind: str, workers: int) -> None:
    """Migrate the database, then serve the API with gunicorn."""
    from gunicorn.app.base import BaseApplication

    from . import create_app

    with _app() as app:
        _upgrade(app)
        click.echo(f"Database {_shown_url(app)} is current.", err=True)
    click.echo(f"Serving on http://{bind} (docs at http://{bind}/docs)", err=True)

    class Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return create_app()

    Gunicorn().run()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    with _app() as app:
        _upgrade(app)
        click.echo(f"Database {_shown_url(app)} is current.")


@main.group()
def criteria() -> None:
    """Criteria set files."""


@criteria.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def criteria_check(paths: tuple[Path, ...]) -> None:
    """Validate criteria files (default: the configured criteria folder) without starting."""
    from .config import Defaults, from_environment

    if not paths:
        paths = (Path(from_environment().get("CRITERIA_DIR", Defaults.CRITERIA_DIR)),)
    try:
        sets = load_sets(list(paths))
    except CriteriaError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    if not sets:
        click.echo(f"No criteria files found in {', '.join(map(str, paths))}.", err=True)
        sys.exit(1)
    for s in sets:
        counts = f"{len(s.criteria)} criteria, {len(s.indicators)} indicators"
        click.echo(f"ok  {s.ref}  {counts}  sha256 {s.sha256}  {s.path}")


@main.command()
def demo() -> None:
    """Load three fictional vendors assessed by two evaluators (idempotent)."""
    from .demo import load_demo

    with _app() as app:
        _upgrade(app)
        with app.app_context():
            for line in load_demo(app):
                click.echo(line)
