"""The edges of HTTP, where a client can send what the API's schemas never see.

In-process, on every backend: If-Match is entity-tag syntax or a 400 (an unquoted tag is
refused, a tag past any revision is a 412, not a database error); every kind of response
carries nosniff, no-store when the request carried credentials, and a Content-Security-Policy
(the docs' allowing its own scripts only); `serve` warns when rate limits count per worker.

Through a real `ethics-api serve` (gunicorn, two workers, SQLite): the access log holds no
credential however it was sent; the first admin key is in a file, never in the log; a chunked
body past the size limit is a 413, never cut and stored; the Server header is the service's;
gunicorn's own refusals (400, 414, 431) are problem details; and the docs render in chromium
under their policy.
"""

import base64
import datetime as dt
import hashlib
import http.client
import json
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from ethics_api.api.common import entity_tags
from ethics_api.headers import NOTHING_POLICY
from ethics_api.pages import PAGE_POLICY
from ethics_api.ratelimit import per_process_warning
from ethics_api.services.revisions import LARGEST_REVISION
from ethics_api.serving import CredentialFreeLogger

import processes
from conftest import client_with_key, split_key
from payloads import vendor
from responses import PROBLEM_JSON, assert_problem, created, ok

MIB = 1024 * 1024
KEY = re.compile(r"eth_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


# --- If-Match -----------------------------------------------------------------------------------


def new_vendor(client) -> str:
    return created(client.post("/v1/vendors", json=vendor("Tagged Ltd")))["id"]


def rename(client, vendor_id: str, if_match: str, name: str = "Renamed Ltd"):
    return client.patch(
        f"/v1/vendors/{vendor_id}", json={"name": name}, headers={"If-Match": if_match}
    )


@pytest.mark.parametrize(
    "tag",
    [
        f'"v{LARGEST_REVISION + 1}"',  # one past a 32-bit integer: PostgreSQL refused it, a 500
        '"v99999999999999999"',
        '"v' + "9" * 5000 + '"',  # past Python's limit for reading digits as a number
    ],
    ids=["2**31", "17 digits", "5000 digits"],
)
def test_an_if_match_past_any_revision_is_412_not_a_server_error(client, tag):
    vendor_id = new_vendor(client)
    assert_problem(rename(client, vendor_id, tag), 412)
    assert ok(client.get(f"/v1/vendors/{vendor_id}"))["name"] == "Tagged Ltd"


@pytest.mark.parametrize("value", ["v1", "W/v1", '"v1', 'v1"', '"v1" x', '"v1";"v2"', '"v 1"'])
def test_an_if_match_that_is_not_entity_tag_syntax_is_400(client, value):
    vendor_id = new_vendor(client)
    problem = assert_problem(rename(client, vendor_id, value), 400)
    assert "double quotes" in problem["detail"], problem
    assert ok(client.get(f"/v1/vendors/{vendor_id}"))["name"] == "Tagged Ltd"


@pytest.mark.parametrize("value", ['"v1"', '"v9", "v1"', ' , "v1" ,, ', '"x,y" ,"v1"', "*"])
def test_an_if_match_list_naming_the_version_applies(client, value):
    vendor_id = new_vendor(client)
    assert ok(rename(client, vendor_id, value))["name"] == "Renamed Ltd"


def test_a_weak_tag_matches_no_version(client):
    vendor_id = new_vendor(client)
    assert_problem(rename(client, vendor_id, 'W/"v1"'), 412)


def test_entity_tags_are_read_as_rfc_9110_writes_them():
    assert entity_tags('"a,b", W/"c" ,"",') == [(False, "a,b"), (True, "c"), (False, "")]
    assert entity_tags("") == []
    for broken in ('"a" "b"', 'w/"a"', '"a\x7f"', '"a"b', '*, "a"'):
        assert entity_tags(broken) is None, broken


# --- headers on every kind of response ----------------------------------------------------------


def test_every_kind_of_response_has_nosniff_and_no_store_when_credentials_were_sent(app):
    keyed = app.test_client()  # sends the admin key
    anonymous = client_with_key(app, None)
    vendor_id = new_vendor(keyed)
    responses = {
        "API JSON": keyed.get(f"/v1/vendors/{vendor_id}"),
        "a problem": keyed.get("/v1/no-such-thing"),
        "a refusal of a key": client_with_key(app, "eth_00000000_" + "A" * 43).get("/v1/vendors"),
        "a problem without a key": anonymous.get("/v1/vendors"),
        "the OpenAPI document": anonymous.get("/openapi.json"),
        "the docs": anonymous.get("/docs"),
        "the docs' scripts": anonymous.get("/docs/assets/swagger-ui-bundle.js"),
        "a static file": anonymous.get("/static/app.css"),
        "a page": anonymous.get("/sign-in"),
        "the docs with a key": keyed.get("/docs"),
    }
    for kind, response in responses.items():
        assert response.status_code < 500, kind
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], kind
        sent_a_key = kind in ("API JSON", "a problem", "a refusal of a key", "the docs with a key")
        no_store = response.headers.get("Cache-Control") == "no-store"
        assert no_store == (sent_a_key or kind == "a page"), kind
        response.close()
    assert responses["API JSON"].headers["Content-Security-Policy"] == NOTHING_POLICY
    assert responses["a page"].headers["Content-Security-Policy"] == PAGE_POLICY


def test_a_session_cookie_makes_a_response_no_store(app):
    anonymous = client_with_key(app, None)
    anonymous.set_cookie("ethics_session", "anything")
    response = anonymous.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_a_429_for_failed_authentications_has_the_headers_too(make_app):
    app = make_app(RATE_LIMIT_FAILED_AUTH="1 per minute")
    stranger = client_with_key(app, "eth_00000000_" + "B" * 43)
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    assert stranger.get("/v1/vendors").status_code == 401
    refused = stranger.get("/v1/vendors")
    assert_problem(refused, 429)
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert refused.headers["Cache-Control"] == "no-store"


def test_the_docs_allow_their_own_inline_script_by_its_hash_and_nothing_else(client):
    response = client.get("/docs")
    policy = response.headers["Content-Security-Policy"]
    (script,) = re.findall(rb"<script>(.*?)</script>", response.get_data(), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == f"'self' 'sha256-{digest}'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"  # the document, and "Try it out"


# --- the warning about rate limits per process --------------------------------------------------


def test_serve_warns_when_limits_count_per_worker():
    memory = {"RATE_LIMIT_DEFAULT": "300 per minute", "RATE_LIMIT_STORAGE_URI": "memory://"}
    warning = per_process_warning(memory, workers=2)
    assert warning and "ETHICS_RATELIMIT_STORAGE_URI=redis://" in warning
    assert "2 times the limit" in warning
    assert per_process_warning(memory, workers=1) is None
    shared = {**memory, "RATE_LIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert per_process_warning(shared, workers=4) is None
    off = {"RATE_LIMIT_DEFAULT": "off", "RATE_LIMIT_FAILED_AUTH": "off"}
    assert per_process_warning(off, workers=4) is None
    only_failures = {"RATE_LIMIT_DEFAULT": "off", "RATE_LIMIT_FAILED_AUTH": "20 per minute"}
    assert per_process_warning(only_failures, workers=3) is not None


# --- the access log ------------------------------------------------------------------------------


def test_no_access_log_format_can_show_a_credential():
    """Whatever format is configured, the atoms it can name hold no credential."""
    secret = "eth_0123abcd_" + "S" * 43
    basic = base64.b64encode(f"{secret}:".encode()).decode()
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/invitations/tok3n?key={secret}",
        "PATH_INFO": "/invitations/tok3n",
        "QUERY_STRING": f"key={secret}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": f"Basic {basic}",
        "HTTP_COOKIE": f"ethics_session={secret}",
        "HTTP_REFERER": f"https://x.example/invitations/tok3n?key={secret}",
    }
    request = SimpleNamespace(
        headers=[
            ("AUTHORIZATION", f"Basic {basic}"),
            ("COOKIE", f"ethics_session={secret}"),
            ("REFERER", environ["HTTP_REFERER"]),
        ]
    )
    response = SimpleNamespace(status="401 Unauthorized", headers=[], sent=0)
    logger = CredentialFreeLogger(Config())
    atoms = logger.atoms(response, request, environ, dt.timedelta(seconds=1))
    written = json.dumps(atoms)
    for leaked in (secret, basic, "tok3n"):
        assert leaked not in written, leaked
    assert atoms["r"] == "GET /invitations/[redacted] HTTP/1.1"
    assert atoms["u"] == "-"


# --- through gunicorn ---------------------------------------------------------------------------


class Served:
    def __init__(self, running: processes.Running, key: str):
        self.running, self.port, self.key = running, running.port, key

    def request(self, method, path, body=None, headers=None, key=True, chunked=False):
        """(status, headers, body) on a new connection; the key as a Bearer unless told not."""
        headers = dict(headers or {})
        if key:
            headers.setdefault("Authorization", f"Bearer {self.key}")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            try:
                connection.request(method, path, body=body, headers=headers, encode_chunked=chunked)
                response = connection.getresponse()
            except (BrokenPipeError, ConnectionResetError):
                # The server answered before the body was all sent (a 413 refuses the rest
                # unread) and closed: its answer is still there to read, as curl reads it.
                if connection.sock is None:
                    raise
                response = http.client.HTTPResponse(connection.sock, method=method)
                response.begin()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def raw(self, data: bytes) -> bytes:
        """What the server answers to these bytes, sent as they are."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            connection.sendall(data)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        return answer


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edges")
    database_url = f"sqlite:///{folder / 'ethics.db'}"
    with processes.serving(folder, database_url, workers=2, separate_stderr=True) as running:
        stderr = running.stderr_text()
        assert not KEY.search(stderr), stderr
        key_file = Path(processes.KEY_FILE.search(stderr)[1])
        assert key_file.stat().st_mode & 0o777 == 0o600  # for the service's user only
        yield Served(running, processes.first_admin_key(stderr))


def access_log(served: Served, expected_lines: int) -> str:
    """The access log once it has at least `expected_lines` lines (workers write as they go)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = served.running.stdout_text()
        if len(text.splitlines()) >= expected_lines:
            return text
        time.sleep(0.1)
    return served.running.stdout_text()


def test_no_credential_reaches_the_log_however_it_is_sent(served):
    secret = split_key(served.key)[1]
    basic = base64.b64encode(f"{served.key}:".encode()).decode()  # curl -u "$KEY:"
    before = len(served.running.stdout_text().splitlines())
    status, _, _ = served.request(
        "GET", "/v1/audit/verify", headers={"Authorization": f"Basic {basic}"}
    )
    assert status == 401  # the API takes Bearer keys only; the attempt is still logged
    # A key in the query string is refused (the API takes no such parameter), and not logged.
    assert served.request("GET", f"/v1/vendors?api_key={served.key}")[0] == 422
    assert served.request("GET", "/invitations/a-one-time-token-0123456789", key=False)[0] < 500
    referer = {"Referer": f"http://127.0.0.1/invitations/another-token-9876?key={secret}"}
    assert served.request("GET", "/healthz", headers=referer, key=False)[0] == 200
    log = access_log(served, before + 4)
    assert len(log.splitlines()) >= before + 4, log
    everything_logged = log + served.running.stderr_text()
    for leaked in (served.key, secret, basic, "a-one-time-token", "another-token"):
        assert leaked not in everything_logged, leaked
    assert "GET /v1/audit/verify HTTP/1.1" in log  # the request is logged, its credential not
    assert "GET /invitations/[redacted] HTTP/1.1" in log


def test_serve_wrote_the_admin_key_where_it_said(served):
    stderr = served.running.stderr_text()
    assert "Its key is not printed in the server's log" in stderr
    assert served.request("GET", "/v1/vendors")[0] == 200  # the key read from the file works


def test_serve_warned_that_rate_limits_count_per_worker(served):
    stderr = served.running.stderr_text()
    assert "WARNING: rate limits are counted in each worker's memory" in stderr
    assert "ETHICS_RATELIMIT_STORAGE_URI=redis://" in stderr
    assert stderr.index("WARNING") < stderr.index("Serving on")


def padded_vendor(length: int, name: str) -> bytes:
    """A vendor as JSON, padded with spaces to `length` bytes: valid JSON at that length."""
    document = json.dumps(vendor(name)).encode()
    return document + b" " * (length - len(document))


def vendor_names(served: Served) -> list[str]:
    status, _, body = served.request("GET", "/v1/vendors?page_size=200")
    assert status == 200
    return [row["name"] for row in json.loads(body)]


def test_a_chunked_body_past_the_limit_is_413_never_cut(served):
    json_headers = {"Content-Type": "application/json"}
    # Valid JSON for its first MiB, then 2 MiB that make the whole invalid.
    body = padded_vendor(MIB, "Cut At One MiB Ltd") + b"x" * (2 * MIB)
    chunks = (body[start : start + 65536] for start in range(0, len(body), 65536))
    status, headers, answer = served.request(
        "POST", "/v1/vendors", chunks, json_headers, chunked=True
    )
    assert status == 413, answer[:300]
    assert headers.get_content_type() == PROBLEM_JSON
    assert "larger than the 1024 KiB" in json.loads(answer)["detail"]
    # One byte past the limit, the rest valid JSON: refused too, not read up to the limit.
    one_over = padded_vendor(MIB + 1, "One Byte Over Ltd")
    status, _, answer = served.request(
        "POST", "/v1/vendors", iter([one_over]), json_headers, chunked=True
    )
    assert status == 413, answer[:300]
    # With Content-Length, as ever.
    assert served.request("POST", "/v1/vendors", body, json_headers)[0] == 413
    # Chunked bodies within the limit, up to the limit itself, are read whole.
    for length, name in ((200, "Small Chunks Ltd"), (MIB, "Exactly One MiB Ltd")):
        whole = padded_vendor(length, name)
        parts = iter([whole[: length // 2], whole[length // 2 :]])
        status, _, answer = served.request("POST", "/v1/vendors", parts, json_headers, chunked=True)
        assert status == 201, answer[:300]
    names = vendor_names(served)
    assert "Small Chunks Ltd" in names and "Exactly One MiB Ltd" in names
    assert "Cut At One MiB Ltd" not in names and "One Byte Over Ltd" not in names


def test_responses_name_the_service_not_gunicorn(served):
    for path in ("/healthz", "/v1/vendors", "/v1/nothing-here", "/docs"):
        headers = served.request("GET", path)[1]
        assert headers.get_all("Server") == ["ethics-api"], (path, headers)
        assert headers["X-Content-Type-Options"] == "nosniff"
    _, headers, _ = served.request("GET", "/docs", key=False)
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"THIS IS NOT HTTP\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    ],
    ids=["bad request", "request line too long", "header too large"],
)
def test_gunicorns_own_refusals_are_problem_details(served, request_bytes, status):
    answer = served.raw(request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {status} "), answer[:300]
    fields = dict(line.split(": ", 1) for line in lines[1:])
    assert fields["Content-Type"] == PROBLEM_JSON
    assert fields["X-Content-Type-Options"] == "nosniff"
    assert fields["Server"] == "ethics-api"
    assert int(fields["Content-Length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"] == "about:blank"
    assert problem["title"] and problem["detail"]


def test_the_docs_run_under_their_policy_in_a_real_browser(served, page):
    page.goto(f"http://127.0.0.1:{served.port}/docs")
    page.wait_for_selector(".opblock", timeout=15000)  # Swagger UI rendered the operations
    page.locator(".opblock-summary").first.click()  # and opens one, with its parameters
    page.wait_for_selector(".opblock-body", timeout=15000)
    status, _, spec = served.request("GET", "/openapi.json", key=False)
    assert status == 200
    assert json.loads(spec)["info"]["title"] in page.content()
    assert page.csp_violations == []
