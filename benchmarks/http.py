"""`python -m benchmarks --http`: the service as its users run it, over HTTP.

gunicorn is started the way `ethics-api serve` starts it (its `Service`, 2 workers, the
database migrated first), on a scratch database seeded beforehand, and a load generator on
the same machine sends it requests: wrk when it is installed (Debian: `apt-get install wrk`),
else a small Python one. Every figure is a ratio to `GET /healthz` measured in the same round
(throughput over throughput), or a latency compared with another in the same run; each is
taken over several rounds and reported as min / median / max.

Rate limits stay on, as in a deployment, with a limit no run reaches: their bookkeeping is
part of what every request costs.
"""

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select, update

from ethics_api.config import PROJECT_CRITERIA_DIR
from ethics_api.models import Assessment, Organisation, Person, Vendor

from .data import answers, assessed_vendor, create_vendor, evaluated_procurement
from .report import Row, progress
from .service import Service

WORKERS = 2
RANKING_P99_MS = 50.0


@dataclass(frozen=True)
class HttpSizes:
    seconds: int  # of load per measurement (wrk counts whole seconds)
    rounds: int
    connections: int  # concurrent connections for throughput
    bidders: int
    history: int  # historic assessments of one vendor
    rows_small: int  # assessments in the database, then
    rows_large: int
    # Unmeasured load before measuring (0: none), and the pause after each stretch of load.
    warm_seconds: int = 1
    settle_seconds: float = 1.0


HTTP_FULL = HttpSizes(
    seconds=5,
    rounds=3,
    connections=8,
    bidders=50,
    history=1000,
    rows_small=10_000,
    rows_large=1_000_000,
)
HTTP_QUICK = HttpSizes(
    seconds=1,
    rounds=1,
    connections=2,
    bidders=3,
    history=20,
    rows_small=50,
    rows_large=200,
    warm_seconds=0,
    settle_seconds=0.0,
)


# --- the load generator --------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What one stretch of load measured."""

    per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int  # responses other than the status expected, and socket errors
    created: int = 0  # 201s, for writes


_WRK_SCRIPT = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {key}"
{body}
created = 0
function response(status, headers, body)
  if status == 201 then created = created + 1 end
end
threads = {{}}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("created") end
  io.write(string.format("created: %d\\n", total))
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, key: str, seconds: int, connections: int, body: Path | None = None) -> Load:
    """Load from wrk: `connections` connections on 2 threads for `seconds`."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "request.lua"
        sent = (
            f'wrk.body = io.open("{body}"):read("*a")\n'
            'wrk.headers["Content-Type"] = "application/json"'
            if body
            else ""
        )
        method = "POST" if body else "GET"
        script.write_text(_WRK_SCRIPT.format(method=method, key=key, body=sent))
        threads = min(2, connections)
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
        out = subprocess.run(
            [*command, "--latency", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if len(percentiles) != 2:
        raise RuntimeError(f"wrk printed no latencies for {url}:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Load(
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=int(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
        failed=(int(non_2xx[1]) if non_2xx else 0)
        + (sum(map(int, errors.groups())) if errors else 0),
        created=int(re.search(r"created: (\d+)", out)[1]),  # type: ignore[index]
    )


def python_load(
    url: str, key: str, seconds: float, connections: int, body: Path | None = None
) -> Load:
    """Load from threads of urllib, where wrk is missing (it saturates sooner than wrk)."""
    data = body.read_bytes() if body else None
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    ends = time.perf_counter() + seconds

    def send() -> None:
        while time.perf_counter() < ends:
            request = urllib.request.Request(url, data=data, headers=headers)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses.append(status)

    threads = [threading.Thread(target=send) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return Load(
        per_second=len(ordered) / seconds,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        requests=len(ordered),
        failed=sum(1 for s in statuses if s >= 300),
        created=statuses.count(201),
    )


def load(
    url: str, key: str, seconds: float, connections: int, body: Path | None = None, settle=0.0
) -> Load:
    """Load for `seconds`, then a pause of `settle` seconds: the requests still queued at the
    server when the load generator stopped finish before the next stretch, not during it."""
    generate = wrk if shutil.which("wrk") else python_load
    found = generate(url, key, seconds, connections, body)
    time.sleep(settle)
    return found


def timed(url: str, key: str, sizes: HttpSizes, connections: int, body: Path | None = None) -> Load:
    """One measured stretch of load, as `sizes` sets it."""
    return load(url, key, sizes.seconds, connections, body, sizes.settle_seconds)


def warm(url: str, key: str, sizes: HttpSizes, connections: int, body: Path | None = None) -> int:
    """Load that is not measured, so that every worker has served the request before it is
    (the code's first use, each worker's kept scorecards and reports); the 201s it had."""
    if not sizes.warm_seconds:
        return 0
    found = load(url, key, sizes.warm_seconds, connections, body, sizes.settle_seconds)
    return found.created


# --- the server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(database_url: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`ethics-api serve` on the database, 2 workers; its base URL and process."""
    port = _free_port()
    environment = {
        **os.environ,
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(PROJECT_CRITERIA_DIR),
        "ETHICS_SECRET_KEY": secrets.token_hex(32),
        "ETHICS_RATELIMIT_DEFAULT": "100000000 per minute",  # on, never reached
    }
    command = [sys.executable, "-c", "from ethics_api.cli import main; main()", "serve"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
    base = f"http://127.0.0.1:{port}"
    # The server's log, read back if it fails to start.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_until_up(base, process, log)
            yield base, process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers_healthz(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until_up(base: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server stopped: {log.read()[-2000:]}")
        if _answers_healthz(base):
            time.sleep(1)  # the first worker answers: give the other the time to be up too
            return
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz within 2 minutes")


def worker_rss_mb(master: int) -> list[float]:
    """The resident memory of the server's workers (the master's children), in MB."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            text = status.read_text()
            if re.search(rf"^PPid:\s+{master}$", text, re.MULTILINE):
                found.append(int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)[1]) / 1024)  # type: ignore[index]
    return found


# --- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    key: str
    vendor_id: str  # 3 standalone assessments
    fresh_vendor_id: str  # one assessment
    history_vendor_id: str  # one current assessment after `history` expired ones
    writes_vendor_id: str
    procurement_id: str


def seed(service: Service, sizes: HttpSizes) -> Seeded:
    """The data every measurement reads; written in-process before the server starts."""
    progress(f"{service.database}: http: seeding vendors, a ranking of {sizes.bidders} bidders")
    vendor_id = assessed_vendor(service, "Scorecard vendor", 3)
    for n in range(20):  # a page of vendors to list
        create_vendor(service, f"Listed vendor {n:02d}")
    fresh = assessed_vendor(service, "One assessment", 1)
    history = assessed_vendor(service, "Long history", 1)
    _historic(service, history, sizes.history)
    procurement_id = evaluated_procurement(service, sizes.bidders, 3)
    key = service.client.environ_base["HTTP_AUTHORIZATION"].split(" ", 1)[1]
    writes = create_vendor(service, "Written to")
    return Seeded(key, vendor_id, fresh, history, writes, procurement_id)


def _template(service: Service, vendor_id: str) -> dict:
    with service.app.extensions["database"].transaction() as session:
        row = session.scalars(select(Assessment).where(Assessment.vendor_id == vendor_id)).first()
        assert row is not None
        return {c.name: getattr(row, c.key) for c in Assessment.__table__.columns if c.name != "id"}


def _historic(service: Service, vendor_id: str, count: int) -> None:
    """`count` assessments of the vendor before its current one, a day apart, all expired:
    written through SQL (the application layer would take minutes)."""
    template = _template(service, vendor_id)
    newest = template["submitted_at"]
    validity = service.criteria_set.validity_days
    rows = [
        {
            **template,
            "id": _uuid(),
            "submitted_at": newest - dt.timedelta(days=validity + 1 + n),
        }
        for n in range(count)
    ]
    with service.app.extensions["database"].transaction() as session:
        session.execute(insert(Assessment), rows)
        _records_changed(session, [vendor_id])
    settle(service)


def _records_changed(session, vendor_ids: list[str]) -> None:
    """What the application layer does with each record it writes (scorecard_store.
    records_changed): the vendors' stored scorecards are no longer theirs."""
    bumped = Vendor.records_revision + 1
    session.execute(update(Vendor).where(Vendor.id.in_(vendor_ids)).values(records_revision=bumped))


def settle(service: Service) -> None:
    """After rows written in bulk on PostgreSQL, what autovacuum does there soon after:
    statistics for the planner, and the visibility map that lets an index answer alone.
    (SQLite needs neither: its indexes answer alone, and it gathers no statistics by itself.)"""
    engine = service.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE assessments")


def _uuid() -> str:
    return str(uuid.uuid4())


def fill(service: Service, template_vendor: str, total: int) -> float:
    """Other vendors' assessments until the database holds `total`; seconds it took. Their
    answers are short: what is measured is the size of the tables and their indexes."""
    started = time.perf_counter()
    database = service.app.extensions["database"]
    template = {**_template(service, template_vendor), "answers": []}
    with database.transaction() as session:
        have = session.scalar(select(func.count()).select_from(Assessment)) or 0
        organisation = session.get(Organisation, template["organisation_id"])
        person = session.get(Person, template["person_id"])
        assert organisation is not None and person is not None
    vendors = []
    with database.transaction() as session:
        for n in range(100):
            row = {"id": _uuid(), "organisation_id": organisation.id, "name": f"Filler {n}"}
            vendors.append(row["id"])
            session.execute(insert(Vendor), [row])
    batch = 20_000
    while have < total:
        count = min(batch, total - have)
        rows = [
            {**template, "id": _uuid(), "vendor_id": vendors[(have + n) % len(vendors)]}
            for n in range(count)
        ]
        with database.transaction() as session:
            session.execute(insert(Assessment), rows)
            _records_changed(session, vendors)
        have += count
    settle(service)
    return time.perf_counter() - started


# --- the measurements ----------------------------------------------------------------------


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


_WRITE = "POST assessment (50 answers)"
# The same body sent to a vendor that does not exist: the key checked, the JSON read and checked,
# the body loaded through its schema, then 404. No write can be cheaper than this: the ceiling
# of the write's ratio on this stack, measured beside it.
_LOADED_ONLY = "POST assessment, loaded then refused (404)"


def run(service: Service, url: str, sizes: HttpSizes) -> list[Row]:
    seeded = seed(service, sizes)
    body = Path(tempfile.mkdtemp(prefix="ethics-bench-")) / "assessment.json"
    body.write_text(
        json.dumps({"assessor": "Evaluator 1", "answers": answers(service.criteria_set, 7)})
    )
    rows: list[Row] = []
    name = service.database
    progress(f"{name}: http: {sizes.bidders} bidders seeded, starting gunicorn")
    with served(url) as (base, process):
        reads = {
            "GET vendor": (f"/v1/vendors/{seeded.vendor_id}", 0.6),
            "GET vendor list page": ("/v1/vendors?page_size=20", 0.5),
            "GET scorecard": (f"/v1/vendors/{seeded.vendor_id}/scorecard", 0.6),
        }
        ratios: dict[str, list[float]] = {label: [] for label in reads}
        ratios[_WRITE] = []
        ratios[_LOADED_ONLY] = []
        write_p99: list[float] = []  # the write's tail: writers wait for SQLite's one lock
        bare: list[float] = []
        writes = f"{base}/v1/vendors/{seeded.writes_vendor_id}/assessments"
        refused = f"{base}/v1/vendors/{uuid.uuid4()}/assessments"
        progress(f"{name}: http: warming every request up in both workers")
        for path in ("/healthz", *(path for path, _ in reads.values())):
            warm(f"{base}{path}", seeded.key, sizes, sizes.connections)
        acknowledged = warm(writes, seeded.key, sizes, sizes.connections, body)
        for round_number in range(sizes.rounds):
            progress(f"{name}: http: round {round_number + 1} of {sizes.rounds}")
            healthz = timed(f"{base}/healthz", seeded.key, sizes, sizes.connections)
            bare.append(healthz.per_second)
            for label, (path, _) in reads.items():
                found = timed(f"{base}{path}", seeded.key, sizes, sizes.connections)
                _no_failures(label, found)
                ratios[label].append(found.per_second / healthz.per_second)
            written = timed(writes, seeded.key, sizes, sizes.connections, body)
            _no_failures("POST assessment", written)
            acknowledged += written.created
            ratios[_WRITE].append(written.per_second / healthz.per_second)
            write_p99.append(written.p99_ms)
            loaded = timed(refused, seeded.key, sizes, sizes.connections, body)
            if loaded.created or loaded.failed < loaded.requests:
                raise RuntimeError(f"{_LOADED_ONLY}: a request to an unknown vendor succeeded")
            ratios[_LOADED_ONLY].append(loaded.per_second / healthz.per_second)
        targets = {label: f"target >= {target}" for label, (_, target) in reads.items()}
        targets[_WRITE] = "target >= 0.2"
        targets[_LOADED_ONLY] = "no target: the most any write of this body could reach"
        for label, values in ratios.items():
            note = (
                f"ratio min / median / max over {sizes.rounds} rounds: {_spread(values)}; "
                f"{targets[label]}"
            )
            if label == _WRITE:
                note += f"; p99 {_spread(write_p99)} ms"
            rows.append(
                Row(
                    f"http: {label} over GET /healthz",
                    name,
                    "GET /healthz",
                    statistics.median(bare),
                    label,
                    statistics.median(bare) * statistics.median(values),
                    "req/s",
                    note,
                )
            )
        rows.append(_ranking(name, base, seeded, sizes))
        rows.append(_history(name, base, seeded, sizes))
        rows.append(_database_size(service, base, name, seeded, sizes))
        rss = worker_rss_mb(process.pid)
    rows.append(_durable(service, name, seeded, acknowledged))
    rows.append(
        Row(
            "http: worker memory after the run",
            name,
            "limit",
            150,
            f"largest of {len(rss)} workers",
            max(rss, default=0),
            "MB RSS",
            "each worker: " + ", ".join(f"{value:.0f} MB" for value in rss),
        )
    )
    return rows


def _no_failures(label: str, found: Load) -> None:
    if found.failed:
        raise RuntimeError(f"{label}: {found.failed} of {found.requests} requests failed")


def _ranking(name: str, base: str, seeded: Seeded, sizes: HttpSizes) -> Row:
    url = f"{base}/v1/procurements/{seeded.procurement_id}/ranking"
    # Each worker works the ranking out once (its first read after a change: the in-process
    # benchmark gives that cost), then reads what it kept: the steady state is measured.
    warm(url, seeded.key, sizes, WORKERS)
    p99 = []
    for _ in range(sizes.rounds):
        found = timed(url, seeded.key, sizes, WORKERS)
        _no_failures("ranking", found)
        p99.append(found.p99_ms)
    return Row(
        f"http: ranking of {sizes.bidders} bidders (sensitivity, margin), p99",
        name,
        "target",
        RANKING_P99_MS,
        "p99 latency",
        statistics.median(p99),
        "ms",
        f"p99 min / median / max: {_spread(p99)} ms, {WORKERS} connections, evaluating",
    )


def _p50(base: str, key: str, path: str, sizes: HttpSizes) -> float:
    measured = timed(f"{base}{path}", key, sizes, 1)
    _no_failures(path, measured)
    return measured.p50_ms


def _latency(base: str, key: str, path: str, sizes: HttpSizes) -> list[float]:
    return [_p50(base, key, path, sizes) for _ in range(sizes.rounds)]


def _history(name: str, base: str, seeded: Seeded, sizes: HttpSizes) -> Row:
    one: list[float] = []
    long: list[float] = []
    # Round by round, one then the other: a machine slowing down for a while slows both.
    for _ in range(sizes.rounds):
        one.append(_p50(base, seeded.key, f"/v1/vendors/{seeded.fresh_vendor_id}/scorecard", sizes))
        long.append(
            _p50(base, seeded.key, f"/v1/vendors/{seeded.history_vendor_id}/scorecard", sizes)
        )
    return Row(
        f"http: scorecard with {sizes.history} historic assessments over one",
        name,
        "one assessment",
        statistics.median(one),
        f"{sizes.history} + 1 assessments",
        statistics.median(long),
        "ms p50",
        f"one connection, alternating; p50 per round: {_spread(one)} vs {_spread(long)} ms; "
        "target <= 1.2",
    )


def _durable(service: Service, name: str, seeded: Seeded, acknowledged: int) -> Row:
    """Every 201 the server sent is a row in the database after it stopped."""
    with service.app.extensions["database"].sessions() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.vendor_id == seeded.writes_vendor_id)
        )
    # More may be stored: requests still in flight when the load stopped, never acknowledged.
    if (stored or 0) < acknowledged:
        raise RuntimeError(f"{acknowledged} assessments acknowledged, only {stored} stored")
    return Row(
        "http: acknowledged writes stored",
        name,
        "201 responses",
        acknowledged,
        "rows after the server stopped",
        stored or 0,
        "assessments",
        "at least 1.00: every acknowledged write is stored (in-flight ones at the end too)",
    )


def _database_size(service: Service, base: str, name: str, seeded: Seeded, sizes: HttpSizes) -> Row:
    """The same scorecard with few and with many other assessments stored (written while the
    server runs, as other buyers' work would be)."""
    path = f"/v1/vendors/{seeded.vendor_id}/scorecard"
    latencies = {}
    for total in (sizes.rows_small, sizes.rows_large):
        progress(f"{name}: http: filling the database to {total:,} assessments")
        took = fill(service, seeded.vendor_id, total)
        progress(f"{name}: http: filled in {took:.0f} s; measuring")
        latencies[total] = _latency(base, seeded.key, path, sizes)
    small, large = (latencies[t] for t in (sizes.rows_small, sizes.rows_large))
    return Row(
        f"http: scorecard with {sizes.rows_large:,} assessments stored over {sizes.rows_small:,}",
        name,
        f"{sizes.rows_small:,} in the database",
        statistics.median(small),
        f"{sizes.rows_large:,}",
        statistics.median(large),
        "ms p50",
        f"one connection; p50 per round: {_spread(small)} vs {_spread(large)} ms; target <= 1.2",
    )
