"""A wheel that installs: built from the repository and installed in a fresh virtual
environment, away from the source tree, it checks and serves the criteria it carries with no
setting at all."""

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from processes import first_admin_key, serving

ROOT = Path(__file__).parent.parent
LOCAL_STATE = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "instance", "__pycache__")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `ethics-api` script of a fresh virtual environment holding only the built wheel.

    Its dependencies come from the tests' own environment, through a path file that puts them
    after the new environment's own packages: the `ethics_api` imported is the wheel's.
    """
    folder = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the sources alone: a build folder left in the repository by an
    # earlier build must not lend the wheel files its own list leaves out.
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_STATE))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", folder, source], check=True)
    [wheel] = folder.glob("ethics_api-*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", wheel], check=True)
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "ethics-api"


def test_the_installed_package_checks_the_criteria_it_carries(installed, tmp_path):
    result = subprocess.run(
        [installed, "criteria", "check"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shipped = sorted(p.name for p in (ROOT / "criteria").glob("*.yaml"))
    checked = re.findall(r"^ok  \S+ .* (\S+)$", result.stdout, re.MULTILINE)
    assert sorted(Path(path).name for path in checked) == shipped
    # Read from the environment the wheel went into, not from this repository.
    assert all(str(installed.parent.parent) in path for path in checked), result.stdout


def test_the_installed_package_serves_scorecards(installed, tmp_path):
    database = f"sqlite:///{tmp_path / 'ethics.db'}"
    with serving(tmp_path, database, workers=1, script=str(installed), criteria=None) as server:
        key = first_admin_key(server.log_text())

        def call(method: str, path: str, body: dict | None = None) -> dict:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}{path}",
                method=method,
                data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)

        vendor = call("POST", "/v1/vendors", {"name": "Acme Analytics Ltd"})
        assessment = json.loads((ROOT / "examples" / "assessment.json").read_text())
        call("POST", f"/v1/vendors/{vendor['id']}/assessments", assessment)
        scorecard = call("GET", f"/v1/vendors/{vendor['id']}/scorecard")
        # The pages and the compiled GOV.UK Frontend they use come with the package.
        for path in ("/sign-in", "/static/govuk-frontend/govuk-frontend.min.css", "/static/app.js"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}") as response:
                assert response.status == 200 and response.read(), path
    # The README's worked example: 0.15 x 50 + 0.85 x 75.
    assert (scorecard["criteria_set"]["ref"], scorecard["total"]) == ("ai-ethics@2", 71.25)
