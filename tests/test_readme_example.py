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
    # Data privacy 50, the others 75; weights 25/25/20/15/15 -> 0.25 * 50 + 0.75 * 75.
    assert card["total"] == 68.75
    assert card["grade"] == "B"
    assert card["eligible"] is True
    assert card["confidence"]["score"] == 70.0
    assert card["confidence"]["band"] == "medium"
    assert [c["score"] for c in card["criteria"]] == [50.0, 75.0, 75.0, 75.0, 75.0]
    assert [c["contribution"] for c in card["criteria"]] == [12.5, 18.75, 15.0, 11.25, 11.25]
    readme = README.read_text()
    for shown in (
        '"total": 68.75',
        '"grade": "B"',
        '"score": 70.0',
        "12.5, 18.75, 15, 11.25, 11.25",
    ):
        assert shown in readme
