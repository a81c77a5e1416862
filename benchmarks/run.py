"""Run the benchmarks and print their table: `python -m benchmarks --help`."""

import argparse
import dataclasses
import datetime as dt
import os
import platform
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from . import http, ranking, scorecard, writers, writes
from .databases import backend_name, scratch_database
from .report import Row, progress, table, write_json
from .service import Service, running_service
from .sizes import FULL, QUICK

HEADLINE = (
    "In-process benchmark: Flask test client calling the app directly (no network, no "
    "gunicorn), so it measures the application and its database.\n"
    "Values are medians of alternating rounds; ratio = subject / baseline, both measured in "
    "this run."
)


HTTP_HEADLINE = (
    "HTTP benchmark: gunicorn as `ethics-api serve` runs it (2 workers), loaded from this "
    "machine.\nThroughput rows: req/s, medians of the rounds, with each round's ratio to "
    "GET /healthz in that round; latency rows compare two latencies of the same run."
)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of the ethics scoring API, reported as ratios within one run.",
    )
    parser.add_argument(
        "--database-url",
        help="the database to measure (default: a SQLite file in a temporary folder); "
        "on PostgreSQL the run uses a schema of its own, dropped at the end",
    )
    parser.add_argument(
        "--compare-url",
        help="a second database, e.g. PostgreSQL: every benchmark runs on it too, and the "
        "writes on both are interleaved and compared side by side",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: a smoke test of the suite, not figures"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--http",
        action="store_true",
        help="drive the real server instead: gunicorn as `ethics-api serve` runs it (2 "
        "workers), loaded by wrk (or Python) on this machine; see benchmarks/README.md",
    )
    parser.add_argument(
        "--rows",
        type=int,
        help="with --http: the assessments in the database for the largest size "
        "(default 1,000,000)",
    )
    return parser.parse_args(argv)


def labelled(urls: list[str | None]) -> list[tuple[str, str | None]]:
    """Each URL with the name its rows carry: the kind of database, numbered if two match."""
    kinds = [backend_name(url) if url else "sqlite" for url in urls]
    return [
        (f"{kind} #{n + 1}" if kinds.count(kind) > 1 else kind, url)
        for n, (kind, url) in enumerate(zip(kinds, urls, strict=True))
    ]


def measure(services: list[Service], quick: bool) -> list[Row]:
    """The in-process benchmarks."""
    sizes = QUICK if quick else FULL
    rows: list[Row] = []
    for service in services:
        rows += ranking.run(service, sizes)
        rows += scorecard.run(service, sizes)
    rows += writes.run(services, sizes)
    if any(service.engine.dialect.name == "sqlite" for service in services):
        rows += writers.run(sizes.writer_seconds, sizes.writer_rounds)
    return rows


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    urls = [arguments.database_url]
    if arguments.compare_url:
        urls.append(arguments.compare_url)
    started = time.perf_counter()
    with ExitStack() as stack:
        services = []
        scoped_urls = []
        for label, url in labelled(urls):
            progress(f"{label}: preparing a scratch database")
            scoped = stack.enter_context(scratch_database(url))
            scoped_urls.append(scoped)
            services.append(stack.enter_context(running_service(scoped, label)))
        if arguments.http:
            sizes = http.HTTP_QUICK if arguments.quick else http.HTTP_FULL
            if arguments.rows:
                sizes = dataclasses.replace(sizes, rows_large=arguments.rows)
            rows = [
                row
                for service, scoped in zip(services, scoped_urls, strict=True)
                for row in http.run(service, scoped, sizes)
            ]
        else:
            rows = measure(services, arguments.quick)
    elapsed = time.perf_counter() - started
    settings = {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "quick": arguments.quick,
        "databases": [service.database for service in services],
        "seconds": round(elapsed, 1),
    }
    print(HTTP_HEADLINE if arguments.http else HEADLINE)
    print(", ".join(f"{key}: {value}" for key, value in settings.items()))
    print()
    print(table(rows))
    if arguments.json:
        write_json(arguments.json, rows, settings)
    progress(f"done in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
