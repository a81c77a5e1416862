"""A procurement's profile (scoring contract, section 12) on the application layer: answered in
draft and frozen with the weights, deciding what its evaluators are asked, what is scored, the
impact tier's minimum levels, the ranking's weights and the award documents. The HTTP tests at
the end keep the contract.

Figures from tests/criteria-profiled/profiled-1.yaml, worked out in tests/test_profiles.py: with
d1 = d2 = 2 and m1 = 4, a system with a model but no biometrics (standard tier) totals
(2 * 50 + 100) / 3 = 66.67; the biometric criterion "faces" applies to nobody.
"""

import uuid

import pytest
from evaluation import assess, declare, moderate, move, ranking, ready, tender, vendor
from test_award_documents import close, ocds, summary

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.services import gates, profiles, scorecards
from ethics_api.services.errors import Conflict, Invalid, NotFound

from conftest import PROFILED_CRITERIA, client_with_key, make_key
from responses import assert_problem, created, ok

MODEL_ONLY = {"model": True, "biometric": False}
BOTH = {"model": True, "biometric": True}
APPLYING = {"d1": 2, "d2": 2, "m1": 4}
EVERYTHING = {**APPLYING, "m2": 2, "b1": 1}


@pytest.fixture
def app(make_app):
    return make_app(CRITERIA_DIR=PROFILED_CRITERIA)


def given(levels: dict) -> list[dict]:
    return [
        {"indicator": key, "level": level, "rationale": f"The tender, on {key}."}
        for key, level in levels.items()
    ]


def evaluating(acting, profile=MODEL_ONLY, bidders=("Kestrel",), **data):
    ids = {name: vendor(acting, name) for name in bidders}
    procurement = tender(acting, *ids.values(), profile=profile, min_evaluators=1, **data)
    declare(acting, procurement, "Alice")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    return procurement, ids


def check_gate(acting, procurement, vendor_id: str, passed=True, reason="Checked on the CDP."):
    with acting(Role.BUYER, "Bea") as context:
        return gates.record_gates(
            context,
            procurement.id,
            vendor_id,
            [{"gate": "not-excluded", "passed": passed, "reason": reason}],
        )


def errors_of(raised) -> dict:
    return {e.pointer: " ".join(e.messages) for e in raised.value.errors}


# --- answered in draft, frozen with the weights -------------------------------------------------


def test_evaluation_waits_for_the_profile_when_the_set_asks_one(acting):
    procurement = tender(acting)
    with pytest.raises(Conflict, match="Answer the profile first"):
        move(acting, procurement, status=ProcurementStatus.EVALUATING)
    move(acting, procurement, profile=MODEL_ONLY)
    moved = move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assert (moved.status, moved.profile) == (ProcurementStatus.EVALUATING, MODEL_ONLY)


def test_every_question_is_answered_and_no_other(acting):
    with pytest.raises(Invalid) as raised:
        tender(acting, profile={"model": True, "cameras": True})
    assert errors_of(raised) == {
        "/profile/cameras": "profiled@1 has no profile question 'cameras'.",
        "/profile/biometric": "Missing: answer every profile question, true or false.",
    }


def test_the_profile_is_frozen_once_evaluation_starts(acting):
    procurement, _ = evaluating(acting)
    with pytest.raises(Conflict, match="Profile: fixed once evaluation starts"):
        move(acting, procurement, profile=BOTH)


# --- what evaluators answer, what is scored ----------------------------------------------------


def test_an_assessment_in_the_procurement_answers_exactly_what_applies(acting):
    procurement, ids = evaluating(acting)
    with pytest.raises(Invalid) as raised:
        assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(EVERYTHING))
    assert errors_of(raised) == {
        "/answers/3/indicator": "Indicator 'm2' does not apply to the system this procurement "
        "buys (its profile leaves it out): leave it unanswered.",
        "/answers/4/indicator": "Indicator 'b1' does not apply to the system this procurement "
        "buys (its profile leaves it out): leave it unanswered.",
    }
    with pytest.raises(Invalid) as raised:
        assess(acting, ids["Kestrel"], "Alice", procurement, answers=given({"d1": 2, "d2": 2}))
    assert errors_of(raised) == {"/answers": "Indicator 'm1' is not answered."}
    record = assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(APPLYING))
    assert [a["indicator"] for a in record.answers] == ["d1", "d2", "m1"]


def test_the_scorecard_shows_the_profile_the_tier_and_what_applies(acting):
    procurement, ids = evaluating(acting)
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(APPLYING))
    with acting(Role.BUYER, "Bea") as context:
        card = scorecards.vendor_scorecard(context, ids["Kestrel"], procurement_id=procurement.id)
    assert (card["profile"], card["tier"]) == (MODEL_ONLY, "standard")
    assert round(float(card["total"]), 2) == 66.67
    applies = {i.key: i.applies for c in card["criteria"] for i in c.indicators}
    assert applies == {"d1": True, "d2": True, "m1": True, "m2": False, "b1": False}
    faces = next(c for c in card["criteria"] if c.key == "faces")
    assert (faces.score, faces.effective_weight) == (None, None)


def test_reused_standalone_answers_to_what_does_not_apply_are_ignored(acting):
    """A standalone assessment answers every indicator; in a procurement whose profile leaves
    m2 and b1 out, b1's level 1 and m2's 2 change nothing."""
    kestrel = vendor(acting, "Kestrel")
    assess(acting, kestrel, "Alice", answers=given(EVERYTHING))
    procurement = tender(acting, kestrel, profile=MODEL_ONLY, reuse_standalone=True)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    [row] = ranking(acting, procurement)["ranking"]
    assert (row["total"], row["eligible"], row["reused_standalone"]) == (
        pytest.approx(200 / 3),
        True,
        True,
    )


def test_the_tiers_minimum_level_makes_a_bidder_ineligible(acting):
    """The same marks: in the standard tier d1 at 2 clears its minimum 1; with biometrics the
    tier is high, d1's minimum 3, and the bidder is out."""
    procurement, ids = evaluating(acting, profile=BOTH)
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given({**EVERYTHING, "b1": 2}))
    found = ranking(acting, procurement)
    [row] = found["ranking"]
    assert row["eligible"] is False
    assert [(k.kind, k.key, k.value, k.threshold) for k in row["knockouts"]] == [
        ("indicator_minimum", "d1", 2, 3)
    ]
    assert (found["profile"], found["tier"]) == (BOTH, "high")


def test_a_moderator_settles_only_what_applies(acting):
    procurement, ids = evaluating(acting)
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(APPLYING))
    declare(acting, procurement, "Mona", role=Role.MODERATOR)
    with pytest.raises(Invalid) as raised:
        moderate(acting, ids["Kestrel"], "Mona", procurement, ("b1", 3, "Agreed."))
    assert "does not apply" in errors_of(raised)["/settlements/0/indicator"]


def test_the_ranking_weighs_only_the_criteria_the_profile_leaves_in(acting):
    procurement, ids = evaluating(acting, bidders=("Kestrel", "Osprey"))
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(APPLYING))
    assess(acting, ids["Osprey"], "Alice", procurement, answers=given({**APPLYING, "m1": 2}))
    found = ranking(acting, procurement)
    weights = {w["criterion"]: w["effective_weight"] for w in found["weights"]}
    assert weights == {"data": pytest.approx(2 / 3), "model": pytest.approx(1 / 3)}
    assert [r["total"] for r in found["ranking"]] == [pytest.approx(200 / 3), pytest.approx(50)]


# --- what the profile decides, shown with the procurement ---------------------------------------


def test_the_profile_resource_says_what_the_answers_decide(acting):
    procurement = tender(acting)
    with acting(Role.BUYER, "Bea") as context:
        unanswered = profiles.procurement_profile(context, procurement.id)
    assert (unanswered["answered"], unanswered["tier"]) == (False, None)
    assert {i["applies"] for i in unanswered["indicators"]} == {None}
    move(acting, procurement, profile=MODEL_ONLY)
    with acting(Role.BUYER, "Bea") as context:
        found = profiles.procurement_profile(context, procurement.id)
    assert (found["answered"], found["points"], found["tier"]) == (True, 1, "standard")
    assert [(q["key"], q["answer"]) for q in found["questions"]] == [
        ("model", True),
        ("biometric", False),
    ]
    assert {i["indicator"]: (i["applies"], i["minimum_level"]) for i in found["indicators"]} == {
        "d1": (True, 1),
        "d2": (True, None),
        "m1": (True, None),
        "m2": (False, None),
        "b1": (False, 1),
    }
    assert [(d["key"], d["applies"]) for d in found["buyer_checklist"]] == [
        ("dpia", True),
        ("watchlist-authorisation", False),
    ]
    assert [(g["key"], g["applies"]) for g in found["gates"]] == [("not-excluded", True)]


# --- the award documents ------------------------------------------------------------------------


def test_the_documents_state_the_profile_and_only_the_criteria_that_applied(acting):
    procurement, ids = evaluating(acting, bidders=("Kestrel", "Osprey"))
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(APPLYING))
    assess(acting, ids["Osprey"], "Alice", procurement, answers=given({**APPLYING, "m1": 2}))
    for vendor_id in ids.values():
        check_gate(acting, procurement, vendor_id)
    close(acting, procurement)

    found = summary(acting, procurement, ids["Osprey"])
    assert [c["criterion"] for c in found["criteria"]] == ["data", "model"]
    model = next(c for c in found["criteria"] if c["criterion"] == "model")
    assert [i["indicator"] for i in model["indicators"]] == ["m1"]
    method = " ".join(found["method"]["sentences"])
    assert "yes to \u201cDoes the system include a model?\u201d" in method
    assert "no to \u201cDoes it identify people from biometric data?\u201d" in method
    assert "impact tier \u201cstandard\u201d" in method
    assert "2 indicators that do not apply to such a system were neither asked nor scored" in method
    assert "\u201cAre logs kept?\u201d (at least level 1)" in method
    assert "Are non-matches deleted at once?" not in method

    release = ocds(acting, procurement)
    [lot] = release["tender"]["lots"]
    names = [c["name"] for c in lot["awardCriteria"]["criteria"]]
    assert names == ["Data", "Model"]
    weights = [c["numbers"][0]["number"] for c in lot["awardCriteria"]["criteria"]]
    assert weights == [66.67, 33.33]


# --- gates: pass/fail, checked by the buyer, never scored --------------------------------------


def test_closing_waits_until_every_bidder_is_checked_against_every_gate(acting):
    procurement, ids = evaluating(acting, bidders=("Kestrel", "Osprey"))
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given(APPLYING))
    assess(acting, ids["Osprey"], "Alice", procurement, answers=given({**APPLYING, "m1": 3}))
    check_gate(acting, procurement, ids["Kestrel"])
    [item] = ready(acting, procurement).blocking
    assert (item.code, item.vendor_id, item.gate) == (
        "gate_not_checked",
        ids["Osprey"],
        "not-excluded",
    )
    with pytest.raises(Conflict):
        close(acting, procurement)
    check_gate(acting, procurement, ids["Osprey"])
    assert close(acting, procurement).status == ProcurementStatus.CLOSED
    with pytest.raises(Conflict, match="closed"):
        check_gate(acting, procurement, ids["Osprey"], passed=False)


def test_a_failed_gate_makes_a_bidder_ineligible_whatever_its_scores(acting):
    """Osprey outscores nobody's red line, but the buyer found it excluded: it is out, and
    its summary says which condition it did not pass."""
    procurement, ids = evaluating(acting, bidders=("Kestrel", "Osprey"))
    assess(acting, ids["Kestrel"], "Alice", procurement, answers=given({**APPLYING, "m1": 2}))
    assess(acting, ids["Osprey"], "Alice", procurement, answers=given(APPLYING))
    check_gate(acting, procurement, ids["Kestrel"])
    check_gate(acting, procurement, ids["Osprey"], passed=False, reason="Debarment list entry.")
    found = ranking(acting, procurement)
    rows = {row["vendor_id"]: row for row in found["ranking"]}
    assert rows[ids["Kestrel"]]["rank"] == 1
    osprey = rows[ids["Osprey"]]
    assert (osprey["rank"], osprey["eligible"]) == (2, False)
    assert [(k.kind, k.key, k.assessors) for k in osprey["knockouts"]] == [
        ("gate", "not-excluded", ("Bea",))
    ]
    assert osprey["total"] == pytest.approx(200 / 3)  # the scores stand; eligibility does not
    with acting(Role.BUYER, "Bea") as context:
        card = scorecards.vendor_scorecard(context, ids["Osprey"], procurement_id=procurement.id)
    assert card["eligible"] is False
    close(acting, procurement)
    outcome = " ".join(summary(acting, procurement, ids["Osprey"])["outcome"]["sentences"])
    assert (
        "did not pass the condition \u201cIs the supplier neither excluded nor excludable?\u201d"
        in outcome
    )


def test_gate_results_name_gates_of_the_set_once_each(acting):
    procurement, ids = evaluating(acting)
    with acting(Role.BUYER, "Bea") as context, pytest.raises(Invalid) as raised:
        gates.record_gates(
            context,
            procurement.id,
            ids["Kestrel"],
            [
                {"gate": "not-excluded", "passed": True, "reason": "Checked."},
                {"gate": "not-excluded", "passed": False, "reason": "Checked again."},
                {"gate": "insured", "passed": True, "reason": "Certificate."},
            ],
        )
    assert errors_of(raised) == {
        "/0/gate": "The gate 'not-excluded' is given 2 times.",
        "/1/gate": "The gate 'not-excluded' is given 2 times.",
        "/2/gate": "profiled@1 has no gate 'insured' (its gates: not-excluded).",
    }
    stranger = vendor(acting, "Stranger")
    with acting(Role.BUYER, "Bea") as context:
        with pytest.raises(Invalid, match="at least one"):
            gates.record_gates(context, procurement.id, ids["Kestrel"], [])
        with pytest.raises(NotFound):
            gates.record_gates(
                context,
                procurement.id,
                stranger,
                [{"gate": "not-excluded", "passed": True, "reason": "Checked."}],
            )
    recorded = check_gate(acting, procurement, ids["Kestrel"])
    assert recorded.gates["not-excluded"]["passed"] is True
    assert recorded.gates["not-excluded"]["recorded_by"] == "Bea"


# --- HTTP: the contract ------------------------------------------------------------------------


def test_http_profile_in_draft_and_the_profile_resource(client):
    made = created(
        client.post(
            "/v1/procurements",
            json={
                "ocid": f"ocds-213czf-{uuid.uuid4().hex[:8]}",
                "title": "Analytics",
                "buyer": {"name": "City Police"},
            },
        )
    )
    where = f"/v1/procurements/{made['id']}"
    refused = client.patch(where, json={"profile": {"model": "yes"}}, headers={"If-Match": '"v1"'})
    assert_problem(refused, 422)
    assert {e["pointer"]: e["messages"] for e in refused.json["errors"]} == {
        "/profile/model": ["Must be true or false."],
        "/profile/biometric": ["Missing: answer every profile question, true or false."],
    }
    assert client.get(where).json["profile"] is None  # nothing changed
    patched = ok(client.patch(where, json={"profile": BOTH}, headers={"If-Match": '"v1"'}))
    assert patched["profile"] == BOTH
    found = ok(client.get(f"{where}/profile"))
    assert (found["tier"], found["points"]) == ("high", 4)
    assert all(i["applies"] for i in found["indicators"])
    described = ok(client.get("/v1/criteria-sets/profiled/1"))
    assert [q["key"] for q in described["profile"]] == ["model", "biometric"]
    assert described["criteria"][0]["indicators"][0]["minimum_level_by_tier"] == {"high": 3}
    assert described["counts"]["gates"] == 1


def test_http_a_set_without_profile_questions_takes_no_profile(make_app):
    mini = make_app()
    client = client_with_key(mini, make_key(mini, "buyer"))
    refused = client.post(
        "/v1/procurements",
        json={
            "ocid": f"ocds-213czf-{uuid.uuid4().hex[:8]}",
            "title": "Analytics",
            "buyer": {"name": "City Police"},
            "profile": {"model": True},
        },
    )
    assert_problem(refused, 422)
    assert refused.json["errors"][0]["pointer"] == "/profile"
    assert "has no profile questions" in refused.json["errors"][0]["messages"][0]


def test_http_gates_are_recorded_per_bidder(client):
    vendor_id = created(client.post("/v1/vendors", json={"name": "Kestrel"}))["id"]
    made = created(
        client.post(
            "/v1/procurements",
            json={
                "ocid": f"ocds-213czf-{uuid.uuid4().hex[:8]}",
                "title": "Analytics",
                "buyer": {"name": "City Police"},
                "profile": MODEL_ONLY,
            },
        )
    )
    where = f"/v1/procurements/{made['id']}/bidders"
    created(client.post(where, json={"vendor_id": vendor_id}))
    url = f"{where}/{vendor_id}/gates"
    refused = client.post(url, json=[{"gate": "not-excluded", "passed": "yes", "reason": "x"}])
    assert_problem(refused, 422)
    assert [e["pointer"] for e in refused.json["errors"]] == ["/0/passed"]
    body = [{"gate": "not-excluded", "passed": True, "reason": "No exclusion ground found."}]
    recorded = created(client.post(url, json=body))
    assert recorded["gates"]["not-excluded"]["passed"] is True
    [listed] = ok(client.get(where))
    assert listed["gates"]["not-excluded"]["reason"] == "No exclusion ground found."
