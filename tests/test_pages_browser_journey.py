"""The demo as a new user meets it, in a real browser: the second evaluator completes the
assessment the demo left them through the form, the moderator declares and settles the
disagreements it opens, the buyer sees the ranking move and prints the board pack. Every page
on the way passes axe-core, and the numbers shown are the API's."""

import re

import pytest

from ethics_api import create_app
from ethics_api.demo import POLICING_OCID, POLICING_PROFILE, POLICING_RED_LINE, answers_for

from browser import axe_violations
from conftest import client_with_key, make_key

CIVIC = "Civic Insight Systems BV (demo)"


class Served:
    """The demo's API on its database, read in this process with a buyer's key."""

    def __init__(self, demo_site):
        self.app = create_app({"TESTING": True, "DATABASE_URL": demo_site.database_url})
        self.client = client_with_key(self.app, make_key(self.app, "buyer", "Buyer (B. Adeyemi)"))

    def get(self, path: str):
        response = self.client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def close(self):
        self.app.extensions["database"].dispose()


@pytest.fixture(scope="module")
def served(demo_site):
    found = Served(demo_site)
    yield found
    found.close()


def total_shown(page, vendor_id: str) -> str:
    """A bidder's total in the ranking table of the procurement page."""
    return page.locator(f'#ranking-table tr[data-vendor-id="{vendor_id}"] .app-total').inner_text()


def checked_by_axe(page) -> None:
    assert axe_violations(page) == []
    assert page.csp_violations == []


def test_evaluate_moderate_and_approve_in_the_browser(demo_site, browser_session, served):
    procurement = next(p for p in served.get("/v1/procurements") if p["ocid"] == POLICING_OCID)
    civic = next(v for v in served.get("/v1/vendors") if v["name"] == CIVIC)
    procurement_page = f"{demo_site.base}/procurements/{procurement['id']}"

    def signed_in(role: str, index: int = 0):
        context = browser_session.new_context()
        page = context.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda m: page.csp_violations.append(m.text) if "Content Security" in m.text else None,
        )
        demo_site.sign_in(page, role, index)
        return page

    # The buyer's view before: Civic Insight ranked on one evaluator's marks.
    buyer = signed_in("buyer")
    buyer.goto(procurement_page)
    before = total_shown(buyer, civic["id"])
    ranking = served.get(f"/v1/procurements/{procurement['id']}/ranking")
    api_total = next(r["total"] for r in ranking["ranking"] if r["vendor_id"] == civic["id"])
    assert before == f"{float(api_total):.2f}"
    checked_by_axe(buyer)

    # The second evaluator completes the assessment left to them, reading the bid as the
    # demo's own answers for them would: two indicators two levels from the first evaluator's.
    evaluator = signed_in("assessor", 1)
    # My work names each bidder with its procurement: Civic Insight bids in both of the demo's.
    in_policing = re.compile(f"^{re.escape(CIVIC)}\\s+in {re.escape(procurement['title'])}$")
    evaluator.get_by_role("link", name=in_policing).click()
    evaluator.wait_for_url(re.compile(r"/assessment$"))
    checked_by_axe(evaluator)
    policing = served.app.extensions["catalog"].get(procurement["criteria_set"])
    applying = policing.in_procurement(POLICING_PROFILE)
    for answer in answers_for(policing, "disputed", 1, applying, POLICING_RED_LINE):
        key = answer["indicator"]
        level = answer.get("level")
        evaluator.check(f"#{key}-level" + (f"-{level}" if level else ""))
        evaluator.fill(f"#{key}-rationale", answer["rationale"])
        for item in answer["evidence"]:
            evaluator.fill(f"#{key}-evidence-0-title", item["title"])
            evaluator.select_option(f"#{key}-evidence-0-kind", item["kind"])
            evaluator.fill(f"#{key}-evidence-0-url", item["url"])
    evaluator.get_by_role("button", name="Submit assessment").click()
    evaluator.wait_for_url(f"{demo_site.base}/my-work")
    assert "is submitted" in evaluator.inner_text(".govuk-notification-banner--success")
    checked_by_axe(evaluator)

    # The moderator declares on the procurement page, then settles each disagreement.
    moderator = signed_in("moderator")
    moderator.goto(procurement_page)
    moderator.get_by_role("radio", name=re.compile("^No")).check()
    moderator.get_by_role("button", name="Declare").click()
    moderator.wait_for_load_state()
    checked_by_axe(moderator)
    moderator.goto(f"{procurement_page}/moderation")
    forms = moderator.locator("form[action*='/moderation/']")
    assert forms.count() >= 1  # the new marks disagree with the first evaluator's
    checked_by_axe(moderator)
    while forms.count():
        form = forms.first
        form.locator("input[type=radio][value='2']").check()
        form.locator("textarea").fill("Agreed at the moderation meeting on the evidence pack.")
        form.get_by_role("button").click()
        moderator.wait_for_load_state()
    assert "settled" in moderator.inner_text(".govuk-notification-banner--success")
    checked_by_axe(moderator)

    # The buyer sees the ranking move, and the page still says what the API says.
    buyer.goto(procurement_page)
    after = total_shown(buyer, civic["id"])
    ranking = served.get(f"/v1/procurements/{procurement['id']}/ranking")
    api_total = next(r["total"] for r in ranking["ranking"] if r["vendor_id"] == civic["id"])
    assert after == f"{float(api_total):.2f}" and after != before
    checked_by_axe(buyer)

    # The board pack, for printing: the settlements are in it, the navigation is not.
    buyer.goto(f"{procurement_page}/board-pack")
    assert "Agreed at the moderation meeting on the evidence pack." in buyer.inner_text("main")
    checked_by_axe(buyer)
    buyer.emulate_media(media="print")
    assert not buyer.locator(".govuk-service-navigation").is_visible()
    assert buyer.pdf(format="A4")[:5] == b"%PDF-"
