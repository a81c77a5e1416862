"""The evaluator's main job in a real browser, with the keyboard only: the demo's second evaluator
opens the assessment left to them (Civic Insight, in the force data platform procurement),
answers part of it, saves a draft, leaves, comes back to find it, completes it and submits it.
axe-core finds nothing serious on the form empty, with errors, and resumed; the submitted
assessment is in the bidder's scorecard as the API serves it."""

import re

from ethics_api import create_app
from ethics_api.demo import EVALUATORS, POLICING_PROFILE, POLICING_SET

from browser import axe_violations
from conftest import client_with_key, make_key

PROCUREMENT = "Force data platform (demo)"
BIDDER = "Civic Insight Systems BV (demo)"
# Answered with the keyboard before the draft is saved: (indicator, level, rationale).
FIRST = (
    ("protection-by-default", 3, "Defaults are private; settings reviewed in the demo."),
    ("retention-review-controls", 2, "A retention schedule is documented."),
    ("fact-assessment-grading", 1, "Grading is planned, not yet built."),
)
LEVEL = 2  # every other indicator


def choose_level(page, key: str, level: int) -> None:
    """Focus the indicator's first radio and move to the level with the arrow keys (moving
    selects, as in any radio group)."""
    page.focus(f"#{key}-level")
    if level == 0:
        page.keyboard.press("Space")
    for _ in range(level):
        page.keyboard.press("ArrowDown")


def applying_keys(page) -> list[str]:
    """The indicators the form asks, in order: the name of each radio group."""
    names = page.eval_on_selector_all(
        "input.govuk-radios__input[value='0']", "inputs => inputs.map(i => i.name)"
    )
    return [name.removesuffix("-level") for name in names]


def test_an_evaluator_assesses_with_the_keyboard_saving_a_draft_and_resuming(demo_site, page):
    demo_site.sign_in(page, "assessor", 1)
    link = page.get_by_role("link", name=f"{BIDDER} in {PROCUREMENT}")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/assessment$"))
    form_url = page.url
    assert page.locator("h1").inner_text() == f"Assess {BIDDER}"
    assert axe_violations(page) == []
    keys = applying_keys(page)
    # The policing set's indicators that apply to the force's system, and no other.
    assert len(keys) == 30
    assert f"0 of {len(keys)} indicators answered" in page.inner_text("#progress")

    # Part of it by keyboard: a level, Tab to the rationale, Tab on to the evidence.
    for key, level, rationale in FIRST:
        choose_level(page, key, level)
        page.keyboard.press("Tab")
        page.keyboard.type(rationale)
    page.keyboard.press("Tab")  # the last one's evidence: a title, its kind, its address
    page.keyboard.type("Retention and grading design, v2")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first kind: independently verified
    page.keyboard.press("Tab")
    page.keyboard.type("https://civic-insight.example/design-v2.pdf")
    page.keyboard.press("Enter")  # the form's first button: Save draft
    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert "Draft saved at" in page.inner_text(".govuk-notification-banner")
    assert f"3 of {len(keys)} indicators answered" in page.inner_text("#progress")

    # Leave, come back: the answers are there.
    page.goto(f"{demo_site.base}/my-work")
    page.goto(form_url)
    assert "Your draft was last saved at" in page.inner_text(".govuk-notification-banner")
    for key, level, rationale in FIRST:
        assert page.is_checked(f"#{key}-level" + (f"-{level}" if level else ""))
        assert page.input_value(f"#{key}-rationale") == rationale
    last = FIRST[-1][0]
    assert page.input_value(f"#{last}-evidence-0-kind") == "independently_verified"
    assert axe_violations(page) == []

    # Submitted unfinished: refused, every unanswered indicator linked from the summary.
    page.focus("button[value=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "There is a problem" in summary.inner_text()
    assert summary.locator("a").count() == len(keys) - len(FIRST)
    assert page.title().startswith("Error: ")
    assert axe_violations(page) == []

    # The rest, by keyboard too, then submitted with the keyboard.
    for key in keys[len(FIRST) :]:
        choose_level(page, key, LEVEL)
    page.focus("button[value=submit]")
    page.keyboard.press("Space")
    page.wait_for_url(f"{demo_site.base}/my-work")
    banner = page.locator(".govuk-notification-banner--success")
    assert banner.inner_text().endswith(f"Your assessment of {BIDDER} is submitted.")
    assert page.get_by_role("link", name=f"{BIDDER} in {PROCUREMENT}").count() == 0
    assert page.csp_violations == []

    # The buyer's scorecard, as the API serves it, counts this assessment.
    card, assessment = served(demo_site, BIDDER)
    assert sorted(card["assessors"]) == sorted(EVALUATORS)
    given = {a["indicator"]: a.get("level") for a in assessment["answers"]}
    assert given == {
        **{key: LEVEL for key in keys},
        **{key: level for key, level, _ in FIRST},
    }
    assert assessment["answers"][2]["evidence"] == [
        {
            "title": "Retention and grading design, v2",
            "kind": "independently_verified",
            "url": "https://civic-insight.example/design-v2.pdf",
        }
    ]


def served(demo_site, vendor_name: str) -> tuple[dict, dict]:
    """The bidder's scorecard in the policing procurement, read with a buyer's key, and the
    second evaluator's assessment behind it."""
    app = create_app({"TESTING": True, "DATABASE_URL": demo_site.database_url})
    try:
        buyer = client_with_key(app, make_key(app, "buyer", "Buyer (B. Adeyemi)"))
        [procurement] = [
            p for p in buyer.get("/v1/procurements").get_json() if p["criteria_set"] == POLICING_SET
        ]
        assert procurement["profile"] == POLICING_PROFILE
        [vendor] = [v for v in buyer.get("/v1/vendors").get_json() if v["name"] == vendor_name]
        card = buyer.get(
            f"/v1/vendors/{vendor['id']}/scorecard?procurement_id={procurement['id']}"
        ).get_json()
        [assessment] = [
            a
            for a in buyer.get(f"/v1/vendors/{vendor['id']}/assessments").get_json()
            if a["procurement_id"] == procurement["id"] and a["assessor"] == EVALUATORS[1]
        ]
    finally:
        app.extensions["database"].dispose()
    return card, assessment
