"""Rate limits: per API key, per address for failed authentications, and across processes.

The in-process tests use small limits on a test client. The last two start a real gunicorn
with four workers: with the counts in Redis a key gets exactly its limit, with memory:// each
worker counts alone and lets more through. Redis is expected at 127.0.0.1:6379 (or at
ETHICS_TEST_REDIS_URL); its database there is flushed before and after. Without Redis those two
are skipped, unless ETHICS_REQUIRE_REDIS is set (CI), when they fail.
"""

import contextlib
import http.client
import json
import logging
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from ethics_api.auth import PUBLIC_ENDPOINTS
from ethics_api.ratelimit import RESPONSE_NAME, MemoryCounts, parse_limits

from conftest import client_with_key, make_key, split_key
from processes import START_TIMEOUT, Running, first_admin_key, free_port, serving

PROBLEM_JSON = "application/problem+json"
REDIS_URL = os.environ.get("ETHICS_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
# Well formed, but no such key: the whole of it must never reach a log.
UNKNOWN_KEY = "eth_deadbeef_" + "S3cr3tPartNeverLogged0123456789abcdefghijk"
PUBLIC_PATHS = ("/healthz", "/readyz", "/openapi.json", "/docs", "/docs/assets/swagger-ui.css")


def assert_too_many(response, limit: str) -> dict:
    """A 429 problem+json naming `limit`, with Retry-After in seconds within the window."""
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_JSON
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 61
    problem = response.get_json(force=True)
    assert problem["status"] == 429
    assert problem["title"] == "Too Many Requests"
    assert limit in problem["detail"]
    assert f"Retry after {retry_after} seconds" in problem["detail"]
    return problem


def from_address(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


# --- per key ------------------------------------------------------------------------------------


def test_the_fourth_request_of_a_key_is_429_while_another_key_passes(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="3 per minute", RATE_LIMIT_FAILED_AUTH="off")
    first = client_with_key(app, make_key(app, "buyer"))
    second = client_with_key(app, make_key(app, "buyer"))
    # One budget per key, whatever the operation.
    assert first.get("/v1/criteria-sets").status_code == 200
    assert first.get("/v1/vendors").status_code == 200
    assert first.get("/v1/criteria-sets").status_code == 200

    problem = assert_too_many(first.get("/v1/vendors"), "3 per 1 minute")
    assert "API key" in problem["detail"]
    assert_too_many(first.get("/v1/criteria-sets"), "3 per 1 minute")
    for _ in range(3):
        assert second.get("/v1/criteria-sets").status_code == 200
    assert_too_many(second.get("/v1/criteria-sets"), "3 per 1 minute")


def test_a_key_over_its_limit_is_refused_before_its_body_is_read(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="1 per minute", RATE_LIMIT_FAILED_AUTH="off")
    client = client_with_key(app, make_key(app, "buyer"))
    assert client.get("/v1/vendors").status_code == 200
    response = client.post("/v1/vendors", data="{not json", content_type="application/json")
    assert_too_many(response, "1 per 1 minute")


def test_429_is_logged_with_the_key_prefix_only(make_app, caplog):
    app = make_app(RATE_LIMIT_DEFAULT="1 per minute", RATE_LIMIT_FAILED_AUTH="off")
    secret = make_key(app, "buyer")
    client = client_with_key(app, secret)
    caplog.set_level(logging.DEBUG)
    client.get("/v1/vendors")
    assert_too_many(client.get("/v1/vendors"), "1 per 1 minute")
    prefix = split_key(secret)[0]
    assert f"rate limit 1 per 1 minute reached by key {prefix}" in caplog.text
    assert secret not in caplog.text


# --- failed authentications ---------------------------------------------------------------------


def test_failed_authentications_from_an_address_are_limited(make_app, caplog):
    app = make_app(RATE_LIMIT_DEFAULT="off", RATE_LIMIT_FAILED_AUTH="3 per minute")
    valid = make_key(app, "buyer")
    caplog.set_level(logging.DEBUG)
    attacker = from_address(client_with_key(app, UNKNOWN_KEY), "203.0.113.7")
    for _ in range(3):
        response = attacker.get("/v1/vendors")
        assert response.status_code == 401, response.get_data(as_text=True)

    # From that address failed authentications are now refused, with or without a key...
    problem = assert_too_many(attacker.get("/v1/vendors"), "3 per 1 minute")
    assert "failed authentications from 203.0.113.7" in problem["detail"]
    keyless = from_address(client_with_key(app, None), "203.0.113.7")
    assert_too_many(keyless.get("/v1/vendors"), "3 per 1 minute")
    # ...but a valid key from the same address (a colleague, the same proxy) is served.
    colleague = from_address(client_with_key(app, valid), "203.0.113.7")
    assert colleague.get("/v1/vendors").status_code == 200
    # And another address is not affected at all.
    other = from_address(client_with_key(app, UNKNOWN_KEY), "198.51.100.9")
    assert other.get("/v1/vendors").status_code == 401

    # Logged: the key's visible prefix and the address, never the key itself.
    assert "authentication failed from 203.0.113.7" in caplog.text
    assert "key prefix eth_deadbeef" in caplog.text
    assert "refused GET /v1/vendors from 203.0.113.7: too many failed authentications" in (
        caplog.text
    )
    for record in caplog.records:
        assert UNKNOWN_KEY not in record.getMessage()
        assert valid not in record.getMessage()
    assert UNKNOWN_KEY not in caplog.text
    assert split_key(UNKNOWN_KEY)[1] not in caplog.text
    assert valid not in caplog.text


def test_behind_trusted_proxies_the_forwarded_address_is_the_one_counted(make_app):
    app = make_app(
        RATE_LIMIT_DEFAULT="off", RATE_LIMIT_FAILED_AUTH="2 per minute", TRUSTED_PROXIES=1
    )
    proxy = "10.0.0.2"  # every request arrives from the proxy

    def through_proxy(key, client_address):
        client = from_address(client_with_key(app, key), proxy)
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
        return client

    noisy = through_proxy(UNKNOWN_KEY, "203.0.113.20")
    for _ in range(2):
        assert noisy.get("/v1/vendors").status_code == 401
    assert_too_many(noisy.get("/v1/vendors"), "2 per 1 minute")
    # Another client behind the same proxy has a count of its own.
    assert through_proxy(UNKNOWN_KEY, "203.0.113.21").get("/v1/vendors").status_code == 401


def test_without_trusted_proxies_a_forwarded_address_is_ignored(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="off", RATE_LIMIT_FAILED_AUTH="2 per minute")
    for n in range(2):
        client = from_address(client_with_key(app, UNKNOWN_KEY), "203.0.113.30")
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{n}"  # written by the client
        assert client.get("/v1/vendors").status_code == 401
    assert_too_many(client.get("/v1/vendors"), "2 per 1 minute")


@pytest.mark.parametrize("value", ["-1", "eleven", 11, True, "1.5"])
def test_a_proxy_count_that_is_not_one_is_refused_at_start(make_app, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES must be a count from 0 to 10"):
        make_app(TRUSTED_PROXIES=value)


def test_successful_authentications_are_not_counted_as_failures(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="off", RATE_LIMIT_FAILED_AUTH="2 per minute")
    client = from_address(client_with_key(app, make_key(app, "buyer")), "203.0.113.8")
    for _ in range(10):
        assert client.get("/v1/vendors").status_code == 200
    # A 403 (a key of the wrong role) is not a failed authentication either.
    auditor = from_address(client_with_key(app, make_key(app, "auditor")), "203.0.113.8")
    for _ in range(3):
        assert auditor.post("/v1/vendors", json={}).status_code == 403


def test_requests_without_an_address_are_not_counted(make_app):
    """No address (an in-process WSGI call): one bucket for all would let one lock out all."""
    app = make_app(RATE_LIMIT_DEFAULT="off", RATE_LIMIT_FAILED_AUTH="1 per minute")
    client = from_address(client_with_key(app, UNKNOWN_KEY), "")
    for _ in range(3):
        assert client.get("/v1/vendors").status_code == 401


# --- public routes, off, the document, settings -------------------------------------------------


def test_public_routes_are_never_limited(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="1 per minute", RATE_LIMIT_FAILED_AUTH="1 per minute")
    assert {"health.healthz", "health.readyz", "api-docs.openapi_json"} <= PUBLIC_ENDPOINTS
    key = make_key(app, "buyer")
    spent = from_address(client_with_key(app, key), "203.0.113.9")
    assert spent.get("/v1/vendors").status_code == 200
    assert spent.get("/v1/vendors").status_code == 429
    blocked = from_address(client_with_key(app, UNKNOWN_KEY), "203.0.113.10")
    assert blocked.get("/v1/vendors").status_code == 401
    assert blocked.get("/v1/vendors").status_code == 429
    for client in (spent, blocked, from_address(client_with_key(app, None), "203.0.113.11")):
        for _ in range(5):
            for path in PUBLIC_PATHS:
                with client.get(path) as response:  # a file's response holds the file open
                    assert response.status_code == 200, (path, response.status)


def test_limits_set_off_are_not_applied(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="off", RATE_LIMIT_FAILED_AUTH="")
    client = client_with_key(app, make_key(app, "buyer"))
    for _ in range(30):
        assert client.get("/v1/criteria-sets").status_code == 200
    stranger = client_with_key(app, UNKNOWN_KEY)
    for _ in range(30):
        assert stranger.get("/v1/criteria-sets").status_code == 401
    spec = client.get("/openapi.json").get_json()
    assert RESPONSE_NAME not in spec["components"]["responses"]
    assert not any("429" in op.get("responses", {}) for op in operations(spec))
    assert "ratelimit" not in app.extensions


def operations(spec):
    for path in spec["paths"].values():
        for method, operation in path.items():
            if method != "parameters":
                yield operation


def test_429_is_documented_beside_401_and_403(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="300 per minute")
    spec = app.test_client().get("/openapi.json").get_json()
    secured = [op for op in operations(spec) if {"bearerAuth": []} in op.get("security", [])]
    assert secured
    for operation in secured:
        codes = list(operation["responses"])
        assert codes[codes.index("403") + 1] == "429", operation["summary"]
        assert operation["responses"]["429"] == {"$ref": f"#/components/responses/{RESPONSE_NAME}"}
    for path in ("/healthz", "/readyz"):
        assert "429" not in spec["paths"][path]["get"]["responses"]
    response = spec["components"]["responses"][RESPONSE_NAME]
    assert response["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert response["headers"]["Retry-After"]["required"] is True
    assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_settings_are_rates_or_off():
    assert [str(item) for item in parse_limits("X", "20 per minute; 500/hour")] == [
        "20 per 1 minute",
        "500 per 1 hour",
    ]
    assert parse_limits("X", "off") == parse_limits("X", " OFF ") == parse_limits("X", None) == []
    with pytest.raises(ValueError, match="RATE_LIMIT_DEFAULT is 'lots'"):
        parse_limits("RATE_LIMIT_DEFAULT", "lots")


def test_a_store_the_service_cannot_count_in_is_refused_at_start(make_app):
    for uri, reason in (("nonsense://x", "unknown storage scheme"), ("async+redis://h", "")):
        with pytest.raises(
            ValueError, match=re.escape(f"RATE_LIMIT_STORAGE_URI is '{uri}': {reason}")
        ):
            make_app(RATE_LIMIT_DEFAULT="10 per minute", RATE_LIMIT_STORAGE_URI=uri)


def test_counting_in_memory_starts_no_thread(make_app, monkeypatch):
    """limits' own memory store starts a timer thread on about every other hit under load,
    and the request waits for it; the service's counts expire without one."""
    app = make_app(RATE_LIMIT_DEFAULT="1000 per minute", RATE_LIMIT_FAILED_AUTH="1000/minute")
    client = from_address(client_with_key(app, make_key(app, "buyer")), "203.0.113.20")
    stranger = from_address(client_with_key(app, UNKNOWN_KEY), "203.0.113.21")
    started = []

    class CountedTimer(threading.Timer):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", CountedTimer)
    for _ in range(20):
        time.sleep(0.015)  # longer than the store's timer: each hit would start another
        assert client.get("/v1/vendors").status_code == 200
        assert stranger.get("/v1/vendors").status_code == 401
    assert started == []


def test_memory_counts_sweep_the_expired_ones_as_they_count():
    counts = MemoryCounts("memory://")
    counts.incr("address seen once", expiry=-1)  # its window is over: the first hit
    for _ in range(MemoryCounts.SWEEP_EVERY - 2):
        counts.incr("busy key", expiry=60)
    assert "address seen once" in counts.storage  # not read again, not swept yet
    counts.incr("busy key", expiry=60)  # the SWEEP_EVERY-th hit
    assert "address seen once" not in counts.storage
    assert counts.get("busy key") == MemoryCounts.SWEEP_EVERY - 1


def test_an_unreachable_store_lets_requests_through_and_is_logged(make_app, caplog):
    app = make_app(
        RATE_LIMIT_DEFAULT="1 per minute",
        RATE_LIMIT_FAILED_AUTH="1 per minute",
        RATE_LIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
    )
    caplog.set_level(logging.ERROR)
    client = client_with_key(app, make_key(app, "buyer"))
    for _ in range(3):
        assert client.get("/v1/vendors").status_code == 200
    stranger = client_with_key(app, UNKNOWN_KEY)
    for _ in range(3):
        assert stranger.get("/v1/vendors").status_code == 401
    assert "the rate limit store cannot be reached: a request not counted" in caplog.text
    assert "failed authentications not checked" in caplog.text


# --- across gunicorn workers --------------------------------------------------------------------


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        if os.environ.get("ETHICS_REQUIRE_REDIS"):
            pytest.fail(f"ETHICS_REQUIRE_REDIS is set but Redis at {REDIS_URL} fails: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: the shared-count test is not run")
    client.flushdb()
    try:
        yield REDIS_URL, client
    finally:
        client.flushdb()
        client.close()


def get(port: int, path: str, headers: dict):
    """(status, headers, body bytes) of a GET on 127.0.0.1, on a new connection every time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def has_open(pid: int, path: Path) -> bool:
    try:
        return any(
            os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:  # gone, or an fd closed meanwhile: ask again
        return False


def wait_for_workers(server: Running, workers: int, database: Path) -> None:
    """Until every worker has built its app, so that all of them take requests.

    One answering /healthz says nothing of the others. A worker opens the database while it
    builds the app (create_app checks the criteria fingerprints in it) and keeps the connection
    in its pool; what is left of the build after that takes a fraction of a second.
    """
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc: cannot tell when every worker is up")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        pids = [
            int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", server.log_text())
        ]
        if len(pids) >= workers and all(has_open(pid, database) for pid in pids):
            time.sleep(0.5)
            return
        time.sleep(0.1)
    pytest.fail(f"not all {workers} workers came up in {START_TIMEOUT} s:\n{server.log_text()}")


@contextlib.contextmanager
def gunicorn(folder: Path, storage_uri: str, limit: str, workers: int = 4):
    """`ethics-api serve` with the limit and store given and every worker up; yields the server
    and its admin key, which the first start prints."""
    database = folder / "ethics.db"
    settings = {"ETHICS_RATELIMIT_DEFAULT": limit, "ETHICS_RATELIMIT_STORAGE_URI": storage_uri}
    with serving(folder, f"sqlite:///{database}", workers, settings) as server:
        wait_for_workers(server, workers, database)
        yield server, first_admin_key(server.log_text())
    text = server.log_text()
    assert text.count("Booting worker") >= workers, text


def forty_requests(server: Running, key: str) -> list[tuple[int, object, bytes]]:
    """40 GETs with one key, each on a new connection, 8 at a time (so every worker serves)."""
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: get(server.port, "/v1/criteria-sets", headers), range(40)))


def test_with_redis_four_workers_let_exactly_the_limit_through(tmp_path, redis_url):
    url, client = redis_url
    with gunicorn(tmp_path, url, "10 per minute") as (server, key):
        responses = forty_requests(server, key)
    assert Counter(status for status, _, _ in responses) == {200: 10, 429: 30}
    for status, headers, body in responses:
        if status == 429:
            assert headers.get_content_type() == PROBLEM_JSON
            assert 1 <= int(headers["Retry-After"]) <= 61
            assert "10 per 1 minute" in json.loads(body)["detail"]
    assert client.keys("*ethics-api*"), "the counts are in Redis"


def test_with_memory_each_worker_counts_alone(tmp_path):
    with gunicorn(tmp_path, "memory://", "10 per minute") as (server, key):
        statuses = Counter(status for status, _, _ in forty_requests(server, key))
    assert set(statuses) <= {200, 429}
    assert statuses[200] > 10, statuses
