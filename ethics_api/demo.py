"""Demo data: three fictional analytics vendors, each assessed by two evaluators.

One vendor is strong, one crosses a knockout red line, and on one the evaluators disagree, so a
new user sees every part of a scorecard at once. The answers are generated for whatever default
criteria set is loaded, and go through the same validation as the API.
"""

import datetime as dt

from flask import Flask, url_for
from sqlalchemy import select

from . import audit
from .answers import answer_errors
from .criteria import CriteriaSet
from .fingerprints import record_use
from .models import Assessment, Bidder, Organisation, Procurement, Vendor
from .schemas import AssessmentCreateSchema

EVALUATORS = ("Evaluator A (R. Patel)", "Evaluator B (J. Okafor)")

VENDORS = [
    {
        "name": "Northwind Analytics Ltd (demo)",
        "identifier": ("GB-COH", "DEMO0001"),
        "country": "GB",
        "website": "https://northwind-analytics.example",
        "profile": "strong",
    },
    {
        "name": "Blue Lantern Vision Ltd (demo)",
        "identifier": ("GB-COH", "DEMO0002"),
        "country": "GB",
        "website": "https://blue-lantern.example",
        "profile": "knockout",
    },
    {
        "name": "Civic Insight Systems BV (demo)",
        "identifier": ("NL-KVK", "DEMO0003"),
        "country": "NL",
        "website": "https://civic-insight.example",
        "profile": "disputed",
    },
]


def _level(profile: str, evaluator: int, index: int, knockout_index: int) -> int:
    if profile == "strong":
        return min(4, 3 + (index + evaluator) % 3 // 2)
    if profile == "knockout":
        return 0 if index == knockout_index else 2 + (index + evaluator) % 2
    # "disputed": the evaluators read two indicators two levels apart.
    if index in (1, 7):
        return 1 if evaluator == 0 else 3
    return 2 + (index % 4 == 0)


def _evidence(profile: str, indicator_key: str, level: int) -> list[dict]:
    if level == 0:
        return []
    kind = {"strong": "independently_verified" if level == 4 else "documented"}.get(
        profile, "self_declared" if level < 3 else "documented"
    )
    return [
        {
            "title": f"{indicator_key} evidence pack",
            "kind": kind,
            "url": f"https://docs.example/{profile}/{indicator_key}.pdf",
            "effective_date": "2026-01-01",
        }
    ]


def answers_for(criteria_set: CriteriaSet, profile: str, evaluator: int) -> list[dict]:
    knockout_index = next(i for i, ind in enumerate(criteria_set.indicators) if ind.knockout)
    answers = []
    for index, indicator in enumerate(criteria_set.indicators):
        if indicator.allow_not_applicable and profile != "disputed":
            answers.append(
                {
                    "indicator": indicator.key,
                    "not_applicable": True,
                    "rationale": "The system offered does not include this capability.",
                }
            )
            continue
        level = _level(profile, evaluator, index, knockout_index)
        answers.append(
            {
                "indicator": indicator.key,
                "level": level,
                "rationale": f"Level {level}: {indicator.levels[level]}",
                "evidence": _evidence(profile, indicator.key, level),
            }
        )
    return answers


DEMO_OCID = "ocds-demo00-analytics-2026"


def load_demo(app: Flask) -> list[str]:
    """Create the demo vendors, assessments and procurement once, in the first organisation;
    say what is there."""
    criteria_set = app.extensions["catalog"].default
    lines = []
    vendors = []
    with app.extensions["db"].transaction() as session:
        organisation_id = session.scalar(
            select(Organisation.id).order_by(Organisation.created_at).limit(1)
        )
        for spec in VENDORS:
            scheme, local_id = spec["identifier"]
            vendor = session.scalar(
                select(Vendor).where(
                    Vendor.organisation_id == organisation_id,
                    Vendor.identifier_scheme == scheme,
                    Vendor.identifier_id == local_id,
                )
            )
            if vendor is None:
                vendor = Vendor(
                    organisation_id=organisation_id,
                    name=spec["name"],
                    identifier_scheme=scheme,
                    identifier_id=local_id,
                    country=spec["country"],
                    website=spec["website"],
                )
                session.add(vendor)
                session.flush()
                _log(session, "vendor.created", "vendor", vendor.id, {"name": vendor.name})
                for evaluator, assessor in enumerate(EVALUATORS):
                    record = _assessment(criteria_set, vendor, assessor, spec, evaluator)
                    session.add(record)
                    session.flush()
                    change = {"vendor_id": vendor.id, "assessor": assessor}
                    _log(session, "assessment.submitted", "assessment", record.id, change)
                record_use(session, criteria_set)
                status = "created"
            else:
                status = "already loaded"
            vendors.append(vendor)
            with app.test_request_context():
                url = url_for("scorecards.get_scorecard", vendor_id=vendor.id)
            lines.append(f"{status:15} {spec['name']:36} scorecard: {url}")
        procurement, status = _procurement(session, organisation_id, criteria_set, vendors)
        with app.test_request_context():
            url = url_for("procurements.get_ranking", procurement_id=procurement.id)
        lines.append(f"{status:15} {'Procurement ' + DEMO_OCID:36} ranking: {url}")
    return lines


def _procurement(session, organisation_id, criteria_set, vendors) -> tuple[Procurement, str]:
    """A tender in evaluation with the three vendors as bidders, ranked on their
    standalone assessments (reuse_standalone), so the ranking has something to show."""
    existing = session.scalar(
        select(Procurement).where(
            Procurement.organisation_id == organisation_id, Procurement.ocid == DEMO_OCID
        )
    )
    if existing is not None:
        return existing, "already loaded"
    procurement = Procurement(
        organisation_id=organisation_id,
        ocid=DEMO_OCID,
        title="City analytics platform (demo)",
        buyer_name="Demo City Police (demo)",
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        reuse_standalone=True,
        status="evaluating",
    )
    session.add(procurement)
    session.flush()
    _log(session, "procurement.created", "procurement", procurement.id, {"ocid": DEMO_OCID})
    for vendor in vendors:
        session.add(Bidder(procurement_id=procurement.id, vendor_id=vendor.id))
        _log(session, "bidder.added", "procurement", procurement.id, {"vendor_id": vendor.id})
    return procurement, "created"


def _log(session, action: str, object_type: str, object_id: str, change: dict) -> None:
    organisation_id = session.scalar(
        select(Organisation.id).order_by(Organisation.created_at).limit(1)
    )
    audit.record(
        session,
        action,
        object_type,
        object_id,
        change,
        actor="command line (demo)",
        organisation_id=organisation_id,
    )


def _assessment(criteria_set, vendor, assessor, spec, evaluator) -> Assessment:
    payload = {
        "criteria_set": criteria_set.ref,
        "assessor": assessor,
        "summary": f"Demo assessment of a {spec['profile']} bid.",
        "answers": answers_for(criteria_set, spec["profile"], evaluator),
    }
    AssessmentCreateSchema().load(payload)  # the API's own rules; raises if the demo broke them
    errors = answer_errors(criteria_set, payload["answers"])
    if errors:
        raise ValueError(f"demo answers do not fit {criteria_set.ref}: {errors}")
    return Assessment(
        organisation_id=vendor.organisation_id,
        vendor_id=vendor.id,
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        assessor=assessor,
        summary=payload["summary"],
        answers=payload["answers"],
        submitted_at=dt.datetime.now(dt.UTC),
    )
