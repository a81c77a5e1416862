"""The benchmark suite runs: `python -m benchmarks --quick` on each backend, as a smoke test.

Nothing here asserts a timing: the machine is shared and noisy, and performance is reported by
the benchmarks themselves, as ratios within one run. What is checked holds on any machine:
the run completes, every benchmark prints its row with a ratio, and a ranking takes as many
SQL statements for a few bidders as for many.
"""

import json
import subprocess
import sys

from conftest import TESTS, empty_tables

PROJECT = TESTS.parent
BENCHMARKS = (
    "ranking: time per bidder",
    "ranking: SQL statements",
    "scorecard over a bare request",
    "scorecard over a vendor read",
    "writes: assessment over vendor",
)
SQLITE_ONLY = (
    "writers: throughput of two at once, gate over busy handler",
    "writers: p99 latency of two at once, gate over busy handler",
)


def scratch(database_url: str) -> str:
    """The session's database emptied for the run: rows another test left there (criteria sets
    the shipped catalogue does not hold, say) must not stop the run's service from starting.
    On PostgreSQL the run works in a schema of its own anyway."""
    empty_tables(database_url)
    return database_url


def run_quick(database_url: str, results) -> subprocess.CompletedProcess:
    # A subprocess from the project's root: `benchmarks` is not part of the installed package
    # (nor on the tests' sys.path), and the run's app and engine stay out of the test session.
    # `-W error`, as in the tests: a warning in the app fails the run.
    command = [sys.executable, "-W", "error", "-m", "benchmarks", "--quick"]
    command += ["--database-url", scratch(database_url), "--json", str(results)]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300)


def table_ratios(stdout: str) -> dict[str, str]:
    """The ratio cell of each printed row, by benchmark name."""
    lines = [line for line in stdout.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    name, ratio = header.index("benchmark"), header.index("ratio")
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]
    return {row[name]: row[ratio] for row in rows}


def test_quick_run_prints_every_benchmark_with_a_ratio(database_url, tmp_path):
    results = tmp_path / "results.json"
    run = run_quick(database_url, results)
    assert run.returncode == 0, run.stderr

    expected = BENCHMARKS + (SQLITE_ONLY if database_url.startswith("sqlite") else ())
    printed = table_ratios(run.stdout)
    assert sorted(printed) == sorted(expected)
    assert all(float(ratio) > 0 for ratio in printed.values()), printed

    rows = {row["benchmark"]: row for row in json.loads(results.read_text())["rows"]}
    assert sorted(rows) == sorted(expected)
    statements = rows["ranking: SQL statements"]
    # Fewer bidders than more, and one pass over the database whatever their number.
    assert statements["baseline"] != statements["subject"]
    assert statements["baseline_value"] == statements["subject_value"] > 0


HTTP_BENCHMARKS = (
    "http: GET vendor over GET /healthz",
    "http: GET vendor list page over GET /healthz",
    "http: GET scorecard over GET /healthz",
    "http: POST assessment (50 answers) over GET /healthz",
    "http: POST assessment, loaded then refused (404) over GET /healthz",
    "http: acknowledged writes stored",
    "http: worker memory after the run",
)


def test_quick_http_run_serves_every_request_it_measures(database_url, tmp_path):
    """gunicorn started as `ethics-api serve` starts it, loaded for a second per figure: every
    request answered as expected (the run stops at the first that is not), every row printed,
    every acknowledged write found in the database afterwards."""
    results = tmp_path / "http.json"
    command = [sys.executable, "-m", "benchmarks", "--http", "--quick"]
    command += ["--database-url", scratch(database_url), "--json", str(results)]
    run = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]

    rows = {row["benchmark"]: row for row in json.loads(results.read_text())["rows"]}
    assert set(HTTP_BENCHMARKS) <= set(rows)
    assert any(name.startswith("http: ranking of") for name in rows)
    assert all(row["baseline_value"] > 0 and row["subject_value"] > 0 for row in rows.values())
    stored = rows["http: acknowledged writes stored"]
    assert stored["subject_value"] >= stored["baseline_value"] > 0
    assert len(table_ratios(run.stdout)) == len(rows)
