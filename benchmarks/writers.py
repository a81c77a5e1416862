"""Benchmark d: two SQLite writers at once, queued at the write gate or in SQLite's busy handler.

Two processes (as two gunicorn workers) write to one scratch SQLite database for a few seconds,
each in a loop shaped like the service's POST of an assessment: some work before its writing
transaction (the key, the body), then more inside it, holding the write lock (measured
in-process: about two thirds of the POST). Each side runs the same loop: once with the
engine as the service makes it (`ethics_api.write_gate` in front of BEGIN IMMEDIATE), once
with the gate switched off, so that the waiting writer sleeps in SQLite's busy handler as it
did before the gate. The sides alternate over the rounds; throughput is transactions a
second, latency is a transaction's, from asking to begin to its commit.
"""

import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from ethics_api import database, write_gate

from .report import Row, progress

WRITERS = 2
BEFORE_MS, INSIDE_MS = 4.0, 8.0  # the work of one write, outside and inside its transaction
GATED, UNGATED = "queued at the gate", "in SQLite's busy handler"


def _work(milliseconds: float) -> None:
    """CPU work, as the service's own (sleeping would leave the core free for the other)."""
    ends = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < ends:
        pass


def _writer(url: str, gated: bool, seconds: float, results) -> None:
    if not gated:
        write_gate.enter = lambda _info, _wait_at_most: None  # this process only
    engine = database.make_engine(url)
    writes = engine.execution_options(sqlite_immediate=True)
    latencies = []
    ends = time.perf_counter() + seconds
    while time.perf_counter() < ends:
        _work(BEFORE_MS)
        asked = time.perf_counter()
        with writes.begin() as connection:
            _work(INSIDE_MS)
            connection.execute(text("INSERT INTO writes (at) VALUES (:at)"), {"at": asked})
        latencies.append(time.perf_counter() - asked)
    engine.dispose()
    results.put(latencies)


def _round(url: str, gated: bool, seconds: float) -> tuple[float, float]:
    """Transactions a second, and the p99 latency in ms, of WRITERS writers at once."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as a worker has
    results = context.Queue()
    writers = [
        context.Process(target=_writer, args=(url, gated, seconds, results)) for _ in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    latencies = sorted(latency for _ in writers for latency in results.get())
    for writer in writers:
        writer.join()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / seconds, p99 * 1000


def run(seconds: float, rounds: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="ethics-writers-") as folder:
        url = f"sqlite:///{Path(folder) / 'writers.db'}"
        engine = database.make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE writes (at REAL)"))
        engine.dispose()
        found: dict[str, list[tuple[float, float]]] = {GATED: [], UNGATED: []}
        for number in range(rounds):
            progress(f"sqlite: writers: round {number + 1} of {rounds}")
            order = (GATED, UNGATED) if number % 2 == 0 else (UNGATED, GATED)
            for side in order:
                found[side].append(_round(url, side == GATED, seconds))
    throughput = {side: statistics.median(t for t, _ in values) for side, values in found.items()}
    p99 = {side: statistics.median(p for _, p in values) for side, values in found.items()}
    shape = f"{WRITERS} processes, {BEFORE_MS:g} ms of work outside each write, {INSIDE_MS:g} in"
    return [
        Row(
            "writers: throughput of two at once, gate over busy handler",
            "sqlite",
            UNGATED,
            throughput[UNGATED],
            GATED,
            throughput[GATED],
            "writes/s",
            f"{shape}; median of {rounds} rounds of {seconds:g} s",
        ),
        Row(
            "writers: p99 latency of two at once, gate over busy handler",
            "sqlite",
            UNGATED,
            p99[UNGATED],
            GATED,
            p99[GATED],
            "ms",
            f"{shape}; median of {rounds} rounds' p99",
        ),
    ]
