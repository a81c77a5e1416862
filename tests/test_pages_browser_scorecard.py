"""The scorecard and the board pack in a real browser (Debian's chromium, Playwright) on the
demo served by gunicorn: the buyer opens Blue Lantern's scorecard in the policing procurement
(its knockout said in the banner) and the procurement's board pack, which prints on A4 without
the service's navigation. Numbers are compared with the API's for the same thing; every page
passes axe-core with no serious or critical finding."""

import json
import re
import urllib.request

import pytest

from ethics_api.demo import POLICING_OCID

from browser import axe_violations, cli


@pytest.fixture(scope="module")
def api(demo_site):
    """GET on the demo's API with a buyer's key made on the command line."""
    printed = cli(
        demo_site.folder,
        demo_site.database_url,
        "keys",
        "create",
        "--role",
        "buyer",
        "--name",
        "Board pack reader",
    )
    secret = re.search(r"secret \(shown once\): (\S+)", printed)[1]

    def get(path: str) -> dict:
        request = urllib.request.Request(
            demo_site.base + path, headers={"Authorization": f"Bearer {secret}"}
        )
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    return get


def policing(api) -> dict:
    listed = api("/v1/procurements?page_size=100")
    return next(p for p in listed if p["ocid"] == POLICING_OCID)


def blue_lantern(api) -> dict:
    return next(v for v in api("/v1/vendors?page_size=100") if v["name"].startswith("Blue Lantern"))


def test_the_buyer_sees_blue_lanterns_knockout_in_the_policing_procurement(demo_site, page, api):
    procurement, vendor = policing(api), blue_lantern(api)
    card = api(f"/v1/vendors/{vendor['id']}/scorecard?procurement_id={procurement['id']}")
    assert card["eligible"] is False  # the demo's bidder one level under a minimum

    demo_site.sign_in(page, "buyer")
    page.goto(f"{demo_site.base}/vendors")
    assert axe_violations(page) == []
    page.get_by_role("link", name=vendor["name"]).click()
    page.wait_for_url(f"{demo_site.base}/vendors/{vendor['id']}")
    page.goto(f"{demo_site.base}/vendors/{vendor['id']}?procurement_id={procurement['id']}")
    banner = page.locator(".app-banner--ineligible")
    assert banner.is_visible()
    said = banner.inner_text()
    assert "Not eligible" in said
    assert len(card["knockouts"]) == said.count("not met") + said.count("crossed") + said.count(
        "Gate failed"
    )
    assert f"({card['knockouts'][0]['key']})" in said  # the indicator named, with its words
    assert page.locator("#total").inner_text() == f"{card['total']:.2f} out of 100"
    assert page.locator("#grade").inner_text() == card["grade"]
    assert axe_violations(page) == []
    assert page.csp_violations == []


def test_the_board_pack_prints_on_a4_without_the_navigation(demo_site, page, api):
    procurement = policing(api)
    ranking = api(f"/v1/procurements/{procurement['id']}/ranking")
    demo_site.sign_in(page, "buyer")
    page.goto(f"{demo_site.base}/procurements/{procurement['id']}/board-pack")
    assert page.locator("h1").inner_text() == procurement["title"]
    totals = page.locator("#ranking-table .app-total").all_inner_texts()
    assert totals == [f"{r['total']:.2f}" for r in ranking["ranking"] if r["assessed"]]
    assert ranking["award"]["summary"] in page.locator("#award-summary").inner_text()
    # The print button appears once its module runs; the CSP let it.
    assert page.get_by_role("button", name="Print or save as PDF").is_visible()
    assert axe_violations(page) == []
    assert page.csp_violations == []

    page.emulate_media(media="print")
    assert page.locator(".govuk-service-navigation").is_hidden()
    assert page.locator(".app-print-button").is_hidden()
    assert page.locator("#sign-off").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    # A4 is 595 x 842 points (210 x 297 mm).
    width, height = (
        float(n) for n in re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups()
    )
    assert round(width) == 595 and round(height) == 842
