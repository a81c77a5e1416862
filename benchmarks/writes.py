"""Benchmark c: what an assessment costs to write, against a vendor, on each database.

POST /v1/vendors/{id}/assessments (every indicator answered, with rationale and evidence)
against POST /v1/vendors (a name): both validate a body, write their row and an event in the
event log, and commit; the assessment also checks its answers against the criteria set and
scores itself for the response. Given two databases, every write on both is interleaved in
the same rounds, so the databases are compared side by side under the same conditions.
"""

import json
from itertools import pairwise

from .data import answers, create_vendor
from .report import Row, progress
from .service import Service
from .sizes import Sizes
from .timing import alternate, median_ms, statements

VENDOR = "POST vendor"
ASSESSMENT = "POST assessment"


def run(services: list[Service], sizes: Sizes) -> list[Row]:
    sides, counts = {}, {}
    for service in services:
        progress(f"{service.database}: writes: preparing")
        for operation, write in _writes(service).items():
            counts[service.database, operation] = _statement_count(service, write)
            sides[service.database, operation] = write
    names = " and ".join(service.database for service in services)
    progress(f"writes: timing {sizes.write_rounds} rounds on {names}")
    samples = alternate(sides, sizes.write_rounds, sizes.warmup)
    medians = {side: median_ms(found) for side, found in samples.items()}
    rows = [_within(service.database, medians, counts) for service in services]
    for first, second in pairwise(services):
        rows += [
            _across(first.database, second.database, op, medians) for op in (VENDOR, ASSESSMENT)
        ]
    return rows


def _writes(service: Service) -> dict:
    """The two writes as calls with their bodies encoded beforehand, so that the timing is the
    application's work rather than the benchmark's JSON encoding."""
    vendor_body = json.dumps({"name": "Written vendor"})
    assessed = create_vendor(service, "Assessed vendor")
    assessment_body = json.dumps(
        {"assessor": "Evaluator 1", "answers": answers(service.criteria_set, bid=0)}
    )

    def post(path: str, body: str):
        return lambda: service.call("POST", path, 201, data=body, content_type="application/json")

    return {
        VENDOR: post("/v1/vendors", vendor_body),
        ASSESSMENT: post(f"/v1/vendors/{assessed}/assessments", assessment_body),
    }


def _statement_count(service: Service, write) -> int:
    with statements(service.engine) as seen:
        write()
    return len(seen)


def _within(database: str, medians: dict, counts: dict) -> Row:
    vendor, assessment = medians[database, VENDOR], medians[database, ASSESSMENT]
    return Row(
        benchmark="writes: assessment over vendor",
        database=database,
        baseline=VENDOR,
        baseline_value=vendor,
        subject=ASSESSMENT,
        subject_value=assessment,
        unit="ms",
        note=(
            f"{1000 / vendor:.0f} vs {1000 / assessment:.0f} writes/s one at a time; "
            f"SQL statements {counts[database, VENDOR]} vs {counts[database, ASSESSMENT]}"
        ),
    )


def _across(first: str, second: str, operation: str, medians: dict) -> Row:
    return Row(
        benchmark=f"writes across databases: {operation}",
        database=f"{first} vs {second}",
        baseline=first,
        baseline_value=medians[first, operation],
        subject=second,
        subject_value=medians[second, operation],
        unit="ms",
        note="interleaved in the same rounds",
    )
