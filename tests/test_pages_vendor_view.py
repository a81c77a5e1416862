"""A vendor's own view: its results only, and only once a procurement is closed, with the
numbers of its assessment summary as the API gives them; the summary as a page; its right of
reply through a form, on the same rules as the API. Figures from the mini set."""

import re

from evaluation import assess, declare, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_sign_in import TOKEN, accept, browser, clock  # noqa: F401

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.pages import PAGE_POLICY
from ethics_api.services import people, signin

from payloads import answers


def vendor_person(app, acting, vendor_id, name, email):
    """A browser signed in as the vendor's person."""
    with acting(Role.ADMIN, "Ada") as context:
        person = people.create_person(context, {"name": name, "email": email})
        _, token = signin.invite(context, person.id, Role.VENDOR, vendor_id)
    client = browser(app)
    assert accept(client, token).status_code == 302
    return client


def evaluating(acting):
    """Kestrel and Osprey bid; each assessed by Carol (one evaluator is enough here)."""
    kestrel, osprey = vendor(acting, "Kestrel"), vendor(acting, "Osprey")
    procurement = tender(acting, kestrel, osprey, min_evaluators=1)
    declare(acting, procurement, "Carol")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Carol", procurement, answers=answers(p2=3, o1=4))
    assess(acting, osprey, "Carol", procurement, answers=answers(p2=1))
    return procurement, kestrel, osprey


def closed(acting):
    procurement, kestrel, osprey = evaluating(acting)
    move(acting, procurement, status=ProcurementStatus.CLOSED)
    return procurement, kestrel, osprey


def api_summary(app, procurement, vendor_id) -> dict:
    path = f"/v1/procurements/{procurement.id}/bidders/{vendor_id}/summary"
    response = app.test_client().get(path)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def dispute_form(client, procurement, indicator, statement, with_token=True):
    page = client.get("/our-results").get_data(as_text=True)
    prefix = f"d_{procurement.id[:8]}"
    data = {f"{prefix}-indicator": indicator, f"{prefix}-statement": statement}
    if with_token:
        data[f"{prefix}-csrf_token"] = TOKEN.search(page)[1]
    return client.post(f"/our-results/{procurement.id}/disputes", data=data)


def api_disputes(app, vendor_id) -> list[dict]:
    return app.test_client().get(f"/v1/vendors/{vendor_id}/disputes").get_json()


def test_results_reach_the_vendor_only_once_the_procurement_is_closed(app, acting):
    procurement, kestrel, _ = evaluating(acting)
    client = vendor_person(app, acting, kestrel, "Kim", "kim@kestrel.example")
    page = client.get("/our-results")
    assert page.status_code == 200
    assert "No procurement you bid in has closed yet." in page.get_data(as_text=True)
    early = client.get(f"/our-results/{procurement.id}/summary")
    assert early.status_code == 409
    assert "its results reach the bidders when it closes" in early.get_data(as_text=True)

    move(acting, procurement, status=ProcurementStatus.CLOSED)
    text = client.get("/our-results").get_data(as_text=True)
    assert "Analytics" in text  # the procurement's title
    expected = api_summary(app, procurement, kestrel)
    total = re.search(r"<dd class=\"govuk-summary-list__value\" data-total>([^<]+)</dd>", text)[1]
    assert total == f"{expected['ethics_total']:.2f}"
    for criterion in expected["criteria"]:
        assert f"{criterion['name']}</th>" in text
        assert f">{criterion['score']:.2f}</td>" in text
    assert f'href="/our-results/{procurement.id}/summary"' in text


def test_a_vendor_reads_its_own_results_only(app, acting):
    procurement, kestrel, osprey = closed(acting)
    kim = vendor_person(app, acting, kestrel, "Kim", "kim@kestrel.example")
    oscar = vendor_person(app, acting, osprey, "Oscar", "oscar@osprey.example")
    kims = kim.get("/our-results").get_data(as_text=True)
    oscars = oscar.get("/our-results").get_data(as_text=True)
    kestrel_total = api_summary(app, procurement, kestrel)["ethics_total"]
    osprey_total = api_summary(app, procurement, osprey)["ethics_total"]
    assert kestrel_total != osprey_total  # the check below could tell them apart
    assert f"data-total>{kestrel_total:.2f}<" in kims
    assert f"data-total>{osprey_total:.2f}<" in oscars
    # A vendor that did not bid reads nothing of the procurement.
    heron = vendor(acting, "Heron")
    hal = vendor_person(app, acting, heron, "Hal", "hal@heron.example")
    assert "No procurement you bid in has closed yet." in hal.get("/our-results").get_data(
        as_text=True
    )
    assert hal.get(f"/our-results/{procurement.id}/summary").status_code == 404
    # Nobody but a vendor's people opens the page.
    assessor = browser(app)
    with acting(Role.ADMIN, "Ada") as context:
        ann = people.create_person(context, {"name": "Ann", "email": "ann@police.example"})
        _, token = signin.invite(context, ann.id, Role.ASSESSOR)
    accept(assessor, token)
    assert assessor.get("/our-results").status_code == 403


def test_the_summary_page_says_what_the_api_summary_says_under_the_pages_policy(app, acting):
    procurement, kestrel, _ = closed(acting)
    client = vendor_person(app, acting, kestrel, "Kim", "kim@kestrel.example")
    response = client.get(f"/our-results/{procurement.id}/summary")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY
    text = response.get_data(as_text=True)
    assert "<style" not in text and "style=" not in text
    expected = api_summary(app, procurement, kestrel)
    for sentence in expected["outcome"]["sentences"]:
        assert sentence.replace("'", "&#39;") in text
    assert f"<strong>{expected['ethics_total']:.2f}</strong>" in text
    assert expected["standstill"]["sentence"].replace("'", "&#39;") in text


def test_a_dispute_through_the_form_follows_the_apis_rules(app, acting):
    procurement, kestrel, _ = closed(acting)
    client = vendor_person(app, acting, kestrel, "Kim", "kim@kestrel.example")
    filed = dispute_form(client, procurement, "p2", "Our purpose limits are enforced in code.")
    assert (filed.status_code, filed.headers["Location"]) == (302, "/our-results")
    [dispute] = api_disputes(app, kestrel)
    assert (dispute["indicator"], dispute["status"], dispute["procurement_id"]) == (
        "p2",
        "open",
        procurement.id,
    )
    assert dispute["statement"] == "Our purpose limits are enforced in code."
    page = client.get("/our-results").get_data(as_text=True)
    assert "Your dispute on p2 is filed" in page
    listed = page[page.index('id="disputes"') :]
    assert "Our purpose limits are enforced in code." in listed and "Open" in listed

    # One open dispute per indicator, as the API says.
    again = dispute_form(client, procurement, "p2", "And again.")
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "There is a problem" in text and "is still open" in text
    assert len(api_disputes(app, kestrel)) == 1
    # Another indicator is another matter.
    assert dispute_form(client, procurement, "o1", "Overseers can stop it.").status_code == 302
    assert len(api_disputes(app, kestrel)) == 2


def test_a_dispute_needs_an_indicator_a_statement_and_a_token(app, acting):
    procurement, kestrel, _ = closed(acting)
    client = vendor_person(app, acting, kestrel, "Kim", "kim@kestrel.example")
    prefix = f"d_{procurement.id[:8]}"
    empty = dispute_form(client, procurement, "", "  ")
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert f'href="#{prefix}-indicator"' in text and "Choose the indicator." in text
    assert f'href="#{prefix}-statement"' in text
    unknown = dispute_form(client, procurement, "zz9", "Not an indicator.")
    assert unknown.status_code == 400
    assert "Not a valid choice" in unknown.get_data(as_text=True)
    no_token = dispute_form(client, procurement, "p2", "Fine words.", with_token=False)
    assert no_token.status_code == 400
    assert "This form had expired" in no_token.get_data(as_text=True)
    assert api_disputes(app, kestrel) == []


def test_a_bidder_ranked_on_standalone_work_disputes_that_work(app, acting):
    """Its result rests on its standalone assessments: the dispute is filed on them, as the
    API asks (a dispute in the procurement would find nothing there to dispute)."""
    kestrel = vendor(acting, "Kestrel")
    procurement = tender(acting, kestrel, min_evaluators=1, reuse_standalone=True)
    declare(acting, procurement, "Carol")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Carol")  # standalone, on the default (mini) set
    move(acting, procurement, status=ProcurementStatus.CLOSED)
    client = vendor_person(app, acting, kestrel, "Kim", "kim@kestrel.example")
    filed = dispute_form(client, procurement, "t1", "Our ATRS record is published.")
    assert filed.status_code == 302
    [dispute] = api_disputes(app, kestrel)
    assert (dispute["procurement_id"], dispute["criteria_set"]) == (None, "mini@1")
    page = client.get("/our-results").get_data(as_text=True)
    assert "Your standalone assessments on mini@1" in page
