"""The README's curl session gives the numbers the README shows, worked out there by hand."""

import json

from conftest import PROJECT_CRITERIA, TESTS

EXAMPLE = TESTS.parent / "examples" / "assessment.json"
README = TESTS.parent / "README.md"


def test_example_assessment_scores_as_the_readme_says(make_app):
    client = make_app(CRITERIA_DIR=PROJECT_CRITERIA).test_client()
    vendor = client.post(
        "/v1/vendors",
        json={"name": "Acme Analytics Ltd", "identifier": {"scheme": "GB-COH", "id": "09999999"}},
    )
    body = json.loads(EXAMPLE.read_text())
    submitted = client.post(f"{vendor.headers['Location']}/assessments", json=body)
    assert submitted.status_code == 201, submitted.json
    card = client.get(f"{vendor.headers['Location']}/scorecard").json
    # Transparency 50, the others 75; weights 25/20/20/15/20 -> 0.15 * 50 + 0.85 * 75.
    assert card["criteria_set"]["ref"] == "ai-ethics@2"
    assert card["total"] == 71.25
    assert card["grade"] == "B"
    assert card["eligible"] is True
    assert card["tier"] == "very-high"  # standalone: the strictest minimum levels
    assert card["confidence"]["score"] == 70.0
    assert card["confidence"]["band"] == "medium"
    assert [c["score"] for c in card["criteria"]] == [75.0, 75.0, 75.0, 50.0, 75.0]
    assert [c["contribution"] for c in card["criteria"]] == [18.75, 15.0, 15.0, 7.5, 15.0]
    readme = README.read_text()
    for shown in (
        '"total": 71.25',
        '"grade": "B"',
        '"score": 70.0',
        "18.75, 15, 15, 7.5, 15",
    ):
        assert shown in readme
