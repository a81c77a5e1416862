"""A fair evaluation: each finding of the fair-evaluation review, repeated as it was found,
is now refused or shown on the record; every readiness code, by its own case.

Most rules are tested on the application layer (fast, no HTTP); the HTTP tests at the end
keep the contract: statuses, the problem's `blocking` list, what a vendor key reads.
Figures come from tests/criteria/mini-1.yaml: every indicator at 2 totals 50; p2 weighs 3 of
privacy's 5, and privacy 2 of 4, so one level of p2 is 7.5 points of the total.
"""

import uuid

import pytest
from evaluation import (
    assess,
    codes,
    declare,
    moderate,
    move,
    ranking,
    ready,
    tender,
    vendor,
)

from ethics_api.documents.links import Links
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.services import (
    declarations,
    documents,
    rankings,
    readiness,
    scorecards,
)
from ethics_api.services.errors import Conflict, Forbidden

from conftest import client_with_key, make_key
from payloads import answers, supplier
from responses import assert_problem, created, ok

# --- 1. no scores before the weights are fixed -------------------------------------------------


def test_nothing_is_scored_in_a_draft_and_reused_work_from_before_is_flagged(acting, clock):
    """The finding: a draft with reuse_standalone served totals and tipping points, so the
    buyer could tune the weights to the bidder they wanted, then fix them."""
    alpha = vendor(acting, "Alpha")
    assess(acting, alpha, "alice")  # standalone, before anything is fixed
    draft = tender(acting, alpha, reuse_standalone=True)
    with acting(Role.BUYER, "Bea") as context:
        for read in (
            lambda: rankings.procurement_ranking(context, draft.id),
            lambda: rankings.written_ranking(context, draft.id),
            lambda: documents.ocds_release(context, draft.id, Links("https://ethics.example/")),
            lambda: scorecards.vendor_scorecard(context, alpha, procurement_id=draft.id),
            lambda: scorecards.vendor_history(context, alpha, procurement_id=draft.id),
            lambda: readiness.readiness(context, draft.id),
        ):
            with pytest.raises(Conflict, match="in draft: nothing is scored"):
                read()
    clock.advance(hours=1)
    evaluating = move(acting, draft, status=ProcurementStatus.EVALUATING)
    assert evaluating.weights_fixed_at == clock.now
    [row] = ranking(acting, evaluating)["ranking"]
    assert (row["reused_standalone"], row["reused_before_weights_fixed"]) == (True, True)
    warnings = ready(acting, evaluating).warnings
    assert "reused_before_weights_fixed" in codes(warnings)
    # What is fixed at evaluation stays fixed.
    for change in (
        {"weights": {"privacy": 1, "oversight": 1, "openness": 1}},
        {"min_evaluators": 3},
        {"reuse_standalone": False},
    ):
        with pytest.raises(Conflict, match="fixed once evaluation starts"):
            move(acting, evaluating, **change)


# --- 3. blindness that holds -------------------------------------------------------------------


def test_once_others_levels_could_be_read_an_assessor_changes_levels_only_by_moderation(acting):
    """The finding: an assessor posted a placeholder, read the others' answers, and copied
    them in as a "correction" (201)."""
    alpha = vendor(acting, "Alpha")
    procurement = tender(acting, alpha)
    for name in ("alice", "bob"):
        declare(acting, procurement, name)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    placeholder = assess(acting, alpha, "alice", procurement, answers=answers(p2=0))
    assess(acting, alpha, "bob", procurement, answers=answers(p2=4))
    copied = {"answers": answers(p2=4), "supersedes": uuid.UUID(placeholder.id)}
    with pytest.raises(Conflict, match="change only through moderation"):
        assess(acting, alpha, "alice", procurement, **copied)
    # Rationale and evidence may still be corrected: the levels stay hers.
    explained = answers(p2=0)
    explained[1] = {**explained[1], "rationale": "No purpose limitation was offered."}
    corrected = assess(
        acting, alpha, "alice", procurement, answers=explained, supersedes=uuid.UUID(placeholder.id)
    )
    assert corrected.supersedes == placeholder.id


def test_alone_in_a_procurement_an_assessor_may_still_correct_levels(acting):
    alpha = vendor(acting, "Alpha")
    procurement = tender(acting, alpha)
    declare(acting, procurement, "alice")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    first = assess(acting, alpha, "alice", procurement, answers=answers(p2=0))
    second = assess(
        acting, alpha, "alice", procurement, answers=answers(p2=3), supersedes=uuid.UUID(first.id)
    )
    assert second.supersedes == first.id


# --- 5, 6 and 7: red lines, moderation per indicator, closing only when ready ------------------


def test_a_red_line_on_one_mark_blocks_closing_until_a_moderator_settles_it(acting):
    """The finding: a bidder made ineligible by one evaluator's 0 on a knockout while the other
    gave 1; nothing asked for moderation, and the procurement closed (200)."""
    alpha, beta = vendor(acting, "Alpha"), vendor(acting, "Beta")
    procurement = tender(acting, alpha, beta)
    for name in ("alice", "bob"):
        declare(acting, procurement, name)
    declare(acting, procurement, "mona", role=Role.MODERATOR)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, alpha, "alice", procurement, answers=answers(p1=0, p2=3))
    assess(acting, alpha, "bob", procurement, answers=answers(p1=1, p2=3))
    for name in ("alice", "bob"):
        assess(acting, beta, name, procurement)

    found = ready(acting, procurement)
    assert codes(found.blocking) == ["unsettled_disagreement"]
    [item] = found.blocking
    assert (item.vendor_id, item.indicator) == (alpha, "p1")
    assert "both sides of its red line" in item.message
    with pytest.raises(Conflict, match="not ready to close: 1 item blocks it") as refused:
        move(acting, procurement, status=ProcurementStatus.CLOSED)
    assert refused.value.details["blocking"][0]["code"] == "unsettled_disagreement"

    # An evaluator of the bidder cannot settle it; a moderator who has not assessed it can.
    with pytest.raises(Forbidden, match="never their own"):
        moderate(acting, alpha, "alice", procurement, ("p1", 1, "My own mark."))
    moderate(acting, alpha, "mona", procurement, ("p1", 1, "The DPIA was signed in March."))
    assert ready(acting, procurement).blocking == []
    closed = move(acting, procurement, status=ProcurementStatus.CLOSED)
    [first, second] = closed.final_ranking["ranking"]
    # Alpha, settled at p1 1 with p2 at 3: privacy (1 + 9 + 2) / 20 = 60, total 55.
    assert (first["vendor_name"], first["total"], first["eligible"]) == ("Alpha", 55.0, True)
    assert second["vendor_name"] == "Beta"


def test_a_moderation_is_by_a_declared_moderator_of_an_evaluating_procurement(acting):
    alpha = vendor(acting, "Alpha")
    procurement = tender(acting, alpha)
    declare(acting, procurement, "alice")
    with pytest.raises(Conflict, match="draft: moderations are recorded only while"):
        moderate(acting, alpha, "mona", procurement, ("p1", 1, "Too early."))
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    with pytest.raises(Conflict, match="no assessment of the vendor in this scope"):
        moderate(acting, alpha, "mona", procurement, ("p1", 1, "Nothing to settle."))
    assess(acting, alpha, "alice", procurement)
    with pytest.raises(Conflict, match="mona has not declared"):
        moderate(acting, alpha, "mona", procurement, ("p1", 1, "Undeclared."))


# --- 9. declarations of interest ---------------------------------------------------------------


def test_a_declared_conflict_stops_the_person_until_the_buyer_mitigates_it(acting):
    """The finding: no record of evaluators' conflicts of interest (Procurement Act 2023
    ss.81-83)."""
    alpha = vendor(acting, "Alpha")
    procurement = tender(acting, alpha)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    with pytest.raises(Conflict, match="alice has not declared"):
        assess(acting, alpha, "alice", procurement)
    declaration = declare(
        acting, procurement, "alice", conflict=True, description="My brother works at Alpha."
    )
    with pytest.raises(Conflict, match="declared a conflict of interest"):
        assess(acting, alpha, "alice", procurement)
    with acting(Role.BUYER, "Bea") as context:
        mitigated = declarations.mitigate(
            context,
            procurement.id,
            declaration.id,
            {"mitigation": "Her marks are moderated by someone with no connection."},
        )
        assert (mitigated.settled, mitigated.mitigated_by) == (True, context.caller.person_id)
        with pytest.raises(Conflict, match="mitigated already"):
            declarations.mitigate(context, procurement.id, declaration.id, {"mitigation": "x"})
    assert assess(acting, alpha, "alice", procurement).procurement_id == procurement.id


# --- readiness: every code ---------------------------------------------------------------------


def test_too_few_evaluators_blocks_and_the_minimum_is_the_procurements(acting):
    alpha, beta = vendor(acting, "Alpha"), vendor(acting, "Beta")
    procurement = tender(acting, alpha, beta, min_evaluators=2)
    declare(acting, procurement, "alice")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, alpha, "alice", procurement)
    blocking = ready(acting, procurement).blocking
    assert [(i.code, i.vendor_id) for i in blocking] == [
        ("too_few_evaluators", alpha),
        ("too_few_evaluators", beta),
    ]
    assert blocking[0].message == "Alpha has 1 current evaluator; the procurement needs 2."
    assert blocking[1].message == "Beta has 0 current evaluators; the procurement needs 2."


def test_evaluators_without_declarations_or_with_unmitigated_conflicts_block(acting):
    """Standalone work a procurement reuses counts as evaluation in it: its authors declare."""
    alpha, beta = vendor(acting, "Alpha"), vendor(acting, "Beta")
    assess(acting, alpha, "alice")
    assess(acting, beta, "carol", answers=answers(p2=3))
    procurement = tender(acting, alpha, beta, reuse_standalone=True, min_evaluators=1)
    declare(acting, procurement, "carol", conflict=True, description="Former employee of Beta.")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    blocking = ready(acting, procurement).blocking
    assert [(i.code, i.person_id is not None) for i in blocking] == [
        ("missing_declaration", True),
        ("unmitigated_conflict", True),
    ]
    assert "alice evaluated without declaring" in blocking[0].message
    assert "carol declared a conflict" in blocking[1].message


def test_a_tie_for_first_blocks_until_the_tenders_tie_break_is_recorded(acting):
    alpha, beta = vendor(acting, "Alpha"), vendor(acting, "Beta")
    procurement = tender(acting, alpha, beta, min_evaluators=1)
    declare(acting, procurement, "alice")
    with pytest.raises(Conflict, match="while the procurement is evaluating"):
        move(acting, procurement, tie_break={"vendor_id": uuid.UUID(alpha), "reason": "Early."})
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    with pytest.raises(Conflict, match="no tie for first"):
        move(acting, procurement, tie_break={"vendor_id": uuid.UUID(alpha), "reason": "None."})
    for vendor_id in (alpha, beta):
        assess(acting, vendor_id, "alice", procurement)
    assert ranking(acting, procurement)["tie_for_first"] is True
    assert codes(ready(acting, procurement).blocking) == ["tie_without_tie_break"]
    reason = "The lower price, as section 7.3 of the tender sets out."
    settled = move(acting, procurement, tie_break={"vendor_id": uuid.UUID(beta), "reason": reason})
    assert (settled.tie_break["vendor_id"], settled.tie_break["reason"]) == (beta, reason)
    ranked = ranking(acting, procurement)
    assert (ranked["winner_vendor_id"], ranked["tie_break"]["vendor_id"]) == (beta, beta)
    assert ready(acting, procurement).blocking == []


def test_warnings_a_narrow_margin_repeated_rationales_self_declared_evidence(acting):
    """Alpha 57.5 (p2 at 3: privacy 65) against Beta 50 (all at 2): one raise of Beta's p2,
    7.5 points, makes up the whole margin. Beta's rationale is one sentence pasted into every
    answer, and its only evidence is self-declared."""
    alpha, beta = vendor(acting, "Alpha"), vendor(acting, "Beta")
    procurement = tender(acting, alpha, beta, min_evaluators=1)
    declare(acting, procurement, "alice")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    documented = {"title": "Policy", "kind": "documented", "url": "https://alpha.example/p"}
    backed = [{**answer, "evidence": [documented]} for answer in answers(p2=3)]
    assess(acting, alpha, "alice", procurement, answers=backed)
    pasted = [
        {
            **answer,
            "rationale": "Meets expectations.",
            "evidence": [{**documented, "kind": "self_declared"}],
        }
        for answer in answers()
    ]
    assess(acting, beta, "alice", procurement, answers=pasted)
    found = ready(acting, procurement)
    assert found.blocking == []
    assert codes(found.warnings) == [
        "narrow_margin",
        "repeated_rationale",
        "self_declared_evidence_only",
    ]
    by_code = {item.code: item for item in found.warnings}
    assert by_code["narrow_margin"].vendor_id == beta
    assert "single evaluator's single mark decides" in by_code["narrow_margin"].message
    assert "in 7 answers" in by_code["repeated_rationale"].message
    assert by_code["self_declared_evidence_only"].vendor_id == beta
    margin = ranking(acting, procurement)["sensitivity"]["margin"]
    assert (margin["points"], margin["largest_step"], margin["steps_to_overtake"]) == (7.5, 7.5, 1)


# --- over HTTP: the contract -------------------------------------------------------------------


def http_tender(admin, *vendor_ids, **fields) -> str:
    body = {"ocid": "ocds-213czf-http", "title": "Analytics", "buyer": {"name": "City"}}
    procurement_id = created(admin.post("/v1/procurements", json={**body, **fields}))["id"]
    for vendor_id in vendor_ids:
        created(
            admin.post(f"/v1/procurements/{procurement_id}/bidders", json={"vendor_id": vendor_id})
        )
    return procurement_id


def http_move(admin, procurement_id: str, **changes):
    url = f"/v1/procurements/{procurement_id}"
    return admin.patch(url, json=changes, headers={"If-Match": admin.get(url).headers["ETag"]})


def test_one_person_one_identity_whatever_their_keys(app, client):
    """The finding: two keys made with the same --name were one assessor by accident; now a
    person is a row, names are unique in the organisation, and a second key is given to the
    person on purpose."""
    alice = created(client.post("/v1/people", json={"name": "Alice Smith", "email": "a@x.example"}))
    assert assert_problem(client.post("/v1/people", json={"name": "Alice Smith"}), 409)
    first = created(client.post(f"/v1/people/{alice['id']}/keys", json={"role": "assessor"}))
    second = created(client.post(f"/v1/people/{alice['id']}/keys", json={"role": "assessor"}))
    assert first["person_id"] == second["person_id"] == alice["id"]
    assert first["secret"].startswith(first["prefix"])
    listed = ok(client.get(f"/v1/people/{alice['id']}/keys"))
    assert [k["id"] for k in listed] == [first["id"], second["id"]]
    assert all("secret" not in k for k in listed)

    vendor_id = created(client.post("/v1/vendors", json={"name": "Acme"}))["id"]
    old_key, new_key = (client_with_key(app, k["secret"]) for k in (first, second))
    mine = created(
        old_key.post(f"/v1/vendors/{vendor_id}/assessments", json={"answers": answers()})
    )
    assert mine["assessor"] == "Alice Smith"
    # Rotated: the new key is the same person, who reads and corrects her own work.
    assert ok(new_key.get(f"/v1/assessments/{mine['id']}"))["id"] == mine["id"]
    response = client.delete(f"/v1/keys/{first['id']}")
    assert response.status_code == 204
    assert old_key.get("/v1/vendors").status_code == 401
    correction = {"answers": answers(p2=3), "supersedes": mine["id"]}
    assert created(new_key.post(f"/v1/vendors/{vendor_id}/assessments", json=correction))

    # Someone else, with a key of their own, is blind to her work and cannot correct it.
    bob = client_with_key(app, make_key(app, "assessor", "Bob Jones"))
    assert_problem(bob.get(f"/v1/assessments/{mine['id']}"), 403)
    created(bob.post(f"/v1/vendors/{vendor_id}/assessments", json={"answers": answers()}))
    refused = bob.post(f"/v1/vendors/{vendor_id}/assessments", json={**correction})
    assert_problem(refused, 403)


def test_a_vendor_reads_no_interim_result_and_no_evaluators_name(app, client):
    """The finding: a vendor key read its scorecard in an evaluating procurement, with the
    named evaluators' interim levels."""
    vendor_id = created(client.post("/v1/vendors", json={"name": "Acme"}))["id"]
    desk = client_with_key(app, make_key(app, "vendor", "Acme desk", vendor_id=vendor_id))
    procurement_id = http_tender(client, vendor_id, min_evaluators=2)
    for name in ("Alice Smith", "Bob Jones"):
        body = {"conflict": False, "person": name}
        created(client.post(f"/v1/procurements/{procurement_id}/declarations", json=body))
    ok(http_move(client, procurement_id, status="evaluating"))
    for name, p2 in (("Alice Smith", 0), ("Bob Jones", 2)):
        body = {"assessor": name, "answers": answers(p2=p2), "procurement_id": procurement_id}
        created(client.post(f"/v1/vendors/{vendor_id}/assessments", json=body))
        created(
            client.post(
                f"/v1/vendors/{vendor_id}/assessments", json={**body, "procurement_id": None}
            )
        )
    interim = desk.get(f"/v1/vendors/{vendor_id}/scorecard?procurement_id={procurement_id}")
    assert "reach the bidders when it closes" in assert_problem(interim, 409)["detail"]

    card = ok(desk.get(f"/v1/vendors/{vendor_id}/scorecard"))
    text = desk.get(f"/v1/vendors/{vendor_id}/scorecard").get_data(as_text=True)
    assert "Alice" not in text and "Bob" not in text
    assert card["assessors"] == ["Evaluator 1", "Evaluator 2"]
    levels = card["criteria"][0]["indicators"][1]["assessor_levels"]
    assert levels == [
        {"assessor": "Evaluator 1", "level": 0},
        {"assessor": "Evaluator 2", "level": 2},
    ]
    history = desk.get(f"/v1/vendors/{vendor_id}/scorecard/history").get_data(as_text=True)
    assert "Alice" not in history and "Evaluator 1 submitted" in history
    # The organisation's own people read the names.
    assert ok(client.get(f"/v1/vendors/{vendor_id}/scorecard"))["assessors"] == [
        "Alice Smith",
        "Bob Jones",
    ]


def test_closing_while_blocked_is_409_with_the_items_and_readiness_lists_them(client):
    """The finding: a procurement closed (200) with a bidder's disagreement unmoderated."""
    vendor_id = created(client.post("/v1/vendors", json=supplier("Acme")))["id"]
    procurement_id = http_tender(client, vendor_id)
    ok(http_move(client, procurement_id, status="evaluating"))
    before = client.get(f"/v1/procurements/{procurement_id}").json
    assert before["weights_fixed_at"] is not None and before["min_evaluators"] == 2
    refused = http_move(client, procurement_id, status="closed")
    body = assert_problem(refused, 409)
    assert body["blocking"] == [
        {
            "code": "too_few_evaluators",
            "message": "Acme has 0 current evaluators; the procurement needs 2.",
            "vendor_id": vendor_id,
        }
    ]
    found = ok(client.get(f"/v1/procurements/{procurement_id}/readiness"))
    assert found == {"ready": False, "blocking": body["blocking"], "warnings": []}
    assert client.get(f"/v1/procurements/{procurement_id}").json == before  # nothing changed


def test_moderations_over_http_settle_and_show_their_reasons(app, client):
    vendor_id = created(client.post("/v1/vendors", json={"name": "Acme"}))["id"]
    for name, p2 in (("Alice Smith", 0), ("Bob Jones", 4)):
        body = {"assessor": name, "answers": answers(p2=p2)}
        created(client.post(f"/v1/vendors/{vendor_id}/assessments", json=body))
    mona = client_with_key(app, make_key(app, "moderator", "Mona Lee"))
    settle = {"settlements": [{"indicator": "p2", "level": 2, "reason": "Agreed at the meeting."}]}
    moderation = created(mona.post(f"/v1/vendors/{vendor_id}/moderations", json=settle))
    assert (moderation["moderator"], moderation["settlements"]) == (
        "Mona Lee",
        settle["settlements"],
    )
    [disagreement] = ok(client.get(f"/v1/vendors/{vendor_id}/scorecard"))["disagreements"]
    assert disagreement["settled"]["reason"] == "Agreed at the meeting."
    assert disagreement["settled"]["moderator"] == "Mona Lee"
    # Unknown indicators, N/A where none is allowed, no reason: 422 with the place.
    bad = {
        "settlements": [
            {"indicator": "zz", "level": 1, "reason": "x"},
            {"indicator": "p1", "not_applicable": True, "reason": "x"},
        ]
    }
    response = mona.post(f"/v1/vendors/{vendor_id}/moderations", json=bad)
    assert sorted(e["pointer"] for e in assert_problem(response, 422)["errors"]) == [
        "/settlements/0/indicator",
        "/settlements/1/not_applicable",
    ]
    no_reason = {"settlements": [{"indicator": "p2", "level": 1}]}
    assert_problem(mona.post(f"/v1/vendors/{vendor_id}/moderations", json=no_reason), 422)


def test_the_ranking_carries_readiness_and_declarations_and_keeps_them_at_closing(client):
    vendor_id = created(client.post("/v1/vendors", json={"name": "Acme"}))["id"]
    procurement_id = http_tender(client, vendor_id, min_evaluators=1)
    declared = {"conflict": True, "description": "Shares in Acme.", "person": "Alice Smith"}
    declaration = created(
        client.post(f"/v1/procurements/{procurement_id}/declarations", json=declared)
    )
    ok(http_move(client, procurement_id, status="evaluating"))
    body = {"assessor": "Bob Jones", "answers": answers(), "procurement_id": procurement_id}
    bob = {"conflict": False, "person": "Bob Jones"}
    created(client.post(f"/v1/procurements/{procurement_id}/declarations", json=bob))
    created(client.post(f"/v1/vendors/{vendor_id}/assessments", json=body))
    ranking = ok(client.get(f"/v1/procurements/{procurement_id}/ranking"))
    assert ranking["readiness"] == ok(client.get(f"/v1/procurements/{procurement_id}/readiness"))
    assert [(d["person_name"], d["conflict"], d["settled"]) for d in ranking["declarations"]] == [
        ("Alice Smith", True, False),
        ("Bob Jones", False, True),
    ]
    mitigation = {"mitigation": "Alice evaluates nothing in this procurement."}
    url = f"/v1/procurements/{procurement_id}/declarations/{declaration['id']}/mitigation"
    assert ok(client.post(url, json=mitigation))["settled"] is True
    ok(http_move(client, procurement_id, status="closed"))
    final = ok(client.get(f"/v1/procurements/{procurement_id}/ranking"))
    assert final["final"] is True and final["readiness"]["ready"] is True
    assert [d["mitigation"] for d in final["declarations"]] == [mitigation["mitigation"], None]
