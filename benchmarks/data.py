"""The benchmarks' data, made through the public API as a buyer and its evaluators would."""

import random
import secrets

from ethics_api.criteria import CriteriaSet

from .service import Service


def answers(criteria_set: CriteriaSet, bid: int, evaluator: int = 0) -> list[dict]:
    """Every indicator of the set answered, like examples/assessment.json: a level, a rationale
    and one documented evidence item each.

    Each bid gets levels 2 to 4 of its own (seeded, so every run builds the same data): the
    bidders' totals differ, as in a real tender, rather than all tying. Each evaluator reads
    about one indicator in five a level lower, so evaluators disagree a little. No level is 0:
    no knockout, every bidder stays eligible and is ranked in full. Each rationale names its
    bid, as an evaluator's reason does: one text shared by many answers is what readiness
    warns of (`repeated_rationale`), not what a tender's evaluation looks like.
    """
    quality = random.Random(bid)
    reading = random.Random(f"{bid}/{evaluator}")
    found = []
    for indicator in criteria_set.indicators:
        level = quality.randint(2, 4) - (reading.random() < 0.2)
        found.append(
            {
                "indicator": indicator.key,
                "level": level,
                "rationale": f"Bid {bid}, level {level}: see its response on {indicator.key}.",
                "evidence": [
                    {
                        "title": f"Bid response, {indicator.key}",
                        "kind": "documented",
                        "url": f"https://tender.example/bids/{bid}/{indicator.key}.pdf",
                    }
                ],
            }
        )
    return found


def create_vendor(service: Service, name: str) -> str:
    return service.call("POST", "/v1/vendors", 201, json={"name": name}).json["id"]


def assess(
    service: Service, vendor_id: str, bid: int, evaluator: int, procurement_id: str | None = None
) -> str:
    """Submit evaluator number `evaluator`'s assessment of the vendor's bid number `bid`
    (standalone, or within the procurement)."""
    body = {
        "assessor": f"Evaluator {evaluator + 1}",
        "answers": answers(service.criteria_set, bid, evaluator),
    }
    if procurement_id is not None:
        body["procurement_id"] = procurement_id
    return service.call("POST", f"/v1/vendors/{vendor_id}/assessments", 201, json=body).json["id"]


def assessed_vendor(service: Service, name: str, assessors: int) -> str:
    """A vendor with `assessors` standalone assessments, one per evaluator."""
    vendor_id = create_vendor(service, name)
    for evaluator in range(assessors):
        assess(service, vendor_id, bid=0, evaluator=evaluator)
    return vendor_id


def evaluated_procurement(service: Service, bidders: int, assessors: int) -> str:
    """A procurement in `evaluating` with its own weights, `bidders` bidders, and an assessment
    of each bidder by each of `assessors` evaluators within it; its id."""
    criteria = service.criteria_set.criteria
    created = service.call(
        "POST",
        "/v1/procurements",
        201,
        json={
            "ocid": f"ocds-bench1-{secrets.token_hex(6)}",
            "title": f"Benchmark tender with {bidders} bidders",
            "buyer": {"name": "Benchmark City Council"},
            "weights": {c.key: 10 + 5 * index for index, c in enumerate(criteria)},
            # A system that does everything the set asks about: every indicator applies.
            **(
                {"profile": {q.key: True for q in profile}}
                if (profile := service.criteria_set.profile)
                else {}
            ),
        },
    )
    url = f"/v1/procurements/{created.json['id']}"
    vendor_ids = [create_vendor(service, f"Bidder {n:03d}") for n in range(bidders)]
    for vendor_id in vendor_ids:
        service.call("POST", f"{url}/bidders", 201, json={"vendor_id": vendor_id})
    for evaluator in range(assessors):  # evaluators declare their interests first
        declaration = {"conflict": False, "person": f"Evaluator {evaluator + 1}"}
        service.call("POST", f"{url}/declarations", 201, json=declaration)
    # Bidders join in draft; assessments are accepted once evaluating.
    service.call(
        "PATCH",
        url,
        200,
        json={"status": "evaluating"},
        headers={"If-Match": created.headers["ETag"]},
    )
    for bid, vendor_id in enumerate(vendor_ids):
        for evaluator in range(assessors):
            assess(service, vendor_id, bid, evaluator, created.json["id"])
    return created.json["id"]
