"""A bidder's person in a real browser, once a procurement has closed: Our results, the
assessment summary as a page, and the right of reply as a form; every page passes axe-core
under the pages' Content-Security-Policy."""

import re

import pytest

from ethics_api import create_app

from browser import PASSWORD, axe_violations, choose_password, cli
from conftest import TEST_CRITERIA, client_with_key, make_key
from payloads import answers, vendor
from processes import serving
from responses import created, ok

VENDOR = "Kestrel Analytics"


def closed_procurement(database_url: str) -> tuple[str, str]:
    """A procurement closed with Kestrel its one bidder, assessed by one evaluator (through
    the API, in this process, on the served database); (procurement id, vendor id)."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "CRITERIA_DIR": TEST_CRITERIA})
    try:
        admin = client_with_key(app, make_key(app, "admin", "Browser test admin"))
        vendor_id = created(admin.post("/v1/vendors", json=vendor(VENDOR)))["id"]
        body = {
            "ocid": "ocds-abc123-closed",
            "title": "Video analytics",
            "buyer": {"name": "Example Council"},
            "min_evaluators": 1,
        }
        procurement = created(admin.post("/v1/procurements", json=body))["id"]
        url = f"/v1/procurements/{procurement}"
        created(admin.post(f"{url}/bidders", json={"vendor_id": vendor_id}))
        created(admin.post(f"{url}/declarations", json={"conflict": False, "person": "Alice"}))
        for status in ("evaluating", "closed"):
            if status == "closed":
                assessment = {
                    "answers": answers(p1=2),
                    "assessor": "Alice",
                    "procurement_id": procurement,
                }
                created(admin.post(f"/v1/vendors/{vendor_id}/assessments", json=assessment))
            etag = admin.get(url).headers["ETag"]
            ok(admin.patch(url, json={"status": status}, headers={"If-Match": etag}))
        return procurement, vendor_id
    finally:
        app.extensions["database"].dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vendor-pages")
    database_url = f"sqlite:///{folder / 'ethics.db'}"
    cli(folder, database_url, "db", "upgrade", criteria=TEST_CRITERIA)
    procurement, vendor_id = closed_procurement(database_url)
    cli(
        folder,
        database_url,
        *("people", "create", "--name", "Kim Vendor"),
        *("--email", "kim@kestrel.example"),
        criteria=TEST_CRITERIA,
    )
    printed = cli(
        folder,
        database_url,
        *("people", "invite", "--person", "Kim Vendor"),
        *("--role", "vendor", "--vendor-id", vendor_id),
        criteria=TEST_CRITERIA,
    )
    with serving(folder, database_url, workers=1) as running:
        running.base = f"http://127.0.0.1:{running.port}"
        running.procurement = procurement
        link = re.search(r"https?://\S+/invitations/\S+", printed)[0]
        choose_password(re.sub(r"^https?://[^/]+", running.base, link))
        yield running


def test_a_bidder_reads_its_results_and_summary_and_disputes_a_score(site, page):
    page.goto(f"{site.base}/sign-in")
    page.fill("#email", "kim@kestrel.example")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.base}/my-work")
    page.get_by_role("link", name="Our results").click()
    page.wait_for_url(f"{site.base}/our-results")
    assert "Video analytics" in page.inner_text("main")
    assert axe_violations(page) == []

    # The right of reply: a dispute on an indicator, filed through the form.
    section = page.locator(f"#result-{site.procurement}")
    section.locator("select").select_option("p1")
    section.locator("textarea").fill("Our DPIA was completed before processing began.")
    section.get_by_role("button", name=re.compile("^File the dispute")).click()
    page.wait_for_load_state()
    assert "Success" in page.inner_text(".govuk-notification-banner")
    assert "p1" in page.inner_text("#disputes")
    assert axe_violations(page) == []

    page.goto(f"{site.base}/our-results/{site.procurement}/summary")
    assert VENDOR in page.inner_text("main")
    assert axe_violations(page) == []
    assert page.csp_violations == []
