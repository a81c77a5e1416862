"""The `ethics-api` command: serve, migrate, check criteria, load the demo."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .auth import ROLES as ROLE_CHOICES
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


def _upgrade(app, err: bool = False) -> None:
    """Migrate; on an empty database also create the first organisation and its admin key,
    whose secret is shown here once and never again."""
    from . import migrate
    from .auth import bootstrap

    migrate.upgrade(app.extensions["db"].engine)
    with app.extensions["db"].transaction() as session:
        secret = bootstrap(session)
    if secret:
        click.echo(
            "\nFirst start: created the organisation 'Default organisation' and its admin key.\n"
            "It is shown only this once; keep it somewhere safe:\n\n"
            f"    {secret}\n\n"
            f"Send it with every request: Authorization: Bearer {secret}\n",
            err=err,
        )


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
        _upgrade(app, err=True)
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


@main.group()
def keys() -> None:
    """API keys: create, list, revoke."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLE_CHOICES))
@click.option("--name", required=True, help="Who holds it; an assessor's name on assessments.")
@click.option("--organisation", help="Organisation id (default: the first organisation).")
@click.option("--new-organisation", help="Create an organisation with this name for the key.")
@click.option("--vendor", "vendor_id", help="The vendor a vendor key is bound to.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), help="Default: never.")
def keys_create(role, name, organisation, new_organisation, vendor_id, expires_in_days) -> None:
    """Create a key and print its secret (shown once, never stored)."""
    import datetime as dt

    from sqlalchemy import select

    from .auth import new_key
    from .models import Organisation, Vendor, utcnow

    with _app() as app, app.extensions["db"].transaction() as session:
        if new_organisation:
            org = Organisation(name=new_organisation)
            session.add(org)
            session.flush()
        elif organisation:
            org = session.get(Organisation, organisation)
        else:
            org = session.scalar(select(Organisation).order_by(Organisation.created_at))
        if org is None:
            raise click.ClickException("no such organisation (run `ethics-api db upgrade` first)")
        if vendor_id is not None:
            vendor = session.get(Vendor, vendor_id)
            if vendor is None or vendor.organisation_id != org.id:
                raise click.ClickException(f"no vendor {vendor_id} in organisation {org.id}")
        expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
        try:
            key, secret = new_key(session, org.id, name, role, vendor_id, expires)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"key {key.prefix} ({role}) for {name} in {org.name} ({org.id})")
        click.echo(f"secret (shown once): {secret}")


@keys.command("list")
@click.option("--organisation", help="Only this organisation's keys.")
def keys_list(organisation) -> None:
    """Every key: prefix, role, holder, organisation, expiry, revocation."""
    from sqlalchemy import select

    from .models import ApiKey

    with _app() as app, app.extensions["db"].transaction() as session:
        statement = select(ApiKey).order_by(ApiKey.organisation_id, ApiKey.created_at)
        if organisation:
            statement = statement.where(ApiKey.organisation_id == organisation)
        for key in session.scalars(statement):
            state = "revoked" if key.revoked_at else "active"
            expires = key.expires_at.isoformat() if key.expires_at else "never"
            click.echo(
                f"{key.prefix}  {key.role:9}  {state:7}  expires {expires}  "
                f"org {key.organisation_id}  {key.name}"
            )


@keys.command("revoke")
@click.argument("prefix")
def keys_revoke(prefix) -> None:
    """Revoke the key with this prefix (eth_xxxxxxxx); it stops working at once."""
    from sqlalchemy import select

    from .models import ApiKey, utcnow

    with _app() as app, app.extensions["db"].transaction() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if key is None:
            raise click.ClickException(f"no key has the prefix {prefix}")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
        click.echo(f"revoked {key.prefix} ({key.role}, {key.name})")
