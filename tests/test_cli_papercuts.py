"""What a newcomer meets first: the version, an error that says what to add, a template to
fill in rather than 43 answers typed from the criteria file, errors that end their line, and a
test run without PostgreSQL that says so once."""

import json
import os
import subprocess
import sys
from importlib.metadata import version

from click.testing import CliRunner

from ethics_api import create_app
from ethics_api.cli import main
from ethics_api.criteria import load_file

from conftest import TEST_CRITERIA, TESTS
from responses import assert_problem

MINI = load_file(TEST_CRITERIA / "mini-1.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"ETHICS_CRITERIA_DIR": str(TEST_CRITERIA)})


def test_the_version_is_the_installed_packages():
    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.output == f"ethics-api, version {version('ethics-api')}\n"


def test_a_vendor_key_without_its_vendor_says_what_to_add():
    result = run("keys", "create", "--role", "vendor", "--name", "Vic")
    assert result.exit_code == 1
    assert "add --vendor VENDOR_ID" in result.output


def template(ref: str = "mini@1") -> dict:
    result = run("criteria", "template", ref)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_template_lists_every_indicator_with_its_question_and_levels():
    body = template()
    assert body["criteria_set"] == "mini@1"
    assert [a["indicator"] for a in body["answers"]] == [i.key for i in MINI.indicators]
    for answer, indicator in zip(body["answers"], MINI.indicators, strict=True):
        hint = answer["level"]
        assert " ".join(indicator.question.split()) in hint
        for level, meaning in enumerate(indicator.levels):
            assert f"{level}: {' '.join(meaning.split())}" in hint
        assert ("not_applicable" in hint) == indicator.allow_not_applicable
    assert template("mini") == body  # a key alone: its latest version


def test_an_unknown_set_names_the_ones_there_are():
    result = run("criteria", "template", "nope@1")
    assert result.exit_code == 1
    assert "no criteria set nope@1" in result.output and "mini@1" in result.output


def test_a_template_is_refused_until_filled_then_accepted(client):
    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    body = {**template(), "assessor": "alice"}
    refused = assert_problem(client.post(f"{vendor_url}/assessments", json=body), 422)
    pointers = sorted(e["pointer"] for e in refused["errors"])
    assert pointers == sorted(f"/answers/{n}/level" for n in range(len(MINI.indicators)))
    for answer in body["answers"]:
        answer["level"] = 2
    accepted = client.post(f"{vendor_url}/assessments", json=body)
    assert accepted.status_code == 201, accepted.json
    # Every indicator at level 2 is half of every criterion: a total of 50.
    assert client.get(f"{vendor_url}/scorecard").json["total"] == 50.0


def test_problem_bodies_end_their_line(client):
    for response in (
        client.get("/v1/vendors/not-a-uuid"),
        client.get("/v1/nothing-here"),
        client.post("/v1/vendors", json={"name": ""}),
        client.delete("/openapi.json"),
    ):
        assert response.mimetype == "application/problem+json"
        assert response.get_data().endswith(b"}\n"), response.get_data()
        assert json.loads(response.get_data())["status"] == response.status_code


def test_the_readiness_problem_ends_its_line(tmp_path):
    """/readyz writes its own 503 problem: on a database never migrated, it too ends a line."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.db'}",
            "CRITERIA_DIR": TEST_CRITERIA,
        }
    )
    response = app.test_client().get("/readyz")
    assert (response.status_code, response.mimetype) == (503, "application/problem+json")
    assert response.get_data().endswith(b"}\n"), response.get_data()
    app.extensions["database"].dispose()


def collected(**environment: str) -> subprocess.CompletedProcess:
    """Collect this folder's OpenAPI type tests in a run of its own, with `environment`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETHICS_")}
    env.update(environment)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-n",
        "0",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(
        [*command, str(TESTS / "test_openapi_types.py")],
        env=env,
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_without_postgresql_says_so_once():
    result = collected()
    assert "[postgresql]" not in result.stdout
    assert "deselected" in result.stdout
    assert result.stdout.count("PostgreSQL half not run") == 1, result.stdout


def test_ci_keeps_the_postgresql_half_and_so_fails_without_its_database():
    result = collected(ETHICS_REQUIRE_POSTGRES="1")
    assert "[postgresql]" in result.stdout
    assert "PostgreSQL half not run" not in result.stdout


def test_names_given_on_the_command_line_follow_the_apis_rules():
    result = run("keys", "create", "--role", "buyer", "--name", "Eve\u202elyn")
    assert result.exit_code == 1
    assert "--name: Must not contain a direction override" in result.output
    result = run(
        "keys", "create", "--role", "buyer", "--name", "Bea", "--new-organisation", "Ci\x1bty"
    )
    assert result.exit_code == 1
    assert "--new-organisation: Must not contain a control character (U+001B" in result.output
