"""The `ethics-api` command: serve, migrate, check criteria, load the demo."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .criteria import CriteriaError, load_sets
from .enums import Role
from .fields import hidden_character


@contextmanager
def _app() -> Iterator:
    """The app for one command; its database connections are closed when the command ends."""
    from . import create_app
    from .errors import DATABASE_UNAVAILABLE, why

    try:
        app = create_app()
    except CriteriaError as exc:
        raise click.ClickException(f"the service cannot start:\n{exc}") from None
    except ValueError as exc:  # a setting that is not what it should be, e.g. a rate limit
        raise click.ClickException(f"the service cannot start: {exc}") from None
    except DATABASE_UNAVAILABLE as exc:
        raise click.ClickException(_unavailable(why(exc))) from None
    try:
        yield app
    except DATABASE_UNAVAILABLE as exc:
        raise click.ClickException(_unavailable(why(exc))) from None
    finally:
        app.extensions["database"].dispose()


def _unavailable(reason: str) -> str:
    """What a command says when the database is busy past its wait or cannot be reached: the
    driver's own words (which name the host, or the lock), without a traceback."""
    return (
        f"the database is busy or cannot be reached ({reason}). Check ETHICS_DATABASE_URL, "
        "or try again once the database is free."
    )


def _shown_url(app) -> str:
    """The database URL with its password masked, fit for a terminal or a log."""
    return app.extensions["database"].engine.url.render_as_string(hide_password=True)


def _upgrade(app, serving: bool = False) -> None:
    """Migrate; on an empty database also create the first organisation and its admin key,
    whose secret is shown here once and never again: on stdout, or when `serving` (whose
    output is the server's log) in a file only this user may read, whose path is printed."""
    from . import migrate
    from .services.keys import bootstrap

    migrate.upgrade(app.extensions["database"].engine)
    with app.extensions["database"].transaction() as session:
        secret = bootstrap(session)
    if secret and serving:
        from .serving import keep_first_key

        click.echo(keep_first_key(app.instance_path, secret), err=True)
    elif secret:
        click.echo(
            "\nFirst start: created the organisation 'Default organisation' and its admin key.\n"
            "It is shown only this once; keep it somewhere safe:\n\n"
            f"    {secret}\n\n"
            f"Send it with every request: Authorization: Bearer {secret}\n"
        )


@contextmanager
def _migrated(app) -> Iterator[None]:
    """Commands that read the database need its schema: say so rather than crash."""
    from . import migrate

    if migrate.pending(app.extensions["database"].engine):
        raise click.ClickException("the database is not migrated: run `ethics-api db upgrade`")
    yield


@click.group()
@click.version_option(package_name="ethics-api", prog_name="ethics-api")
def main() -> None:
    """Ethics scoring service for AI vendors in public procurement.

    Configuration comes from ETHICS_DATABASE_URL (default: a SQLite file in the instance
    folder), ETHICS_CRITERIA_DIR and ETHICS_DEFAULT_CRITERIA_SET.
    """


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(bind: str, workers: int) -> None:
    """Migrate the database, then serve the API with gunicorn (ethics_api/serving.py)."""
    from . import create_app
    from .ratelimit import per_process_warning
    from .serving import Service

    with _app() as app:
        _upgrade(app, serving=True)
        click.echo(f"Database {_shown_url(app)} is current.", err=True)
        warning = per_process_warning(app.config, workers)
    if warning:
        click.echo(f"\n{'!' * 79}\n{warning}\n{'!' * 79}\n", err=True)
    click.echo(f"Serving on http://{bind} (docs at http://{bind}/docs)", err=True)
    Service(create_app, bind, workers).run()


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


def _configured_criteria_folders() -> tuple[Path, ...]:
    from .config import Defaults, criteria_folders, from_environment

    configured = from_environment().get("CRITERIA_DIR", Defaults.CRITERIA_DIR)
    return tuple(criteria_folders({"CRITERIA_DIR": configured}))


@criteria.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def criteria_check(paths: tuple[Path, ...]) -> None:
    """Validate criteria files (default: the configured criteria folder) without starting."""
    if not paths:
        paths = _configured_criteria_folders()
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


@criteria.command("template")
@click.argument("ref", metavar="KEY@VERSION")
def criteria_template(ref: str) -> None:
    """Print an assessment body for the criteria set KEY@VERSION (or KEY, its latest version):
    every indicator, its level a hint naming the question and the levels. Replace each hint
    with a number from 0 to 4 (or, where allowed, the level with "not_applicable": true and a
    "rationale"), add "assessor" when sending with an admin key, and POST it to
    /v1/vendors/{id}/assessments."""
    import json

    from .documents.template import assessment_template

    try:
        sets = load_sets(list(_configured_criteria_folders()))
    except CriteriaError as exc:
        raise click.ClickException(str(exc)) from None
    key, _, version = ref.partition("@")
    named = [s for s in sets if s.key == key and (not version or str(s.version) == version)]
    if not named:
        known = ", ".join(sorted(s.ref for s in sets)) or "none"
        raise click.ClickException(f"no criteria set {ref}; the configured sets: {known}")
    click.echo(json.dumps(assessment_template(max(named, key=lambda s: s.version)), indent=2))


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


def _system_context(app, session, organisation_id: str):
    """The command line acting in an organisation with an admin's rights."""
    from .services.context import Caller, Context

    return Context(session, Caller.system(organisation_id), app.extensions["catalog"])


def _organisation(session, organisation: str | None):
    """The organisation named by id, else the first one; a ClickException when there is none."""
    from .models import Organisation
    from .services.keys import first_organisation

    found = session.get(Organisation, organisation) if organisation else first_organisation(session)
    if found is None:
        raise click.ClickException("no such organisation (run `ethics-api db upgrade` first)")
    return found


@main.group()
def people() -> None:
    """People: the identities behind keys and records."""


@people.command("create")
@click.option("--name", required=True, help="Unique in the organisation.")
@click.option("--email", help="Where the person can be reached.")
@click.option("--organisation", help="Organisation id (default: the first organisation).")
def people_create(name, email, organisation) -> None:
    """Create a person, to whom keys can then be given (keys create --person)."""
    from .schemas.people import PersonCreateSchema
    from .services.errors import DomainError
    from .services.people import create_person

    data = _loaded(PersonCreateSchema(), {"name": name, **({"email": email} if email else {})})
    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        org = _organisation(session, organisation)
        try:
            person = create_person(_system_context(app, session, org.id), data)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"person {person.id} {person.name} in {org.name} ({org.id})")


@people.command("list")
@click.option("--organisation", help="Organisation id (default: the first organisation).")
def people_list(organisation) -> None:
    """The organisation's people: id, name, email."""
    from .services.pages import Page
    from .services.people import list_people

    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        org = _organisation(session, organisation)
        listed = list_people(_system_context(app, session, org.id), Page(0, 10**9))
        for person in listed.items:
            click.echo(f"{person.id}  {person.name}  {person.email or '-'}")


@people.command("invite")
@click.option("--person", required=True, help="The person (id or name) invited to sign in.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--vendor-id", help="For the vendor role: the vendor the person acts for.")
@click.option("--organisation", help="Organisation id (default: the first organisation).")
def people_invite(person, role, vendor_id, organisation) -> None:
    """Invite a person with an email address to sign in with ROLE: print a one-time link, good
    for 7 days, where they choose their password (a new invitation replaces an earlier one)."""
    from .config import LOCAL_ROOT
    from .documents.links import Links
    from .services.errors import DomainError
    from .services.people import find
    from .services.signin import invite

    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        org = _organisation(session, organisation)
        context = _system_context(app, session, org.id)
        try:
            holder = find(context, person)
            invited, token = invite(context, holder.id, role, vendor_id)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        link = Links(app.config.get("PUBLIC_URL") or LOCAL_ROOT).invitation(token)
        click.echo(f"invited {invited.name} <{invited.email}> to sign in as {role}")
        click.echo(f"link (shown once, valid 7 days): {link}")


def _loaded(schema, data: dict) -> dict:
    """Options checked by the API's own schema, so the command line accepts what it accepts."""
    from marshmallow import ValidationError

    from .messages import flatten

    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'.'.join(map(str, path)) or 'options'}: {' '.join(messages)}"
            for path, messages in flatten(exc.messages)
        )
        raise click.ClickException(problems) from None


@keys.command("create")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--person", help="The person (id or name) who holds it: another key of theirs.")
@click.option("--name", help="A new person who holds it (their name, unique in the organisation).")
@click.option("--organisation", help="Organisation id (default: the first organisation).")
@click.option("--new-organisation", help="Create an organisation with this name for the key.")
@click.option("--vendor", "vendor_id", help="The vendor a vendor key is bound to (required).")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), help="Default: never.")
def keys_create(
    role, person, name, organisation, new_organisation, vendor_id, expires_in_days
) -> None:
    """Create a key for a person and print its secret (shown once, never stored)."""
    import datetime as dt

    from .models import utcnow
    from .services import keys as key_service
    from .services import people as person_service
    from .services.errors import DomainError

    if new_organisation is not None and organisation is not None:
        raise click.ClickException("give --organisation or --new-organisation, not both")
    if new_organisation is not None and not new_organisation.strip():
        raise click.ClickException("--new-organisation needs a name")
    if (person is None) == (name is None):
        raise click.ClickException(
            "give --person (someone who exists: another key of theirs) or --name (a new person)"
        )
    if name is not None and not name.strip():
        raise click.ClickException("--name needs the holder's name")
    if name is not None:
        from .schemas.people import PersonCreateSchema

        _loaded(PersonCreateSchema(), {"name": name})  # the API's rules for a person's name
    if new_organisation is not None and hidden_character(new_organisation):
        raise click.ClickException(f"--new-organisation: {hidden_character(new_organisation)}")
    if role == Role.VENDOR and vendor_id is None:
        raise click.ClickException(
            "a vendor key speaks for one vendor: add --vendor VENDOR_ID, the vendor's id "
            "(GET /v1/vendors lists them)"
        )
    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        try:
            if new_organisation is not None:
                org = key_service.create_organisation(
                    _system_context(app, session, ""), new_organisation
                )
            else:
                org = _organisation(session, organisation)
            context = _system_context(app, session, org.id)
            if name is not None:
                holder = person_service.create_person(context, {"name": name})
            else:
                holder = person_service.find(context, person)
            expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
            key, secret = key_service.create_key(context, holder, role, vendor_id, expires)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"key {key.prefix} ({role}) for {holder.name} in {org.name} ({org.id})")
        click.echo(f"secret (shown once): {secret}")


@keys.command("list")
@click.option("--organisation", help="Only this organisation's keys.")
def keys_list(organisation) -> None:
    """Every key: prefix, role, holder, organisation, expiry, revocation."""
    from .models import utcnow
    from .services.keys import list_keys

    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        now = utcnow()
        for key in list_keys(session, organisation):
            if key.revoked_at:
                state = "revoked"
            elif key.expires_at and key.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            expires = key.expires_at.isoformat() if key.expires_at else "never"
            click.echo(
                f"{key.prefix}  {key.role:9}  {state:7}  expires {expires}  "
                f"org {key.organisation_id}  {key.name}"
            )


@keys.command("revoke")
@click.argument("prefix")
def keys_revoke(prefix) -> None:
    """Revoke the key with this prefix (eth_xxxxxxxx); it stops working at once."""
    from .services.errors import DomainError
    from .services.keys import revoke_key

    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        try:
            key = revoke_key(_system_context(app, session, ""), prefix)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"revoked {key.prefix} ({key.role}, {key.name})")


@main.group()
def webhooks() -> None:
    """Webhook messages: deliver the outbox."""


@webhooks.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 3600, min_open=True),
    help="Seconds to wait between rounds when nothing is due.",
)
def webhooks_run(once: bool, interval: float) -> None:
    """Send due webhook messages, signed, retrying with backoff; stops on SIGTERM or Ctrl-C.

    Retries: ETHICS_WEBHOOK_BACKOFF_SECONDS (10), ETHICS_WEBHOOK_BACKOFF_CAP_SECONDS (3600),
    ETHICS_WEBHOOK_MAX_ATTEMPTS (8), ETHICS_WEBHOOK_TIMEOUT_SECONDS (10), and
    ETHICS_WEBHOOK_BATCH_SIZE (100) messages per round.
    """
    from .delivery import Settings, run

    with _app() as app, _migrated(app):
        try:
            settings = Settings.from_config(app.config)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        run(app, once=once, interval=interval, echo=click.echo, settings=settings)


@main.group("audit")
def audit_group() -> None:
    """The tamper-evident event log: verify it, take signed checkpoints."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="A checkpoint (JSON) taken earlier: also detect truncation and rewritten history.",
)
@click.option(
    "--public-key",
    "public_key_file",
    type=click.File("r"),
    envvar="ETHICS_AUDIT_PUBLIC_KEY",
    help="The signer's public key (PEM) to trust with --checkpoint; default: the file named "
    "by ETHICS_AUDIT_PUBLIC_KEY, else the public half of ETHICS_AUDIT_SIGNING_KEY.",
)
def audit_verify(checkpoint_file, public_key_file) -> None:
    """Recompute every chain and every record's digest; exit 1 and name the first bad event
    or record if any. With --checkpoint, check that checkpoint's chain against it instead."""
    from . import audit

    if checkpoint_file is not None:
        _verify_checkpoint(checkpoint_file, _trusted_public_key(public_key_file))
        return
    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        results = audit.verify_chains(session)
        copies = audit.verify_copies(session) if all(r.ok for r in results) else None
        records = audit.verify_records(session) if all(r.ok for r in results) else None
    for result in results:
        if not result.ok:
            _fail(result)
        click.echo(f"ok: chain {result.chain}: {result.size} events, head {result.head_hash}")
    if copies is not None:
        _fail(copies)
    if records is not None and records.first_bad is not None:
        bad = records.first_bad
        where = "" if bad.seq is None else f" (event {bad.seq} of chain {bad.chain})"
        click.echo(f"FAILED: {audit.describe(bad)}{where}", err=True)
        sys.exit(1)
    if records is not None:
        click.echo(f"ok: {records.checked} records match the digests their events logged")


def _fail(result) -> None:
    where = "" if result.first_bad_seq is None else f" at event {result.first_bad_seq}"
    chain = "" if result.chain is None else f" in chain {result.chain}"
    click.echo(f"FAILED{chain}{where}: {result.problem}", err=True)
    sys.exit(1)


def _trusted_public_key(public_key_file) -> str:
    """The key a checkpoint is checked against: never the one it carries, which whoever
    rewrote the history could have replaced with their own."""
    import os

    from . import audit

    if public_key_file is not None:
        return public_key_file.read()
    signing_key = os.environ.get("ETHICS_AUDIT_SIGNING_KEY")
    if signing_key:
        try:
            with open(signing_key, "rb") as key_file:
                return audit.public_key_pem(audit.load_private_key(key_file.read()))
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"ETHICS_AUDIT_SIGNING_KEY: {exc}") from None
    raise click.ClickException(
        "a checkpoint is checked against a public key you trust, not the one it carries: "
        "give --public-key, or set ETHICS_AUDIT_PUBLIC_KEY (or ETHICS_AUDIT_SIGNING_KEY)"
    )


def _verify_checkpoint(checkpoint_file, public_key: str) -> None:
    import json

    from . import audit

    try:
        signed = json.load(checkpoint_file)
        what = (signed.get("chain", audit.LEGACY), signed["size"], signed["time"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise click.ClickException(f"not a checkpoint: {exc!r}") from None
    try:
        key = audit.fingerprint(audit.load_public_key(public_key))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        result = audit.verify_against(session, signed, public_key)
    chain, size, time = what
    checked = f"checkpoint of chain {chain} at event {size}, taken {time}, key {key}"
    if not result.ok:
        _fail(result)
    click.echo(f"ok: {checked}: {result.size} events, head {result.head_hash}")


@audit_group.command("checkpoint")
@click.option(
    "--key",
    "key_file",
    type=click.File("rb"),
    envvar="ETHICS_AUDIT_SIGNING_KEY",
    required=True,
    help="Ed25519 private key (PEM); default: the file named by ETHICS_AUDIT_SIGNING_KEY.",
)
@click.option(
    "--organisation",
    "organisation_id",
    help="The organisation whose chain to sign; needed when there are several.",
)
def audit_checkpoint(key_file, organisation_id: str | None) -> None:
    """Print a signed checkpoint (chain, size, head hash, time) for a third party to keep."""
    import json

    from sqlalchemy import select

    from . import audit
    from .models import Organisation

    try:
        private_key = audit.load_private_key(key_file.read())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with _app() as app, _migrated(app), app.extensions["database"].transaction() as session:
        organisations = list(session.scalars(select(Organisation.id).order_by(Organisation.id)))
        if organisation_id is None and len(organisations) == 1:
            organisation_id = organisations[0]
        if organisation_id not in organisations:
            raise click.ClickException(
                "name the organisation whose chain to sign with --organisation, one of: "
                + (", ".join(organisations) or "none yet")
            )
        try:
            signed = audit.checkpoint(session, private_key, organisation_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(signed, indent=2))


@audit_group.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def audit_keygen(path: Path) -> None:
    """Write a new Ed25519 signing key (PEM, readable by you only); print its public key."""
    import os

    from . import audit

    if path.exists():
        raise click.ClickException(f"{path} exists: it will not be overwritten")
    pem = audit.new_private_key_pem()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    click.echo(audit.public_key_pem(audit.load_private_key(pem)), nl=False)
