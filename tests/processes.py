"""Starting and stopping a real `ethics-api serve` (gunicorn) in the tests, and holding what
another process would hold."""

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import TEST_CRITERIA

START_TIMEOUT = 20  # seconds for gunicorn to answer /healthz
STOP_TIMEOUT = 20  # seconds for a graceful stop after SIGTERM


@contextmanager
def gate_held(lock_file: str) -> Iterator[Callable[[], None]]:
    """SQLite's write gate (`write_gate.lock_file`) held by an open file of its own, as
    another process writing would hold it, until the block ends; yields a function that lets
    it go sooner."""
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield lambda: fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ethics_api_command() -> str:
    """The `ethics-api` script installed next to this Python, else the one on PATH."""
    found = shutil.which("ethics-api", path=Path(sys.executable).parent) or shutil.which(
        "ethics-api"
    )
    assert found, "the ethics-api script is not installed next to this Python"
    return found


def wait_until_up(port: int, process: subprocess.Popen, log_text: Callable[[], str]) -> None:
    """Poll /healthz until it answers; fail with the server's log if it dies or never does."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log_text()}")
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    pytest.fail(f"serve did not answer /healthz within {START_TIMEOUT} s:\n{log_text()}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (gunicorn and its workers), then wait."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            process.wait()


@dataclass
class Running:
    """A started `ethics-api serve`: its port, its process and the files its output went to."""

    port: int
    process: subprocess.Popen  # gunicorn's master: `ethics-api serve` runs it in its own process
    stdout: Path  # stderr too, unless that has a file of its own
    stderr: Path | None

    def stdout_text(self) -> str:
        return self.stdout.read_text(errors="replace")

    def stderr_text(self) -> str:
        assert self.stderr is not None, "stderr went to the stdout file: read log_text()"
        return self.stderr.read_text(errors="replace")

    def log_text(self) -> str:
        """All of its output: stderr, then stdout, when they are apart."""
        if self.stderr is None:
            return self.stdout_text()
        return f"--- stderr\n{self.stderr_text()}--- stdout\n{self.stdout_text()}"


KEY_FILE = re.compile(r"^\s+(/\S*/admin-key-eth_[0-9a-f]{8})$", re.MULTILINE)


def first_admin_key(log_text: str) -> str:
    """The admin key a first start wrote to a file, read from the path `serve` printed; the
    file is then deleted, as an operator is told to once the key is kept."""
    found = KEY_FILE.findall(log_text)
    assert len(found) == 1, f"no single admin key file in the first start's output:\n{log_text}"
    path = Path(found[0])
    key = path.read_text().strip()
    path.unlink()
    return key


@contextmanager
def serving(
    folder: Path,
    database_url: str,
    workers: int,
    settings: dict[str, str] | None = None,
    *,
    name: str = "serve",
    separate_stderr: bool = False,
    script: str | None = None,
    criteria: Path | None = TEST_CRITERIA,
) -> Iterator[Running]:
    """`ethics-api serve` on `database_url` with the test criteria, up until the block ends.

    Its environment holds no ETHICS_* or GUNICORN_* variables but the `settings` given (full
    names: ETHICS_...). It runs in `folder` and writes to `folder`/`name`.log, or to `name`.out
    and `name`.err with `separate_stderr`. Yielded once it answers /healthz; on leaving, it is
    stopped, and must have exited with 0 and logged no traceback. `script`: another
    `ethics-api` to run; `criteria`: None for the sets the package carries.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETHICS_", "GUNICORN_"))}
    env["ETHICS_DATABASE_URL"] = database_url
    if criteria is not None:
        env["ETHICS_CRITERIA_DIR"] = str(criteria)
    env.update(settings or {})
    stdout = folder / f"{name}.out" if separate_stderr else folder / f"{name}.log"
    stderr = folder / f"{name}.err" if separate_stderr else None
    command = [script or ethics_api_command(), "serve", "--bind", f"127.0.0.1:{port}"]
    # Without a file of its own, stderr goes where stdout does.
    stderr_file = stderr.open("wb") if stderr else nullcontext(subprocess.STDOUT)
    with stdout.open("wb") as stdout_to, stderr_file as stderr_to:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=stdout_to,
            stderr=stderr_to,
            start_new_session=True,  # its own process group, so the workers stop with it
        )
    running = Running(port, process, stdout, stderr)
    try:
        wait_until_up(port, process, running.log_text)
        yield running
    finally:
        stop(process)
    log_text = running.log_text()
    assert process.returncode == 0, f"serve did not stop cleanly:\n{log_text}"
    assert "Traceback" not in log_text, log_text
