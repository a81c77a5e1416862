"""The moderation page: each unsettled disagreement with the evaluators' answers side by side,
settled through the same use case as the API; refusals on the page in the GOV.UK error
summary. Figures from the mini set (tests/criteria/mini-1.yaml)."""

import re

from evaluation import assess, declare, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_my_work import evaluating_with_a_disagreement
from test_pages_sign_in import TOKEN, accept, browser, clock, person_invited  # noqa: F401

from ethics_api.enums import ProcurementStatus, Role

from payloads import answer, answers


def signed_in_as(app, acting, name, email, role):
    client = browser(app)
    assert accept(client, person_invited(acting, name, email, role)).status_code == 302
    return client


def moderator(app, acting, procurement, declared=True):
    """Mona, signed in as a moderator (invited first: she signs in with her email)."""
    client = signed_in_as(app, acting, "Mona", "mona@police.example", Role.MODERATOR)
    if declared:
        declare(acting, procurement, "Mona", role=Role.MODERATOR)
    return client


def awaiting(app, procurement) -> set:
    """(bidder, indicator) awaiting moderation, as the API's readiness says now (the pages
    write at the real time, which the tests' frozen clock would not yet have reached)."""
    found = app.test_client().get(f"/v1/procurements/{procurement.id}/readiness").get_json()
    return {
        (item["vendor_id"], item["indicator"])
        for item in found["blocking"]
        if item["code"] == "unsettled_disagreement"
    }


def path_of(procurement) -> str:
    return f"/procurements/{procurement.id}/moderation"


def settle_path(procurement, vendor_id, indicator="p2") -> str:
    return f"{path_of(procurement)}/{vendor_id}/{indicator}"


def prefix(vendor_id, indicator="p2") -> str:
    return f"s_{vendor_id[:8].replace('-', '_')}_{indicator}"


def form_token(page: str) -> str:
    return TOKEN.search(page)[1]


def post_settlement(client, procurement, vendor_id, level, reason, token=None):
    page = client.get(path_of(procurement)).get_data(as_text=True)
    name = prefix(vendor_id)
    data = {f"{name}-reason": reason}
    if level is not None:
        data[f"{name}-level"] = level
    if token is not False:
        data[f"{name}-csrf_token"] = token or form_token(page)
    return client.post(settle_path(procurement, vendor_id), data=data)


def evaluating_with_rationales(acting):
    """Kestrel assessed by Alice (p2 at 1) and Bob (p2 at 3, with a rationale and evidence)."""
    kestrel = vendor(acting, "Kestrel")
    procurement = tender(acting, kestrel)
    declare(acting, procurement, "Alice")
    declare(acting, procurement, "Bob")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    alice = answers(p2=1)
    alice[1] = answer("p2", 1, rationale="Only a stated intent to limit collection.")
    bob = answers(p2=3)
    bob[1] = answer(
        "p2",
        3,
        rationale="Collection is limited by configuration.",
        evidence=[{"title": "Data flow map", "kind": "documented"}],
    )
    assess(acting, kestrel, "Alice", procurement, answers=alice)
    assess(acting, kestrel, "Bob", procurement, answers=bob)
    return procurement, kestrel


def test_the_page_shows_each_evaluators_answer_side_by_side(app, acting):
    procurement, kestrel = evaluating_with_rationales(acting)
    page = moderator(app, acting, procurement).get(path_of(procurement))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    side_by_side = text[text.index("What each evaluator found") :]
    side_by_side = side_by_side[: side_by_side.index("</table>")]
    # One column per evaluator, in the order the scorecard lists them; levels with their words.
    assert re.findall(r'<th scope="col" class="govuk-table__header">(\w+)</th>', side_by_side) == [
        "Alice",
        "Bob",
    ]
    assert "1: intent" in side_by_side and "3: operating" in side_by_side
    assert "Only a stated intent to limit collection." in side_by_side
    assert "Collection is limited by configuration." in side_by_side
    assert "Data flow map" in side_by_side
    # Radios for levels 0-4; p2 allows no N/A, so there is no such choice.
    name = prefix(kestrel)
    assert len(re.findall(rf'name="{name}-level" type="radio"', text)) == 5
    assert f'name="{name}-level" type="radio" value="na"' not in text


def test_a_settlement_through_the_form_clears_the_disagreement_from_readiness(app, acting):
    procurement, kestrel, _ = evaluating_with_a_disagreement(acting)
    assert awaiting(app, procurement) == {(kestrel, "p2")}
    client = moderator(app, acting, procurement)
    response = post_settlement(client, procurement, kestrel, "2", "Agreed at the meeting.")
    assert (response.status_code, response.headers["Location"]) == (302, path_of(procurement))
    assert awaiting(app, procurement) == set()
    page = client.get(path_of(procurement)).get_data(as_text=True)
    assert "Kestrel: p2 settled at level 2 (documented)." in page
    assert "No disagreement awaits moderation." in page
    settled = page[page.index('id="settled"') :]
    assert "Agreed at the meeting." in settled and "Mona" in settled
    # The same record the API reads.
    [moderation] = app.test_client().get(f"/v1/vendors/{kestrel}/moderations").get_json()
    assert moderation["moderator"] == "Mona"
    assert moderation["procurement_id"] == procurement.id
    assert moderation["settlements"] == [
        {"indicator": "p2", "level": 2, "reason": "Agreed at the meeting."}
    ]


def test_a_missing_level_or_reason_is_shown_in_the_error_summary(app, acting):
    procurement, kestrel, _ = evaluating_with_a_disagreement(acting)
    client = moderator(app, acting, procurement)
    response = post_settlement(client, procurement, kestrel, None, "   ")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert f'href="#{prefix(kestrel)}-level"' in text and "Choose the agreed level." in text
    assert "Say why this level was agreed" in text
    assert awaiting(app, procurement) == {(kestrel, "p2")}


def test_the_use_cases_refusal_is_shown_with_its_status(app, acting):
    """An evaluator of the bidder may not moderate it: the use case's Forbidden, on the page."""
    # Alice, signed in as a moderator, assessed Kestrel: she would settle her own marks.
    client = signed_in_as(app, acting, "Alice", "alice@police.example", Role.MODERATOR)
    procurement, kestrel, _ = evaluating_with_a_disagreement(acting)
    response = post_settlement(client, procurement, kestrel, "2", "My own marks.")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert "a moderator settles others&#39; marks, never their own" in text
    assert awaiting(app, procurement) == {(kestrel, "p2")}


def test_a_moderator_who_has_not_declared_is_told_to_declare_first(app, acting):
    procurement, kestrel, _ = evaluating_with_a_disagreement(acting)
    client = moderator(app, acting, procurement, declared=False)
    page = client.get(path_of(procurement)).get_data(as_text=True)
    assert "Declare your interests in this procurement before you moderate" in page
    assert f'name="{prefix(kestrel)}-level"' not in page  # no form to fill in
    # Posting all the same is refused by the use case.
    token = form_token(page)  # the sign-out form's: one session, one token
    response = post_settlement(client, procurement, kestrel, "2", "Agreed.", token=token)
    assert response.status_code == 409
    assert "has not declared their interests" in response.get_data(as_text=True)


def test_without_a_csrf_token_nothing_is_recorded(app, acting):
    procurement, kestrel, _ = evaluating_with_a_disagreement(acting)
    client = moderator(app, acting, procurement)
    response = post_settlement(client, procurement, kestrel, "2", "Agreed.", token=False)
    assert response.status_code == 400
    assert "This form had expired" in response.get_data(as_text=True)
    assert awaiting(app, procurement) == {(kestrel, "p2")}


def test_only_moderators_and_admins_open_the_page(app, acting):
    procurement, _, _ = evaluating_with_a_disagreement(acting)
    buyer = signed_in_as(app, acting, "Dana", "dana@council.example", Role.BUYER)
    assert buyer.get(path_of(procurement)).status_code == 403
    assert browser(app).get(path_of(procurement)).status_code == 302  # to sign in
    mona = moderator(app, acting, procurement)
    assert mona.get("/procurements/not-a-procurement/moderation").status_code == 404


def test_a_bidder_ranked_on_standalone_work_is_moderated_standalone(app, acting):
    """The procurement reuses standalone assessments: the settlement is recorded where the
    marks were made, and the procurement's scorecard uses it."""
    kestrel = vendor(acting, "Kestrel")
    procurement = tender(acting, kestrel, reuse_standalone=True)
    declare(acting, procurement, "Alice")
    declare(acting, procurement, "Bob")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Alice", answers=answers(p2=1))
    assess(acting, kestrel, "Bob", answers=answers(p2=3))
    assert awaiting(app, procurement) == {(kestrel, "p2")}
    client = moderator(app, acting, procurement)
    page = client.get(path_of(procurement)).get_data(as_text=True)
    assert "ranked on its standalone assessments" in page
    response = post_settlement(client, procurement, kestrel, "3", "Agreed: it is operating.")
    assert response.status_code == 302
    assert awaiting(app, procurement) == set()
    [moderation] = app.test_client().get(f"/v1/vendors/{kestrel}/moderations").get_json()
    assert moderation["procurement_id"] is None
