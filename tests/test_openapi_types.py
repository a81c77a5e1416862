"""Every field an integrator reads has a type in /openapi.json, and real responses match it.

A client generated from the document trusts its types: a property with none becomes `Any` (and
the docs' examples show `"string"` for a number). So the whole document is walked for untyped
properties, and the responses of the main operations, after a real evaluation, are validated
against their documented schemas with a JSON Schema 2020-12 validator (OpenAPI 3.1's dialect),
with undocumented properties refused as a generated client would drop them.
"""

import copy

import pytest
from evaluation import assess, declare, move, tender, vendor
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.services import disputes

from payloads import answers

# The steps run on the tests' clock (1 March 2026); scorecards are read a day later.
AS_OF = "2026-03-02T09:00:00Z"

# What gives a property its type: its own, a reference, or a choice of typed schemas.
TYPED = {"type", "$ref", "oneOf", "anyOf", "allOf", "const", "enum"}


def untyped_properties(node, where: str = "#") -> list[str]:
    """Pointers to every property, item or map value in `node` that has no type.

    The branches of a oneOf/anyOf/not only narrow properties their schema already types (a
    `pattern` on a rationale), so they are not themselves walked as property lists."""
    found = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if not TYPED & prop.keys():
                found.append(f"{where}/properties/{name}")
        for key, value in node.items():
            if key in ("oneOf", "anyOf", "not"):
                continue
            found += untyped_properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += untyped_properties(value, f"{where}/{index}")
    return found


def test_the_walk_finds_an_untyped_property():
    # The check itself: an exact number with no type must be found, a typed one not.
    document = {"components": {"schemas": {"S": {"properties": {"total": {}, "n": {}}}}}}
    document["components"]["schemas"]["S"]["properties"]["n"] = {"type": "number"}
    assert untyped_properties(document) == ["#/components/schemas/S/properties/total"]


def test_every_property_of_the_document_has_a_type(client):
    document = client.get("/openapi.json").json
    assert untyped_properties(document) == []


def test_exact_numbers_are_documented_as_numbers(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    assert schemas["Scorecard"]["properties"]["total"]["type"] == "number"
    assert schemas["RankedBidder"]["properties"]["total"]["type"] == "number"
    assert schemas["Knockout"]["properties"]["value"]["type"] == "number"
    assert schemas["Criterion"]["properties"]["minimum"]["type"] == ["number", "null"]
    assert schemas["Indicator"]["properties"]["levels"]["items"] == {
        "$ref": "#/components/schemas/Level"
    }


# --- real responses against their documented schemas ------------------------------------------


def closed_schemas(document: dict) -> dict:
    """The document with every object schema closed to properties it does not list, so that a
    response field the document forgot fails validation."""
    closed = copy.deepcopy(document)
    for schema in closed["components"]["schemas"].values():
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    return closed


class Contract:
    """Validates a response against the schema the document gives its operation."""

    def __init__(self, document: dict):
        self.document = closed_schemas(document)
        resource = Resource(contents=self.document, specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:openapi", resource)

    def errors(self, body, template: str) -> list[str]:
        """What is wrong with `body` as the 200 response of GET `template`."""
        assert "200" in self.document["paths"][template]["get"]["responses"], template
        pointer = f"/paths/{template.replace('/', '~1')}/get/responses/200"
        schema = {"$ref": f"urn:openapi#{pointer}/content/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=self.registry)
        return [
            f"{template} {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]


def read(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    return response.json


@pytest.fixture
def evaluation(acting, client):
    """A closed procurement of two bidders, one knocked out (p1 at level 0, a red line), and
    a dispute the knocked-out vendor filed on its standalone scorecard."""
    ids = {name: vendor(acting, name) for name in ("Falcon Ltd", "Ibis Ltd")}
    procurement = tender(acting, *ids.values(), min_evaluators=1)
    declare(acting, procurement, "Alice Evaluator")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    levels = {"Falcon Ltd": answers(p1=4, o1=1), "Ibis Ltd": answers(p1=0, p2=4)}
    for name, given in levels.items():
        reasoned = [{**a, "rationale": f"{name}, on {a['indicator']}."} for a in given]
        assess(acting, ids[name], "Alice Evaluator", procurement, answers=reasoned)
    move(acting, procurement, status=ProcurementStatus.CLOSED)
    assess(acting, ids["Ibis Ltd"], "Alice Evaluator", answers=answers(p1=0))
    with acting(Role.VENDOR, "Ivy", vendor_id=ids["Ibis Ltd"]) as context:
        dispute = disputes.open_dispute(
            context, ids["Ibis Ltd"], {"indicator": "p1", "statement": "Our DPIA is attached."}
        )
    return procurement.id, ids, dispute.id


def test_real_responses_match_their_documented_schemas(client, evaluation):
    procurement_id, ids, dispute_id = evaluation
    contract = Contract(client.get("/openapi.json").json)
    ibis = ids["Ibis Ltd"]
    assessment_id = client.get(f"/v1/vendors/{ibis}/assessments").json[0]["id"]
    reads = {
        "/v1/vendors/{vendor_id}": f"/v1/vendors/{ibis}",
        "/v1/vendors": "/v1/vendors",
        "/v1/vendors/{vendor_id}/assessments": f"/v1/vendors/{ibis}/assessments",
        "/v1/assessments/{assessment_id}": f"/v1/assessments/{assessment_id}",
        "/v1/vendors/{vendor_id}/scorecard": f"/v1/vendors/{ibis}/scorecard?as_of={AS_OF}",
        "/v1/vendors/{vendor_id}/scorecard/history": f"/v1/vendors/{ibis}/scorecard/history",
        "/v1/procurements/{procurement_id}": f"/v1/procurements/{procurement_id}",
        "/v1/procurements/{procurement_id}/ranking": f"/v1/procurements/{procurement_id}/ranking",
        "/v1/procurements/{procurement_id}/bidders/{vendor_id}/summary": (
            f"/v1/procurements/{procurement_id}/bidders/{ibis}/summary"
        ),
        "/v1/disputes/{dispute_id}": f"/v1/disputes/{dispute_id}",
        "/v1/audit": "/v1/audit",
        "/v1/audit/verify": "/v1/audit/verify",
        "/v1/criteria-sets/{key}/{version}": "/v1/criteria-sets/mini/1",
    }
    problems = []
    for template, url in reads.items():
        problems += contract.errors(read(client, url), template)
    in_procurement = read(
        client, f"/v1/vendors/{ibis}/scorecard?procurement_id={procurement_id}&as_of={AS_OF}"
    )
    problems += contract.errors(in_procurement, "/v1/vendors/{vendor_id}/scorecard")
    assert problems == []
    # What the responses were to show was there to check: a knockout, a dispute, a ranking.
    assert in_procurement["knockouts"] and read(client, f"/v1/disputes/{dispute_id}")


def test_the_contract_check_refuses_a_wrong_type(client, evaluation):
    # The validation above is not vacuous: a total sent as text, or a field the document does
    # not list, fails it.
    _, ids, _ = evaluation
    contract = Contract(client.get("/openapi.json").json)
    scorecard = read(client, f"/v1/vendors/{ids['Ibis Ltd']}/scorecard?as_of={AS_OF}")
    template = "/v1/vendors/{vendor_id}/scorecard"
    assert contract.errors(scorecard, template) == []
    assert contract.errors({**scorecard, "total": "41.67"}, template)
    assert contract.errors({**scorecard, "surprise": 1}, template)
