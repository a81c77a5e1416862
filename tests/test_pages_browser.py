"""The pages in a real browser: Debian's chromium, driven by Playwright, against a served
instance (gunicorn, two workers). A person invited from the command line chooses a password
and signs in with the keyboard only; every page passes axe-core with no serious or critical
violation; the Content-Security-Policy holds with the page's own scripts running."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from browser import chromium
from conftest import TEST_CRITERIA
from processes import ethics_api_command, serving

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery staple"
AXE_SERIOUS = ("serious", "critical")


def cli(folder: Path, database_url: str, *args: str) -> str:
    env = {"ETHICS_DATABASE_URL": database_url, "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA)}
    result = subprocess.run(
        [ethics_api_command(), *args],
        cwd=folder,
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _base_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ETHICS_", "GUNICORN_"))}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    database_url = f"sqlite:///{folder / 'ethics.db'}"
    cli(folder, database_url, "db", "upgrade")
    cli(
        folder,
        database_url,
        "people",
        "create",
        "--name",
        "Alice Evaluator",
        "--email",
        "alice@police.example",
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
    )
    token = re.search(r"/invitations/(\S+)", printed)[1]
    with serving(folder, database_url, workers=2) as running:
        running.base = f"http://127.0.0.1:{running.port}"
        running.invitation = f"{running.base}/invitations/{token}"
        yield running


@pytest.fixture(scope="module")
def browser_session():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser_session):
    context = browser_session.new_context()
    blocked: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    page.csp_violations = blocked
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it stands (run through the
    devtools protocol, which the page's CSP does not govern)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in found
        if v["impact"] in AXE_SERIOUS
    ]


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
