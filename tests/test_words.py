"""Words where people need them: indicators named beside their keys, knockouts in a sentence,
and the improvement plan's gain in a stated unit. Additions only: every field integrators
read before is still there, with the same value.

Figures from tests/criteria/mini-1.yaml: privacy (weight 2) has p1 (a knockout, weight 1), p2
(weight 3) and p3 (weight 1); its minimum is 50.
"""

import pytest
from evaluation import assess, declare, move, ranking, tender, vendor

from ethics_api.criteria import load_file
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.schemas.common import KnockoutSchema, knockout_message
from ethics_api.schemas.procurements import RankingSchema

from conftest import TEST_CRITERIA
from payloads import answers, assessment

MINI = load_file(TEST_CRITERIA / "mini-1.yaml")
QUESTIONS = {i.key: " ".join(i.question.split()) for i in MINI.indicators}
CRITERIA = {c.key: c.name for c in MINI.criteria}


def test_the_scorecard_names_every_indicator_beside_its_key(client):
    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    # p2 at 4 keeps privacy at (0 + 12 + 2) / 20 = 70, above its minimum: one knockout.
    body = assessment(answers=answers(p1=0, p2=4))
    assert client.post(f"{vendor_url}/assessments", json=body).status_code == 201
    card = client.get(f"{vendor_url}/scorecard").json
    named = {i["key"]: i["name"] for c in card["criteria"] for i in c["indicators"]}
    assert named == QUESTIONS
    (knockout,) = card["knockouts"]
    # The fields integrators read before are unchanged; the words come beside them.
    assert {k: knockout[k] for k in ("kind", "key", "value", "threshold", "assessors")} == {
        "kind": "indicator",
        "key": "p1",
        "value": 0.0,
        "threshold": 1.0,
        "assessors": ["alice"],
    }
    assert knockout["name"] == QUESTIONS["p1"]
    assert knockout["message"] == (
        f"Indicator p1 (\u201c{QUESTIONS['p1']}\u201d) is at level 0, below the red line of 1."
    )


def test_the_ranking_names_criteria_and_knockouts(acting):
    ids = {name: vendor(acting, name) for name in ("Alder", "Kauri")}
    procurement = tender(acting, *ids.values(), min_evaluators=1)
    declare(acting, procurement, "Alice Evaluator")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, ids["Alder"], "Alice Evaluator", procurement)
    # p2 at 0 too: privacy (0 + 0 + 2) / 20 = 10, under its minimum of 50.
    assess(acting, ids["Kauri"], "Alice Evaluator", procurement, answers=answers(p1=0, p2=0))
    ranked = RankingSchema().dump(ranking(acting, procurement))
    rows = {row["vendor_name"]: row for row in ranked["ranking"]}
    for row in rows.values():
        assert {c["criterion"]: c["name"] for c in row["criteria"]} == CRITERIA
    messages = [k["message"] for k in rows["Kauri"]["knockouts"]]
    assert messages == [
        f"Indicator p1 (\u201c{QUESTIONS['p1']}\u201d) is at level 0, below the red line of 1.",
        "Criterion privacy (\u201cPrivacy\u201d) scored 10.00 of 100, below its minimum of 50.00.",
    ]
    assert rows["Alder"]["knockouts"] == []


@pytest.mark.parametrize(
    ("knockout", "sentence"),
    [
        (
            {
                "kind": "indicator_minimum",
                "key": "b1",
                "name": "Is it tested?",
                "value": 1,
                "threshold": 3,
            },
            "Indicator b1 (\u201cIs it tested?\u201d) is at level 1, below its minimum level of 3.",
        ),
        (
            {
                "kind": "gate",
                "key": "not-excluded",
                "name": "No exclusion ground applies",
                "value": 0,
                "threshold": 1,
            },
            "The bidder failed the pass/fail condition not-excluded (\u201cNo exclusion ground "
            "applies\u201d).",
        ),
        # A ranking stored at closing before names were kept: the key alone, still a sentence.
        (
            {"kind": "criterion_minimum", "key": "privacy", "value": 41.67, "threshold": 50.0},
            "Criterion privacy scored 41.67 of 100, below its minimum of 50.00.",
        ),
    ],
)
def test_every_kind_of_knockout_has_its_sentence(knockout, sentence):
    assert knockout_message(knockout) == sentence
    assert KnockoutSchema().dump(knockout)["message"] == sentence


def test_the_gain_states_its_unit(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    for schema in ("Step", "MarginStep"):
        gain = schemas[schema]["properties"]["gain"]
        assert gain["type"] == "number"
        assert "points of the" in gain["description"].lower()
        assert "0..100" in gain["description"]


def test_the_summary_names_the_indicators(acting):
    from ethics_api.documents.links import Links
    from ethics_api.schemas.summaries import BidderSummarySchema
    from ethics_api.services import documents

    vendor_id = vendor(acting, "Alder")
    procurement = tender(acting, vendor_id, min_evaluators=1)
    declare(acting, procurement, "Alice Evaluator")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, vendor_id, "Alice Evaluator", procurement)
    move(acting, procurement, status=ProcurementStatus.CLOSED)
    with acting(Role.BUYER, "Bea") as context:
        found = documents.summary(context, procurement.id, vendor_id, Links("https://e.example/"))
    summary = BidderSummarySchema().dump(found)
    for criterion in summary["criteria"]:
        for listed in (criterion["indicators"], criterion["assessed"]):
            assert {i["indicator"]: i["name"] for i in listed} == {
                i["indicator"]: QUESTIONS[i["indicator"]] for i in listed
            }
            assert listed


def test_improvement_steps_and_margin_steps_name_their_indicator(client, acting):
    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    client.post(f"{vendor_url}/assessments", json=assessment(answers=answers(p1=0)))
    plan = client.get(f"{vendor_url}/scorecard").json["improvement_plan"]
    assert plan and all(step["name"] == QUESTIONS[step["indicator"]] for step in plan)

    ids = {name: vendor(acting, name) for name in ("Alder", "Kauri")}
    procurement = tender(acting, *ids.values(), min_evaluators=1)
    declare(acting, procurement, "Alice Evaluator")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, ids["Alder"], "Alice Evaluator", procurement, answers=answers(p2=3))
    assess(acting, ids["Kauri"], "Alice Evaluator", procurement)
    margin = RankingSchema().dump(ranking(acting, procurement))["sensitivity"]["margin"]
    assert margin["steps"], margin["sentence"]
    assert all(step["name"] == QUESTIONS[step["indicator"]] for step in margin["steps"])
