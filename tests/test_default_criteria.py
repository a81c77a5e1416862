"""The shipped criteria set, criteria/ai-ethics-1.yaml, read through the service's own loader.

The loader enforces the format's rules; these tests hold the set to the editorial standard a
buyer relies on: every indicator is a question with a source, its five levels say five
different things, and every knockout says plainly which red line level 0 crosses.
"""

from pathlib import Path

import pytest
import yaml

from ethics_api.criteria import CriteriaSet, Indicator, load_catalog, load_file

SHIPPED = Path(__file__).resolve().parent.parent / "criteria" / "ai-ethics-1.yaml"
CRITERIA_KEYS = [
    "data-privacy",
    "surveillance-ethics",
    "human-oversight",
    "transparency",
    "accountability",
]
MIN_INDICATORS_PER_CRITERION = 8

# Collected from the raw YAML, so a file the loader refuses still yields one failing test per
# indicator rather than an error that hides the others.
INDICATOR_KEYS = [
    indicator["key"]
    for criterion in yaml.safe_load(SHIPPED.read_text())["criteria"]
    for indicator in criterion["indicators"]
]


@pytest.fixture(scope="module")
def shipped() -> CriteriaSet:
    return load_file(SHIPPED)


@pytest.fixture
def indicator(shipped, request) -> Indicator:
    found = {i.key: i for i in shipped.indicators}.get(request.param)
    assert found is not None, f"the loader lost indicator {request.param}"
    return found


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def test_loads_as_the_default_set_of_its_folder(shipped):
    assert shipped.ref == "ai-ethics@1"
    assert shipped.sha256 and len(shipped.sha256) == 64
    catalog = load_catalog(SHIPPED.parent)
    assert catalog.default_ref == "ai-ethics@1"


def test_five_criteria_in_order_with_enough_indicators(shipped):
    assert [c.key for c in shipped.criteria] == CRITERIA_KEYS
    for criterion in shipped.criteria:
        assert len(criterion.indicators) >= MIN_INDICATORS_PER_CRITERION, criterion.key
        assert criterion.name.strip() and criterion.description.strip(), criterion.key


def test_weights_are_positive(shipped):
    for criterion in shipped.criteria:
        assert criterion.weight > 0, criterion.key
        assert criterion.minimum is None or 0 <= criterion.minimum <= 100, criterion.key
    for indicator in shipped.indicators:
        assert indicator.weight > 0, indicator.key


def test_grade_bands_a_to_e(shipped):
    assert [g.label for g in shipped.grades] == ["A", "B", "C", "D", "E"]
    mins = [g.min for g in shipped.grades]
    assert mins == sorted(mins, reverse=True) and len(set(mins)) == len(mins)
    assert mins[-1] == 0


def test_indicator_keys_are_unique_and_all_collected(shipped):
    assert [i.key for i in shipped.indicators] == INDICATOR_KEYS
    assert len(set(INDICATOR_KEYS)) == len(INDICATOR_KEYS)


def test_has_knockouts(shipped):
    # The demo's knockout vendor, and buyers' red lines, need at least one.
    assert any(i.knockout for i in shipped.indicators)


@pytest.mark.parametrize("indicator", INDICATOR_KEYS, ids=INDICATOR_KEYS, indirect=True)
def test_indicator_is_well_formed(indicator):
    assert indicator.question.strip().endswith("?"), indicator.question

    assert indicator.references, "no reference"
    for reference in indicator.references:
        assert reference.source and reference.source.strip(), reference
        assert reference.url is None or reference.url.startswith("https://"), reference.url

    assert len(indicator.levels) == 5
    assert all(level.strip() for level in indicator.levels), indicator.levels
    distinct = {normalised(level) for level in indicator.levels}
    assert len(distinct) == 5, "two levels have the same descriptor"

    red_line = "Red line" in indicator.levels[0]
    if indicator.knockout:
        assert red_line, f"level 0 of a knockout must describe the red line: {indicator.levels[0]}"
    else:
        assert not red_line, "only a knockout indicator has a red line at level 0"
