"""The demo writes through the same use cases as the API: its records and events are those a
user's requests would have made, and its procurement goes from draft to evaluating as a
buyer's would."""

import json
import re

from sqlalchemy import select

from ethics_api.demo import DEMO_OCID, EVALUATORS, VENDORS, answers_for, load_demo
from ethics_api.models import Event

from conftest import client_with_key, make_key, make_organisation
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

    demo, api = events_of(app, first), events_of(app, other)
    assert [e[0] for e in demo].count("assessment.submitted") == 2 * len(VENDORS)
    assert demo[-1][:2] == ("procurement.updated", "procurement")
    assert demo[-1][3] == {"status": "evaluating", "revision": 2}
    assert demo == api
