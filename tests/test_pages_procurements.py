"""The procurements pages through Flask's test client: the list, one procurement with its ranking,
readiness and declarations, and the actions each role may take there, each through the same
use case as the API. Figures from the mini set (tests/criteria/mini-1.yaml)."""

import datetime as dt
import re
from fractions import Fraction
from html import unescape

import pytest
from evaluation import assess, declare, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_sign_in import TOKEN, accept, browser, clock, csrf, person_invited  # noqa: F401

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.exact import exact
from ethics_api.pages.blueprint import day, moment, page_url
from ethics_api.pages.charts import BAR_WIDTH, LABEL_WIDTH
from ethics_api.services import people, procurements, signin

from payloads import answers

EMAILS = {
    Role.BUYER: "bea@council.example",
    Role.ASSESSOR: "alice@council.example",
    Role.MODERATOR: "mona@council.example",
    Role.AUDITOR: "otto@council.example",
    Role.VENDOR: "vic@vendor.example",
}
NAMES = {
    Role.BUYER: "Bea",
    Role.ASSESSOR: "Alice",
    Role.MODERATOR: "Mona",
    Role.AUDITOR: "Otto",
    Role.VENDOR: "Vic",
}


def signed_in(app, acting, role: Role):
    """A browser signed in as the test's person of that role: the same person `acting` acts
    as, given an email address to sign in with if the steps made them without one."""
    with acting(Role.ADMIN, "Ada") as context:
        person = people.named(context, NAMES[role])
        if person is not None and person.email is None:
            person.email = EMAILS[role]
    client = browser(app)
    accept(client, person_invited(acting, NAMES[role], EMAILS[role], role))
    return client


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def post(client, path: str, form_page: str, **data):
    """Submit a form of `form_page` to `path`, with the page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client, form_page), **data})


def evaluating(acting, **data):
    """Kestrel (every mini indicator at 2) and Osprey (at 3, but a DPIA at 0: a red line), each
    assessed by Alice and Bob, who declared; in evaluation."""
    kestrel, osprey = vendor(acting, "Kestrel"), vendor(acting, "Osprey")
    procurement = tender(acting, kestrel, osprey, **data)
    declare(acting, procurement, "Alice")
    declare(acting, procurement, "Bob")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    for name in ("Alice", "Bob"):
        assess(acting, kestrel, name, procurement)
        levels = {key: 3 for key in ("p2", "p3", "o1", "o2", "t1", "t2")}
        assess(acting, osprey, name, procurement, answers=answers(p1=0, **levels))
    return procurement, kestrel, osprey


def api_ranking(app, procurement) -> dict:
    response = app.test_client().get(f"/v1/procurements/{procurement.id}/ranking")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def table_rows(page: str) -> dict[str, list[str]]:
    """The ranking table's cells by vendor id."""
    table = re.search(r'<table [^>]*id="ranking-table".*?</table>', page, re.S)[0]
    rows = re.findall(
        r'<tr class="govuk-table__row" data-vendor-id="([^"]+)">(.*?)</tr>', table, re.S
    )
    return {
        vendor_id: [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", cells, re.S)
        ]
        for vendor_id, cells in rows
    }


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_the_organisations_procurements_newest_first_a_page_at_a_time(
    app,
    acting,
    clock,  # noqa: F811
):
    first = tender(acting, title="Older tender")
    clock.advance(seconds=1)
    second = tender(acting, title="Newer tender")
    move(acting, second, status=ProcurementStatus.EVALUATING)
    client = signed_in(app, acting, Role.ASSESSOR)
    page = text_of(client.get("/procurements"))
    assert page.index("Newer tender") < page.index("Older tender")
    assert re.search(r'govuk-tag--blue">Evaluating<', page)
    assert re.search(r'govuk-tag--grey">Draft<', page)
    # One a page: the second page holds the older one, and links back.
    paged = text_of(client.get("/procurements?page=2&page_size=1"))
    assert "Older tender" in paged and "Newer tender" not in paged
    assert 'href="/procurements?page=1&amp;page_size=1"' in paged or "page=1" in paged
    drafts = text_of(client.get("/procurements?status=draft"))
    assert "Older tender" in drafts and "Newer tender" not in drafts
    assert f"/procurements/{first.id}" in drafts


@pytest.mark.parametrize("query", ["page=0", "page=two", "page_size=-1", "status=open"])
def test_a_bad_query_is_refused_in_words(app, acting, query):
    client = signed_in(app, acting, Role.BUYER)
    response = client.get(f"/procurements?{query}")
    assert response.status_code == 400
    assert "must be" in text_of(response)


def test_vendors_cannot_open_the_procurement_pages(app, acting):
    kestrel = vendor(acting, "Kestrel")
    procurement = tender(acting, kestrel)
    client = browser(app)
    with acting(Role.ADMIN, "Ada") as context:
        person = people.create_person(context, {"name": "Vic", "email": EMAILS[Role.VENDOR]})
        _, token = signin.invite(context, person.id, Role.VENDOR, kestrel)
    accept(client, token)
    assert client.get("/procurements").status_code == 403
    assert client.get(f"/procurements/{procurement.id}").status_code == 403


def test_an_unknown_procurement_is_a_404_page(app, acting):
    client = signed_in(app, acting, Role.BUYER)
    response = client.get("/procurements/not-a-procurement")
    assert response.status_code == 404
    assert "No procurement has the id not-a-procurement." in text_of(response)


# --- one procurement: numbers as the API gives them ---------------------------------------------


def test_the_ranking_table_and_chart_show_the_apis_numbers(app, acting):
    procurement, kestrel, osprey = evaluating(acting)
    ranked = api_ranking(app, procurement)
    client = signed_in(app, acting, Role.BUYER)
    response = client.get(f"/procurements/{procurement.id}")
    assert response.status_code == 200
    page = text_of(response)
    rows = table_rows(page)
    names = [w["name"] for w in ranked["weights"]]
    for row in ranked["ranking"]:
        contributions = [f"{c['contribution']:.2f}" for c in row["criteria"]]
        # The total and the result first, where they show without scrolling the table.
        assert rows[row["vendor_id"]] == [
            str(row["rank"]),
            row["vendor_name"],
            f"{row['total']:.2f}",
            rows[row["vendor_id"]][3],
            *contributions,
        ]
    # Kestrel eligible; Osprey ranked after it, its red line said in words.
    assert (rows[kestrel][3], rows[osprey][3]) == ("Eligible", "Not eligible")
    knockouts = re.search(r'id="knockouts">(.*?)</div>', page, re.S)[1]
    assert " ".join(re.sub(r"<[^>]+>", " ", knockouts).split()) == (
        "Osprey Red line crossed: \u201cWas a DPIA completed before processing?\u201d (p1) is at "
        "level 0 of 4, \u201cnone\u201d; the red line is level 1."
    )
    # Weights as percentages, the API's effective weights: 2:1:1 is 50%, 25%, 25%.
    assert [w["effective_weight"] for w in ranked["weights"]] == [50.0, 25.0, 25.0]
    weights = re.search(r'id="weights".*?</table>', page, re.S)[0]
    assert re.findall(r">(\d+%)<", weights) == ["50%", "50%", "25%", "25%", "25%", "25%"]
    # The chart draws the same numbers: each segment's width is its contribution on 0-100.
    chart = re.search(r"<svg.*?</svg>", page, re.S)[0]
    for name in names:
        assert name in chart
    widths = [
        float(w)
        for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"[^>]*stroke=', chart)
    ]
    expected = [
        round(float(exact(c["contribution"]) / 100 * BAR_WIDTH), 2)
        for row in ranked["ranking"]
        for c in row["criteria"]
        if c["contribution"]
    ]
    assert widths == expected
    # Each bar starts at the label column and ends at its total (the parts add up to it).
    for row in ranked["ranking"]:
        parts = sum(exact(c["contribution"]) for c in row["criteria"])
        assert abs(parts - exact(row["total"])) <= Fraction(2, 100)
    # The sentences the ranking report writes.
    assert ranked["sensitivity"]["summary"] in page
    assert ranked["award"]["summary"] in page
    assert f'x="{LABEL_WIDTH:.2f}"' in chart or f'x="{LABEL_WIDTH}.00"' in chart


def test_readiness_lists_each_blocking_item_in_the_services_words(app, acting):
    procurement, _, _ = evaluating(acting, min_evaluators=3)
    client = signed_in(app, acting, Role.MODERATOR)
    page = text_of(client.get(f"/procurements/{procurement.id}"))
    readiness = api_ranking(app, procurement)["readiness"]
    blocking = re.search(
        r'<ul class="govuk-list govuk-list--bullet" id="blocking">(.*?)</ul>', page, re.S
    )[1]
    assert re.findall(r"<li>(.*?)</li>", blocking) == [i["message"] for i in readiness["blocking"]]
    assert "Kestrel has 2 current evaluators; the procurement needs 3." in blocking


def test_an_assessor_sees_no_score_while_evaluation_is_blind(app, acting):
    procurement, _, _ = evaluating(acting)
    ranked = api_ranking(app, procurement)
    client = signed_in(app, acting, Role.ASSESSOR)
    # The API refuses the ranking to an assessor; the page shows none of it.
    response = client.get(f"/procurements/{procurement.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Evaluation is blind" in page
    assert "<svg" not in page and "app-ranking" not in page and 'id="blocking"' not in page
    for row in ranked["ranking"]:
        assert f"{row['total']:.2f}" not in page
        for criterion in row["criteria"]:
            assert f"{criterion['contribution']:.2f}" not in page
    assert ranked["sensitivity"]["summary"] not in page
    # What an assessor may read through the API is there: bidders, weights, declarations.
    assert "Kestrel" in page and "Osprey" in page and "50%" in page
    assert "Alice" in page and "Bob" in page


def test_a_draft_shows_its_weights_but_no_ranking(app, acting):
    procurement = tender(
        acting, vendor(acting, "Kestrel"), weights={"privacy": 1, "oversight": 1, "openness": 2}
    )
    page = text_of(signed_in(app, acting, Role.BUYER).get(f"/procurements/{procurement.id}"))
    assert "Nothing is scored in draft" in page
    weights = re.search(r'id="weights".*?</table>', page, re.S)[0]
    assert re.findall(r">(\d+%)<", weights) == ["25%", "25%", "50%"]
    assert 'href="/criteria/mini/1"' in page


def test_links_to_pages_not_built_yet_are_left_out(app):
    with app.test_request_context():
        assert page_url("pages.procurements") == "/procurements"
        assert page_url("pages.no_such_page", procurement_id="x") is None


def test_dates_are_written_the_gov_uk_way_on_their_utc_day():
    # 00:30 in London on 3 June (BST) is still 2 June in UTC: the day every instant is on.
    summer = dt.datetime(2026, 6, 3, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert (day(summer), moment(summer)) == ("2 June 2026", "2 June 2026, 23:30 UTC")
    naive = dt.datetime(2026, 12, 2, 9, 5)  # as SQLite hands an instant back: UTC
    assert (day(naive), moment(naive)) == ("2 December 2026", "2 December 2026, 09:05 UTC")
    assert day(dt.date(2027, 1, 31)) == day("2027-01-31") == "31 January 2027"
    assert moment("2026-03-02T10:15:00+00:00") == "2 March 2026, 10:15 UTC"
    assert day(None) == moment(None) == ""


# --- actions ------------------------------------------------------------------------------------


def test_an_assessor_declares_with_no_conflict_from_the_page(app, acting):
    procurement = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting, Role.ASSESSOR)
    path = f"/procurements/{procurement.id}"
    response = post(client, f"{path}/declaration", path, conflict="no")
    assert (response.status_code, response.headers["Location"]) == (302, f"{path}?done=declared")
    page = text_of(client.get(response.headers["Location"]))
    assert "Your declaration of interests is recorded." in page
    assert "Declare your interests" not in page  # once only
    declarations = app.test_client().get(f"/v1{path}/declarations").get_json()
    assert [(d["person_name"], d["conflict"]) for d in declarations] == [("Alice", False)]
    # Declaring twice is refused as the API refuses it (the form is gone; a replayed POST).
    again = client.post(
        f"{path}/declaration",
        data={"csrf_token": TOKEN.search(text_of(client.get("/my-work")))[1], "conflict": "no"},
    )
    assert again.status_code == 409
    assert "Alice has declared in this procurement already" in text_of(again)


def test_a_conflict_needs_a_description_and_one_given_is_recorded(app, acting):
    procurement = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting, Role.MODERATOR)
    path = f"/procurements/{procurement.id}"
    refused = post(client, f"{path}/declaration", path, conflict="yes")
    assert refused.status_code == 422
    page = text_of(refused)
    assert "There is a problem" in page
    # Said once, at the field, in the use case's sentence; the summary links to it.
    said = "Describe the conflict, so the buyer can decide how to mitigate it."
    assert f'<a href="#description">{said}</a>' in page
    assert page.count(said) == 2  # the summary's link and the field's message
    assert '<p id="description-error" class="govuk-error-message">' in page
    assert app.test_client().get(f"/v1{path}/declarations").get_json() == []
    unanswered = post(client, f"{path}/declaration", path)
    assert unanswered.status_code == 422
    assert "Say whether you have a conflict of interest." in text_of(unanswered)
    conflict = "My brother works at Kestrel."
    made = post(client, f"{path}/declaration", path, conflict="yes", description=conflict)
    assert made.status_code == 302
    [declared] = app.test_client().get(f"/v1{path}/declarations").get_json()
    assert (declared["conflict"], declared["description"]) == (True, conflict)


def test_a_form_without_its_csrf_token_is_refused_and_does_nothing(app, acting):
    procurement = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting, Role.ASSESSOR)
    path = f"/procurements/{procurement.id}"
    response = client.post(f"{path}/declaration", data={"conflict": "no"})
    assert response.status_code == 400
    assert "did not come from this service" in text_of(response)
    forged = client.post(f"{path}/declaration", data={"conflict": "no", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert app.test_client().get(f"/v1{path}/declarations").get_json() == []


def test_only_a_buyer_adds_bidders_and_moves_the_status(app, acting):
    procurement = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting, Role.ASSESSOR)
    path = f"/procurements/{procurement.id}"
    page = text_of(client.get(path))
    assert "Add bidder" not in page and "Start evaluation" not in page
    response = post(client, f"{path}/status", path, status="evaluating", revision="1")
    assert response.status_code == 403


def test_a_buyer_adds_a_bidder_and_a_refused_one_says_why(app, acting):
    kestrel, osprey = vendor(acting, "Kestrel"), vendor(acting, "Osprey")
    vendor(acting, "Heron")  # still to choose from after Osprey is added
    procurement = tender(acting, kestrel)
    client = signed_in(app, acting, Role.BUYER)
    path = f"/procurements/{procurement.id}"
    page = text_of(client.get(path))
    # Only vendors that are not bidders yet are offered.
    assert f'<option value="{osprey}">Osprey</option>' in page
    assert f'<option value="{kestrel}"' not in page
    added = post(client, f"{path}/bidders", path, vendor=osprey)
    assert added.status_code == 302
    bidders = app.test_client().get(f"/v1{path}/bidders").get_json()
    assert [b["vendor_name"] for b in bidders] == ["Kestrel", "Osprey"]
    twice = post(client, f"{path}/bidders", path, vendor=osprey)
    assert twice.status_code == 409
    assert "The vendor is already a bidder in this procurement." in text_of(twice)
    unknown = post(client, f"{path}/bidders", path, vendor="no-such-vendor")
    assert unknown.status_code == 422
    assert 'href="#vendor"' in text_of(unknown)


def test_a_buyer_starts_evaluation_on_the_version_they_saw(app, acting):
    procurement = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting, Role.BUYER)
    path = f"/procurements/{procurement.id}"
    shown = text_of(client.get(path))
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', shown)[1]
    # Someone else changes the title meanwhile: the page's version is stale.
    move(acting, procurement, title="Analytics, renamed")
    stale = post(client, f"{path}/status", path, status="evaluating", revision=revision)
    assert stale.status_code == 412
    assert "The procurement changed since that ETag" in text_of(stale)
    assert app.test_client().get(f"/v1{path}").get_json()["status"] == "draft"
    fresh = text_of(client.get(path))
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', fresh)[1]
    started = post(client, f"{path}/status", path, status="evaluating", revision=revision)
    assert (started.status_code, started.headers["Location"]) == (302, f"{path}?done=evaluating")
    assert app.test_client().get(f"/v1{path}").get_json()["status"] == "evaluating"
    missing = post(client, f"{path}/status", path, status="closed")
    assert missing.status_code == 428


def test_closing_is_refused_with_what_blocks_it_then_done_once_ready(app, acting):
    procurement, kestrel, _ = evaluating(acting, min_evaluators=3)
    client = signed_in(app, acting, Role.BUYER)
    path = f"/procurements/{procurement.id}"
    revision = str(procurements_revision(acting, procurement))
    refused = post(client, f"{path}/status", path, status="closed", revision=revision)
    assert refused.status_code == 409
    page = text_of(refused)
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)[0]
    assert "The procurement is not ready to close: 2 items block it" in summary
    assert "Kestrel has 2 current evaluators; the procurement needs 3." in summary
    assert app.test_client().get(f"/v1{path}").get_json()["status"] == "evaluating"
    # Carol assesses both; now it closes.
    declare(acting, procurement, "Carol")
    assess(acting, kestrel, "Carol", procurement)
    ranked = api_ranking(app, procurement)
    osprey = next(r["vendor_id"] for r in ranked["ranking"] if r["vendor_name"] == "Osprey")
    assess(acting, osprey, "Carol", procurement, answers=answers(p1=0))
    revision = str(procurements_revision(acting, procurement))
    closed = post(client, f"{path}/status", path, status="closed", revision=revision)
    assert closed.status_code == 302, text_of(closed)
    page = text_of(client.get(closed.headers["Location"]))
    assert "The ranking as it was stored at closing" in page
    assert "Close the procurement" not in page


def procurements_revision(acting, procurement) -> int:
    with acting(Role.BUYER, "Bea") as context:
        return procurements.get_procurement(context, procurement.id).revision


def tied(acting):
    """Kestrel and Osprey answered alike by one evaluator each: tied for first."""
    kestrel, osprey = vendor(acting, "Kestrel"), vendor(acting, "Osprey")
    procurement = tender(acting, kestrel, osprey, min_evaluators=1)
    declare(acting, procurement, "Alice")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Alice", procurement)
    assess(acting, osprey, "Alice", procurement)
    return procurement, kestrel, osprey


def test_a_tie_for_first_takes_a_recorded_tie_break(app, acting):
    procurement, kestrel, osprey = tied(acting)
    client = signed_in(app, acting, Role.BUYER)
    path = f"/procurements/{procurement.id}"
    page = text_of(client.get(path))
    assert "Record the tie-break" in page
    assert "Kestrel and Osprey are tied for first: record the tie-break" in page
    assert f'value="{kestrel}"' in page and f'value="{osprey}"' in page
    revision = str(procurements_revision(acting, procurement))
    no_reason = post(client, f"{path}/tie-break", path, chosen=osprey, revision=revision)
    assert no_reason.status_code == 422
    assert '<a href="#reason">Say how the tie-break chose.</a>' in text_of(no_reason)
    stranger = post(
        client, f"{path}/tie-break", path, chosen="someone", reason="Lots.", revision=revision
    )
    assert stranger.status_code == 422
    assert "The tie-break names a bidder that is not tied for first." in text_of(stranger)
    recorded = post(
        client,
        f"{path}/tie-break",
        path,
        chosen=osprey,
        reason="Lower price, as clause 9 sets out.",
        revision=revision,
    )
    assert recorded.status_code == 302, text_of(recorded)
    assert api_ranking(app, procurement)["winner_vendor_id"] == osprey
    page = text_of(client.get(path))
    assert "Record the tie-break" not in page
    assert "Tie-break recorded by Bea: Lower price, as clause 9 sets out." in page


def test_an_auditor_reads_the_ranking_and_has_no_action_to_take(app, acting):
    procurement, kestrel, _ = evaluating(acting)
    client = signed_in(app, acting, Role.AUDITOR)
    assert 'href="/procurements"' in text_of(client.get("/my-work"))  # in the navigation
    page = text_of(client.get(f"/procurements/{procurement.id}"))
    assert table_rows(page)[kestrel][1] == "Kestrel"
    assert "<form" not in page.split("</header>", 1)[1]  # the sign-out form is the only one


# --- one procurement, seen from its other pages -------------------------------------------------


def words_of(response) -> str:
    """The page's text as a reader sees it: no tags, one space between words."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def test_the_three_pages_word_a_knockout_alike(app, acting):
    procurement, _, osprey = evaluating(acting)
    [knockout] = next(
        r for r in api_ranking(app, procurement)["ranking"] if r["vendor_id"] == osprey
    )["knockouts"]
    assert (knockout["kind"], knockout["key"]) == ("indicator", "p1")
    said = (
        "Red line crossed: \u201cWas a DPIA completed before processing?\u201d (p1) is at level 0 "
        "of 4, \u201cnone\u201d; the red line is level 1."
    )
    client = signed_in(app, acting, Role.BUYER)
    pages = {
        "procurement": f"/procurements/{procurement.id}",
        "scorecard": f"/vendors/{osprey}?procurement_id={procurement.id}",
        "board pack": f"/procurements/{procurement.id}/board-pack",
    }
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, name
        words = words_of(response)
        assert words.count(said) == 1, name
        assert "a red line." not in words, name  # the bidder summary's clause is not used here


def test_the_pages_link_to_each_other_and_back(app, acting):
    procurement, kestrel, _ = evaluating(acting)
    here = f"/procurements/{procurement.id}"
    scorecard = f"/vendors/{kestrel}?procurement_id={procurement.id}"
    buyer = signed_in(app, acting, Role.BUYER)
    page = text_of(buyer.get(here))
    ranking = re.search(r'id="ranking-table".*?</table>', page, re.S)[0]
    assert f'href="{scorecard}"' in ranking  # each ranked bidder opens its scorecard
    assert f'href="{here}/board-pack"' in page
    back = re.compile(r'<a href="([^"]+)" class="govuk-back-link[^"]*">([^<]+)</a>')
    assert back.search(page).groups() == ("/procurements", "Back to procurements")
    assert back.search(text_of(buyer.get(scorecard))).groups() == (
        here,
        "Back to the procurement",
    )
    # Refused (here, a criteria set named wrongly), the scorecard still leads back.
    refused = buyer.get(f"{scorecard}&criteria_set=mini")
    assert refused.status_code == 422
    assert back.search(text_of(refused))[1] == here
    assert back.search(text_of(buyer.get(f"/vendors/{kestrel}"))).groups() == (
        "/vendors",
        "Back to vendors",
    )
    assert back.search(text_of(buyer.get(f"{here}/board-pack"))).groups() == (
        here,
        f"Back to {procurement.title}",
    )
    # The moderator, whom the board pack is also for, is led to it too.
    moderator = signed_in(app, acting, Role.MODERATOR)
    assert f'href="{here}/board-pack"' in text_of(moderator.get(here))
    assert moderator.get(f"{here}/board-pack").status_code == 200


def test_the_declarations_conflict_is_described_under_yes_only(app, acting):
    procurement = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting, Role.ASSESSOR)
    path = f"/procurements/{procurement.id}"
    page = text_of(client.get(path))
    # Someone still to declare is told so at the top of the page, with a link to the form.
    assert page.index('href="#declare"') < page.index("<h1")
    form = re.search(r'<form [^>]*action="[^"]*/declaration".*?</form>', page, re.S)[0]
    assert 'id="declare"' in form
    # GOV.UK's conditional reveal: govuk-frontend's radios module shows the description when
    # "Yes" is chosen, through the input's data-aria-controls; hidden until then.
    assert 'data-module="govuk-radios"' in form
    [(value, controls)] = re.findall(r'value="(\w+)"[^>]*data-aria-controls="([^"]+)"', form)
    assert value == "yes"
    revealed = re.search(
        rf'<div class="govuk-radios__conditional govuk-radios__conditional--hidden" '
        rf'id="{controls}">(.*?)</div>\s*</div>\s*(?:<div class="govuk-radios__item">|</div>)',
        form,
        re.S,
    )
    assert revealed is not None and 'name="description"' in revealed[1]
    assert form.count('name="description"') == 1
    # Refused for want of a description, "Yes" stays chosen and the description shows.
    refused = text_of(post(client, f"{path}/declaration", path, conflict="yes"))
    assert 'govuk-radios__conditional" id="conflict-conditional"' in refused
    # Text typed under "Yes" before choosing "No" was hidden from the person: not declared.
    made = post(client, f"{path}/declaration", path, conflict="no", description="Left behind")
    assert made.status_code == 302
    [declared] = app.test_client().get(f"/v1{path}/declarations").get_json()
    assert (declared["conflict"], declared["description"]) == (False, None)
