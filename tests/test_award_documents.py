"""Award documents a losing bidder cannot fault: ties named as ties, the ethics evaluation shown
as the share of the award it is, every item of Procurement Regulations 2024 reg 31 in the
assessment summary, the standstill period in working days, the OCDS release as the award was.

The rules run on the application layer; the HTTP tests at the end keep the contract (formats,
statuses, what a vendor key reads). Figures come from tests/criteria/mini-1.yaml (criterion
weights 2:1:1; every indicator at level 2 totals 50):

    Falcon:  p 4 4 4 -> 100, o 1 1 -> 25,  t 2 2 -> 50; T = (200 + 25 + 50) / 4 = 68.75
    Sparrow: p 3 3 0 -> 60,  o 4 4 -> 100, t 2 2 -> 50; T = (120 + 100 + 50) / 4 = 67.5
    Gannet:  every level 2 -> 50, 50, 50;             T = 50
    Ibis:    p1 0 (a red line), else 4;                T = 90, disqualified
"""

import datetime as dt
import json
import re

import pytest
from evaluation import assess, codes, declare, moderate, move, ready, tender, vendor

from ethics_api.documents.links import Links
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.schemas.summaries import BidderSummarySchema
from ethics_api.services import components, declarations, documents, rankings
from ethics_api.services.errors import Conflict, Invalid, NotFound
from ethics_api.standstill import standstill

from payloads import answers, supplier
from responses import assert_problem, created

LINKS = Links("https://ethics.example/")
EVALUATORS = ("Alice Evaluator", "Bob Evaluator")
MODERATOR = "Mo Moderator"
FALCON = answers(p1=4, p2=4, p3=4, o1=1, o2=1, t1=2, t2=2)
SPARROW = answers(p1=3, p2=3, p3=0, o1=4, o2=4, t1=2, t2=2)
GANNET = answers()
IBIS = answers(p1=0, p2=4, p3=4, o1=4, o2=4, t1=4, t2=4)


# --- helpers ---------------------------------------------------------------------------------


def evaluated(acting, bidders: dict[str, list], evaluators=EVALUATORS[:1], **data):
    """A procurement evaluating the named bidders, each assessed by `evaluators` with the
    given answers (rationales on every answer, naming what the tender says)."""
    ids = {name: vendor(acting, name) for name in bidders}
    procurement = tender(acting, *ids.values(), min_evaluators=len(evaluators), **data)
    for name in evaluators:
        declare(acting, procurement, name)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    for name, given in bidders.items():
        for evaluator in evaluators:
            reasoned = [{**a, "rationale": f"{name}'s tender, on {a['indicator']}."} for a in given]
            assess(acting, ids[name], evaluator, procurement, answers=reasoned)
    return procurement, ids


def close(acting, procurement):
    return move(acting, procurement, status=ProcurementStatus.CLOSED)


def summary(acting, procurement, vendor_id: str) -> dict:
    """The summary as written out: what the JSON, the Markdown and the page all show."""
    with acting(Role.BUYER, "Bea") as context:
        found = documents.summary(context, procurement.id, vendor_id, LINKS)
    return BidderSummarySchema().dump(found)


def ocds(acting, procurement) -> dict:
    with acting(Role.BUYER, "Bea") as context:
        return documents.ocds_release(context, procurement.id, LINKS)


def break_tie(acting, procurement, vendor_id: str, reason: str):
    return move(acting, procurement, tie_break={"vendor_id": vendor_id, "reason": reason})


def record(acting, procurement, vendor_id: str, *parts):
    given = [
        {"name": name, "kind": kind, "weight": weight, "score": score}
        for name, kind, weight, score in parts
    ]
    with acting(Role.BUYER, "Bea") as context:
        return components.record_components(context, procurement.id, vendor_id, given)


def everything_said(found: dict) -> str:
    return json.dumps(found, ensure_ascii=False)


# --- 1. ties ---------------------------------------------------------------------------------

TIE_BREAK = "The tender documents (section 9.4): the lower price breaks a tie; it is Kestrel's."


@pytest.mark.parametrize(("tied", "behind"), [(2, True), (3, True), (7, False)])
def test_a_tie_for_first_is_named_a_tie_in_every_document(acting, tied, behind):
    """The finding: seven identical bidders all ranked 1, and six summaries said "won: false,
    0.00 points below the winning bid's 68.75". Now closing waits for the tie-break the tender
    set out, and every document names the winner by it and says so. Two and three tie with
    one bidder behind them; the seven are every bidder there is."""
    names = [f"Bidder {n}" for n in range(1, tied + 1)]
    bidders = {**dict.fromkeys(names, FALCON), **({"Gannet": GANNET} if behind else {})}
    procurement, ids = evaluated(acting, bidders)
    assert ready(acting, procurement).blocking[0].code == "tie_without_tie_break"
    with pytest.raises(Conflict):
        close(acting, procurement)
    chosen = ids[names[-1]]
    break_tie(acting, procurement, chosen, TIE_BREAK)
    close(acting, procurement)

    for name in names:
        found = summary(acting, procurement, ids[name])
        outcome = found["outcome"]
        assert (outcome["rank"], outcome["tied_for_first"]) == (1, True)
        assert outcome["won"] is (ids[name] == chosen)
        assert outcome["tie_break"]["vendor_id"] == chosen
        text = " ".join(outcome["sentences"])
        others = [n for n in names if n != name]
        assert text.startswith(f"Your tender tied for first with {' and '.join(others)}")
        assert "each with a score of 68.75" in text
        goes_to = "your tender" if ids[name] == chosen else names[-1]
        assert f"the contract is to be awarded to {goes_to}: {TIE_BREAK}" in text
        said = everything_said(found)
        assert " 0.00" not in said and "below" not in text and "more." not in text
    if behind:
        loser = summary(acting, procurement, ids["Gannet"])
        assert loser["outcome"]["rank"] == tied + 1
        assert loser["outcome"]["compared_with"]["vendor_id"] == chosen
        assert loser["outcome"]["sentences"] == [
            f"Your tender ranked {tied + 1} of {tied + 1} with a score of 50.00. The most "
            f"advantageous tender, {names[-1]}'s, scored 68.75: 18.75 more."
        ]
    release = ocds(acting, procurement)
    ranks = {bid["id"]: bid["rank"] for bid in release["bids"]["details"]}
    assert [ranks[ids[name]] for name in names] == [1] * tied
    report = release["tender"]["documents"][0]["description"]
    assert f"the tie-break the tender set out chose {names[-1]}" in report


def test_a_tie_break_is_for_a_tie_and_names_a_tied_bidder(acting):
    procurement, ids = evaluated(acting, {"Falcon": FALCON, "Sparrow": SPARROW})
    with pytest.raises(Conflict, match="no tie for first"):
        break_tie(acting, procurement, ids["Falcon"], TIE_BREAK)
    tied, _ = evaluated(acting, {"Kite": FALCON, "Hawk": FALCON, "Gannet": GANNET})
    with pytest.raises(Invalid, match="not tied for first"):
        break_tie(acting, tied, vendor(acting, "Stranger"), TIE_BREAK)


# --- 2. the award model ------------------------------------------------------------------------

PRICE, DELIVERY = ("Price", "price", 60), ("Delivery plan", "quality", 20)


def test_an_ethics_evaluation_that_is_a_fifth_of_the_award_is_never_called_the_outcome(acting):
    """The finding: "ranked 2 of 4" presented as the outcome, when ethics was one part of the
    quality score. With a share of 20 and nothing else recorded, the documents speak of the
    ethics evaluation only, name no winner of the award, and say what they leave out."""
    procurement, ids = evaluated(
        acting, {"Falcon": FALCON, "Sparrow": SPARROW, "Gannet": GANNET}, award_share=20
    )
    close(acting, procurement)
    ranked = ranking_of(acting, procurement)
    assert ranked["award"]["basis"] == "incomplete"
    assert ranked["award"]["winner_vendor_id"] is None
    assert "this ranking is the ethics evaluation's, not the award's" in ranked["award"]["summary"]
    first = summary(acting, procurement, ids["Falcon"])
    assert (first["outcome"]["scope"], first["outcome"]["won"]) == ("ethics_evaluation", None)
    assert first["outcome"]["sentences"] == [
        "In the ethics evaluation, your tender ranked first of 3 with a score of 68.75. That "
        "evaluation carries 20% of the award: this is not the award's outcome."
    ]
    second = summary(acting, procurement, ids["Sparrow"])
    assert second["outcome"]["compared_with"]["label"] == (
        "the highest-ranked tender in the ethics evaluation"
    )
    assert "most advantageous" not in everything_said(second["outcome"])
    assert second["not_covered"] == [
        "This summary covers the ethics evaluation only, which carries 20% of the award. The "
        "other 80% was assessed by the buyer outside this service and is not recorded here: "
        "the buyer's own summary gives those scores, the overall result and the name of the "
        "most advantageous tender."
    ]
    # Each criterion's weight in the award is its weight in the evaluation times the share.
    weights = [(c["name"], c["weight"], c["award_weight"]) for c in second["criteria"]]
    assert weights == [
        ("Privacy", 50.0, 10.0),
        ("Human oversight", 25.0, 5.0),
        ("Openness", 25.0, 5.0),
    ]


def test_recorded_components_state_the_award_as_the_exact_sum_of_its_parts(acting):
    """Ethics 20%, Price 60%, Delivery plan 20%:
    Falcon  0.2 x 68.75 + 0.6 x 50 + 0.2 x 60 = 13.75 + 30 + 12 = 55.75
    Sparrow 0.2 x 67.5  + 0.6 x 70 + 0.2 x 40 = 13.5  + 42 +  8 = 63.5
    Gannet  0.2 x 50    + 0.6 x 60 + 0.2 x 50 = 10    + 36 + 10 = 56
    Sparrow wins the award though Falcon leads the ethics evaluation; Ibis, disqualified,
    needs no components."""
    procurement, ids = evaluated(
        acting,
        {"Falcon": FALCON, "Sparrow": SPARROW, "Gannet": GANNET, "Ibis": IBIS},
        award_share=20,
    )
    record(acting, procurement, ids["Falcon"], (*PRICE, 50), (*DELIVERY, 60))
    blocking = ready(acting, procurement).blocking
    assert codes(blocking) == ["missing_components", "missing_components"]
    assert {item.vendor_id for item in blocking} == {ids["Sparrow"], ids["Gannet"]}
    record(acting, procurement, ids["Sparrow"], (*PRICE, 70), (*DELIVERY, 40))
    record(acting, procurement, ids["Gannet"], (*PRICE, 60), (*DELIVERY, 50))
    assert ready(acting, procurement).blocking == []
    close(acting, procurement)

    award = ranking_of(acting, procurement)["award"]
    assert award["basis"] == "overall"
    assert [(o["vendor_name"], o["rank"], o["total"]) for o in award["overall"]] == [
        ("Sparrow", 1, 63.5),
        ("Gannet", 2, 56.0),
        ("Falcon", 3, 55.75),
    ]
    assert award["winner_vendor_id"] == ids["Sparrow"]
    falcon = summary(acting, procurement, ids["Falcon"])
    assert falcon["outcome"]["scope"] == "award" and falcon["outcome"]["won"] is False
    assert falcon["outcome"]["sentences"] == [
        "Overall, your tender ranked 3 of 3 with an overall score of 55.75. The most "
        "advantageous tender, Sparrow's, scored 63.50: 7.75 more."
    ]
    assert falcon["award"]["sentence"] == (
        "Your overall score is 55.75: the sum of the ethics evaluation's 68.75 at 20% (13.75), "
        "Price's 50.00 at 60% (30.00), Delivery plan's 60.00 at 20% (12.00)."
    )
    assert falcon["award"]["winning_result"]["total"] == 63.5
    assert "scored by the buyer outside this service" in falcon["not_covered"][0]
    sparrow = summary(acting, procurement, ids["Sparrow"])
    assert sparrow["outcome"]["won"] is True
    assert sparrow["outcome"]["sentences"] == [
        "Your tender is the most advantageous tender. Overall, your tender ranked first of 3 "
        "with an overall score of 63.50."
    ]
    ibis = summary(acting, procurement, ids["Ibis"])
    assert ibis["outcome"]["sentences"][0].startswith(
        "Your tender was disqualified under the assessment methodology, whatever its total "
        "(90.00): \u201cWas a DPIA completed before processing?\u201d was at level 0"
    )
    bids = {b["id"]: b for b in ocds(acting, procurement)["bids"]["details"]}
    assert [bids[ids[n]]["rank"] for n in ("Sparrow", "Gannet", "Falcon")] == [1, 2, 3]
    assert bids[ids["Ibis"]]["status"] == "disqualified"


def test_a_narrow_overall_margin_is_warned_of_on_the_award_not_the_ethics_ranking(acting):
    """Ethics 50%, Price 50%: Falcon 0.5 x 68.75 + 0.5 x 60 = 64.375, Sparrow 0.5 x 67.5 +
    0.5 x 62 = 64.75. Sparrow leads overall by 0.375; Falcon's largest step is one level of t1
    (weight 2 of openness's 3, at 2): 100 x 1/4 x 2/(4 x 3) = 4.1667 ethics points, 2.0833
    overall: one mark decides the award. (The ethics ranking's own margin, Falcon over
    Sparrow, is not the award's.)"""
    procurement, ids = evaluated(acting, {"Falcon": FALCON, "Sparrow": SPARROW}, award_share=50)
    record(acting, procurement, ids["Falcon"], ("Price", "price", 50, 60))
    record(acting, procurement, ids["Sparrow"], ("Price", "price", 50, 62))
    (warning,) = [w for w in ready(acting, procurement).warnings if w.code == "narrow_margin"]
    assert warning.vendor_id == ids["Falcon"]
    assert warning.message == (
        "Overall, Sparrow leads Falcon by 0.38 points; one level more on one indicator of "
        "Falcon's ethics evaluation is worth up to 2.08 points overall: a single evaluator's "
        "single mark decides the award."
    )


def test_components_are_refused_when_they_cannot_state_the_award(acting):
    procurement, ids = evaluated(acting, {"Falcon": FALCON, "Sparrow": SPARROW}, award_share=20)
    with pytest.raises(Invalid, match="add up to 80; these add up to 70"):
        record(
            acting, procurement, ids["Falcon"], (*PRICE, 50), ("Delivery plan", "quality", 10, 5)
        )
    with pytest.raises(Invalid, match="repeat a name"):
        record(
            acting, procurement, ids["Falcon"], ("Price", "price", 40, 1), ("price", "price", 40, 1)
        )
    record(acting, procurement, ids["Falcon"], (*PRICE, 50), (*DELIVERY, 60))
    with pytest.raises(Conflict, match="same names, kinds and weights"):
        record(acting, procurement, ids["Sparrow"], ("Price", "price", 80, 70))
    # The bidder's own record may be replaced, to correct it.
    record(acting, procurement, ids["Falcon"], (*PRICE, 55), (*DELIVERY, 60))
    with pytest.raises(NotFound, match="not a bidder"):
        record(acting, procurement, vendor(acting, "Stranger"), (*PRICE, 1), (*DELIVERY, 1))
    whole, whole_ids = evaluated(acting, {"Kite": FALCON})
    with pytest.raises(Conflict, match="whole award"):
        record(acting, whole, whole_ids["Kite"], ("Price", "price", 1, 1))
    record(acting, procurement, ids["Sparrow"], (*PRICE, 70), (*DELIVERY, 40))
    close(acting, procurement)
    with pytest.raises(Conflict, match="closed"):
        record(acting, procurement, ids["Falcon"], (*PRICE, 50), (*DELIVERY, 60))
    with pytest.raises(Conflict, match="fixed once evaluation starts"):
        move(acting, whole, award_share=50)


def ranking_of(acting, procurement) -> dict:
    with acting(Role.BUYER, "Bea") as context:
        return rankings.written_ranking(context, procurement.id)[1]


# --- 3. the assessment summary to reg 31 -------------------------------------------------------


def test_every_item_of_regulation_31_is_in_a_losing_bidders_summary(acting, clock):
    """Reg 31(2)(a)-(e) for the supplier's own tender, (3)(c) why it did not win, (3)(d) the
    most advantageous tender's scores explained; the relative advantages, declarations and
    standstill beside them. Two evaluators; their disagreement on Sparrow's p2 is settled at
    moderation, and the moderation's reason explains the level."""
    procurement, ids = evaluated(
        acting, {"Falcon": FALCON, "Sparrow": SPARROW}, evaluators=EVALUATORS
    )
    declare(acting, procurement, MODERATOR, role=Role.MODERATOR)
    # Bob corrects Sparrow's p2 down to 1: two levels apart, moderated back to 3.
    lower = [{**a, "rationale": "Bob's view."} for a in answers(p1=3, p2=1, p3=0, o1=4, o2=4)]
    clock.advance(minutes=5)
    assess(acting, ids["Sparrow"], EVALUATORS[1], procurement, answers=lower)
    reason = "The purpose register covers every data flow (moderation meeting, 3 March)."
    clock.advance(minutes=5)
    moderate(acting, ids["Sparrow"], MODERATOR, procurement, ("p2", 3, reason))
    move(acting, procurement, award_notice_date=dt.date(2026, 12, 18))
    close(acting, procurement)

    found = summary(acting, procurement, ids["Sparrow"])
    # (2)(a)-(c): the supplier.
    assert found["supplier"]["name"] == "Sparrow"
    assert found["supplier"]["address"]["postal_code"] == "LS1 6DT"
    assert found["supplier"]["email"] == "bids@sparrow.example"
    assert re.fullmatch(r"[A-Z]{4}-[0-9]{4}-[A-Z]{4}", found["supplier"]["ppon"])
    # (2)(d): the criteria, their importance, how scored, where the full method is.
    method = " ".join(found["method"]["sentences"])
    assert found["method"]["url"] == "https://ethics.example/criteria/mini/1"
    assert "https://ethics.example/criteria/mini/1" in method
    assert "ladder of levels 0 to 4" in method
    assert "lower median" in method and "moderator" in method
    assert "one of these indicators is at level 0: \u201cWas a DPIA completed" in method
    assert "Privacy (at least 50)" in method and "Openness (at least 25)" in method
    assert "tie-break the tender documents set out" in method
    privacy = found["criteria"][0]
    assert (privacy["name"], privacy["weight"], privacy["minimum"]) == ("Privacy", 50.0, 50)
    assert privacy["indicators"][0]["levels"] == [
        "none",
        "intent",
        "documented",
        "operating",
        "verified",
    ]
    # (2)(e): each score explained by the tender, each indicator, the total.
    assert (privacy["score"], found["ethics_total"]) == (60.0, 67.5)
    assert privacy["explanation"].startswith("Privacy scored 60.00 out of 100")
    p2 = privacy["assessed"][1]
    assert (p2["level"], p2["agreed_at_moderation"], p2["reasons"]) == (3, True, [reason])
    assert p2["sentence"] == (
        "Is collection limited to the purpose? Level 3 of 4: \u201coperating\u201d. Agreed at "
        f"moderation: {reason} Level 4 was not reached: \u201cverified\u201d."
    )
    p1 = privacy["assessed"][0]
    assert "The evaluators found: Sparrow's tender, on p1. / Bob's view." in p1["sentence"]
    # (3)(c): why not awarded; (3)(d): the most advantageous tender's scores, explained.
    assert found["outcome"]["sentences"] == [
        "Your tender ranked 2 of 2 with a score of 67.50. The most advantageous tender, "
        "Falcon's, scored 68.75: 1.25 more."
    ]
    assert (privacy["winning_score"], found["winning_ethics_total"]) == (100.0, 68.75)
    assert privacy["winning_assessed"][0]["sentence"].startswith(
        "Was a DPIA completed before processing? Level 4 of 4: \u201cverified\u201d. The "
        "evaluators found: Falcon's tender, on p1."
    )
    # Beyond reg 31: the relative advantages, where the winner scored higher.
    assert privacy["advantage"] == (
        "On Privacy, the most advantageous tender scored 100.00; yours scored 60.00. It was at "
        "a higher level on \u201cWas a DPIA completed before processing?\u201d (4 against 3); "
        "\u201cIs collection limited to the purpose?\u201d (4 against 3); \u201cAre "
        "special-category attributes protected?\u201d (4 against 0)."
    )
    oversight = found["criteria"][1]
    assert oversight["advantage"] is None  # Sparrow's 100 beat Falcon's 25
    # The declarations on record, nobody named; the standstill in working days.
    assert [d["sentence"] for d in found["declarations"]] == [
        "Panel member 1 declared no conflict of interest.",
        "Panel member 2 declared no conflict of interest.",
        "Panel member 3 declared no conflict of interest.",
    ]
    assert (found["standstill"]["first_day"], found["standstill"]["last_day"]) == (
        "2026-12-18",
        "2026-12-31",
    )
    said = everything_said(found)
    for name in (*EVALUATORS, MODERATOR, "Alice", "Bob Evaluator", "Mo "):
        assert name not in said, name


def test_the_winners_own_summary_has_its_explanations_and_no_comparison(acting):
    procurement, ids = evaluated(acting, {"Falcon": FALCON, "Sparrow": SPARROW})
    close(acting, procurement)
    found = summary(acting, procurement, ids["Falcon"])
    assert found["outcome"]["won"] is True
    assert found["outcome"]["compared_with"] is None
    assert all(c["winning_score"] is None and c["advantage"] is None for c in found["criteria"])
    assert found["standstill"]["notice_date"] is None
    assert "not dated yet" in found["standstill"]["sentence"]


def test_a_conflict_and_its_mitigation_are_in_the_summary_without_the_name(acting, clock):
    procurement, ids = evaluated(acting, {"Falcon": FALCON})
    clock.advance(minutes=1)
    with acting(Role.ASSESSOR, "Carol Conflicted") as context:
        declared = declarations.declare(
            context, procurement.id, {"conflict": True, "description": "Once advised Falcon."}
        )
    with acting(Role.BUYER, "Bea") as context:
        declarations.mitigate(
            context, procurement.id, declared.id, {"mitigation": "Assesses no bidder."}
        )
    close(acting, procurement)
    found = summary(acting, procurement, ids["Falcon"])
    assert found["declarations"][1]["sentence"] == (
        "Panel member 2 declared a conflict of interest: Once advised Falcon. Mitigation "
        "recorded: Assesses no bidder."
    )
    assert "Carol" not in everything_said(found)


# --- 4. the standstill period ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "first", "last", "skipped"),
    [
        # Christmas Day (Friday) and Boxing Day's substitute (Monday 28th), and a weekend.
        ("2026-12-18", "2026-12-18", "2026-12-31", ["2026-12-25", "2026-12-28"]),
        # St Andrew's Day, a bank holiday of Scotland only, is no working day anywhere
        # (Procurement Act 2023 s.123(1): a bank holiday "in any part of the United Kingdom").
        ("2026-11-27", "2026-11-27", "2026-12-09", ["2026-11-30"]),
        # A notice on a Saturday: the period begins with that day, but counts from Monday.
        ("2026-11-28", "2026-12-01", "2026-12-10", ["2026-11-30"]),
        # Good Friday and Easter Monday 2027.
        ("2027-03-25", "2027-03-25", "2027-04-07", ["2027-03-26", "2027-03-29"]),
        # No holiday: Monday to the next Wednesday.
        ("2026-10-05", "2026-10-05", "2026-10-14", []),
    ],
)
def test_the_standstill_is_eight_working_days_from_the_notice(notice, first, last, skipped):
    period = standstill(dt.date.fromisoformat(notice))
    assert (period.first_day.isoformat(), period.last_day.isoformat()) == (first, last)
    assert [h.day.isoformat() for h in period.holidays_skipped] == skipped


def test_st_andrews_day_is_scotlands_and_still_skipped():
    (holiday,) = standstill(dt.date(2026, 11, 27)).holidays_skipped
    assert (holiday.name, holiday.nations) == ("Saint Andrew's Day", ("Scotland",))


# --- 5. through the API ------------------------------------------------------------------------


def test_a_vendor_carries_what_a_summary_gives_of_a_supplier(client):
    """Reg 31(2)(a)-(c): a postal address, an email address, the PPON; each checked."""
    body = supplier("Falcon Analytics", identifier={"scheme": "GB-COH", "id": "01234567"})
    made = created(client.post("/v1/vendors", json=body))
    assert (made["ppon"], made["email"]) == (body["ppon"], body["email"])
    assert made["address"] == body["address"]
    for wrong, pointer in (
        ({"ppon": "PDTR-333-MNPG"}, "/ppon"),
        ({"ppon": "pdtr-3338-mnpg"}, "/ppon"),
        ({"email": "not an address"}, "/email"),
        ({"address": {"locality": "Leeds"}}, "/address/street_address"),
        ({"address": {"street_address": "1 High St", "planet": "Mars"}}, "/address/planet"),
    ):
        refused = assert_problem(client.post("/v1/vendors", json={"name": "X", **wrong}), 422)
        assert [e["pointer"] for e in refused["errors"]] == [pointer], wrong
    taken = client.post("/v1/vendors", json={"name": "Copy", "ppon": body["ppon"]})
    assert f"PPON {body['ppon']} exists" in assert_problem(taken, 409)["detail"]
    url = f"/v1/vendors/{made['id']}"
    etag = client.get(url).headers["ETag"]
    cleared = client.patch(url, json={"email": None, "address": None}, headers={"If-Match": etag})
    assert (cleared.json["email"], cleared.json["address"]) == (None, None)
    other = created(client.post("/v1/vendors", json={"name": "Other"}))
    clash = client.patch(
        f"/v1/vendors/{other['id']}",
        json={"ppon": body["ppon"]},
        headers={"If-Match": client.get(f"/v1/vendors/{other['id']}").headers["ETag"]},
    )
    assert_problem(clash, 409)
    assert client.get(f"/v1/vendors/{other['id']}").json["ppon"] is None


def test_the_award_share_and_the_notice_date_are_checked_and_when_they_may_change(client):
    base = {"ocid": "ocds-213czf-share", "title": "T", "buyer": {"name": "B"}}
    for share in (0, -5, 100.5, "20", True):
        response = client.post("/v1/procurements", json={**base, "award_share": share})
        assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == ["/award_share"]
    response = client.post("/v1/procurements", json={**base, "award_notice_date": "18/12/2026"})
    assert_problem(response, 422)
    made = created(client.post("/v1/procurements", json={**base, "award_share": 12.5}))
    assert made["award_share"] == 12.5 and made["award_notice_date"] is None
    url = f"/v1/procurements/{made['id']}"

    def patch(**changes):
        return client.patch(
            url, json=changes, headers={"If-Match": client.get(url).headers["ETag"]}
        )

    assert patch(status="evaluating").status_code == 200
    assert "fixed once evaluation starts" in assert_problem(patch(award_share=30), 409)["detail"]
    assert patch(award_notice_date="2026-12-18").json["award_notice_date"] == "2026-12-18"
    # Closed, the evaluation no longer changes, but the notice's date and the buyer's
    # identifier are facts of its publication: recorded when known.
    declared = {"conflict": False, "person": "alice"}
    created(client.post(f"{url}/declarations", json=declared))
    assert patch(status="closed").status_code == 200
    assert patch(award_notice_date="2027-01-04").json["award_notice_date"] == "2027-01-04"
    buyer = {"name": "B", "identifier": {"scheme": "GB-GOR", "id": "D1"}}
    assert patch(buyer=buyer).json["buyer"] == buyer
    assert "closed" in assert_problem(patch(title="Renamed"), 409)["detail"]


def test_components_through_the_api(client):
    vendor_id = created(client.post("/v1/vendors", json=supplier("Falcon")))["id"]
    body = {"ocid": "ocds-213czf-parts", "title": "T", "buyer": {"name": "B"}, "award_share": 40}
    procurement_id = created(client.post("/v1/procurements", json=body))["id"]
    url = f"/v1/procurements/{procurement_id}"
    created(client.post(f"{url}/bidders", json={"vendor_id": vendor_id}))
    parts = [{"name": "Price", "kind": "price", "weight": 60, "score": 72.5}]
    recorded = created(client.post(f"{url}/bidders/{vendor_id}/components", json=parts))
    assert recorded["components"] == parts and recorded["vendor_id"] == vendor_id
    listed = client.get(f"{url}/components")
    assert [r["components"] for r in listed.json] == [parts]
    for wrong, pointer in (
        ({"name": "Price", "kind": "price", "weight": 60, "score": 101}, "/0/score"),
        ({"name": "Price", "kind": "cost", "weight": 60, "score": 1}, "/0/kind"),
        ({"name": "Price", "kind": "price", "weight": "60", "score": 1}, "/0/weight"),
        ({"name": "Price", "kind": "price", "weight": 60, "score": 1, "x": 1}, "/0/x"),
    ):
        refused = client.post(f"{url}/bidders/{vendor_id}/components", json=[wrong])
        assert [e["pointer"] for e in assert_problem(refused, 422)["errors"]] == [pointer]
    not_a_list = client.post(f"{url}/bidders/{vendor_id}/components", json=parts[0])
    assert_problem(not_a_list, 422)
    assert client.get(f"{url}/components").json[0]["components"] == parts  # unchanged
