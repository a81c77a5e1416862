"""Who may do what: roles, organisations, vendor keys, API keys and blind evaluation.

The role matrix below is the contract (the README shows the same table). Every operation of the
API is one row; each role's cell says whether its key may call it:

    yes    allowed
    no     refused: 403, whatever the object
    own    a vendor key, on its own vendor only (other vendors answer 404, as if absent)
    blind  an assessor, after submitting its own assessment of the vendor in the same scope
           (a procurement, or standalone); before that, others' assessments of the vendor are
           hidden from lists and 403 to read, and so is the combined scorecard

Admin keys may do everything; auditors read everything and write nothing. Every key acts within
its organisation only: other organisations' objects answer 404 (never 403) and are absent from
lists. Without a valid key every route but the probes and the API documents is 401.
"""

import datetime as dt
import json
import os
import re
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import update

from ethics_api.auth import PAGES, PUBLIC_ENDPOINTS, ROLES, WWW_AUTHENTICATE
from ethics_api.models import ApiKey, utcnow
from ethics_api.services.keys import digest

from conftest import (
    PROFILED_CRITERIA,
    TEST_CRITERIA,
    app_on,
    backend_of,
    client_with_key,
    first_start,
    make_key,
    make_organisation,
    migrated_database,
    with_admin_key,
)
from payloads import answers, vendor
from responses import assert_problem, created, ok

ROLE_MATRIX = """
| operation                                                                       | admin | buyer | assessor | moderator | vendor | auditor |
|---------------------------------------------------------------------------------|-------|-------|----------|-----------|--------|---------|
| GET /v1/criteria-sets                                                           | yes   | yes   | yes      | yes       | yes    | yes     |
| GET /v1/criteria-sets/{key}/{version}                                           | yes   | yes   | yes      | yes       | yes    | yes     |
| POST /v1/vendors                                                                | yes   | yes   | no       | no        | no     | no      |
| GET /v1/vendors                                                                 | yes   | yes   | yes      | yes       | own    | yes     |
| GET /v1/vendors/{vendor_id}                                                     | yes   | yes   | yes      | yes       | own    | yes     |
| PATCH /v1/vendors/{vendor_id}                                                   | yes   | yes   | no       | no        | no     | no      |
| POST /v1/vendors/{vendor_id}/assessments                                        | yes   | no    | yes      | yes       | no     | no      |
| GET /v1/vendors/{vendor_id}/assessments                                         | yes   | yes   | blind    | yes       | no     | yes     |
| GET /v1/assessments/{assessment_id}                                             | yes   | yes   | blind    | yes       | no     | yes     |
| GET /v1/vendors/{vendor_id}/scorecard                                           | yes   | yes   | blind    | yes       | own    | yes     |
| POST /v1/procurements                                                           | yes   | yes   | no       | no        | no     | no      |
| GET /v1/procurements                                                            | yes   | yes   | yes      | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}                                           | yes   | yes   | yes      | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}/profile                                   | yes   | yes   | yes      | yes       | no     | yes     |
| PATCH /v1/procurements/{procurement_id}                                         | yes   | yes   | no       | no        | no     | no      |
| POST /v1/procurements/{procurement_id}/bidders                                  | yes   | yes   | no       | no        | no     | no      |
| GET /v1/procurements/{procurement_id}/bidders                                   | yes   | yes   | yes      | yes       | no     | yes     |
| POST /v1/procurements/{procurement_id}/bidders/{vendor_id}/components           | yes   | yes   | no       | no        | no     | no      |
| POST /v1/procurements/{procurement_id}/bidders/{vendor_id}/gates                | yes   | yes   | no       | no        | no     | no      |
| GET /v1/procurements/{procurement_id}/components                                | yes   | yes   | no       | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}/ranking                                   | yes   | yes   | no       | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}/ranking.csv                               | yes   | yes   | no       | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}/levels.csv                                | yes   | yes   | no       | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}/ocds                                      | yes   | yes   | no       | yes       | no     | yes     |
| GET /v1/procurements/{procurement_id}/bidders/{vendor_id}/summary               | yes   | yes   | no       | yes       | own    | yes     |
| POST /v1/vendors/{vendor_id}/disputes                                           | yes   | no    | no       | no        | own    | no      |
| GET /v1/vendors/{vendor_id}/disputes                                            | yes   | yes   | yes      | yes       | own    | yes     |
| GET /v1/disputes                                                                | yes   | yes   | yes      | yes       | no     | yes     |
| GET /v1/disputes/{dispute_id}                                                   | yes   | yes   | yes      | yes       | own    | yes     |
| POST /v1/disputes/{dispute_id}/resolution                                       | yes   | no    | no       | yes       | no     | no      |
| POST /v1/webhooks                                                               | yes   | no    | no       | no        | no     | no      |
| GET /v1/webhooks                                                                | yes   | no    | no       | no        | no     | no      |
| GET /v1/webhooks/{webhook_id}                                                   | yes   | no    | no       | no        | no     | no      |
| DELETE /v1/webhooks/{webhook_id}                                                | yes   | no    | no       | no        | no     | no      |
| GET /v1/webhooks/{webhook_id}/deliveries                                        | yes   | no    | no       | no        | no     | no      |
| GET /v1/vendors/{vendor_id}/scorecard/history                                   | yes   | yes   | blind    | yes       | own    | yes     |
| GET /v1/vendors/{vendor_id}/events                                              | yes   | yes   | yes      | yes       | no     | yes     |
| GET /v1/assessments/{assessment_id}/events                                      | yes   | yes   | no       | yes       | no     | yes     |
| GET /v1/audit                                                                   | yes   | no    | no       | no        | no     | yes     |
| GET /v1/audit/verify                                                            | yes   | no    | no       | no        | no     | yes     |
| POST /v1/people                                                                 | yes   | no    | no       | no        | no     | no      |
| GET /v1/people                                                                  | yes   | yes   | yes      | yes       | no     | yes     |
| GET /v1/people/{person_id}                                                      | yes   | yes   | yes      | yes       | no     | yes     |
| POST /v1/people/{person_id}/keys                                                | yes   | no    | no       | no        | no     | no      |
| POST /v1/people/{person_id}/invitation                                          | yes   | no    | no       | no        | no     | no      |
| GET /v1/people/{person_id}/keys                                                 | yes   | no    | no       | no        | no     | no      |
| DELETE /v1/keys/{key_id}                                                        | yes   | no    | no       | no        | no     | no      |
| POST /v1/vendors/{vendor_id}/moderations                                        | yes   | no    | no       | yes       | no     | no      |
| GET /v1/vendors/{vendor_id}/moderations                                         | yes   | yes   | blind    | yes       | no     | yes     |
| GET /v1/moderations/{moderation_id}                                             | yes   | yes   | blind    | yes       | no     | yes     |
| POST /v1/procurements/{procurement_id}/declarations                             | yes   | yes   | yes      | yes       | no     | no      |
| GET /v1/procurements/{procurement_id}/declarations                              | yes   | yes   | yes      | yes       | no     | yes     |
| POST /v1/procurements/{procurement_id}/declarations/{declaration_id}/mitigation | yes   | yes   | no       | no        | no     | no      |
| GET /v1/procurements/{procurement_id}/readiness                                 | yes   | yes   | no       | yes       | no     | yes     |
"""  # noqa: E501 (a table, as wide as it reads best)
# The scorecard history, events and audit rows state the roles those routes were built with;
# the other rows are the roles the service was specified with.
ALLOWED_CELLS = frozenset({"yes", "own", "blind"})


def parse_matrix(table: str) -> dict[str, dict[str, str]]:
    """{operation: {role: cell}} from the Markdown table."""
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table.strip().splitlines()
        if not line.startswith("|-")
    ]
    header, *body = rows
    assert header[1:] == list(ROLES), "the matrix's columns are the roles, in order"
    matrix = {}
    for operation, *cells in body:
        assert operation not in matrix, f"{operation} is in the matrix twice"
        assert all(cell in {"yes", "no", "own", "blind"} for cell in cells), operation
        matrix[operation] = dict(zip(header[1:], cells, strict=True))
    return matrix


MATRIX = parse_matrix(ROLE_MATRIX)
CASES = [(operation, role) for operation in MATRIX for role in ROLES]


def allowed(operation: str, role: str) -> bool:
    return MATRIX[operation][role] in ALLOWED_CELLS


# --- helpers -------------------------------------------------------------------------------------


def procurement_body(ocid: str, **fields) -> dict:
    return {
        "ocid": ocid,
        "title": "Video analytics",
        "buyer": {"name": "Example Council", "identifier": {"scheme": "GB-LAE", "id": "EXC"}},
        **fields,
    }


def move(client, procurement_id: str, status: str) -> None:
    url = f"/v1/procurements/{procurement_id}"
    etag = client.get(url).headers["ETag"]
    ok(client.patch(url, json={"status": status}, headers={"If-Match": etag}))


def submit(client, vendor_id: str, assessor: str | None = None, **fields):
    body = {"answers": answers(), **fields}
    if assessor is not None:
        body["assessor"] = assessor
    return client.post(f"/v1/vendors/{vendor_id}/assessments", json=body)


def ids(response) -> list[str]:
    return [item["id"] for item in ok(response)]


def total(response) -> int:
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.headers["X-Pagination"])["total"]


MITIGATION = "POST /v1/procurements/{procurement_id}/declarations/{declaration_id}/mitigation"
SETTLEMENT = {"indicator": "o1", "level": 2, "reason": "Agreed at the moderation meeting."}


def key_name(role: str) -> str:
    return f"{role} key"


@dataclass
class World:
    """A small organisation with something for every operation to act on."""

    app: object
    admin: object
    vendor_id: str  # assessed standalone and in the closed procurement; the vendor key's own
    spare_vendor_id: str  # in no procurement, for adding a bidder
    colleague_assessment_id: str  # standalone, by another assessor than the assessor key
    own_assessment_id: str  # standalone, by the assessor key
    closed_id: str  # closed, with the vendor as its assessed bidder
    draft_id: str  # in draft, without bidders
    dispute_id: str  # open, filed by the vendor key on the vendor's standalone scorecard
    webhook_id: str  # subscribed to disputes being opened
    person_id: str  # someone with a key no test client uses, to give keys to and revoke
    spare_key_id: str  # that person's key
    evaluating_id: str  # evaluating, the vendor its bidder; ethics is 20% of its award
    conflict_id: str  # a declared conflict in it, not yet mitigated
    gated_id: str  # in draft on a set with a pass/fail gate, the vendor its bidder
    moderation_id: str  # of the vendor's standalone scorecard
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, role: str):
        return client_with_key(self.app, self.keys[role])


def build_world(app) -> World:
    admin = app.test_client()
    vendor_id = created(admin.post("/v1/vendors", json=vendor("Acme Analytics")))["id"]
    spare_vendor_id = created(admin.post("/v1/vendors", json=vendor("Spare Systems")))["id"]
    colleague = created(submit(admin, vendor_id, "colleague"))["id"]
    own = created(submit(admin, vendor_id, key_name("assessor")))["id"]
    # One evaluator is enough here: the rules of closing are tested elsewhere.
    one = {"min_evaluators": 1}
    closed_id = created(
        admin.post("/v1/procurements", json=procurement_body("ocds-abc123-1", **one))
    )["id"]
    created(admin.post(f"/v1/procurements/{closed_id}/bidders", json={"vendor_id": vendor_id}))
    declared = {"conflict": False, "person": "colleague"}
    created(admin.post(f"/v1/procurements/{closed_id}/declarations", json=declared))
    move(admin, closed_id, "evaluating")
    created(submit(admin, vendor_id, "colleague", procurement_id=closed_id))
    move(admin, closed_id, "closed")
    # The ethics evaluation is a fifth of its award: price, recorded per bidder, is the rest.
    evaluating_id = created(
        admin.post(
            "/v1/procurements", json=procurement_body("ocds-abc123-4", **one, award_share=20)
        )
    )["id"]
    created(admin.post(f"/v1/procurements/{evaluating_id}/bidders", json={"vendor_id": vendor_id}))
    move(admin, evaluating_id, "evaluating")
    conflicted = {"conflict": True, "description": "Advised the bidder.", "person": "Conflicted"}
    conflict_id = created(
        admin.post(f"/v1/procurements/{evaluating_id}/declarations", json=conflicted)
    )["id"]
    settled = {"moderator": "Moderator", "settlements": [SETTLEMENT]}
    moderation_id = created(admin.post(f"/v1/vendors/{vendor_id}/moderations", json=settled))["id"]
    draft_id = created(admin.post("/v1/procurements", json=procurement_body("ocds-abc123-2")))["id"]
    gated = procurement_body(
        "ocds-abc123-5", criteria_set="profiled@1", profile={"model": True, "biometric": False}
    )
    gated_id = created(admin.post("/v1/procurements", json=gated))["id"]
    created(admin.post(f"/v1/procurements/{gated_id}/bidders", json={"vendor_id": vendor_id}))
    hook = {"url": "https://buyer.example/hooks", "events": ["dispute.opened"]}
    webhook_id = created(admin.post("/v1/webhooks", json=hook))["id"]
    spare = {"name": "Spare Person", "email": "spare@council.example"}
    person_id = created(admin.post("/v1/people", json=spare))["id"]
    spare_key = created(admin.post(f"/v1/people/{person_id}/keys", json={"role": "auditor"}))
    keys = {"admin": app.config["ADMIN_KEY"]}
    for role in ROLES:
        if role != "admin":
            bound = vendor_id if role == "vendor" else None
            keys[role] = make_key(app, role, key_name(role), vendor_id=bound)
    dispute = {"indicator": "p2", "statement": "Our purpose limitation is documented."}
    dispute_id = created(
        client_with_key(app, keys["vendor"]).post(f"/v1/vendors/{vendor_id}/disputes", json=dispute)
    )["id"]
    return World(
        app=app,
        admin=admin,
        vendor_id=vendor_id,
        spare_vendor_id=spare_vendor_id,
        colleague_assessment_id=colleague,
        own_assessment_id=own,
        closed_id=closed_id,
        draft_id=draft_id,
        dispute_id=dispute_id,
        webhook_id=webhook_id,
        person_id=person_id,
        spare_key_id=spare_key["id"],
        evaluating_id=evaluating_id,
        conflict_id=conflict_id,
        gated_id=gated_id,
        moderation_id=moderation_id,
        keys=keys,
    )


# The mini set for everything, beside a set with a gate for the operation that needs one.
CRITERIA = {
    "CRITERIA_DIR": os.pathsep.join(str(f) for f in (TEST_CRITERIA, PROFILED_CRITERIA)),
    "DEFAULT_CRITERIA_SET": "mini@1",
}


@pytest.fixture
def app(make_app):
    return make_app(**CRITERIA)


@pytest.fixture
def world(app) -> World:
    """A world of its own, for a case that changes it."""
    return build_world(app)


@pytest.fixture(scope="module")
def shared_world(database_url, tmp_path_factory):
    """One world for the cases that change nothing (reads, and requests refused), built once
    per backend in a database of its own, which other tests' emptying never touches."""
    folder = tmp_path_factory.mktemp("access")
    with migrated_database(backend_of(database_url), folder, "ethics_access") as url:
        # Hundreds of cases share its keys: the per-key rate limit is not what they test.
        app = app_on(url, **CRITERIA, RATE_LIMIT_DEFAULT="100000 per minute")
        try:
            yield build_world(with_admin_key(app, first_start(app)))
        finally:
            app.extensions["database"].dispose()


def etag(world: World, url: str) -> str:
    return world.admin.get(url).headers["ETag"]


# One valid request per operation: (method, url, keyword arguments for the test client).
def _submit_body(role: str) -> dict:
    # Assessors and moderators assess under their own name; an admin names the assessor.
    return {"answers": answers(), **({"assessor": "named by admin"} if role == "admin" else {})}


REQUESTS = {
    "GET /v1/criteria-sets": lambda w, r: ("GET", "/v1/criteria-sets", {}),
    "GET /v1/criteria-sets/{key}/{version}": lambda w, r: ("GET", "/v1/criteria-sets/mini/1", {}),
    "POST /v1/vendors": lambda w, r: ("POST", "/v1/vendors", {"json": vendor("New Vendor")}),
    "GET /v1/vendors": lambda w, r: ("GET", "/v1/vendors", {}),
    "GET /v1/vendors/{vendor_id}": lambda w, r: ("GET", f"/v1/vendors/{w.vendor_id}", {}),
    "PATCH /v1/vendors/{vendor_id}": lambda w, r: (
        "PATCH",
        f"/v1/vendors/{w.vendor_id}",
        {
            "json": {"website": "https://acme.example"},
            "headers": {"If-Match": etag(w, f"/v1/vendors/{w.vendor_id}")},
        },
    ),
    "POST /v1/vendors/{vendor_id}/assessments": lambda w, r: (
        "POST",
        f"/v1/vendors/{w.vendor_id}/assessments",
        {"json": _submit_body(r)},
    ),
    "GET /v1/vendors/{vendor_id}/assessments": lambda w, r: (
        "GET",
        f"/v1/vendors/{w.vendor_id}/assessments",
        {},
    ),
    "GET /v1/assessments/{assessment_id}": lambda w, r: (
        "GET",
        f"/v1/assessments/{w.colleague_assessment_id}",
        {},
    ),
    "GET /v1/vendors/{vendor_id}/scorecard": lambda w, r: (
        "GET",
        f"/v1/vendors/{w.vendor_id}/scorecard",
        {},
    ),
    "POST /v1/procurements": lambda w, r: (
        "POST",
        "/v1/procurements",
        {"json": procurement_body("ocds-abc123-3")},
    ),
    "GET /v1/procurements": lambda w, r: ("GET", "/v1/procurements", {}),
    "GET /v1/procurements/{procurement_id}": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}",
        {},
    ),
    "PATCH /v1/procurements/{procurement_id}": lambda w, r: (
        "PATCH",
        f"/v1/procurements/{w.draft_id}",
        {
            "json": {"title": "Renamed"},
            "headers": {"If-Match": etag(w, f"/v1/procurements/{w.draft_id}")},
        },
    ),
    "POST /v1/procurements/{procurement_id}/bidders": lambda w, r: (
        "POST",
        f"/v1/procurements/{w.draft_id}/bidders",
        {"json": {"vendor_id": w.spare_vendor_id}},
    ),
    "GET /v1/procurements/{procurement_id}/bidders": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}/bidders",
        {},
    ),
    "POST /v1/procurements/{procurement_id}/bidders/{vendor_id}/components": lambda w, r: (
        "POST",
        f"/v1/procurements/{w.evaluating_id}/bidders/{w.vendor_id}/components",
        {"json": [{"name": "Price", "kind": "price", "weight": 80, "score": 70}]},
    ),
    "GET /v1/procurements/{procurement_id}/profile": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.evaluating_id}/profile",
        {},
    ),
    "POST /v1/procurements/{procurement_id}/bidders/{vendor_id}/gates": lambda w, r: (
        "POST",
        f"/v1/procurements/{w.gated_id}/bidders/{w.vendor_id}/gates",
        {"json": [{"gate": "not-excluded", "passed": True, "reason": "Checked."}]},
    ),
    "GET /v1/procurements/{procurement_id}/components": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.evaluating_id}/components",
        {},
    ),
    "GET /v1/procurements/{procurement_id}/ranking": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}/ranking",
        {},
    ),
    "GET /v1/procurements/{procurement_id}/ranking.csv": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}/ranking.csv",
        {},
    ),
    "GET /v1/procurements/{procurement_id}/levels.csv": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}/levels.csv",
        {},
    ),
    "GET /v1/procurements/{procurement_id}/ocds": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}/ocds",
        {},
    ),
    "GET /v1/procurements/{procurement_id}/bidders/{vendor_id}/summary": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.closed_id}/bidders/{w.vendor_id}/summary",
        {},
    ),
    "POST /v1/vendors/{vendor_id}/disputes": lambda w, r: (
        "POST",
        f"/v1/vendors/{w.vendor_id}/disputes",
        {"json": {"indicator": "o1", "statement": "The stop button is operating."}},
    ),
    "GET /v1/vendors/{vendor_id}/disputes": lambda w, r: (
        "GET",
        f"/v1/vendors/{w.vendor_id}/disputes",
        {},
    ),
    "GET /v1/disputes": lambda w, r: ("GET", "/v1/disputes", {}),
    "GET /v1/disputes/{dispute_id}": lambda w, r: ("GET", f"/v1/disputes/{w.dispute_id}", {}),
    "POST /v1/disputes/{dispute_id}/resolution": lambda w, r: (
        "POST",
        f"/v1/disputes/{w.dispute_id}/resolution",
        {"json": {"outcome": "rejected", "reasons": "The evidence predates the assessment."}},
    ),
    "POST /v1/webhooks": lambda w, r: (
        "POST",
        "/v1/webhooks",
        {"json": {"url": "https://buyer.example/other", "events": ["procurement.closed"]}},
    ),
    "GET /v1/webhooks": lambda w, r: ("GET", "/v1/webhooks", {}),
    "GET /v1/webhooks/{webhook_id}": lambda w, r: ("GET", f"/v1/webhooks/{w.webhook_id}", {}),
    "DELETE /v1/webhooks/{webhook_id}": lambda w, r: (
        "DELETE",
        f"/v1/webhooks/{w.webhook_id}",
        {},
    ),
    "GET /v1/vendors/{vendor_id}/scorecard/history": lambda w, r: (
        "GET",
        f"/v1/vendors/{w.vendor_id}/scorecard/history",
        {},
    ),
    "GET /v1/vendors/{vendor_id}/events": lambda w, r: (
        "GET",
        f"/v1/vendors/{w.vendor_id}/events",
        {},
    ),
    "GET /v1/assessments/{assessment_id}/events": lambda w, r: (
        "GET",
        f"/v1/assessments/{w.colleague_assessment_id}/events",
        {},
    ),
    "GET /v1/audit": lambda w, r: ("GET", "/v1/audit", {}),
    "GET /v1/audit/verify": lambda w, r: ("GET", "/v1/audit/verify", {}),
    "GET /v1/webhooks/{webhook_id}/deliveries": lambda w, r: (
        "GET",
        f"/v1/webhooks/{w.webhook_id}/deliveries",
        {},
    ),
    "POST /v1/people": lambda w, r: ("POST", "/v1/people", {"json": {"name": f"New {r}"}}),
    "GET /v1/people": lambda w, r: ("GET", "/v1/people", {}),
    "GET /v1/people/{person_id}": lambda w, r: ("GET", f"/v1/people/{w.person_id}", {}),
    "POST /v1/people/{person_id}/invitation": lambda w, r: (
        "POST",
        f"/v1/people/{w.person_id}/invitation",
        {"json": {"role": "auditor"}},
    ),
    "POST /v1/people/{person_id}/keys": lambda w, r: (
        "POST",
        f"/v1/people/{w.person_id}/keys",
        {"json": {"role": "auditor"}},
    ),
    "GET /v1/people/{person_id}/keys": lambda w, r: ("GET", f"/v1/people/{w.person_id}/keys", {}),
    "DELETE /v1/keys/{key_id}": lambda w, r: ("DELETE", f"/v1/keys/{w.spare_key_id}", {}),
    "POST /v1/vendors/{vendor_id}/moderations": lambda w, r: (
        "POST",
        f"/v1/vendors/{w.vendor_id}/moderations",
        {"json": {"settlements": [SETTLEMENT], **({"moderator": "Mo"} if r == "admin" else {})}},
    ),
    "GET /v1/vendors/{vendor_id}/moderations": lambda w, r: (
        "GET",
        f"/v1/vendors/{w.vendor_id}/moderations",
        {},
    ),
    "GET /v1/moderations/{moderation_id}": lambda w, r: (
        "GET",
        f"/v1/moderations/{w.moderation_id}",
        {},
    ),
    "POST /v1/procurements/{procurement_id}/declarations": lambda w, r: (
        "POST",
        f"/v1/procurements/{w.evaluating_id}/declarations",
        {"json": {"conflict": False, **({"person": "Declarer"} if r == "admin" else {})}},
    ),
    "GET /v1/procurements/{procurement_id}/declarations": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.evaluating_id}/declarations",
        {},
    ),
    MITIGATION: lambda w, r: (
        "POST",
        f"/v1/procurements/{w.evaluating_id}/declarations/{w.conflict_id}/mitigation",
        {"json": {"mitigation": "Evaluates no bid of the firm they advised."}},
    ),
    "GET /v1/procurements/{procurement_id}/readiness": lambda w, r: (
        "GET",
        f"/v1/procurements/{w.evaluating_id}/readiness",
        {},
    ),
}


def call(world: World, operation: str, role: str, client=None):
    method, url, kwargs = REQUESTS[operation](world, role)
    return (client or world.client(role)).open(url, method=method, **kwargs)


# --- the matrix itself ---------------------------------------------------------------------------


def operations_of(app) -> dict[str, tuple[str, ...]]:
    """Every routed API operation as `METHOD /path/{param}`, with the roles its view allows
    (the pages for people sign them in instead: tests/test_pages_*.py)."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(f"{PAGES}."):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[f"{method} {path}"] = getattr(view, "allowed_roles", None)
    return found


def test_the_matrix_covers_every_operation_and_states_what_each_view_allows(app):
    routed = operations_of(app)
    assert sorted(routed) == sorted(MATRIX), "every route is one row of the matrix"
    assert sorted(REQUESTS) == sorted(MATRIX), "every row has a request in the tests"
    for operation, roles in routed.items():
        expected = {role for role in ROLES if allowed(operation, role)}
        assert roles is not None, f"{operation} names no roles"
        assert set(roles) == expected, operation


def test_admin_may_do_everything_and_auditors_write_nothing():
    for operation, cells in MATRIX.items():
        assert cells["admin"] == "yes", operation
        if not operation.startswith("GET "):
            assert cells["auditor"] == "no", operation


def changes_the_world(operation: str, role: str) -> bool:
    return allowed(operation, role) and not operation.startswith("GET ")


WRITES = [case for case in CASES if changes_the_world(*case)]
READS_AND_REFUSALS = [case for case in CASES if not changes_the_world(*case)]


@pytest.mark.parametrize(("operation", "role"), WRITES, ids=[f"{o} as {r}" for o, r in WRITES])
def test_every_role_against_every_operation_that_writes(world, operation, role):
    check_access(world, operation, role)


@pytest.mark.parametrize(
    ("operation", "role"),
    READS_AND_REFUSALS,
    ids=[f"{o} as {r}" for o, r in READS_AND_REFUSALS],
)
def test_every_role_against_every_operation_that_reads_or_is_refused(shared_world, operation, role):
    before = snapshot(shared_world)
    check_access(shared_world, operation, role)
    assert snapshot(shared_world) == before  # nothing changed for the next case


def check_access(world: World, operation: str, role: str) -> None:
    response = call(world, operation, role)
    if allowed(operation, role):
        assert 200 <= response.status_code < 300, (
            response.status_code,
            response.get_data(as_text=True),
        )
    else:
        body = assert_problem(response, 403)
        assert role in body["detail"]


# --- organisations -------------------------------------------------------------------------------

OBJECT_OPERATIONS = [o for o in MATRIX if "{" in o and not o.startswith("GET /v1/criteria-sets")]


def snapshot(world: World) -> dict:
    """What another organisation must not be able to read or change, read by the owner."""
    admin = world.admin
    urls = [
        f"/v1/vendors/{world.vendor_id}",
        f"/v1/vendors/{world.vendor_id}/assessments",
        f"/v1/vendors/{world.vendor_id}/disputes",
        f"/v1/vendors/{world.spare_vendor_id}",
        f"/v1/procurements/{world.draft_id}",
        f"/v1/procurements/{world.draft_id}/bidders",
        f"/v1/procurements/{world.closed_id}",
        f"/v1/disputes/{world.dispute_id}",
        f"/v1/webhooks/{world.webhook_id}",
        f"/v1/webhooks/{world.webhook_id}/deliveries",
    ]
    responses = {url: admin.get(url) for url in urls}
    return {url: (r.status_code, r.headers.get("ETag"), r.json) for url, r in responses.items()}


def stranger_of(world: World):
    """The admin key of a second organisation."""
    organisation_id = make_organisation(world.app, "Second Council")
    return client_with_key(world.app, make_key(world.app, "admin", organisation_id=organisation_id))


@pytest.fixture
def stranger(world):
    return stranger_of(world)


@pytest.fixture(scope="module")
def shared_stranger(shared_world):
    return stranger_of(shared_world)


@pytest.mark.parametrize("operation", OBJECT_OPERATIONS)
def test_other_organisations_objects_are_404_never_403(shared_world, shared_stranger, operation):
    before = snapshot(shared_world)
    response = call(shared_world, operation, "admin", client=shared_stranger)
    assert_problem(response, 404)
    assert snapshot(shared_world) == before


def test_other_organisations_objects_are_absent_from_lists(world, stranger):
    theirs = created(stranger.post("/v1/vendors", json=vendor("Acme Analytics")))["id"]
    their_procurement = created(
        stranger.post("/v1/procurements", json=procurement_body("ocds-abc123-1"))
    )["id"]
    created(submit(stranger, theirs, "their assessor"))
    created(
        stranger.post(f"/v1/vendors/{theirs}/disputes", json={"indicator": "p1", "statement": "x"})
    )

    assert ids(stranger.get("/v1/vendors")) == [theirs]
    assert ids(stranger.get("/v1/vendors?q=acme")) == [theirs]
    assert ids(stranger.get("/v1/procurements")) == [their_procurement]
    hook = {"url": "https://second.example/hooks", "events": ["dispute.opened"]}
    their_webhook = created(stranger.post("/v1/webhooks", json=hook))["id"]
    assert ids(stranger.get("/v1/webhooks")) == [their_webhook]
    assert ids(world.admin.get("/v1/webhooks")) == [world.webhook_id]
    assert total(stranger.get(f"/v1/vendors/{theirs}/assessments")) == 1
    assert total(stranger.get(f"/v1/vendors/{theirs}/disputes")) == 1
    assert total(stranger.get("/v1/disputes")) == 1

    admin = world.admin
    assert sorted(ids(admin.get("/v1/vendors"))) == sorted([world.vendor_id, world.spare_vendor_id])
    assert sorted(ids(admin.get("/v1/procurements"))) == sorted(
        [world.closed_id, world.draft_id, world.evaluating_id, world.gated_id]
    )
    assert theirs not in ids(admin.get("/v1/vendors?q=acme"))
    assert all(
        a["vendor_id"] == world.vendor_id
        for a in ok(admin.get(f"/v1/vendors/{world.vendor_id}/assessments"))
    )
    assert ids(admin.get(f"/v1/vendors/{world.vendor_id}/disputes")) == [world.dispute_id]
    assert ids(admin.get("/v1/disputes")) == [world.dispute_id]
    for url in (f"/v1/vendors/{theirs}/assessments", f"/v1/vendors/{theirs}/disputes"):
        assert_problem(admin.get(url), 404)


def test_other_organisations_ids_in_bodies_and_queries_are_422(world, stranger):
    # A bidder must be a vendor of the procurement's organisation.
    own_procurement = created(
        stranger.post("/v1/procurements", json=procurement_body("ocds-xyz789-1"))
    )["id"]
    response = stranger.post(
        f"/v1/procurements/{own_procurement}/bidders", json={"vendor_id": world.vendor_id}
    )
    assert_problem(response, 422)
    assert [e["pointer"] for e in response.json["errors"]] == ["/vendor_id"]
    assert ok(stranger.get(f"/v1/procurements/{own_procurement}/bidders")) == []

    # Nor can another organisation's procurement scope an assessment, a scorecard or a dispute.
    own_vendor = created(stranger.post("/v1/vendors", json=vendor("Their Vendor")))["id"]
    response = submit(stranger, own_vendor, "them", procurement_id=world.closed_id)
    assert_problem(response, 422)
    response = stranger.get(f"/v1/vendors/{own_vendor}/scorecard?procurement_id={world.closed_id}")
    assert_problem(response, 422)
    response = stranger.post(
        f"/v1/vendors/{own_vendor}/disputes",
        json={"indicator": "p1", "statement": "x", "procurement_id": world.closed_id},
    )
    assert_problem(response, 422)
    assert total(stranger.get(f"/v1/vendors/{own_vendor}/assessments")) == 0
    assert total(stranger.get(f"/v1/vendors/{own_vendor}/disputes")) == 0


def test_other_organisations_keys_of_every_role_get_404(world, stranger):
    organisation_id = make_organisation(world.app, "Third Council")
    for role in ("buyer", "moderator", "auditor"):
        client = client_with_key(
            world.app, make_key(world.app, role, organisation_id=organisation_id)
        )
        for url in (
            f"/v1/vendors/{world.vendor_id}",
            f"/v1/vendors/{world.vendor_id}/scorecard",
            f"/v1/assessments/{world.colleague_assessment_id}",
            f"/v1/procurements/{world.closed_id}",
            f"/v1/procurements/{world.closed_id}/ranking",
            f"/v1/disputes/{world.dispute_id}",
        ):
            assert_problem(client.get(url), 404)


# --- vendor keys ---------------------------------------------------------------------------------


@pytest.fixture
def rival(world):
    """A second vendor of the same organisation, assessed, bidding and disputing too."""
    admin = world.admin
    rival_id = created(admin.post("/v1/vendors", json=vendor("Rival Robotics")))["id"]
    created(submit(admin, rival_id, "colleague"))
    procurement_id = created(
        admin.post("/v1/procurements", json=procurement_body("ocds-abc123-9", min_evaluators=1))
    )["id"]
    for vendor_id in (world.vendor_id, rival_id):
        created(
            admin.post(f"/v1/procurements/{procurement_id}/bidders", json={"vendor_id": vendor_id})
        )
    declared = {"conflict": False, "person": "colleague"}
    created(admin.post(f"/v1/procurements/{procurement_id}/declarations", json=declared))
    move(admin, procurement_id, "evaluating")
    created(submit(admin, world.vendor_id, "colleague", procurement_id=procurement_id))
    # Not tied with the vendor: a tie for first would need a tie-break to close.
    created(
        submit(admin, rival_id, "colleague", procurement_id=procurement_id, answers=answers(p2=1))
    )
    move(admin, procurement_id, "closed")
    rival_key = make_key(world.app, "vendor", "rival key", vendor_id=rival_id)
    dispute_id = created(
        client_with_key(world.app, rival_key).post(
            f"/v1/vendors/{rival_id}/disputes", json={"indicator": "t1", "statement": "Published."}
        )
    )["id"]
    return {"vendor_id": rival_id, "procurement_id": procurement_id, "dispute_id": dispute_id}


def test_vendor_keys_list_only_their_own_vendor(world, rival):
    client = world.client("vendor")
    assert ids(client.get("/v1/vendors")) == [world.vendor_id]
    assert ids(client.get("/v1/vendors?q=rival")) == []
    assert ids(client.get(f"/v1/vendors/{world.vendor_id}/disputes")) == [world.dispute_id]


def test_vendor_keys_get_404_for_other_vendors_of_their_organisation(world, rival):
    client = world.client("vendor")
    other = rival["vendor_id"]
    for url in (
        f"/v1/vendors/{other}",
        f"/v1/vendors/{other}/scorecard",
        f"/v1/vendors/{other}/scorecard?procurement_id={rival['procurement_id']}",
        f"/v1/vendors/{other}/disputes",
        f"/v1/disputes/{rival['dispute_id']}",
        f"/v1/procurements/{rival['procurement_id']}/bidders/{other}/summary",
        f"/v1/procurements/{rival['procurement_id']}/bidders/{other}/summary?format=md",
    ):
        assert_problem(client.get(url), 404)
    response = client.post(
        f"/v1/vendors/{other}/disputes", json={"indicator": "p1", "statement": "x"}
    )
    assert_problem(response, 404)
    assert total(world.admin.get(f"/v1/vendors/{other}/disputes")) == 1


def test_vendor_keys_read_their_own_scorecard_and_summary(world, rival):
    client = world.client("vendor")
    assert ok(client.get(f"/v1/vendors/{world.vendor_id}"))["id"] == world.vendor_id
    assert ok(client.get(f"/v1/vendors/{world.vendor_id}/scorecard"))["vendor"]["id"] == (
        world.vendor_id
    )
    url = f"/v1/vendors/{world.vendor_id}/scorecard?procurement_id={rival['procurement_id']}"
    assert ok(client.get(url))["vendor"]["id"] == world.vendor_id
    summary = client.get(
        f"/v1/procurements/{rival['procurement_id']}/bidders/{world.vendor_id}/summary"
    )
    assert summary.status_code == 200, summary.get_data(as_text=True)
    assert rival["vendor_id"] not in summary.get_data(as_text=True)
    markdown = client.get(
        f"/v1/procurements/{rival['procurement_id']}/bidders/{world.vendor_id}/summary?format=md"
    )
    assert markdown.status_code == 200
    assert markdown.mimetype == "text/markdown"


def test_vendor_keys_read_nothing_of_procurements_or_assessments(world, rival):
    client = world.client("vendor")
    for url in (
        "/v1/procurements",
        f"/v1/procurements/{rival['procurement_id']}",
        f"/v1/procurements/{rival['procurement_id']}/bidders",
        f"/v1/procurements/{rival['procurement_id']}/ranking",
        f"/v1/vendors/{world.vendor_id}/assessments",
        f"/v1/assessments/{world.colleague_assessment_id}",
    ):
        assert_problem(client.get(url), 403)


# --- keys ----------------------------------------------------------------------------------------


def assert_unauthorized(response):
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE == 'Bearer realm="ethics-api"'


def test_no_authorization_is_401_with_www_authenticate(app):
    anonymous = client_with_key(app, None)
    for method, url in (
        ("GET", "/v1/vendors"),
        ("GET", "/v1/criteria-sets"),
        ("GET", f"/v1/vendors/{uuid.uuid4()}"),  # unknown ids too: 401, not 404
        ("POST", "/v1/vendors"),
        ("PATCH", f"/v1/procurements/{uuid.uuid4()}"),
        ("POST", f"/v1/disputes/{uuid.uuid4()}/resolution"),
    ):
        kwargs = {"json": {}} if method != "GET" else {}
        assert_unauthorized(anonymous.open(url, method=method, **kwargs))


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {key}",
        "{key}",
        "Bearer eth_00000000_" + "A" * 43,
        "Bearer {key}x",
        "Bearer not-a-key",
    ],
    ids=repr,
)
def test_malformed_or_unknown_credentials_are_401(app, authorization):
    key = make_key(app, "buyer")
    anonymous = client_with_key(app, None)
    response = anonymous.get(
        "/v1/vendors", headers={"Authorization": authorization.format(key=key)}
    )
    assert_unauthorized(response)


def set_key_times(app, secret: str, **values) -> None:
    with app.extensions["database"].transaction() as session:
        session.execute(
            update(ApiKey).where(ApiKey.secret_sha256 == digest(secret)).values(**values)
        )


def test_revoked_and_expired_keys_are_401(app):
    revoked, expired, later = (make_key(app, "buyer", name) for name in ("r", "e", "l"))
    for key in (revoked, expired, later):
        assert client_with_key(app, key).get("/v1/vendors").status_code == 200
    set_key_times(app, revoked, revoked_at=utcnow())
    set_key_times(app, expired, expires_at=utcnow() - dt.timedelta(seconds=1))
    set_key_times(app, later, expires_at=utcnow() + dt.timedelta(days=1))
    assert_unauthorized(client_with_key(app, revoked).get("/v1/vendors"))
    assert_unauthorized(client_with_key(app, revoked).post("/v1/vendors", json=vendor()))
    assert_unauthorized(client_with_key(app, expired).get("/v1/vendors"))
    assert client_with_key(app, later).get("/v1/vendors").status_code == 200
    assert ok(app.test_client().get("/v1/vendors")) == []  # nothing was created


def test_the_bearer_scheme_is_case_insensitive(app):
    key = make_key(app, "buyer")
    anonymous = client_with_key(app, None)
    assert anonymous.get("/v1/vendors", headers={"Authorization": f"bearer {key}"}).status_code == (
        200
    )


@pytest.mark.parametrize("url", ["/healthz", "/readyz", "/openapi.json", "/docs"])
def test_public_routes_need_no_key(app, url):
    response = client_with_key(app, None).get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    # A bad key does not matter where none is needed.
    response = client_with_key(app, "eth_00000000_not-a-key").get(url)
    assert response.status_code == 200, response.get_data(as_text=True)


# --- blind evaluation ----------------------------------------------------------------------------


@pytest.fixture
def panel(app):
    """Two assessors' keys, Ann and Ben, and a vendor bidding in an evaluating procurement."""
    admin = app.test_client()
    vendor_id = created(admin.post("/v1/vendors", json=vendor()))["id"]
    procurement_id = created(
        admin.post("/v1/procurements", json=procurement_body("ocds-abc123-7"))
    )["id"]
    created(admin.post(f"/v1/procurements/{procurement_id}/bidders", json={"vendor_id": vendor_id}))
    move(admin, procurement_id, "evaluating")
    panel = {
        "admin": admin,
        "ann": client_with_key(app, make_key(app, "assessor", "Ann")),
        "ben": client_with_key(app, make_key(app, "assessor", "Ben")),
        "vendor_id": vendor_id,
        "procurement_id": procurement_id,
    }
    for name in ("ann", "ben"):  # each declares before evaluating in the procurement
        declared = {"conflict": False}
        created(panel[name].post(f"/v1/procurements/{procurement_id}/declarations", json=declared))
    return panel


def listed(client, vendor_id: str) -> set[str]:
    return set(ids(client.get(f"/v1/vendors/{vendor_id}/assessments")))


@pytest.mark.parametrize("scope", ["standalone", "procurement"])
def test_an_assessor_reads_others_work_only_after_submitting_its_own(app, panel, scope):
    ann, ben, vendor_id = panel["ann"], panel["ben"], panel["vendor_id"]
    in_scope = {} if scope == "standalone" else {"procurement_id": panel["procurement_id"]}
    other_scope = {"procurement_id": panel["procurement_id"]} if scope == "standalone" else {}
    scorecard = f"/v1/vendors/{vendor_id}/scorecard"
    if in_scope:
        scorecard += f"?procurement_id={panel['procurement_id']}"

    bens = created(submit(ben, vendor_id, **in_scope))
    assert bens["assessor"] == "Ben"
    assert ok(ben.get(f"/v1/assessments/{bens['id']}"))["id"] == bens["id"]
    ok(ben.get(scorecard))

    # Ann has not assessed the vendor yet (in this scope): Ben's work is closed to her.
    assert listed(ann, vendor_id) == set()
    assert (
        "Blind evaluation"
        in assert_problem(ann.get(f"/v1/assessments/{bens['id']}"), 403)["detail"]
    )
    assert_problem(ann.get(scorecard), 403)

    # Her assessment in the other scope does not open this one.
    anns_elsewhere = created(submit(ann, vendor_id, **other_scope))
    assert listed(ann, vendor_id) == {anns_elsewhere["id"]}
    assert ok(ann.get(f"/v1/assessments/{anns_elsewhere['id']}"))["assessor"] == "Ann"
    assert_problem(ann.get(f"/v1/assessments/{bens['id']}"), 403)
    assert_problem(ann.get(scorecard), 403)

    # Once she has submitted her own in this scope, she reads everything in it.
    anns = created(submit(ann, vendor_id, **in_scope))
    assert listed(ann, vendor_id) == {anns_elsewhere["id"], anns["id"], bens["id"]}
    assert ok(ann.get(f"/v1/assessments/{bens['id']}"))["assessor"] == "Ben"
    card = ok(ann.get(scorecard))
    assert sorted(card["assessors"]) == ["Ann", "Ben"]
    # Ben, who assessed in this scope only, reads Ann's work here but not elsewhere.
    assert listed(ben, vendor_id) == {bens["id"], anns["id"]}
    assert_problem(ben.get(f"/v1/assessments/{anns_elsewhere['id']}"), 403)


def test_blind_evaluation_binds_only_assessors(app, panel):
    vendor_id, procurement_id = panel["vendor_id"], panel["procurement_id"]
    standalone = created(submit(panel["ben"], vendor_id))
    scoped = created(submit(panel["ben"], vendor_id, procurement_id=procurement_id))
    for role in ("buyer", "moderator", "auditor"):
        client = client_with_key(app, make_key(app, role))
        assert listed(client, vendor_id) == {standalone["id"], scoped["id"]}, role
        for record in (standalone, scoped):
            ok(client.get(f"/v1/assessments/{record['id']}"))
        ok(client.get(f"/v1/vendors/{vendor_id}/scorecard"))
        ok(client.get(f"/v1/vendors/{vendor_id}/scorecard?procurement_id={procurement_id}"))
    vendor_key = client_with_key(app, make_key(app, "vendor", vendor_id=vendor_id))
    ok(vendor_key.get(f"/v1/vendors/{vendor_id}/scorecard"))
    ok(panel["admin"].get(f"/v1/assessments/{scoped['id']}"))


# --- assessing under one's own name --------------------------------------------------------------


def test_assessors_and_moderators_assess_under_their_own_name(app, panel):
    vendor_id = panel["vendor_id"]
    moderator = client_with_key(app, make_key(app, "moderator", "Mo"))
    assert created(submit(panel["ann"], vendor_id, "Ann"))["assessor"] == "Ann"
    assert created(submit(moderator, vendor_id))["assessor"] == "Mo"
    body = assert_problem(submit(panel["ann"], vendor_id, "Ben"), 403)
    assert "Ann" in body["detail"]
    assert_problem(submit(moderator, vendor_id, "Ann", moderated=True), 403)
    # An admin assesses on someone's behalf and must say whose.
    assert_problem(submit(panel["admin"], vendor_id), 422)
    assert created(submit(panel["admin"], vendor_id, "Ben"))["assessor"] == "Ben"
    assert total(panel["admin"].get(f"/v1/vendors/{vendor_id}/assessments")) == 3


def test_only_moderators_submit_moderated_assessments(app, panel):
    vendor_id = panel["vendor_id"]
    moderator = client_with_key(app, make_key(app, "moderator", "Mo"))
    assert_problem(submit(panel["ann"], vendor_id, moderated=True), 403)
    assert_problem(submit(panel["ann"], vendor_id, "Ann", moderated=True), 403)
    assert total(panel["admin"].get(f"/v1/vendors/{vendor_id}/assessments")) == 0
    assert created(submit(moderator, vendor_id, moderated=True))["moderated"] is True
    assert created(submit(panel["admin"], vendor_id, "Mo", moderated=True))["moderated"] is True
    assert created(submit(panel["ann"], vendor_id, moderated=False))["moderated"] is False
