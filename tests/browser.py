"""A real browser for the tests of pages: Debian's headless chromium, driven by Playwright (or
asked for its DOM), against a served instance; axe-core to check each page; and a site served
with the demo loaded, whose people have chosen their passwords, for the journeys."""

import http.cookiejar
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from processes import ethics_api_command, serving

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SERIOUS = ("serious", "critical")
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def chromium() -> str:
    """The chromium command; skip without one, unless ETHICS_REQUIRE_BROWSER (CI) is set."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ETHICS_REQUIRE_BROWSER"):
            pytest.fail("ETHICS_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium: the browser checks of pages are not run")
    return found


def rendered_dom(url: str, profile: Path, wait_ms: int = 15000) -> str:
    """The page's DOM once chromium has loaded it and run its scripts (up to `wait_ms`)."""
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={wait_ms}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def _base_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ETHICS_", "GUNICORN_"))}


def cli(folder: Path, database_url: str, *args: str, criteria: Path | None = None) -> str:
    """`ethics-api ARGS` on the database, with the test criteria given or the shipped sets."""
    env = {"ETHICS_DATABASE_URL": database_url}
    if criteria is not None:
        env["ETHICS_CRITERIA_DIR"] = str(criteria)
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


@pytest.fixture(scope="session")
def _chromium_process():
    """Chromium, launched once per test process (Playwright's driver and the browser take some
    seconds to start); every test still gets a fresh context of its own (`page`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser_session(_chromium_process):
    """The browser, for one module: any context the module's tests left open is closed when
    the module ends, as it was when each module launched a browser of its own."""
    yield _chromium_process
    for context in _chromium_process.contexts:
        context.close()


@pytest.fixture
def page(browser_session):
    """A fresh browser context (no cookies) and its page; `page.csp_violations` collects what
    the Content-Security-Policy blocked."""
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
    findings = []
    for violation in found:
        nodes = [n for n in violation["nodes"] if not _conditional_reveal(violation["id"], n)]
        if violation["impact"] in AXE_SERIOUS and nodes:
            findings.append(
                {
                    "id": violation["id"],
                    "impact": violation["impact"],
                    "nodes": [n["html"] for n in nodes][:3],
                }
            )
    return findings


def _conditional_reveal(rule: str, node: dict) -> bool:
    """GOV.UK Frontend's radios module sets aria-expanded on a radio that reveals content, on
    purpose: screen readers announce it, though ARIA does not list it for radios, so axe flags
    it (alphagov/govuk-frontend#979, a known issue the Design System keeps). Only that one
    attribute on such a radio is let through; anything else axe finds there still counts."""
    if rule != "aria-allowed-attr" or 'class="govuk-radios__input"' not in node["html"]:
        return False
    failed = [check["message"] for check in node["any"] + node["all"] + node["none"]]
    return bool(failed) and all(
        message.startswith("ARIA attribute is not allowed: aria-expanded=") for message in failed
    )


# --- the demo, served ---------------------------------------------------------------------------

INVITED = re.compile(r"^invited\s+(?P<name>.+?)\s+sign in as (?P<role>\w+): (?P<url>\S+)$")


@dataclass
class DemoSite:
    """The demo on the shipped criteria sets, served by gunicorn; its people (by role, and the
    assessors in order) have chosen PASSWORD."""

    base: str
    folder: Path
    database_url: str
    emails: dict[str, str] = field(default_factory=dict)  # name -> email
    by_role: dict[str, list[str]] = field(default_factory=dict)  # role -> names

    def email_of(self, role: str, index: int = 0) -> str:
        return self.emails[self.by_role[role][index]]

    def sign_in(self, page, role: str, index: int = 0) -> None:
        """Sign the page's browser in as the demo's `index`th person of `role`."""
        page.goto(f"{self.base}/sign-in")
        page.fill("#email", self.email_of(role, index))
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.base}/my-work")


def choose_password(invitation_url: str) -> None:
    """Accept an invitation as a browser would: the form's CSRF token, its cookie, a POST."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(invitation_url) as response:
        token = CSRF.search(response.read().decode())[1]
    body = urllib.parse.urlencode(
        {"csrf_token": token, "password": PASSWORD, "confirmation": PASSWORD}
    ).encode()
    with opener.open(invitation_url, data=body) as response:
        assert response.url.endswith("/my-work"), response.url


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A database with `ethics-api demo` loaded on the shipped sets and every person signed up,
    made once per test process: each module's `demo_site` serves a copy of it."""
    folder = tmp_path_factory.mktemp("demo-template")
    database_url = f"sqlite:///{folder / 'ethics.db'}"
    cli(folder, database_url, "db", "upgrade")
    printed = cli(folder, database_url, "demo")
    with serving(folder, database_url, workers=1, criteria=None) as running:
        base = f"http://127.0.0.1:{running.port}"
        for line in printed.splitlines():
            found = INVITED.match(line)
            if found:
                choose_password(found["url"].replace("http://127.0.0.1:8000", base))
    return folder / "ethics.db"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory, demo_template):
    """The demo, served with two workers from a fresh copy of the template: what one module's
    tests change, the next module never sees."""
    from ethics_api.demo import PEOPLE

    folder = tmp_path_factory.mktemp("demo-site")
    for part in demo_template.parent.glob(demo_template.name + "*"):  # with any -wal, -shm
        shutil.copy(part, folder / part.name)
    database_url = f"sqlite:///{folder / demo_template.name}"
    with serving(folder, database_url, workers=2, criteria=None) as running:
        site = DemoSite(f"http://127.0.0.1:{running.port}", folder, database_url)
        for name, email, role in PEOPLE:
            site.emails[name] = email
            site.by_role.setdefault(str(role), []).append(name)
        yield site
