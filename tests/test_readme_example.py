"""The README's curl session gives the numbers the README shows, worked out there by hand,
and its commands run as written, against a real service, and run again."""

import json
import os
import re
import subprocess

import pytest

import processes
from conftest import PROJECT_CRITERIA, TESTS

EXAMPLE = TESTS.parent / "examples" / "assessment.json"
README = TESTS.parent / "README.md"


def test_example_assessment_scores_as_the_readme_says(make_app):
    client = make_app(CRITERIA_DIR=PROJECT_CRITERIA).test_client()
    vendor = client.post(
        "/v1/vendors",
        json={"name": "Acme Analytics Ltd", "identifier": {"scheme": "GB-COH", "id": "09999999"}},
    )
    body = json.loads(EXAMPLE.read_text())
    submitted = client.post(f"{vendor.headers['Location']}/assessments", json=body)
    assert submitted.status_code == 201, submitted.json
    card = client.get(f"{vendor.headers['Location']}/scorecard").json
    # Transparency 50, the others 75; weights 25/20/20/15/20 -> 0.15 * 50 + 0.85 * 75.
    assert card["criteria_set"]["ref"] == "ai-ethics@2"
    assert card["total"] == 71.25
    assert card["grade"] == "B"
    assert card["eligible"] is True
    assert card["tier"] == "very-high"  # standalone: the strictest minimum levels
    assert card["confidence"]["score"] == 70.0
    assert card["confidence"]["band"] == "medium"
    assert [c["score"] for c in card["criteria"]] == [75.0, 75.0, 75.0, 50.0, 75.0]
    assert [c["contribution"] for c in card["criteria"]] == [18.75, 15.0, 15.0, 7.5, 15.0]
    readme = README.read_text()
    for shown in (
        '"total": 71.25',
        '"grade": "B"',
        '"score": 70.0',
        "18.75, 15, 15, 7.5, 15",
    ):
        assert shown in readme


# --- the README's curl sessions, run as written, twice -------------------------------------------

SESSIONS = ("## A session with curl", "## A procurement with curl")


def shell_blocks(readme: str, section: str) -> list[str]:
    """The ```sh blocks of one section of the README, in order."""
    text = readme.split(section, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def readme_session(key: str, root: str) -> str:
    """The README's commands from creating a vendor to the award documents, as one script,
    with the admin key and address of the service under test put in."""
    readme = README.read_text()
    script = "\n".join(block for s in SESSIONS for block in shell_blocks(readme, s))
    script = script.replace("KEY=eth_1a2b3c4d_...", f"KEY={key}")
    return script.replace("http://127.0.0.1:8000", root)


@pytest.fixture
def served(tmp_path):
    """`ethics-api serve` with the shipped criteria on a fresh SQLite file, and its admin key."""
    with processes.serving(
        tmp_path, f"sqlite:///{tmp_path / 'ethics.db'}", 1, criteria=None, separate_stderr=True
    ) as running:
        yield running, processes.first_admin_key(running.stderr_text())


def test_the_readme_sessions_run_and_run_again(served, tmp_path):
    running, key = served
    script = readme_session(key, f"http://127.0.0.1:{running.port}")
    outputs = []
    for run in (1, 2):
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=README.parent,
            env={**os.environ, "TMPDIR": str(folder)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "KeyError" not in done.stderr, done.stderr
        # Each run reaches the end: the Markdown summary, the page written where it should be.
        assert "# Assessment summary: Beacon Systems Ltd" in done.stdout
        assert (folder / "summary.html").read_text().lower().startswith("<!doctype html>")
        outputs.append(done.stdout)
    # Nothing was written into the repository, and the second run did it all again.
    assert not (README.parent / "summary.html").exists()
    # Acme's overall result, as the README works it out: 0.2 x 72.5 + 0.6 x 90 + 0.2 x 70.
    assert all("Overall: 82.5 of 100." in output for output in outputs)
