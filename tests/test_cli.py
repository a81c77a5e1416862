"""The `ethics-api` command: criteria check, db upgrade, demo, and refusing changed criteria.

Each test gets its own fresh database: a SQLite file under tmp_path, or (when
ETHICS_TEST_DATABASE_URL is set) a new PostgreSQL schema, dropped afterwards, that the
connection reaches through its search_path. The command is configured only through its
ETHICS_* environment variables, as in production.
"""

import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, make_url, select, text

import ethics_api
from ethics_api import create_app, migrate
from ethics_api.cli import main
from ethics_api.criteria import CriteriaError, load_catalog, load_file
from ethics_api.db import make_engine
from ethics_api.demo import VENDORS, answers_for
from ethics_api.models import Assessment, Base

from conftest import PROJECT_CRITERIA, TEST_CRITERIA, postgres_url

# Every table of the models, plus Alembic's own.
TABLES = {*Base.metadata.tables, "alembic_version"}
MINI = TEST_CRITERIA / "mini-1.yaml"


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
    assert refs == ["ai-ethics@1", "mini@1"]


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


# --- demo ----------------------------------------------------------------------------------------


def scorecards(database_url: str, criteria_dir: Path) -> dict[str, dict]:
    """Every vendor's scorecard by profile, through the API's own test client."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "CRITERIA_DIR": criteria_dir})
    try:
        client = app.test_client()
        vendors = client.get("/v1/vendors").json
        profiles = {spec["name"]: spec["profile"] for spec in VENDORS}
        cards = {}
        for vendor in vendors:
            response = client.get(f"/v1/vendors/{vendor['id']}/scorecard")
            assert response.status_code == 200, response.json
            cards[profiles[vendor["name"]]] = response.json
        return cards
    finally:
        app.extensions["db"].dispose()


@pytest.mark.parametrize(
    "criteria_dir", [PROJECT_CRITERIA, TEST_CRITERIA], ids=["project", "tests"]
)
def test_demo_loads_three_vendors_once(fresh_db, criteria_dir):
    first = invoke("demo", database_url=fresh_db, criteria_dir=criteria_dir)
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines and all(line.startswith("created ") for line in lines), lines
    vendor_lines = [line for line in lines if "scorecard: /v1/vendors/" in line]
    assert len(vendor_lines) == 3
    loaded = counts(fresh_db)
    assert (loaded["vendors"], loaded["assessments"], loaded["criteria_versions"]) == (3, 6, 1)

    engine = make_engine(fresh_db)
    try:
        with engine.connect() as connection:
            per_vendor = connection.execute(
                select(Assessment.vendor_id, func.count()).group_by(Assessment.vendor_id)
            ).all()
    finally:
        engine.dispose()
    assert sorted(n for _, n in per_vendor) == [2, 2, 2]

    second = invoke("demo", database_url=fresh_db, criteria_dir=criteria_dir)
    assert second.exit_code == 0, second.output
    again = second.stdout.splitlines()
    assert [line.split("  ")[0] for line in again] == ["already loaded"] * len(lines)
    # The same links, and not one row more in any table.
    assert [line.split()[-1] for line in again] == [line.split()[-1] for line in lines]
    assert counts(fresh_db) == loaded

    cards = scorecards(fresh_db, criteria_dir)
    default_set = load_catalog(criteria_dir).default
    assert set(cards) == {"strong", "knockout", "disputed"}

    strong = cards["strong"]
    assert strong["eligible"] is True
    assert strong["knockouts"] == []
    assert strong["needs_moderation"] is False

    knockout = cards["knockout"]
    assert knockout["eligible"] is False
    assert any(k["kind"] == "indicator" and k["value"] == 0 for k in knockout["knockouts"])

    disputed = cards["disputed"]
    assert disputed["needs_moderation"] is True
    assert len(disputed["disagreements"]) >= 1
    assert all(d["spread"] >= 2 for d in disputed["disagreements"])

    for card in cards.values():
        assert len(card["assessors"]) == 2
        assert card["criteria_set"]["sha256"] == default_set.sha256


# --- a criteria file changed after it was used for scoring -------------------------------------


def submit_through_api(database_url: str, criteria_dir: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "CRITERIA_DIR": criteria_dir})
    try:
        client = app.test_client()
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
    finally:
        app.extensions["db"].dispose()


@pytest.fixture(params=["demo", "api"])
def changed_criteria(request, fresh_db, tmp_path):
    """A database that scored against mini@1, whose file was edited afterwards.

    Returns (database URL, criteria folder, sha256 recorded, sha256 of the file now).
    """
    criteria_dir = tmp_path / "criteria"
    criteria_dir.mkdir()
    copy = criteria_dir / "mini-1.yaml"
    shutil.copy(MINI, copy)
    assert invoke("db", "upgrade", database_url=fresh_db, criteria_dir=criteria_dir).exit_code == 0
    if request.param == "demo":
        result = invoke("demo", database_url=fresh_db, criteria_dir=criteria_dir)
        assert result.exit_code == 0, result.output
    else:
        submit_through_api(fresh_db, criteria_dir)
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
        def __init__(self, url):
            super().__init__(url)
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
