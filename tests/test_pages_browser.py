"""The pages in a real browser: Debian's chromium, driven by Playwright, against a served
instance (gunicorn, two workers). A person invited from the command line chooses a password
and signs in with the keyboard only; every page passes axe-core with no serious or critical
violation; the Content-Security-Policy holds with the page's own scripts running."""

import re

import pytest

from browser import PASSWORD, axe_violations, cli
from conftest import TEST_CRITERIA
from processes import serving


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    database_url = f"sqlite:///{folder / 'ethics.db'}"
    cli(folder, database_url, "db", "upgrade", criteria=TEST_CRITERIA)
    cli(
        folder,
        database_url,
        "people",
        "create",
        "--name",
        "Alice Evaluator",
        "--email",
        "alice@police.example",
        criteria=TEST_CRITERIA,
    )
    printed = cli(
        folder,
        database_url,
        "people",
        "invite",
        "--person",
        "Alice Evaluator",
        "--role",
        "assessor",
        criteria=TEST_CRITERIA,
    )
    token = re.search(r"/invitations/(\S+)", printed)[1]
    with serving(folder, database_url, workers=2) as running:
        running.base = f"http://127.0.0.1:{running.port}"
        running.invitation = f"{running.base}/invitations/{token}"
        yield running


def test_an_evaluator_chooses_a_password_and_signs_in_with_the_keyboard(site, page):
    page.goto(site.invitation)
    assert page.locator("h1").inner_text() == "Choose your password"
    assert axe_violations(page) == []
    # Keyboard only: focus the first field, type, tab to the next, type, press Enter.
    page.focus("#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/my-work")
    assert page.locator("h1").inner_text() == "My work"
    assert "Alice Evaluator (assessor)" in page.locator("header").inner_text()
    assert axe_violations(page) == []
    # The page's own module ran under the CSP: GOV.UK Frontend marked the body as supported.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert page.csp_violations == []

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in\?signed_out=1$"))
    assert "You have signed out." in page.inner_text("main")
    assert axe_violations(page) == []

    # Signing in again, with a wrong password first: the error summary, then in.
    page.focus("#email")
    page.keyboard.type("alice@police.example")
    page.keyboard.press("Tab")
    page.keyboard.type("not my password")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "There is a problem" in page.inner_text(".govuk-error-summary")
    assert axe_violations(page) == []
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.base}/my-work")


def test_the_public_criteria_page_passes_axe(site, page):
    page.goto(f"{site.base}/criteria/mini/1")
    assert page.locator("h1").inner_text() == "Mini test set"
    assert axe_violations(page) == []


@pytest.mark.parametrize("role", ["buyer", "assessor", "moderator"])
def test_the_demo_people_sign_in_and_see_their_work(demo_site, page, role):
    """The people the demo prints can sign in with the passwords they chose."""
    demo_site.sign_in(page, role)
    assert page.locator("h1").inner_text() == "My work"
    assert f"({role})" in page.locator("header").inner_text()
    assert axe_violations(page) == []
