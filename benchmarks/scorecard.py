"""Benchmark b: what a scorecard costs over a bare request.

GET /v1/vendors/{id}/scorecard (a vendor with three standalone assessments of every indicator)
against GET /healthz, the cheapest request the app serves (no key, no database), and against
GET /v1/vendors/{id}, which pays for the key's authentication and one row. The first ratio is
the scorecard's whole cost in units of a bare request; the second its own work (reading the
assessments, exact scoring, the explanations) beyond what every authenticated read pays.
"""

from functools import partial

from .data import assessed_vendor
from .report import Row, progress
from .service import Service
from .sizes import Sizes
from .timing import alternate, median_ms, statements

HEALTHZ = "GET /healthz"
VENDOR = "GET vendor"
SCORECARD = "GET scorecard"


def run(service: Service, sizes: Sizes) -> list[Row]:
    progress(f"{service.database}: scorecard: a vendor with {sizes.assessors} assessments")
    vendor_id = assessed_vendor(service, "Scored vendor", sizes.assessors)
    paths = {
        HEALTHZ: "/healthz",
        VENDOR: f"/v1/vendors/{vendor_id}",
        SCORECARD: f"/v1/vendors/{vendor_id}/scorecard",
    }
    counts = {name: _statement_count(service, path) for name, path in paths.items()}
    progress(f"{service.database}: scorecard: timing {sizes.read_rounds} rounds")
    samples = alternate(
        {name: partial(service.call, "GET", path) for name, path in paths.items()},
        sizes.read_rounds,
        sizes.warmup,
    )
    medians = {name: median_ms(samples[name]) for name in paths}
    scorecard = f"scorecard ({sizes.assessors} assessments)"
    return [
        Row(
            benchmark="scorecard over a bare request",
            database=service.database,
            baseline=HEALTHZ,
            baseline_value=medians[HEALTHZ],
            subject=scorecard,
            subject_value=medians[SCORECARD],
            unit="ms",
            note=f"SQL statements {counts[HEALTHZ]} vs {counts[SCORECARD]}",
        ),
        Row(
            benchmark="scorecard over a vendor read",
            database=service.database,
            baseline=VENDOR,
            baseline_value=medians[VENDOR],
            subject=scorecard,
            subject_value=medians[SCORECARD],
            unit="ms",
            note=f"SQL statements {counts[VENDOR]} vs {counts[SCORECARD]}",
        ),
    ]


def _statement_count(service: Service, path: str) -> int:
    with statements(service.engine) as seen:
        service.call("GET", path)
    return len(seen)
