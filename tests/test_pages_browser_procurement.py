"""A procurement's page in a real browser, on the demo served by gunicorn: the buyer reads the
policing procurement's ranking as a chart and a table whose numbers are the API's; the moderator
declares their interests from the page. Every page passes axe-core and its CSP."""

import pytest

from ethics_api import create_app

from browser import axe_violations
from conftest import client_with_key, make_key

POLICING = "Force data platform (demo)"


@pytest.fixture(scope="module")
def demo_api(demo_site):
    """The API on the demo's own database, in this process, with an auditor's key: the numbers
    the page must show, as the API serves them."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": demo_site.database_url, "SECRET_KEY": "browser-tests"}
    )
    yield client_with_key(app, make_key(app, "auditor"))
    app.extensions["database"].dispose()


def procurement_named(api, title: str) -> dict:
    found = api.get("/v1/procurements").get_json()
    return next(p for p in found if p["title"] == title)


def test_the_buyer_reads_the_ranking_as_a_chart_and_a_table_of_the_apis_numbers(
    demo_site, demo_api, page
):
    demo_site.sign_in(page, "buyer")
    page.get_by_role("link", name="Procurements").click()
    page.wait_for_url(f"{demo_site.base}/procurements")
    assert axe_violations(page) == []
    page.get_by_role("link", name=POLICING).click()
    assert page.locator("h1").inner_text() == POLICING
    assert axe_violations(page) == []
    assert page.csp_violations == []

    procurement = procurement_named(demo_api, POLICING)
    ranked = demo_api.get(f"/v1/procurements/{procurement['id']}/ranking").get_json()
    assert page.locator("figure svg title").text_content() == (
        "Each bidder's total, by what each criterion contributes"
    )
    # The table: one row per bidder, each criterion's contribution and the total, as the API
    # writes them (two decimal places).
    for row in ranked["ranking"]:
        cells = page.locator(f'#ranking-table tr[data-vendor-id="{row["vendor_id"]}"] > *')
        texts = [cells.nth(i).inner_text().strip() for i in range(cells.count())]
        assert texts[:2] == [str(row["rank"] or ""), row["vendor_name"]]
        if row["assessed"]:
            contributions = [
                "not scored" if c["contribution"] is None else f"{c['contribution']:.2f}"
                for c in row["criteria"]
            ]
            assert texts[2] == f"{row['total']:.2f}"
            assert texts[4:] == contributions
    # The chart: one segment per criterion a bidder scored on, each labelled in the key.
    segments = page.locator("figure svg rect[stroke]")
    expected = sum(
        1 for row in ranked["ranking"] for c in row.get("criteria", []) if c["contribution"]
    )
    assert segments.count() == expected
    for weight in ranked["weights"]:
        assert weight["name"] in page.locator("figure svg").text_content()
    assert ranked["sensitivity"]["summary"] in page.inner_text("#sensitivity")


def test_the_moderator_declares_from_the_page(demo_site, demo_api, page):
    demo_site.sign_in(page, "moderator")
    procurement = procurement_named(demo_api, POLICING)
    page.goto(f"{demo_site.base}/procurements/{procurement['id']}")
    assert axe_violations(page) == []
    # Sent without an answer: the error summary, and nothing recorded.
    page.get_by_role("button", name="Declare").click()
    page.wait_for_load_state()
    assert "Say whether you have a conflict of interest." in page.inner_text(".govuk-error-summary")
    assert axe_violations(page) == []
    # The description is revealed under "Yes" only (govuk-frontend's radios module), from the
    # keyboard as from the mouse.
    description = page.get_by_label("Describe the conflict")
    assert not description.is_visible()
    page.get_by_label("Yes, I have a conflict").focus()
    page.keyboard.press("Space")
    assert description.is_visible()
    assert page.get_by_label("Yes, I have a conflict").get_attribute("aria-expanded") == "true"
    assert axe_violations(page) == []
    page.keyboard.press("ArrowUp")  # radios move by arrow keys: to "No"
    assert page.get_by_label("No, I have no conflict of interest").is_checked()
    assert not description.is_visible()
    page.get_by_role("button", name="Declare").click()
    page.wait_for_url(f"{demo_site.base}/procurements/{procurement['id']}?done=declared")
    assert "Your declaration of interests is recorded." in page.inner_text(
        ".govuk-notification-banner"
    )
    assert axe_violations(page) == []
    assert page.csp_violations == []
    declared = demo_api.get(f"/v1/procurements/{procurement['id']}/declarations").get_json()
    assert [(d["person_name"], d["conflict"]) for d in declared if "Novak" in d["person_name"]] == [
        ("Moderator (M. Novak)", False)
    ]
