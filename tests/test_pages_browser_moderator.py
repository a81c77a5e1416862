"""The moderator's journey in a real browser, on the demo (shipped criteria, gunicorn): sign in,
open the moderation page of the city procurement, where the evaluators disagree on Civic
Insight, and settle one disagreement with the keyboard only. The disagreements the page shows
are those the API's readiness reports; every page passes axe-core."""

import json
import re
import urllib.request

import pytest

from browser import PASSWORD, axe_violations, choose_password, cli

MODERATOR = "Moderator (M. Novak)"
CITY = "City analytics platform (demo)"
CIVIC = "Civic Insight Systems BV (demo)"


class Api:
    """The demo's API, with an admin key made from the command line."""

    def __init__(self, demo_site):
        printed = cli(
            demo_site.folder,
            demo_site.database_url,
            *("keys", "create", "--role", "admin", "--name", "Browser test admin"),
        )
        self.key = re.search(r"eth_[0-9a-f]{8}_\S+", printed)[0]
        self.base = demo_site.base

    def call(self, path: str, body: dict | None = None):
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def procurement(self, title: str) -> dict:
        return next(p for p in self.call("/v1/procurements") if p["title"] == title)

    def awaiting(self, procurement_id: str) -> list[tuple[str, str]]:
        """(bidder, indicator) awaiting moderation, in the order readiness lists them."""
        found = self.call(f"/v1/procurements/{procurement_id}/readiness")
        return [
            (item["vendor_id"], item["indicator"])
            for item in found["blocking"]
            if item["code"] == "unsettled_disagreement"
        ]


@pytest.fixture(scope="module")
def api(demo_site):
    return Api(demo_site)


def prefix(vendor_id: str, indicator: str) -> str:
    """The settlement form's field prefix, as the page names them."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"s_{vendor_id[:8]}_{indicator}")


def shown(page) -> list[tuple[str, str]]:
    """(bidder, indicator) of the settlement forms on the page, from their addresses."""
    actions = page.locator("form[action*='/moderation/']").evaluate_all(
        "forms => forms.map(f => f.getAttribute('action'))"
    )
    return [tuple(action.rsplit("/", 2)[1:]) for action in actions]


def test_the_moderator_settles_a_disagreement_with_the_keyboard(demo_site, page, api):
    city = api.procurement(CITY)
    civic = next(v for v in api.call("/v1/vendors") if v["name"] == CIVIC)
    path = f"{demo_site.base}/procurements/{city['id']}/moderation"
    demo_site.sign_in(page, "moderator")

    # Before declaring: told to declare first, and no form to fill in.
    page.goto(path)
    assert page.locator("h1").inner_text() == "Moderation"
    assert "Declare your interests in this procurement" in page.inner_text("main")
    assert shown(page) == []
    assert axe_violations(page) == []

    # The declaration, made through the API on the moderator's behalf.
    api.call(
        f"/v1/procurements/{city['id']}/declarations", {"conflict": False, "person": MODERATOR}
    )
    page.goto(path)
    awaiting = api.awaiting(city["id"])
    assert sorted(shown(page)) == sorted(awaiting)
    civic_ones = [(v, i) for v, i in awaiting if v == civic["id"]]
    assert len(civic_ones) >= 1  # the demo's evaluators disagree on Civic Insight
    assert axe_violations(page) == []
    assert page.csp_violations == []

    vendor_id, indicator = civic_ones[0]
    name = prefix(vendor_id, indicator)
    # The evaluators' levels side by side, one column each.
    section = page.locator(f"[id='d-{vendor_id[:8]}-{indicator}']")
    headers = section.locator("thead th").all_inner_texts()
    assert headers == ["Evaluator A (R. Patel)", "Evaluator B (J. Okafor)"]

    # Keyboard only. Submitting with no reason first: the error summary, which passes axe.
    page.focus(f"#{name}-level")
    page.keyboard.press("Space")  # level 0
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # level 2
    page.keyboard.press("Tab")  # the reason
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "Say why this level was agreed" in summary.inner_text()
    assert axe_violations(page) == []
    assert page.locator(f"#{name}-level-2").is_checked()  # what was chosen is kept

    page.focus(f"#{name}-reason")
    page.keyboard.type("Agreed at the moderation meeting: the policy exists and is documented.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(path)
    banner = page.locator(".govuk-notification-banner--success").inner_text()
    assert f"{CIVIC}: {indicator} settled at level 2" in banner
    assert (vendor_id, indicator) not in shown(page)
    settled = page.locator("#settled").inner_text()
    assert indicator in settled and MODERATOR in settled
    assert axe_violations(page) == []

    # The API agrees: the disagreement no longer blocks, the others still do.
    assert sorted(api.awaiting(city["id"])) == sorted(set(awaiting) - {(vendor_id, indicator)})
    assert sorted(shown(page)) == sorted(api.awaiting(city["id"]))


def signed_up(demo_site, name: str, email: str, *invitation: str) -> None:
    """A person of the demo's organisation, invited from the command line, who has chosen
    PASSWORD through their invitation link."""
    cli(
        demo_site.folder,
        demo_site.database_url,
        "people",
        "create",
        "--name",
        name,
        "--email",
        email,
    )
    printed = cli(
        demo_site.folder, demo_site.database_url, "people", "invite", "--person", name, *invitation
    )
    link = re.search(r"https?://\S+/invitations/\S+", printed)[0]
    choose_password(re.sub(r"^https?://[^/]+", demo_site.base, link))


def sign_in_as(page, demo_site, email: str) -> None:
    page.goto(f"{demo_site.base}/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{demo_site.base}/my-work")


def test_the_admins_people_page_shows_a_new_invitation_once(demo_site, page):
    signed_up(demo_site, "Ada Admin (demo)", "ada@demo.example", "--role", "admin")
    sign_in_as(page, demo_site, "ada@demo.example")
    page.get_by_role("link", name="People").click()
    page.wait_for_url(f"{demo_site.base}/people")
    assert page.locator("h1").inner_text() == "People"
    assert axe_violations(page) == []

    page.fill("#person-name", "Lee Auditor (demo)")
    page.fill("#person-email", "lee@demo.example")
    page.get_by_role("button", name="Add the person").click()
    page.wait_for_load_state()
    # The person just added is chosen in the invitation form.
    page.select_option("#invite-role", "auditor")
    page.get_by_role("button", name="Create the invitation link").click()
    page.wait_for_load_state()
    link = page.locator("#invitation-link").input_value()
    assert link.startswith(f"{demo_site.base}/invitations/")
    assert "This link is a secret" in page.inner_text("main")
    assert axe_violations(page) == []
    assert page.csp_violations == []
    page.goto(f"{demo_site.base}/people")
    assert link not in page.content()  # shown once


def test_a_vendors_person_reads_our_results(demo_site, page, api):
    civic = next(v for v in api.call("/v1/vendors") if v["name"] == CIVIC)
    invitation = ("--role", "vendor", "--vendor-id", civic["id"])
    signed_up(demo_site, "Vic Vendor (demo)", "vic@civic-insight.example", *invitation)
    sign_in_as(page, demo_site, "vic@civic-insight.example")
    page.get_by_role("link", name="Our results").click()
    page.wait_for_url(f"{demo_site.base}/our-results")
    # Both demo procurements are still evaluating: nothing reaches the bidder yet.
    assert "No procurement you bid in has closed yet." in page.inner_text("main")
    assert axe_violations(page) == []
