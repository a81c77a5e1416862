"""`ethics-api serve` for real: gunicorn with two workers on a SQLite file, spoken to over HTTP.

The database starts empty: that the API answers at all proves `serve` migrated it first, and a
vendor created through one connection and read back through several others proves the workers
share it. On that first start `serve` creates the first organisation and its admin key, writes
the key to a file only its user may read and prints the file's path on stderr, never the key
(stderr is the server's log); the tests read the file, as an operator would, and send the key.
Only the standard library speaks HTTP here.
"""

import gc
import http.client
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ethics_api import create_app
from ethics_api.serving import Service, freeze_what_the_app_built

import processes
from browser import rendered_dom
from conftest import split_key

PROBLEM_JSON = "application/problem+json"
KEY = re.compile(r"eth_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
FIRST_START = "First start: created the organisation 'Default organisation' and its admin key."
WWW_AUTHENTICATE = 'Bearer realm="ethics-api"'
ADMIN = object()  # send the server's admin key


class Server:
    """A started `ethics-api serve`, spoken to over HTTP; sends its admin key once that is read."""

    def __init__(self, running: processes.Running):
        self.host = "127.0.0.1"
        self.port = running.port
        self.base = f"http://{self.host}:{self.port}"
        self.folder = running.stdout.parent
        self.stdout_text = running.stdout_text
        self.stderr_text = running.stderr_text
        self.log_text = running.log_text
        self.admin_key: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers=None, key=ADMIN):
        """(status, headers, body bytes), on a new connection every time.

        Sends the admin key unless told another (`key`) or none (key=None).
        """
        headers = dict(headers or {})
        key = self.admin_key if key is ADMIN else key
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, document=None, key=ADMIN):
        body = None if document is None else json.dumps(document).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        status, response_headers, data = self.request(method, path, body, headers, key)
        return status, response_headers, json.loads(data) if data else None


def written_admin_key(text: str) -> str:
    """The admin key in the file a first start's block names, which only its user may read."""
    assert text.count(FIRST_START) == 1, text
    assert not KEY.search(text), text
    path = Path(processes.KEY_FILE.search(text)[1])
    assert path.stat().st_mode & 0o777 == 0o600
    key = processes.first_admin_key(text)
    assert KEY.fullmatch(key), key
    return key


@contextmanager
def serving(folder: Path, name: str, workers: int) -> Iterator[Server]:
    """`ethics-api serve` on the SQLite file in `folder`, until the block ends."""
    database_url = f"sqlite:///{folder / 'ethics.db'}"
    # stdout (gunicorn's access log) and stderr (everything else) apart, to tell which one the
    # admin key is printed on.
    with processes.serving(
        folder, database_url, workers, name=name, separate_stderr=True
    ) as running:
        yield Server(running)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    with serving(folder, "serve", workers=2) as running:
        # The first start wrote the admin key to a file, and printed where on stderr.
        running.admin_key = written_admin_key(running.stderr_text())
        yield running
    # Never the key in the log: not in the access log, not on stderr.
    secret = split_key(running.admin_key)[1]
    assert secret not in running.stdout_text()
    assert secret not in running.stderr_text()


def test_serve_migrated_on_start_and_logs_where(server):
    log = server.log_text()
    assert "Database sqlite:///" in log and "is current." in log
    assert f"Serving on http://127.0.0.1:{server.port}" in log
    # /healthz answers once one worker is up; the second may still be booting.
    deadline = time.monotonic() + 20
    while server.log_text().count("Booting worker") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.log_text().count("Booting worker") >= 2
    # No control socket: one in the home folder would be shared by every instance on the host.
    assert "control socket" not in server.log_text().lower()


def test_serve_printed_where_the_admin_key_is_once_on_stderr(server):
    stderr = server.stderr_text()
    assert stderr.count(FIRST_START) == 1
    assert "Its key is not printed in the server's log" in stderr
    # Before the database line and serving: it is part of the start, not of a request.
    assert stderr.index(FIRST_START) < stderr.index("is current.") < stderr.index("Serving on")
    assert FIRST_START not in server.stdout_text()
    assert not KEY.search(server.stdout_text())


def test_healthz(server):
    # Probes need no key.
    status, headers, body = server.json("GET", "/healthz", key=None)
    assert headers.get_content_type() == "application/json"
    assert status == 200
    assert body == {"status": "ok"}


def test_readyz(server):
    status, _headers, body = server.json("GET", "/readyz", key=None)
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


def assert_unauthorized(status, headers, body, detail: str) -> None:
    assert status == 401, body
    assert headers.get_content_type() == PROBLEM_JSON
    assert headers["WWW-Authenticate"] == WWW_AUTHENTICATE
    problem = json.loads(body)
    assert problem["status"] == 401
    assert problem["title"] == "Unauthorized"
    assert detail in problem["detail"]


def test_a_request_without_a_key_is_401(server):
    assert_unauthorized(*server.request("GET", "/v1/vendors", key=None), "Send an API key")
    # Who calls is checked before the body is read: not even a broken one gets further.
    assert_unauthorized(
        *server.request(
            "POST", "/v1/vendors", b"{not json", {"Content-Type": "application/json"}, key=None
        ),
        "Send an API key",
    )
    # Another scheme is no key either.
    basic = {"Authorization": f"Basic {server.admin_key}"}
    assert_unauthorized(*server.request("GET", "/v1/vendors", None, basic, key=None), "Bearer")


def test_a_wrong_key_is_401_and_not_logged(server):
    prefix = split_key(server.admin_key)[0]
    wrong = f"{prefix}_{'A' * 43}"
    assert wrong != server.admin_key
    assert_unauthorized(*server.request("GET", "/v1/vendors", key=wrong), "not valid")
    assert_unauthorized(*server.request("GET", "/v1/vendors", key="eth_nonsense"), "not valid")
    # The refusal is logged with the visible prefix, never the secret that was tried.
    assert "A" * 43 not in server.log_text()


def test_docs_and_the_openapi_document_need_no_key(server):
    status, headers, spec = server.json("GET", "/openapi.json", key=None)
    assert status == 200, spec
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    status, headers, page = server.request("GET", "/docs", key=None)
    assert status == 200, page[:500]
    assert headers.get_content_type() == "text/html"


def test_a_later_start_prints_no_key_and_keeps_the_first(server):
    """A second `serve` on the same database (the first still running) creates nothing."""
    with serving(server.folder, "restart", workers=1) as again:
        stderr = again.stderr_text()
        assert "is current." in stderr
        assert FIRST_START not in stderr
        assert not KEY.search(stderr + again.stdout_text())
        status, _headers, vendors = again.json("GET", "/v1/vendors", key=server.admin_key)
        assert status == 200, vendors
        assert_unauthorized(*again.request("GET", "/v1/vendors", key=None), "Send an API key")


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


def test_docs_page_shows_every_operation_in_a_real_browser(server, tmp_path):
    """Swagger UI (served from the package, no CDN) renders the OpenAPI 3.1 document."""
    spec = server.json("GET", "/openapi.json")[2]
    dom = rendered_dom(f"http://127.0.0.1:{server.port}/docs", tmp_path / "profile")
    assert spec["info"]["title"] in dom
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation["summary"] in dom, (method, path)


def test_each_worker_moves_what_its_app_built_out_of_the_collectors_reach():
    """A full garbage collection walked every object the app built (some 150,000) and took
    over 100 ms; once each worker freezes them after loading its app, it walks only what
    requests left behind."""
    service = Service(create_app, "127.0.0.1:0", workers=1)
    assert service.cfg.post_worker_init is freeze_what_the_app_built
    tracked = len(gc.get_objects())
    try:
        freeze_what_the_app_built(None)
        assert gc.get_freeze_count() >= tracked // 2
        assert len(gc.get_objects()) < tracked // 10
    finally:
        gc.unfreeze()
