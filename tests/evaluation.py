"""Steps of an evaluation on the application layer, for tests: each runs as one caller in
its own committed transaction, as a request would."""

import uuid

from ethics_api.enums import Role
from ethics_api.services import (
    assessments,
    declarations,
    moderations,
    procurements,
    rankings,
    readiness,
    vendors,
)
from ethics_api.services.revisions import Expected

from payloads import answers, supplier

BUYER = {"name": "City Police", "identifier": {"scheme": "GB-GOR", "id": "PB1234"}}


def vendor(acting, name: str) -> str:
    with acting(Role.BUYER, "Bea") as context:
        return vendors.create_vendor(context, supplier(name)).id


def tender(acting, *bidders: str, **data):
    """A procurement in draft with these bidders."""
    body = {"ocid": f"ocds-213czf-{uuid.uuid4().hex[:8]}", "title": "Analytics", **data}
    body.setdefault("buyer", BUYER)
    with acting(Role.BUYER, "Bea") as context:
        procurement = procurements.create_procurement(context, body)
        for vendor_id in bidders:
            procurements.add_bidder(context, procurement.id, vendor_id)
    return procurement


def move(acting, procurement, **data):
    with acting(Role.BUYER, "Bea") as context:
        current = procurements.get_procurement(context, procurement.id)
        return procurements.update_procurement(
            context, procurement.id, data, Expected(frozenset({current.revision}))
        )


def declare(acting, procurement, name: str, role=Role.ASSESSOR, **data):
    with acting(role, name) as context:
        return declarations.declare(context, procurement.id, {"conflict": False, **data})


def assess(acting, vendor_id: str, name: str, procurement=None, role=Role.ASSESSOR, **data):
    body = {"answers": answers(), **data}
    if procurement is not None:
        body["procurement_id"] = uuid.UUID(procurement.id)
    with acting(role, name) as context:
        return assessments.submit_assessment(context, vendor_id, body)


def moderate(acting, vendor_id: str, name: str, procurement, *settlements):
    body = {"settlements": [{"indicator": k, "level": v, "reason": r} for k, v, r in settlements]}
    if procurement is not None:
        body["procurement_id"] = uuid.UUID(procurement.id)
    with acting(Role.MODERATOR, name) as context:
        return moderations.record_moderation(context, vendor_id, body)


def ready(acting, procurement):
    with acting(Role.BUYER, "Bea") as context:
        return readiness.readiness(context, procurement.id)


def codes(items) -> list[str]:
    return sorted(item.code for item in items)


def ranking(acting, procurement) -> dict:
    with acting(Role.BUYER, "Bea") as context:
        return rankings.procurement_ranking(context, procurement.id)[1]
