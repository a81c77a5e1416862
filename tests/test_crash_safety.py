"""Crash safety: idempotent writes survive gunicorn workers killed with SIGKILL mid-traffic.

A real `ethics-api serve` with four workers takes a stream of creating POSTs from several
clients while another thread SIGKILLs a random worker every few tenths of a second, as the
kernel's OOM killer or a crashing host would: no cleanup, no rollback by the process itself,
the request cut off wherever it was (before its transaction, inside it, after its commit but
before its answer). Gunicorn starts a new worker each time. Every client sends each logical
write with an Idempotency-Key of its own and, on a cut connection, a timeout or a 5xx, sends the
same request with the same key again until it gets its 201, then once more to see it replayed.

What this proves, on SQLite and on PostgreSQL: the database ends with exactly one vendor per
logical write (none lost, none created twice), each with the id its client was answered; every
201 for a key names that same vendor; the event log holds exactly one `vendor.created` event per
vendor, none for a write that was rolled back; and the hash chain still verifies. That holds only
because a request's rows, its event and its idempotency record commit together or not at all,
and because retries of one key are serialised: without the Idempotency-Key, a retry after a
commit whose answer was lost would create the vendor twice.

The kills are counted (and matched against gunicorn's own log of them), and so are the requests
they cut off. The clients go on past their share of writes until the killer has killed a few
workers and cut off a request, since on a fast machine the traffic could otherwise end first; a
run where it still hit nothing fails rather than passing vacuously. Workers are found through
/proc; without it the test is skipped.
"""

import http.client
import json
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from payloads import vendor
from processes import serving

WORKERS = 4
CLIENTS = 6
WRITES_PER_CLIENT = 50
KILL_PAUSE = (0.2, 0.5)  # seconds between two kills, drawn at random
MIN_KILLS = 5
# A client goes on past its share while the killer lags behind (on a machine fast enough to
# finish first), up to this many writes.
MAX_WRITES_PER_CLIENT = 4 * WRITES_PER_CLIENT
ATTEMPTS = 60  # per request, before a write counts as lost
RETRY_PAUSE = 0.05  # seconds between attempts: a live worker takes the next one
REQUEST_TIMEOUT = 15  # seconds; a request left hanging counts as cut off, and is retried
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KILLED_LOG = "was sent SIGKILL"  # gunicorn's master, reaping a worker the killer hit
# Rate limits off: the clients send hundreds of writes a minute with one key.
NO_RATE_LIMITS = {"ETHICS_RATELIMIT_DEFAULT": "off", "ETHICS_RATELIMIT_FAILED_AUTH": "off"}


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Server:
    """A started `ethics-api serve`, spoken to with one key."""

    port: int
    pid: int  # gunicorn's master: `ethics-api serve` runs it in its own process
    key: str

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        """(status, headers, body bytes), on a new connection every time, so that any worker
        may answer; a dead worker's cut connection raises OSError or HTTPException."""
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Accept": "application/json",
            **(headers or {}),
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


# --- the killer ----------------------------------------------------------------------------------


def workers_of(master: int) -> list[int]:
    """The live children of `master` (its workers), from /proc; zombies (killed, not yet
    reaped) are left out, as killing them again would count a kill that did nothing."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name, in parentheses, may hold spaces: the fields follow its last ')'.
        state, parent = stat.rpartition(")")[2].split()[:2]
        if int(parent) == master and state != "Z":
            found.append(int(entry.name))
    return found


class Killer(threading.Thread):
    """SIGKILLs a random worker of the master every KILL_PAUSE seconds until stopped."""

    def __init__(self, master: int):
        super().__init__(name="worker killer")
        self.master = master
        self.killed: set[int] = set()
        self.stopping = threading.Event()

    @property
    def kills(self) -> int:
        return len(self.killed)

    def run(self) -> None:
        chance = random.Random()
        while not self.stopping.wait(chance.uniform(*KILL_PAUSE)):
            # A worker in uninterruptible sleep (an fsync, say) dies only once it wakes: until
            # then it is listed alive, and killing it again would count a kill that did nothing.
            workers = [pid for pid in workers_of(self.master) if pid not in self.killed]
            if not workers:
                continue  # all being replaced: nothing to kill this time
            victim = chance.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:  # exited between the listing and the kill
                continue
            self.killed.add(victim)


@contextmanager
def killing(master: int) -> Iterator[Killer]:
    killer = Killer(master)
    killer.start()
    try:
        yield killer
    finally:
        killer.stopping.set()
        killer.join()


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Write:
    """One logical write: a vendor to create, under one Idempotency-Key, and what it met."""

    name: str
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    ids: list[str] = field(default_factory=list)  # the vendor id of every 201 for the key
    replayed: list[bool] = field(default_factory=list)  # whether each 201 was a replay
    failures: list[str] = field(default_factory=list)  # each failed attempt: error or status


def send_until_created(server: Server, write: Write) -> None:
    """POST the write, the same request with the same key, until it is answered 201.

    A cut connection, a timeout or a 5xx is what a killed worker looks like from outside: the
    client cannot know whether its write committed, so it retries. Any other answer is a bug.
    """
    for _ in range(ATTEMPTS):
        try:
            status, headers, body = server.request(
                "POST", "/v1/vendors", vendor(write.name), {HEADER: write.key}
            )
        except (OSError, http.client.HTTPException) as exc:
            write.failures.append(type(exc).__name__)
        else:
            if status == 201:
                write.ids.append(json.loads(body)["id"])
                write.replayed.append(headers.get(REPLAYED) == "true")
                return
            assert status >= 500, (write, status, body[:500])
            write.failures.append(str(status))
        time.sleep(RETRY_PAUSE)
    raise AssertionError(f"no 201 after {ATTEMPTS} attempts: {write}")


class Traffic:
    """The writes of every client, and whether there were enough of them under fire."""

    def __init__(self, server: Server, killer: Killer):
        self.server = server
        self.killer = killer
        self.writes: list[Write] = []

    def under_fire(self) -> bool:
        """Whether the killer killed MIN_KILLS workers and cut off a request: else the writes
        so far prove nothing."""
        return self.killer.kills >= MIN_KILLS and any(write.failures for write in self.writes)

    def client(self, number: int) -> None:
        """Writes, each until created and then once more (a retry after a 201 must replay it),
        until this client has done its share under fire, or MAX_WRITES_PER_CLIENT."""
        for n in range(MAX_WRITES_PER_CLIENT):
            if n >= WRITES_PER_CLIENT and self.under_fire():
                return
            write = Write(f"Crash Test Vendor {number}-{n}")
            self.writes.append(write)
            send_until_created(self.server, write)
            send_until_created(self.server, write)


# --- reading back --------------------------------------------------------------------------------


def every_page(server: Server, path: str) -> list[dict]:
    """Every item of a paginated list, following X-Pagination's next_page."""
    items, page = [], 1
    while page is not None:
        separator = "&" if "?" in path else "?"
        status, headers, body = server.request("GET", f"{path}{separator}page={page}&page_size=200")
        assert status == 200, body[:500]
        items += json.loads(body)
        page = json.loads(headers["X-Pagination"]).get("next_page")
    return items


def figures(writes: list[Write], kills: int) -> str:
    """What the run met, for the assertion messages and the test's output."""
    failures = Counter(failure for write in writes for failure in write.failures)
    retried = sum(1 for write in writes if write.failures)
    # A first 201 that is a replay: the write had committed but its answer was cut off.
    lost_answers = sum(1 for write in writes if write.replayed and write.replayed[0])
    return (
        f"{len(writes)} writes, {kills} workers killed, {sum(failures.values())} requests "
        f"retried over {retried} writes ({dict(failures)}), {lost_answers} commits whose "
        "answer was lost and replayed"
    )


# --- the test ------------------------------------------------------------------------------------


def test_idempotent_writes_survive_workers_killed_mid_traffic(make_app, database_url, tmp_path):
    if not Path("/proc/self/stat").is_file():
        pytest.skip("no /proc: cannot find gunicorn's workers to kill")
    # The database emptied, with its organisation and admin key, before the server opens it.
    admin_key = make_app().config["ADMIN_KEY"]
    backend = database_url.partition(":")[0].partition("+")[0]

    with serving(tmp_path, database_url, WORKERS, NO_RATE_LIMITS) as running:
        server = Server(running.port, running.process.pid, admin_key)
        with killing(server.pid) as killer, ThreadPoolExecutor(CLIENTS) as pool:
            traffic = Traffic(server, killer)
            for done in [pool.submit(traffic.client, number) for number in range(CLIENTS)]:
                done.result()  # a client's failure (a lost write, a 4xx) fails the test here
        writes = traffic.writes
        summary = f"{backend}: {figures(writes, killer.kills)}"
        print(summary)

        # The kills cut off requests in flight: else nothing was tested.
        assert traffic.under_fire(), f"too few kills, or none hit a request: {summary}"

        # Every 201 for a key named one vendor; the one after the first 201 was a replay.
        for write in writes:
            assert len(write.ids) == 2 and len(set(write.ids)) == 1, (write, summary)
            assert write.replayed[1], (write, summary)

        # Exactly one vendor per logical write, with the id its client was answered.
        vendors = every_page(server, "/v1/vendors")
        names = Counter(item["name"] for item in vendors)
        duplicated = {name: count for name, count in names.items() if count > 1}
        assert not duplicated, f"created more than once: {duplicated}; {summary}"
        stored = {item["name"]: item["id"] for item in vendors}
        assert stored == {write.name: write.ids[0] for write in writes}, summary

        # One vendor.created event per vendor, none for a write that was rolled back.
        events = every_page(server, "/v1/audit?object_type=vendor")
        created = Counter(e["object_id"] for e in events if e["action"] == "vendor.created")
        assert created == Counter(stored.values()), summary

        # The chain is whole: no event lost, forked or half written by a killed worker.
        status, _headers, body = server.request("GET", "/v1/audit/verify")
        assert status == 200, body[:500]
        verification = json.loads(body)
        assert verification["ok"], (verification, summary)
        status, headers, body = server.request("GET", "/v1/audit?page_size=1")
        assert status == 200, body[:500]
        assert verification["size"] == json.loads(headers["X-Pagination"])["total"], summary

    # Killed workers are the master's business: it carried on and, leaving serving(), stopped
    # cleanly. The kills were real: it reaped (and logged) each one; by now, stopped, it has
    # reaped them all.
    assert running.log_text().count(KILLED_LOG) == killer.kills, summary
