"""Starting and stopping a real `ethics-api serve` (gunicorn) in the tests."""

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

START_TIMEOUT = 20  # seconds for gunicorn to answer /healthz
STOP_TIMEOUT = 20  # seconds for a graceful stop after SIGTERM


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
        time.sleep(0.2)
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
