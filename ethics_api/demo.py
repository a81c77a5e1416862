"""Demo data: three fictional analytics vendors, each assessed by two evaluators.

One vendor is strong, one crosses a red line, and on one the evaluators disagree, so a new user
sees every part of a scorecard at once. The answers are generated for whatever default criteria
set is loaded. Where the UK policing set is loaded too, a second procurement evaluates the same
vendors on it, with a profile that switches modules on and off and an indicator minimum that
decides who stays eligible. Everything is written through the same use cases as the API, so
the demo's records, events and webhook messages are those the API would have made.
"""

from flask import Flask, url_for

from .config import LOCAL_ROOT
from .criteria import Applicability, CriteriaSet
from .documents.links import Links
from .enums import ProcurementStatus, Role
from .models import Person, Procurement, Vendor
from .schemas.assessments import AssessmentCreateSchema
from .schemas.people import PersonCreateSchema
from .schemas.procurements import ProcurementCreateSchema
from .schemas.vendors import VendorCreateSchema
from .services import procurements as procurement_service
from .services import vendors as vendor_service
from .services.assessments import submit_assessment
from .services.context import Caller, Context
from .services.declarations import declare
from .services.keys import first_organisation
from .services.people import create_person, named
from .services.revisions import Expected
from .services.signin import invite

EVALUATORS = ("Evaluator A (R. Patel)", "Evaluator B (J. Okafor)")
# The demo's people, each invited to sign in to the pages with a role: (name, email, role).
PEOPLE = (
    ("Buyer (B. Adeyemi)", "b.adeyemi@demo.example", Role.BUYER),
    (EVALUATORS[0], "r.patel@demo.example", Role.ASSESSOR),
    (EVALUATORS[1], "j.okafor@demo.example", Role.ASSESSOR),
    ("Moderator (M. Novak)", "m.novak@demo.example", Role.MODERATOR),
)

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


def _at_least_red_line(level: int, red_line: int | None) -> int:
    """Only the vendor meant to cross a red line crosses one."""
    return level if red_line is None else max(level, red_line)


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


def answers_for(
    criteria_set: CriteriaSet,
    profile: str,
    evaluator: int,
    applicability: Applicability | None = None,
    crossed: str | None = None,
) -> list[dict]:
    """One evaluator's answers to every indicator that applies (all of them, standalone). The
    "knockout" vendor is at level 0 on `crossed` (by default the first indicator with a red
    line); the others stay at or above every red line."""
    applicability = applicability or criteria_set.applicability(None)
    applying = [i for i in criteria_set.indicators if applicability.applies(i.key)]
    crossed = crossed or next(i.key for i in applying if applicability.red_line(i) is not None)
    answers = []
    for index, indicator in enumerate(applying):
        if indicator.allow_not_applicable and profile != "disputed":
            answers.append(
                {
                    "indicator": indicator.key,
                    "not_applicable": True,
                    "rationale": "The system offered does not include this capability.",
                }
            )
            continue
        line = applicability.red_line(indicator)
        if indicator.key == crossed and profile == "knockout":
            level = 0 if line == 1 else line - 1
        else:
            level = _at_least_red_line(_level(profile, evaluator, index, -1), line)
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
DEMO_ACTOR = "command line (demo)"
# The policing procurement: a force data platform with a model trained on force data and hosted
# by the vendor, identifying nobody from biometrics: the biometric, live-use and risk-scoring
# modules are off, and its 3 points put it in the high tier, where a vendor's exposure to
# foreign law must be at level 2 or better.
POLICING_SET = "uk-policing@1"
POLICING_OCID = "ocds-demo00-policing-2026"
POLICING_PROFILE = {
    "has-model": True,
    "vendor-access": True,
    "model-training-on-force-data": True,
    "public-space-live": False,
    "individual-risk-scoring": False,
    "biometric-identification": False,
}
POLICING_RED_LINE = "foreign-law-exposure"
# Left for a person to do in the pages: the second evaluator has not yet assessed the bid on
# which the evaluators will disagree, so signing in as them there is an assessment to complete
# through the form, then a disagreement for the moderator to settle.
LEFT_TO_ASSESS = ("disputed", EVALUATORS[1])


def load_demo(app: Flask) -> list[str]:
    """Create the demo vendors, assessments and procurement once, in the first organisation,
    through the same use cases as the API; say what is there."""
    catalog = app.extensions["catalog"]
    criteria_set = catalog.default
    lines = []
    vendors = []
    with app.extensions["database"].transaction() as session:
        organisation = first_organisation(session)
        context = Context(session, Caller.system(organisation.id, DEMO_ACTOR), catalog)
        created = _people(context)
        for spec in VENDORS:
            scheme, local_id = spec["identifier"]
            vendor = vendor_service.find_by_identifier(context, scheme, local_id)
            status = "already loaded"
            if vendor is None:
                vendor = _vendor_assessed(context, criteria_set, spec)
                status = "created"
            vendors.append(vendor)
            with app.test_request_context():
                url = url_for("scorecards.get_scorecard", vendor_id=vendor.id)
            lines.append(f"{status:15} {spec['name']:36} scorecard: {url}")
        procurement, status = _procurement(context, criteria_set, vendors)
        with app.test_request_context():
            url = url_for("procurements.get_ranking", procurement_id=procurement.id)
        lines.append(f"{status:15} {'Procurement ' + DEMO_OCID:36} ranking: {url}")
        policing = catalog.get(POLICING_SET)
        if policing is not None:
            procurement, status = _policing_procurement(context, policing, vendors)
            with app.test_request_context():
                url = url_for("procurements.get_ranking", procurement_id=procurement.id)
            lines.append(f"{status:15} {'Procurement ' + POLICING_OCID:36} ranking: {url}")
        root = Links(app.config.get("PUBLIC_URL") or LOCAL_ROOT)
        for person, role in created:
            _, token = invite(context, person.id, role)
            lines.append(
                f"{'invited':15} {person.name:36} sign in as {role}: {root.invitation(token)}"
            )
    return lines


def _people(context: Context) -> list[tuple[Person, Role]]:
    """The demo's people, created once with their email addresses (before anything names
    them); those just created, to be invited once everything else is loaded."""
    created = []
    for name, email, role in PEOPLE:
        if named(context, name) is None:
            person = create_person(
                context, PersonCreateSchema().load({"name": name, "email": email})
            )
            created.append((person, role))
    return created


def _vendor_assessed(context: Context, criteria_set: CriteriaSet, spec: dict) -> Vendor:
    """The vendor, created and assessed by both evaluators as they would through the API."""
    scheme, local_id = spec["identifier"]
    vendor = vendor_service.create_vendor(
        context,
        VendorCreateSchema().load(
            {
                "name": spec["name"],
                "identifier": {"scheme": scheme, "id": local_id},
                "country": spec["country"],
                "website": spec["website"],
            }
        ),
    )
    for evaluator, assessor in enumerate(EVALUATORS):
        payload = {
            "criteria_set": criteria_set.ref,
            "assessor": assessor,
            "summary": f"Demo assessment of a {spec['profile']} bid.",
            "answers": answers_for(criteria_set, spec["profile"], evaluator),
        }
        submit_assessment(context, vendor.id, AssessmentCreateSchema().load(payload))
    return vendor


def _procurement(context: Context, criteria_set: CriteriaSet, vendors) -> tuple[Procurement, str]:
    """A tender ranking the three vendors on their standalone assessments (reuse_standalone),
    so the ranking has something to show. Where the set asks a profile, the system does
    everything it asks about: everything applies, in the highest tier, as on the standalone
    scorecards."""
    existing = procurement_service.find_by_ocid(context, DEMO_OCID)
    if existing is not None:
        return existing, "already loaded"
    body = {
        "ocid": DEMO_OCID,
        "title": "City analytics platform (demo)",
        "buyer": {"name": "Demo City Police (demo)"},
        "criteria_set": criteria_set.ref,
        "reuse_standalone": True,
    }
    if criteria_set.profile:
        body["profile"] = {q.key: True for q in criteria_set.profile}
    return _evaluating(context, body, vendors), "created"


def _evaluating(context: Context, body: dict, vendors) -> Procurement:
    """A procurement made as a buyer makes one: opened in draft, the vendors added as bidders,
    the evaluators' declarations of interest (none) made, then moved to evaluating."""
    procurement = procurement_service.create_procurement(
        context, ProcurementCreateSchema().load(body)
    )
    for vendor in vendors:
        procurement_service.add_bidder(context, procurement.id, vendor.id)
    for evaluator in EVALUATORS:
        declare(context, procurement.id, {"conflict": False, "person": evaluator})
    procurement_service.update_procurement(
        context,
        procurement.id,
        {"status": ProcurementStatus.EVALUATING.value},
        Expected(frozenset({procurement.revision})),
    )
    return procurement


def _policing_procurement(
    context: Context, criteria_set: CriteriaSet, vendors
) -> tuple[Procurement, str]:
    """The same vendors bidding for a force data platform on the UK policing set, assessed in
    the procurement by both evaluators on what its profile leaves in (but for the assessment
    left to do in the pages). The vendor meant to cross a red line is one level under the high
    tier's minimum for foreign-law exposure."""
    existing = procurement_service.find_by_ocid(context, POLICING_OCID)
    if existing is not None:
        return existing, "already loaded"
    body = {
        "ocid": POLICING_OCID,
        "title": "Force data platform (demo)",
        "buyer": {"name": "Demo City Police (demo)"},
        "criteria_set": criteria_set.ref,
        "profile": POLICING_PROFILE,
    }
    procurement = _evaluating(context, body, vendors)
    applicability = criteria_set.in_procurement(POLICING_PROFILE)
    for vendor, spec in zip(vendors, VENDORS, strict=True):
        for evaluator, assessor in enumerate(EVALUATORS):
            if (spec["profile"], assessor) == LEFT_TO_ASSESS:
                continue
            payload = {
                "procurement_id": procurement.id,
                "assessor": assessor,
                "summary": f"Demo assessment of a {spec['profile']} bid for the force.",
                "answers": answers_for(
                    criteria_set, spec["profile"], evaluator, applicability, POLICING_RED_LINE
                ),
            }
            submit_assessment(context, vendor.id, AssessmentCreateSchema().load(payload))
    return procurement, "created"
