"""`ethics-api serve` for real: gunicorn with two workers on a SQLite file, spoken to over HTTP.

The database starts empty: that the API answers at all proves `serve` migrated it first, and a
vendor created through one connection and read back through several others proves the workers
share it. Only the standard library speaks HTTP here.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import TEST_CRITERIA

START_TIMEOUT = 20  # seconds for gunicorn to answer /healthz
STOP_TIMEOUT = 20  # seconds for a graceful stop after SIGTERM
PROBLEM_JSON = "application/problem+json"


def ethics_api_command() -> str:
    found = shutil.which("ethics-api", path=Path(sys.executable).parent) or shutil.which(
        "ethics-api"
    )
    assert found, "the ethics-api script is not installed next to this Python"
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, port: int, log: Path):
        self.host = "127.0.0.1"
        self.port = port
        self.base = f"http://{self.host}:{port}"
        self.log = log

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, headers, body bytes), on a new connection every time."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, document=None):
        body = None if document is None else json.dumps(document).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        status, response_headers, data = self.request(method, path, body, headers)
        return status, response_headers, json.loads(data) if data else None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_up(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"serve did not answer /healthz within {START_TIMEOUT} s:\n{server.log_text()}")


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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    database = folder / "ethics.db"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ETHICS_", "GUNICORN_"))}
    env["ETHICS_DATABASE_URL"] = f"sqlite:///{database}"
    env["ETHICS_CRITERIA_DIR"] = str(TEST_CRITERIA)
    log = folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [ethics_api_command(), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the workers stop with it
        )
    try:
        running = Server(port, log)
        wait_until_up(running, process)
        yield running
    finally:
        stop(process)
    log_text = log.read_text(errors="replace")
    assert process.returncode == 0, f"serve did not stop cleanly:\n{log_text}"
    assert "Traceback" not in log_text, log_text


def test_serve_migrated_on_start_and_logs_where(server):
    log = server.log_text()
    assert "Database sqlite:///" in log and "is current." in log
    assert f"Serving on http://127.0.0.1:{server.port}" in log
    assert log.count("Booting worker") >= 2


def test_healthz(server):
    status, headers, body = server.json("GET", "/healthz")
    assert headers.get_content_type() == "application/json"
    assert status == 200
    assert body == {"status": "ok"}


def test_readyz(server):
    status, _headers, body = server.json("GET", "/readyz")
    assert status == 200, body
    assert body == {"status": "ready"}


def test_created_vendor_is_read_back_by_every_worker(server):
    status, headers, created = server.json(
        "POST", "/v1/vendors", {"name": "Gunicorn Analytics Ltd", "country": "GB"}
    )
    assert status == 201, created
    location = headers["Location"]
    assert location.rstrip("/").endswith(f"/v1/vendors/{created['id']}")
    path = location.removeprefix(server.base)
    # Each request opens a new connection, so the two workers both get to answer.
    for _ in range(10):
        status, _headers, read = server.json("GET", path)
        assert status == 200, read
        assert read["id"] == created["id"]
        assert read["name"] == "Gunicorn Analytics Ltd"


def test_unknown_path_is_problem_json_404(server):
    status, headers, body = server.request("GET", "/v1/no-such-thing")
    assert status == 404
    assert headers.get_content_type() == PROBLEM_JSON
    problem = json.loads(body)
    assert problem["status"] == 404
    assert problem["title"] == "Not Found"


def test_deeply_nested_json_is_a_400_not_a_crash(server):
    depth = 30_000
    body = b"[" * depth + b"]" * depth
    status, headers, data = server.request(
        "POST", "/v1/vendors", body, {"Content-Type": "application/json"}
    )
    assert status == 400, data[:500]
    assert headers.get_content_type() == PROBLEM_JSON
    problem = json.loads(data)
    assert problem["status"] == 400
    assert "nested too deeply" in problem["detail"]
    # The worker that parsed it is still serving.
    assert server.json("GET", "/healthz")[0] == 200


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ETHICS_REQUIRE_BROWSER"):
            pytest.fail("ETHICS_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium: the browser check of the docs page is not run")
    return found


def test_docs_page_shows_every_operation_in_a_real_browser(server, tmp_path):
    """Swagger UI (served from the package, no CDN) renders the OpenAPI 3.1 document."""
    spec = server.json("GET", "/openapi.json")[2]
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"http://127.0.0.1:{server.port}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = result.stdout
    assert spec["info"]["title"] in dom
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation["summary"] in dom, (method, path)
