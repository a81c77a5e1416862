"""The pages in a real browser: Debian's chromium, driven by Playwright, against a served
instance (gunicorn, two workers). A person invited from the command line chooses a password
and signs in with the keyboard only; every page passes axe-core with no serious or critical
violation; the Content-Security-Policy holds with the page's own scripts running."""

import re

import pytest

from ethics_api import write_gate

from browser import PASSWORD, axe_violations, cli
from conftest import TEST_CRITERIA
from processes import gate_held, serving


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from _invited_site(tmp_path_factory)


def _invited_site(tmp_path_factory, settings: dict[str, str] | None = None):
    """A served instance on SQLite whose one person, Alice, is invited: at `.invitation`."""
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
    with serving(folder, database_url, workers=2, settings=settings) as running:
        running.database = folder / "ethics.db"
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


@pytest.fixture(scope="module")
def impatient_site(tmp_path_factory):
    yield from _invited_site(tmp_path_factory, {"ETHICS_DATABASE_BUSY_TIMEOUT_SECONDS": "0.5"})


def test_a_form_sent_while_the_database_is_busy_gets_a_page_and_can_be_sent_again(
    impatient_site, page
):
    """Another writer holds SQLite's write lock past the service's wait: the person sees the
    service's own page saying so (503), styled and accessible; sent again once the lock is
    free, the same form goes through."""

    def choose_the_password():
        page.fill("#password", PASSWORD)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")

    page.goto(impatient_site.invitation)
    with gate_held(write_gate.lock_file(impatient_site.database)):
        with page.expect_navigation() as sent:
            choose_the_password()
        assert sent.value.status == 503
        assert sent.value.headers["retry-after"] == "2"
        assert page.locator("h1").inner_text() == "Sorry, the service is unavailable"
        assert "check whether your change was saved" in page.inner_text("main")
        assert axe_violations(page) == []
        assert page.csp_violations == []
    page.go_back()
    choose_the_password()
    page.wait_for_url(f"{impatient_site.base}/my-work")
    assert page.locator("h1").inner_text() == "My work"
