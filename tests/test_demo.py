"""The demo writes through the same use cases as the API: its records and events are those a
user's requests would have made, and its procurement goes from draft to evaluating as a
buyer's would."""

import json
import re

from sqlalchemy import select

from ethics_api.demo import (
    DEMO_OCID,
    EVALUATORS,
    PEOPLE,
    POLICING_OCID,
    POLICING_PROFILE,
    POLICING_RED_LINE,
    VENDORS,
    answers_for,
    load_demo,
)
from ethics_api.models import Event

from conftest import PROJECT_CRITERIA, client_with_key, make_key, make_organisation
from responses import created, ok

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def events_of(app, organisation_id: str) -> list[tuple]:
    """The organisation's events from its first vendor on, as (action, object type, object,
    change), with ids numbered in their order of appearance."""
    with app.extensions["database"].sessions() as session:
        found = session.scalars(
            select(Event).where(Event.organisation_id == organisation_id).order_by(Event.seq)
        ).all()
    numbered: dict[str, str] = {}

    def renumbered(text: str) -> str:
        return UUID.sub(lambda m: numbered.setdefault(m[0], f"id{len(numbered)}"), text)

    return [
        (e.action, e.object_type, renumbered(e.object_id), json.loads(renumbered(e.change)))
        for e in found[[e.action for e in found].index("vendor.created") :]
    ]


def test_the_demo_logs_the_events_the_api_would(app):
    criteria_set = app.extensions["catalog"].default
    load_demo(app)
    with app.extensions["database"].sessions() as session:
        first = session.scalar(select(Event.organisation_id).order_by(Event.seq).limit(1))

    # The same work through the API, by an admin of another organisation.
    other = make_organisation(app, "Elsewhere")
    client = client_with_key(app, make_key(app, "admin", "Admin", organisation_id=other))
    person_ids = []
    for name, email, _ in PEOPLE:
        # An email address signs one person in, whatever their organisation: another one here.
        body = {"name": name, "email": f"api.{email}"}
        person_ids.append(created(client.post("/v1/people", json=body))["id"])
    vendor_ids = []
    for spec in VENDORS:
        scheme, local_id = spec["identifier"]
        body = {
            "name": spec["name"],
            "identifier": {"scheme": scheme, "id": local_id},
            "country": spec["country"],
            "website": spec["website"],
        }
        vendor_id = created(client.post("/v1/vendors", json=body))["id"]
        vendor_ids.append(vendor_id)
        for evaluator, assessor in enumerate(EVALUATORS):
            assessment = {
                "criteria_set": criteria_set.ref,
                "assessor": assessor,
                "summary": f"Demo assessment of a {spec['profile']} bid.",
                "answers": answers_for(criteria_set, spec["profile"], evaluator),
            }
            created(client.post(f"/v1/vendors/{vendor_id}/assessments", json=assessment))
    procurement = created(
        client.post(
            "/v1/procurements",
            json={
                "ocid": DEMO_OCID,
                "title": "City analytics platform (demo)",
                "buyer": {"name": "Demo City Police (demo)"},
                "criteria_set": criteria_set.ref,
                "reuse_standalone": True,
            },
        )
    )
    url = f"/v1/procurements/{procurement['id']}"
    for vendor_id in vendor_ids:
        created(client.post(f"{url}/bidders", json={"vendor_id": vendor_id}))
    for evaluator in EVALUATORS:
        declared = {"conflict": False, "person": evaluator}
        created(client.post(f"{url}/declarations", json=declared))
    response = client.get(url)
    moved = client.patch(
        url, json={"status": "evaluating"}, headers={"If-Match": response.headers["ETag"]}
    )
    assert ok(moved)["status"] == "evaluating"
    for person_id, (_, _, role) in zip(person_ids, PEOPLE, strict=True):
        created(client.post(f"/v1/people/{person_id}/invitation", json={"role": role}))

    demo, api = events_of(app, first), events_of(app, other)
    assert [e[0] for e in demo].count("assessment.submitted") == 2 * len(VENDORS)
    moved_on = [e for e in demo if e[0] == "procurement.updated"]
    assert moved_on[-1][3] == {"status": "evaluating", "revision": 2}
    assert [e[0] for e in demo[-len(PEOPLE) :]] == ["person.invited"] * len(PEOPLE)
    assert demo == api


def test_the_policing_demo_is_profiled_and_an_indicator_minimum_decides_eligibility(make_app):
    """On the shipped sets the demo adds a procurement on uk-policing@1: its profile leaves the
    biometric module out (nobody is asked about watchlists) and puts it in the high tier, where
    Blue Lantern's foreign-law exposure at level 1 is under the minimum of 2."""
    app = make_app(CRITERIA_DIR=PROJECT_CRITERIA)
    load_demo(app)
    client = app.test_client()
    [procurement] = [p for p in ok(client.get("/v1/procurements")) if p["ocid"] == POLICING_OCID]
    assert procurement["profile"] == POLICING_PROFILE
    found = ok(client.get(f"/v1/procurements/{procurement['id']}/ranking"))
    assert (found["criteria_set"]["ref"], found["tier"]) == ("uk-policing@1", "high")
    outcome = {
        row["vendor_name"]: (row["eligible"], [(k["kind"], k["key"]) for k in row["knockouts"]])
        for row in found["ranking"]
    }
    assert outcome == {
        "Northwind Analytics Ltd (demo)": (True, []),
        "Civic Insight Systems BV (demo)": (True, []),
        "Blue Lantern Vision Ltd (demo)": (False, [("indicator_minimum", POLICING_RED_LINE)]),
    }
    blue = next(r for r in found["ranking"] if r["vendor_name"].startswith("Blue Lantern"))
    card = ok(
        client.get(f"/v1/vendors/{blue['vendor_id']}/scorecard?procurement_id={procurement['id']}")
    )
    indicators = {i["key"]: i for c in card["criteria"] for i in c["indicators"]}
    assert indicators["watchlist-controls"]["applies"] is False
    assert indicators["watchlist-controls"]["assessor_levels"] == []
    assert (
        indicators[POLICING_RED_LINE]["level"],
        indicators[POLICING_RED_LINE]["minimum_level"],
    ) == (1, 2)
