"""The `ethics-api` command: criteria check, db upgrade, demo, API keys, and refusing changed
criteria.

The first start on an empty database creates an organisation and its admin key, and prints the
key once; the tests read it from there, as an operator would, to call the API.

Each test gets its own fresh database: a SQLite file under tmp_path, or (when
ETHICS_TEST_DATABASE_URL is set) a new PostgreSQL schema, dropped afterwards, that the
connection reaches through its search_path. The command is configured only through its
ETHICS_* environment variables, as in production.
"""

import datetime as dt
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, make_url, select, text, update

import ethics_api
from ethics_api import create_app, migrate
from ethics_api.auth import ROLES, WWW_AUTHENTICATE
from ethics_api.cli import main
from ethics_api.criteria import CriteriaError, load_file
from ethics_api.database import make_engine
from ethics_api.demo import PEOPLE, VENDORS, answers_for
from ethics_api.models import ApiKey, Assessment, Base, Organisation, Person

from conftest import PROJECT_CRITERIA, TEST_CRITERIA, client_with_key, postgres_url, split_key

# Every table of the models, plus Alembic's own.
TABLES = {*Base.metadata.tables, "alembic_version"}
MINI = TEST_CRITERIA / "mini-1.yaml"
PROBLEM_JSON = "application/problem+json"
KEY = re.compile(r"eth_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
FIRST_START = "First start: created the organisation 'Default organisation' and its admin key."
# Roles that may create vendors through the API; the others get 403.
VENDOR_CREATORS = {"admin", "buyer"}


def ethics_api_command() -> str:
    found = shutil.which("ethics-api", path=Path(sys.executable).parent) or shutil.which(
        "ethics-api"
    )
    assert found, "the ethics-api script is not installed next to this Python"
    return found


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_db(request, tmp_path):
    """The URL of an empty database, never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ethics.db'}"
        return
    base = postgres_url()
    schema = f"cli_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def environment(database_url: str, criteria_dir: Path) -> dict[str, str | None]:
    return {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(criteria_dir),
        "ETHICS_DEFAULT_CRITERIA_SET": None,
    }


def invoke(*args: str, database_url: str = "", criteria_dir: Path = TEST_CRITERIA):
    """Run the command in-process; an exception other than an exit fails the test."""
    env = environment(database_url, criteria_dir) if database_url else {}
    env.setdefault("ETHICS_CRITERIA_DIR", str(criteria_dir))
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def run_command(*args: str, database_url: str, criteria_dir: Path, timeout: float = 60):
    """Run the installed `ethics-api` script in a child process; (returncode, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETHICS_")}
    env.update({k: v for k, v in environment(database_url, criteria_dir).items() if v is not None})
    with subprocess.Popen(
        [ethics_api_command(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            pytest.fail(f"`ethics-api {' '.join(args)}` still ran after {timeout} s:\n{stderr}")
    return process.returncode, stdout, stderr


def counts(database_url: str) -> dict[str, int]:
    """Rows in every table of the models."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table.name: connection.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_start(output: str) -> tuple[str, list[str]]:
    """The admin key a first start printed, and the lines the command printed after the block.

    The block comes first and once, and the key stands on a line of its own, indented.
    """
    assert output.count(FIRST_START) == 1, output
    lines = output.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    assert lines and lines[0] == FIRST_START, output
    own_lines = [
        line.strip() for line in lines if line[:1].isspace() and KEY.fullmatch(line.strip())
    ]
    assert len(own_lines) == 1, output
    key = own_lines[0]
    assert set(KEY.findall(output)) == {key}, "a first start prints one key, no other"
    # The block ends with the last line naming the key; the command's own lines follow.
    last = max(index for index, line in enumerate(lines) if key in line)
    rest = lines[last + 1 :]
    while rest and not rest[0].strip():
        rest.pop(0)
    return key, rest


def assert_no_first_start(*outputs: str) -> None:
    for output in outputs:
        assert FIRST_START not in output, output
        assert not KEY.search(output), output


@contextmanager
def api(database_url: str, criteria_dir: Path = TEST_CRITERIA):
    """The app on the database, built as the service builds it; its connections closed after."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "CRITERIA_DIR": criteria_dir})
    try:
        yield app
    finally:
        app.extensions["database"].dispose()


def assert_unauthorized(response, detail: str) -> None:
    assert response.status_code == 401, response.json
    assert response.mimetype == PROBLEM_JSON
    assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert response.json["status"] == 401
    assert detail in response.json["detail"]


def assert_key_works(database_url: str, key: str) -> None:
    """The key lists vendors; no key, another scheme or a wrong key gets a 401."""
    with api(database_url) as app:
        response = client_with_key(app, key).get("/v1/vendors")
        assert response.status_code == 200, response.json
        assert_unauthorized(client_with_key(app, None).get("/v1/vendors"), "Send an API key")
        wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        assert_unauthorized(client_with_key(app, wrong).get("/v1/vendors"), "not valid")
        basic = app.test_client().get("/v1/vendors", headers={"Authorization": f"Basic {key}"})
        assert_unauthorized(basic, "Bearer scheme")


def rows(database_url: str, model) -> list[dict]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(select(model)).mappings()]
    finally:
        engine.dispose()


def every_value(database_url: str) -> list[str]:
    """Every value of every row of every table, as text."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [
                str(value)
                for table in Base.metadata.sorted_tables
                for row in connection.execute(select(table))
                for value in row
            ]
    finally:
        engine.dispose()


def key_row(database_url: str, prefix: str) -> dict:
    (row,) = [row for row in rows(database_url, ApiKey) if row["prefix"] == prefix]
    return row


def organisations(database_url: str) -> dict[str, str]:
    """Organisation names by id."""
    return {row["id"]: row["name"] for row in rows(database_url, Organisation)}


# --- criteria check ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [PROJECT_CRITERIA, TEST_CRITERIA], ids=["project", "tests"])
def test_criteria_check_passes(folder):
    result = invoke("criteria", "check", str(folder))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    assert len(lines) == len(files) >= 1
    for line, path in zip(lines, files, strict=True):
        criteria_set = load_file(path)
        assert line.startswith(f"ok  {criteria_set.ref}  ")
        assert f"sha256 {criteria_set.sha256}" in line
        assert line.endswith(str(path))


def test_criteria_check_defaults_to_the_configured_folder():
    result = invoke("criteria", "check", criteria_dir=TEST_CRITERIA)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok  mini@1  3 criteria, 7 indicators  sha256 ")


def test_criteria_check_takes_several_paths():
    result = invoke("criteria", "check", str(PROJECT_CRITERIA), str(MINI))
    assert result.exit_code == 0, result.output
    refs = [line.split()[1] for line in result.stdout.splitlines()]
    assert refs == ["ai-ethics@1", "ai-ethics@2", "uk-policing@1", "mini@1"]


BREAKAGES = {
    "weight-zero": (
        ("weight: 3\n", "weight: 0\n"),
        "criteria[0].indicators[1].weight",
        "Must be greater than 0.",
    ),
    "four-levels": (
        (
            "levels: {0: none, 1: intent, 2: documented, 3: operating, 4: verified}\n"
            "  - key: oversight",
            "levels: {0: none, 1: intent, 2: documented, 3: operating}\n  - key: oversight",
        ),
        "criteria[0].indicators[2].levels",
        "Must describe exactly the levels 0, 1, 2, 3 and 4.",
    ),
    "duplicate-indicator": (
        ("key: p2\n", "key: p1\n"),
        "criteria[0].indicators[1].key",
        "Duplicate indicator key 'p1' in the set.",
    ),
    "no-reference": (
        ("references: [{source: ATRS, clause: Tier 1}]", "references: []"),
        "criteria[2].indicators[0].references",
        "At least one reference is required.",
    ),
    "empty-source": (
        ("{source: UK GDPR, clause: Art. 35}", "{source: '', clause: Art. 35}"),
        "criteria[0].indicators[0].references[0].source",
        "Shorter than minimum length 1.",
    ),
    "quoted-number": (
        ("weight: 2\n    minimum: 50", "weight: '2'\n    minimum: 50"),
        "criteria[0].weight",
        "Must be a number (integer or decimal), not text.",
    ),
    "last-band-not-zero": (
        ("{label: D, min: 0}", "{label: D, min: 10}"),
        "grades[3].min",
        "The lowest grade band must have min 0.",
    ),
    "unknown-field": (
        ("validity_days: 30\n", "validity_days: 30\ncolour: blue\n"),
        "colour",
        "Unknown field.",
    ),
}


@pytest.mark.parametrize(("edit", "where", "rule"), BREAKAGES.values(), ids=BREAKAGES.keys())
def test_criteria_check_names_file_path_and_rule(tmp_path, edit, where, rule):
    old, new = edit
    source = MINI.read_text()
    assert source.count(old) == 1, f"the edit {old!r} no longer fits {MINI}"
    broken = tmp_path / "mini-1.yaml"
    broken.write_text(source.replace(old, new))

    result = invoke("criteria", "check", str(broken))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{broken}: {where}: {rule}" in result.stderr.splitlines()


def test_criteria_check_reports_every_broken_file(tmp_path):
    (tmp_path / "a.yaml").write_text("key: [unclosed\n")
    (tmp_path / "b.yaml").write_text(MINI.read_text().replace("version: 1", "version: 0"))
    result = invoke("criteria", "check", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'a.yaml'}: not valid YAML" in result.stderr
    assert f"{tmp_path / 'b.yaml'}: version: Must be greater than or equal to 1." in result.stderr


def test_criteria_check_refuses_two_files_with_one_version(tmp_path):
    shutil.copy(MINI, tmp_path / "mini-1.yaml")
    shutil.copy(MINI, tmp_path / "mini-1-copy.yaml")
    result = invoke("criteria", "check", str(tmp_path))
    assert result.exit_code == 1
    assert "key, version: mini@1 is already defined by" in result.stderr


def test_criteria_check_fails_on_a_missing_path_or_an_empty_folder(tmp_path):
    missing = invoke("criteria", "check", str(tmp_path / "nowhere.yaml"))
    assert missing.exit_code == 1
    assert f"{tmp_path / 'nowhere.yaml'}: no such file or folder." in missing.stderr
    empty = invoke("criteria", "check", str(tmp_path))
    assert empty.exit_code == 1
    assert "No criteria files found" in empty.stderr


# --- db upgrade ----------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_is_idempotent(fresh_db):
    assert table_names(fresh_db) == set()

    first = invoke("db", "upgrade", database_url=fresh_db)
    assert first.exit_code == 0, first.output
    assert "is current" in first.stdout
    assert table_names(fresh_db) == TABLES

    second = invoke("db", "upgrade", database_url=fresh_db)
    assert second.exit_code == 0, second.output
    assert table_names(fresh_db) == TABLES
    engine = make_engine(fresh_db)
    try:
        assert not migrate.pending(engine)
    finally:
        engine.dispose()


def test_db_upgrade_does_not_print_the_database_password(fresh_db):
    url = make_url(fresh_db)
    if url.get_backend_name() == "sqlite":
        pytest.skip("a SQLite URL has no password")
    # The test server trusts local connections, so any password is accepted.
    with_password = url.set(password="s3cret-pw").render_as_string(hide_password=False)
    result = invoke("db", "upgrade", database_url=with_password)
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert "***" in result.stdout


# --- the first start ------------------------------------------------------------------------------


def command_lines_are_right(command: str, lines: list[str], status: str) -> None:
    """What the command itself says, besides any first-start block."""
    if command == "db upgrade":
        assert len(lines) == 1, lines
        assert lines[0].startswith("Database ") and lines[0].endswith(" is current."), lines
    else:
        # The first load invites the demo's people to sign in; a later one has no one new.
        invited = [line for line in lines if line.startswith("invited ")]
        assert len(invited) == (len(PEOPLE) if status == "created" else 0), lines
        loaded = lines[: len(lines) - len(invited)]
        assert len(loaded) == len(VENDORS) + 1, lines
        assert all(line.startswith(f"{status} ") for line in loaded), lines
        assert all("scorecard: /v1/vendors/" in line for line in loaded[:-1]), lines
        assert "ranking: /v1/procurements/" in loaded[-1], lines


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("db upgrade", "db upgrade"),
        ("demo", "demo"),
        ("db upgrade", "demo"),
        ("demo", "db upgrade"),
    ],
    ids=["upgrade-upgrade", "demo-demo", "upgrade-demo", "demo-upgrade"],
)
def test_first_start_prints_the_admin_key_once(fresh_db, first, second):
    before = invoke(*first.split(), database_url=fresh_db)
    assert before.exit_code == 0, before.output
    key, lines = first_start(before.stdout)
    command_lines_are_right(first, lines, "created")
    assert_no_first_start(before.stderr)  # on stdout only, for db upgrade and demo

    after = invoke(*second.split(), database_url=fresh_db)
    assert after.exit_code == 0, after.output
    assert_no_first_start(after.stdout, after.stderr)
    loaded_by_first = "created" if first == "db upgrade" else "already loaded"
    command_lines_are_right(second, after.stdout.splitlines(), loaded_by_first)

    # One organisation, one admin key: the one printed, of which only the digest is kept.
    assert list(organisations(fresh_db).values()) == ["Default organisation"]
    (stored,) = rows(fresh_db, ApiKey)
    assert stored["role"] == "admin"
    assert key.startswith(f"{stored['prefix']}_")
    assert stored["secret_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert (stored["expires_at"], stored["revoked_at"], stored["vendor_id"]) == (None, None, None)
    assert_key_works(fresh_db, key)


# --- demo ----------------------------------------------------------------------------------------


def scorecards(database_url: str, criteria_dir: Path, key: str) -> dict[str, dict]:
    """Every vendor's scorecard by profile, through the API's own test client."""
    with api(database_url, criteria_dir) as app:
        client = client_with_key(app, key)
        vendors = client.get("/v1/vendors").json
        profiles = {spec["name"]: spec["profile"] for spec in VENDORS}
        cards = {}
        for vendor in vendors:
            response = client.get(f"/v1/vendors/{vendor['id']}/scorecard")
            assert response.status_code == 200, response.json
            cards[profiles[vendor["name"]]] = response.json
        return cards


@pytest.mark.parametrize(
    "criteria_dir", [PROJECT_CRITERIA, TEST_CRITERIA], ids=["project", "tests"]
)
def test_demo_loads_three_vendors_once(fresh_db, criteria_dir):
    first = invoke("demo", database_url=fresh_db, criteria_dir=criteria_dir)
    assert first.exit_code == 0, first.output
    key, lines = first_start(first.stdout)
    # Then a line per vendor, and one for each procurement they bid in: with the shipped sets,
    # a second one on the UK policing set, whose assessments are made in it (all but the one
    # left for the second evaluator to make in the pages). Last, an invitation to sign in for
    # each of the demo's people.
    procurements = 2 if criteria_dir == PROJECT_CRITERIA else 1
    loaded_lines = len(VENDORS) + procurements
    assert len(lines) == loaded_lines + len(PEOPLE), lines
    assert all(line.startswith("created ") for line in lines[:loaded_lines]), lines
    vendor_lines = [line for line in lines if "scorecard: /v1/vendors/" in line]
    assert vendor_lines == lines[:3]
    for line in lines[3:loaded_lines]:
        assert "ranking: /v1/procurements/" in line
        assert line.split("  ")[-1].strip().startswith("Procurement ")
    for line, (name, _, role) in zip(lines[loaded_lines:], PEOPLE, strict=True):
        assert line.startswith("invited ") and name in line
        assert re.search(rf"sign in as {role}: http://127\.0\.0\.1:8000/invitations/\S+$", line)
    loaded = counts(fresh_db)
    left_to_assess = procurements - 1
    assert (loaded["vendors"], loaded["assessments"], loaded["criteria_versions"]) == (
        3,
        6 * procurements - left_to_assess,
        procurements,
    )
    assert (loaded["procurements"], loaded["bidders"]) == (procurements, 3 * procurements)

    engine = make_engine(fresh_db)
    try:
        with engine.connect() as connection:
            per_vendor = connection.execute(
                select(Assessment.vendor_id, func.count()).group_by(Assessment.vendor_id)
            ).all()
    finally:
        engine.dispose()
    expected = [2 * procurements] * 3
    expected[0] -= left_to_assess
    assert sorted(n for _, n in per_vendor) == expected

    second = invoke("demo", database_url=fresh_db, criteria_dir=criteria_dir)
    assert second.exit_code == 0, second.output
    assert_no_first_start(second.stdout, second.stderr)
    again = second.stdout.splitlines()
    assert [line.split("  ")[0] for line in again] == ["already loaded"] * loaded_lines
    # The same links, no second invitation, and not one row more in any table.
    assert [line.split()[-1] for line in again] == [
        line.split()[-1] for line in lines[:loaded_lines]
    ]
    assert counts(fresh_db) == loaded

    cards = scorecards(fresh_db, criteria_dir, key)
    with api(fresh_db, criteria_dir) as app:
        default_set = app.extensions["catalog"].default
    assert set(cards) == {"strong", "knockout", "disputed"}

    strong = cards["strong"]
    assert strong["eligible"] is True
    assert strong["knockouts"] == []
    assert strong["needs_moderation"] is False

    knockout = cards["knockout"]
    assert knockout["eligible"] is False
    assert any(
        k["kind"] in ("indicator", "indicator_minimum") and k["value"] < k["threshold"]
        for k in knockout["knockouts"]
    )

    disputed = cards["disputed"]
    assert disputed["needs_moderation"] is True
    assert len(disputed["disagreements"]) >= 1
    assert all(d["spread"] >= 2 for d in disputed["disagreements"])

    for card in cards.values():
        assert len(card["assessors"]) == 2
        assert card["criteria_set"]["sha256"] == default_set.sha256


# --- keys ----------------------------------------------------------------------------------------


@pytest.fixture
def started(fresh_db):
    """A database after its first start: (its URL, the admin key printed)."""
    result = invoke("db", "upgrade", database_url=fresh_db)
    assert result.exit_code == 0, result.output
    key, _lines = first_start(result.stdout)
    return fresh_db, key


def create_key(database_url: str, *options: str) -> tuple[str, str, str]:
    """`keys create` with these options: (prefix, secret, the line describing the key)."""
    result = invoke("keys", "create", *options, database_url=database_url)
    assert result.exit_code == 0, result.output
    described, secret_line = result.stdout.splitlines()
    prefix = re.fullmatch(r"key (eth_[0-9a-f]{8}) \(.*", described).group(1)
    assert secret_line.startswith("secret (shown once): ")
    secret = secret_line.removeprefix("secret (shown once): ")
    assert KEY.fullmatch(secret), secret
    assert secret.startswith(f"{prefix}_")
    assert secret.split("_", 2)[2] not in described  # the secret part is printed once only
    return prefix, secret, described


def refused(database_url: str, *options: str):
    """`keys create` with these options fails, says why on stderr, and changes nothing."""
    before = counts(database_url)
    result = invoke("keys", "create", *options, database_url=database_url)
    assert result.exit_code != 0, result.output
    assert result.stdout == ""
    assert_no_first_start(result.stderr)
    assert counts(database_url) == before
    return result.stderr


def new_vendor(client, name: str) -> str:
    response = client.post("/v1/vendors", json={"name": name})
    assert response.status_code == 201, response.json
    return response.json["id"]


def only_organisation(database_url: str) -> str:
    (organisation_id,) = organisations(database_url)
    return organisation_id


@pytest.mark.parametrize("role", ROLES)
def test_keys_create_for_each_role(started, role):
    database_url, admin_key = started
    organisation_id = only_organisation(database_url)
    with api(database_url) as app:
        admin = client_with_key(app, admin_key)
        own = new_vendor(admin, "Own Vendor Ltd")
        other = new_vendor(admin, "Other Vendor Ltd")
        options = ["--role", role, "--name", f"{role.title()} Holder"]
        if role == "vendor":
            options += ["--vendor", own]

        prefix, secret, described = create_key(database_url, *options)

        assert described == (
            f"key {prefix} ({role}) for {role.title()} Holder "
            f"in Default organisation ({organisation_id})"
        )
        stored = key_row(database_url, prefix)
        assert stored["role"] == role
        assert stored["name"] == f"{role.title()} Holder"
        assert stored["organisation_id"] == organisation_id
        assert stored["vendor_id"] == (own if role == "vendor" else None)
        assert (stored["expires_at"], stored["revoked_at"]) == (None, None)
        assert stored["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()

        # The key works at once, with the role it was given.
        client = client_with_key(app, secret)
        listed = client.get("/v1/vendors")
        assert listed.status_code == 200, listed.json
        ids = [vendor["id"] for vendor in listed.json]
        assert ids == ([own] if role == "vendor" else [other, own])
        assert client.get(f"/v1/vendors/{own}").status_code == 200
        other_status = client.get(f"/v1/vendors/{other}").status_code
        assert other_status == (404 if role == "vendor" else 200)
        created = client.post("/v1/vendors", json={"name": f"Made by {role}"})
        assert created.status_code == (201 if role in VENDOR_CREATORS else 403), created.json


def test_vendor_key_needs_a_vendor_of_its_own_organisation(started):
    database_url, admin_key = started
    first = only_organisation(database_url)
    _prefix, other_admin, described = create_key(
        database_url, "--role", "admin", "--name", "Other admin", "--new-organisation", "Other"
    )
    second = described.rsplit("(", 1)[1].rstrip(")")
    with api(database_url) as app:
        own = new_vendor(client_with_key(app, admin_key), "Own Vendor Ltd")
        foreign = new_vendor(client_with_key(app, other_admin), "Foreign Vendor Ltd")
    missing = str(uuid.uuid4())

    message = refused(database_url, "--role", "vendor", "--name", "No vendor")
    assert "Error: a vendor key speaks for one vendor: add --vendor VENDOR_ID" in message
    message = refused(database_url, "--role", "vendor", "--name", "Ghost", "--vendor", missing)
    assert f"Error: no vendor {missing} in organisation {first}" in message
    message = refused(database_url, "--role", "vendor", "--name", "Foreign", "--vendor", foreign)
    assert f"Error: no vendor {foreign} in organisation {first}" in message
    message = refused(
        database_url,
        *("--role", "vendor", "--name", "Crossed", "--vendor", own, "--organisation", second),
    )
    assert f"Error: no vendor {own} in organisation {second}" in message
    # Refused before anything is written: not even the new organisation.
    message = refused(
        database_url,
        *("--role", "vendor", "--name", "New", "--vendor", own, "--new-organisation", "Third"),
    )
    assert f"Error: no vendor {own} in organisation " in message
    assert sorted(organisations(database_url).values()) == ["Default organisation", "Other"]

    # Each organisation's own vendor is fine.
    create_key(database_url, "--role", "vendor", "--name", "Own", "--vendor", own)
    create_key(
        database_url,
        *("--role", "vendor", "--name", "Foreign", "--vendor", foreign, "--organisation", second),
    )


@pytest.mark.parametrize("role", [role for role in ROLES if role != "vendor"])
def test_vendor_option_is_refused_for_other_roles(started, role):
    database_url, admin_key = started
    with api(database_url) as app:
        vendor = new_vendor(client_with_key(app, admin_key), "Vendor Ltd")
    message = refused(database_url, "--role", role, "--name", "Someone", "--vendor", vendor)
    assert "only a vendor key is" in message
    assert message.startswith("Error: ")


def test_unknown_organisation_or_role_is_refused(started):
    database_url, _admin_key = started
    missing = str(uuid.uuid4())
    message = refused(database_url, "--role", "buyer", "--name", "B", "--organisation", missing)
    assert "Error: no such organisation" in message
    message = refused(database_url, "--role", "superuser", "--name", "S")
    assert "'superuser' is not one of" in message


def test_new_organisation_cannot_see_the_first_ones_vendors(started):
    database_url, admin_key = started
    first = only_organisation(database_url)
    prefix, other_admin, described = create_key(
        database_url, "--role", "admin", "--name", "Other admin", "--new-organisation", "Other"
    )
    second = described.rsplit("(", 1)[1].rstrip(")")
    assert described == f"key {prefix} (admin) for Other admin in Other ({second})"
    assert organisations(database_url) == {first: "Default organisation", second: "Other"}
    assert key_row(database_url, prefix)["organisation_id"] == second
    # A buyer of the new organisation, named by id.
    _buyer_prefix, other_buyer, _ = create_key(
        database_url, "--role", "buyer", "--name", "Other buyer", "--organisation", second
    )

    with api(database_url) as app:
        admin = client_with_key(app, admin_key)
        mine = new_vendor(admin, "First Organisation's Vendor Ltd")
        for key in (other_admin, other_buyer):
            client = client_with_key(app, key)
            listed = client.get("/v1/vendors")
            assert listed.status_code == 200, listed.json
            assert listed.json == []
            assert client.get(f"/v1/vendors/{mine}").status_code == 404
            assert client.get(f"/v1/vendors/{mine}/scorecard").status_code == 404
            assert client.get("/v1/vendors", query_string={"q": "First"}).json == []

        theirs = new_vendor(client_with_key(app, other_buyer), "Second Organisation's Vendor Ltd")
        assert [v["id"] for v in client_with_key(app, other_admin).get("/v1/vendors").json] == [
            theirs
        ]
        # And the other way round.
        assert [v["id"] for v in admin.get("/v1/vendors").json] == [mine]
        assert admin.get(f"/v1/vendors/{theirs}").status_code == 404


def parse_list(output: str) -> dict[str, dict]:
    """`keys list` lines by prefix."""
    listed = {}
    for line in output.splitlines():
        prefix, role, state, expires, when, org, organisation_id, *name = line.split()
        assert (expires, org) == ("expires", "org"), line
        listed[prefix] = {
            "role": role,
            "state": state,
            "expires": when,
            "organisation": organisation_id,
            "name": " ".join(name),
        }
    return listed


def test_keys_list_shows_prefix_role_and_state_never_the_secret(started):
    database_url, admin_key = started
    first = only_organisation(database_url)
    buyer, buyer_secret, _ = create_key(database_url, "--role", "buyer", "--name", "A buyer")
    auditor, auditor_secret, _ = create_key(
        database_url, "--role", "auditor", "--name", "An auditor"
    )
    other, other_secret, described = create_key(
        database_url, "--role", "admin", "--name", "Other admin", "--new-organisation", "Other"
    )
    second = described.rsplit("(", 1)[1].rstrip(")")
    assert invoke("keys", "revoke", auditor, database_url=database_url).exit_code == 0

    result = invoke("keys", "list", database_url=database_url)
    assert result.exit_code == 0, result.output
    admin = admin_key[:12]
    assert parse_list(result.stdout) == {
        admin: {
            "role": "admin",
            "state": "active",
            "expires": "never",
            "organisation": first,
            "name": "first admin",
        },
        buyer: {
            "role": "buyer",
            "state": "active",
            "expires": "never",
            "organisation": first,
            "name": "A buyer",
        },
        auditor: {
            "role": "auditor",
            "state": "revoked",
            "expires": "never",
            "organisation": first,
            "name": "An auditor",
        },
        other: {
            "role": "admin",
            "state": "active",
            "expires": "never",
            "organisation": second,
            "name": "Other admin",
        },
    }
    secrets = [admin_key, buyer_secret, auditor_secret, other_secret]
    for secret in secrets:
        assert split_key(secret)[1] not in result.output
    assert not KEY.search(result.output)

    only_second = invoke("keys", "list", "--organisation", second, database_url=database_url)
    assert only_second.exit_code == 0, only_second.output
    assert list(parse_list(only_second.stdout)) == [other]
    only_first = invoke("keys", "list", "--organisation", first, database_url=database_url)
    assert sorted(parse_list(only_first.stdout)) == sorted([admin, buyer, auditor])


def test_keys_revoke_shuts_the_key_out_at_once(started):
    database_url, admin_key = started
    prefix, secret, _ = create_key(database_url, "--role", "buyer", "--name", "Leaving buyer")
    with api(database_url) as app:
        client = client_with_key(app, secret)
        assert client.get("/v1/vendors").status_code == 200

        result = invoke("keys", "revoke", prefix, database_url=database_url)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"revoked {prefix} (buyer, Leaving buyer)\n"

        # The same running app, no restart: the next request is refused.
        assert_unauthorized(client.get("/v1/vendors"), "revoked")
        assert_unauthorized(client.post("/v1/vendors", json={"name": "Too late"}), "revoked")
        assert client_with_key(app, admin_key).get("/v1/vendors").status_code == 200
    revoked_at = key_row(database_url, prefix)["revoked_at"]
    assert revoked_at is not None

    # Revoking again changes nothing; an unknown prefix is an error.
    again = invoke("keys", "revoke", prefix, database_url=database_url)
    assert again.exit_code == 0, again.output
    assert key_row(database_url, prefix)["revoked_at"] == revoked_at
    unknown = invoke("keys", "revoke", "eth_00000000", database_url=database_url)
    assert unknown.exit_code != 0
    assert "Error: no key has the prefix eth_00000000" in unknown.stderr
    assert counts(database_url)["vendors"] == 0


def test_keys_create_with_an_expiry(started):
    database_url, _admin_key = started
    before = dt.datetime.now(dt.UTC)
    prefix, secret, _ = create_key(
        database_url, "--role", "buyer", "--name", "Temporary", "--expires-in-days", "30"
    )
    after = dt.datetime.now(dt.UTC)
    expires_at = key_row(database_url, prefix)["expires_at"]
    assert expires_at is not None
    assert before + dt.timedelta(days=30) <= expires_at <= after + dt.timedelta(days=30)

    listed = parse_list(invoke("keys", "list", database_url=database_url).stdout)
    assert dt.datetime.fromisoformat(listed[prefix]["expires"]) == expires_at
    assert listed[prefix]["state"] == "active"

    with api(database_url) as app:
        client = client_with_key(app, secret)
        assert client.get("/v1/vendors").status_code == 200
        # Once the day has come, the key is refused.
        engine = make_engine(database_url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    update(ApiKey.__table__)
                    .where(ApiKey.__table__.c.prefix == prefix)
                    .values(expires_at=dt.datetime.now(dt.UTC))
                )
        finally:
            engine.dispose()
        assert_unauthorized(client.get("/v1/vendors"), "expired")

    # At least a day; a zero or negative expiry is a usage error, and writes nothing.
    for days in ("0", "-1"):
        message = refused(
            database_url, "--role", "buyer", "--name", "Never", "--expires-in-days", days
        )
        assert "--expires-in-days" in message


def test_only_the_digest_of_a_secret_is_stored(started):
    database_url, admin_key = started
    with api(database_url) as app:
        vendor = new_vendor(client_with_key(app, admin_key), "Vendor Ltd")
    secrets = {admin_key[:12]: admin_key}
    for role in ROLES:
        options = ["--role", role, "--name", f"{role} key"]
        options += ["--vendor", vendor] if role == "vendor" else []
        prefix, secret, _ = create_key(database_url, *options)
        secrets[prefix] = secret
    create_key(database_url, "--role", "buyer", "--name", "later", "--expires-in-days", "1")

    stored = {row["prefix"]: row for row in rows(database_url, ApiKey)}
    assert set(secrets) <= set(stored)
    values = every_value(database_url)
    for prefix, secret in secrets.items():
        row = stored[prefix]
        assert row["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
        random_part = secret.removeprefix(f"{prefix}_")
        # Not in the key's row, nor anywhere else in the database.
        assert not any(random_part in str(value) for value in row.values())
        assert not any(random_part in value for value in values)
    if make_url(database_url).get_backend_name() == "sqlite":
        # Nor in the file's bytes (free pages, the write-ahead log).
        path = Path(make_url(database_url).database)
        raw = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
        assert raw
        for secret in secrets.values():
            assert split_key(secret)[1].encode() not in raw


# --- a criteria file changed after it was used for scoring -------------------------------------


def submit_through_api(database_url: str, criteria_dir: Path, key: str) -> None:
    with api(database_url, criteria_dir) as app:
        client = client_with_key(app, key)
        vendor = client.post("/v1/vendors", json={"name": "Fingerprint Ltd"})
        assert vendor.status_code == 201, vendor.json
        criteria_set = app.extensions["catalog"].default
        assessment = client.post(
            f"/v1/vendors/{vendor.json['id']}/assessments",
            json={
                "criteria_set": criteria_set.ref,
                "assessor": "Evaluator",
                "answers": answers_for(criteria_set, "strong", 0),
            },
        )
        assert assessment.status_code == 201, assessment.json


@pytest.fixture(params=["demo", "api"])
def changed_criteria(request, fresh_db, tmp_path):
    """A database that scored against mini@1, whose file was edited afterwards.

    Returns (database URL, criteria folder, sha256 recorded, sha256 of the file now).
    """
    criteria_dir = tmp_path / "criteria"
    criteria_dir.mkdir()
    copy = criteria_dir / "mini-1.yaml"
    shutil.copy(MINI, copy)
    upgraded = invoke("db", "upgrade", database_url=fresh_db, criteria_dir=criteria_dir)
    assert upgraded.exit_code == 0, upgraded.output
    admin_key, _lines = first_start(upgraded.stdout)
    if request.param == "demo":
        result = invoke("demo", database_url=fresh_db, criteria_dir=criteria_dir)
        assert result.exit_code == 0, result.output
    else:
        submit_through_api(fresh_db, criteria_dir, admin_key)
    recorded = load_file(copy).sha256
    source = MINI.read_text()
    assert source.count("weight: 3\n") == 1
    copy.write_text(source.replace("weight: 3\n", "weight: 4\n"))
    now = load_file(copy).sha256
    assert now != recorded
    return fresh_db, criteria_dir, recorded, now


@pytest.fixture
def opened_databases(monkeypatch):
    """Every Database that create_app opens during the test; all disposed afterwards."""
    opened: list[ethics_api.Database] = []

    class Tracked(ethics_api.Database):
        def __init__(self, url, *options):
            super().__init__(url, *options)
            opened.append(self)

    monkeypatch.setattr(ethics_api, "Database", Tracked)
    yield opened
    for database in opened:
        database.dispose()


def assert_names_the_change(message: str, criteria_dir: Path, recorded: str, now: str) -> None:
    assert "mini@1" in message
    assert recorded in message
    assert now in message
    assert str(criteria_dir / "mini-1.yaml") in message
    assert "Traceback" not in message


def test_create_app_refuses_a_changed_criteria_file(changed_criteria):
    database_url, criteria_dir, recorded, now = changed_criteria
    with pytest.raises(CriteriaError) as raised:
        create_app({"DATABASE_URL": database_url, "CRITERIA_DIR": criteria_dir})
    assert_names_the_change(str(raised.value), criteria_dir, recorded, now)


@pytest.mark.parametrize("command", [["db", "upgrade"], ["demo"]], ids=["db-upgrade", "demo"])
def test_commands_refuse_a_changed_criteria_file(changed_criteria, command):
    database_url, criteria_dir, recorded, now = changed_criteria
    before = counts(database_url)
    result = invoke(*command, database_url=database_url, criteria_dir=criteria_dir)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: the service cannot start:\n")
    assert_names_the_change(result.stderr, criteria_dir, recorded, now)
    assert counts(database_url) == before


def test_create_app_closes_its_connections_when_it_refuses(changed_criteria, opened_databases):
    # Left open, they would surface later as ResourceWarnings (errors in this suite).
    database_url, criteria_dir, _recorded, _now = changed_criteria
    with pytest.raises(CriteriaError):
        create_app({"DATABASE_URL": database_url, "CRITERIA_DIR": criteria_dir})
    (refused,) = opened_databases
    assert refused.engine.pool.checkedin() == 0


@pytest.mark.parametrize(
    "command",
    [["db", "upgrade"], ["serve", "--bind", "127.0.0.1:{port}", "--workers", "1"]],
    ids=["db-upgrade", "serve"],
)
def test_installed_script_exits_without_a_traceback(changed_criteria, command):
    database_url, criteria_dir, recorded, now = changed_criteria
    args = [part.format(port=free_port()) for part in command]
    returncode, stdout, stderr = run_command(
        *args, database_url=database_url, criteria_dir=criteria_dir
    )
    assert returncode != 0
    assert "Traceback" not in stdout
    assert "Serving on" not in stderr
    assert_names_the_change(stderr, criteria_dir, recorded, now)
    assert stderr.startswith("Error: the service cannot start:\n")


def test_restoring_the_file_lets_the_service_start_again(changed_criteria):
    database_url, criteria_dir, _recorded, _now = changed_criteria
    shutil.copy(MINI, criteria_dir / "mini-1.yaml")
    result = invoke("db", "upgrade", database_url=database_url, criteria_dir=criteria_dir)
    assert result.exit_code == 0, result.output
    assert_no_first_start(result.stdout, result.stderr)  # not a first start: keys exist


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ETHICS_RATELIMIT_DEFAULT", "lots", "RATE_LIMIT_DEFAULT is 'lots'"),
        ("ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS", "maybe", "must be true or false, not 'maybe'"),
    ],
)
def test_a_bad_setting_stops_a_command_with_a_message_not_a_traceback(
    tmp_path, monkeypatch, variable, value, named
):
    # A database of its own: a shared one may hold other sets' fingerprints, refused first.
    monkeypatch.setenv(variable, value)
    result = invoke("db", "upgrade", database_url=f"sqlite:///{tmp_path / 'ethics.db'}")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the service cannot start: ")
    assert named in result.stderr


# --- people --------------------------------------------------------------------------------------


def test_a_name_is_one_person_and_a_second_key_goes_to_them_on_purpose(started):
    """`keys create --name` makes a new person; the same name again is refused (it would be
    another identity for the same name), and `--person` gives that person another key."""
    database_url, _ = started
    _, first, described = create_key(database_url, "--role", "assessor", "--name", "Ann Lee")
    assert "for Ann Lee" in described
    message = refused(database_url, "--role", "assessor", "--name", "Ann Lee")
    assert "A person named 'Ann Lee' exists" in message
    assert "another key" in message
    _, second, _ = create_key(database_url, "--role", "assessor", "--person", "Ann Lee")
    with api(database_url) as app:
        for key in (first, second):
            me = client_with_key(app, key)
            assert me.get("/v1/people").status_code == 200
        people = client_with_key(app, first).get("/v1/people").json
    assert [p["name"] for p in people].count("Ann Lee") == 1
    assert "give --person" in refused(database_url, "--role", "assessor")
    assert "give --person" in refused(
        database_url, "--role", "assessor", "--person", "Ann Lee", "--name", "Ann Lee"
    )
    assert "No person 'Nobody'" in refused(database_url, "--role", "auditor", "--person", "Nobody")


def test_people_are_created_and_listed_on_the_command_line(started):
    database_url, _ = started
    made = invoke(
        "people",
        "create",
        "--name",
        "Bo Chen",
        "--email",
        "bo@x.example",
        database_url=database_url,
    )
    assert made.exit_code == 0, made.output
    assert "Bo Chen" in made.stdout
    again = invoke("people", "create", "--name", "Bo Chen", database_url=database_url)
    assert again.exit_code == 1 and "exists" in again.stderr
    bad = invoke(
        "people", "create", "--name", "Bo", "--email", "not an address", database_url=database_url
    )
    assert bad.exit_code == 1 and "--email" in bad.stderr
    listed = invoke("people", "list", database_url=database_url)
    assert listed.exit_code == 0
    assert "Bo Chen  bo@x.example" in listed.stdout
    assert "first admin" in listed.stdout


def test_people_are_invited_to_sign_in_on_the_command_line(started):
    """The link is printed once: only its digest is kept, and a second invitation replaces
    the first."""
    database_url, _ = started
    invoke(
        "people",
        "create",
        "--name",
        "Mo Ahmed",
        "--email",
        "mo@x.example",
        database_url=database_url,
    )
    invoke("people", "create", "--name", "No Mail", database_url=database_url)
    first = invoke(
        "people", "invite", "--person", "Mo Ahmed", "--role", "moderator", database_url=database_url
    )
    assert first.exit_code == 0, first.output
    assert "invited Mo Ahmed <mo@x.example> to sign in as moderator" in first.stdout
    token = re.search(r"http://127\.0\.0\.1:8000/invitations/(\S+)", first.stdout)[1]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                select(Person.invitation_digest, Person.sign_in_role).where(
                    Person.name == "Mo Ahmed"
                )
            ).one()
    finally:
        engine.dispose()
    assert stored.sign_in_role == "moderator"
    assert token not in str(stored) and len(stored.invitation_digest) == 64
    nameless = invoke(
        "people", "invite", "--person", "No Mail", "--role", "assessor", database_url=database_url
    )
    assert nameless.exit_code == 1 and "no email address" in nameless.stderr
    vendorless = invoke(
        "people", "invite", "--person", "Mo Ahmed", "--role", "vendor", database_url=database_url
    )
    assert vendorless.exit_code == 1 and "exactly one vendor" in vendorless.stderr
