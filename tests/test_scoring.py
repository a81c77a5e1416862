"""The scoring rules of docs/scoring.md, up to the improvement plan, checked number by number.

Every expected value below was worked out by hand and is written as an exact literal with the
arithmetic beside it: the tests never compute an expectation with the code under test, nor with a
second implementation of the formulas. Pure tests: no Flask, no database.

Most cases use the mini set (tests/criteria/mini-1.yaml):

    privacy   W=2, minimum 50: p1 w1 (knockout), p2 w3, p3 w1 (N/A allowed)
    oversight W=1:             o1 w1, o2 w1 (N/A allowed)
    openness  W=1, minimum 25: t1 w2 (N/A allowed), t2 w1 (N/A allowed)
    grades A>=80, B>=60, C>=40, D>=0; validity_days 30

so with every criterion scored E = 1/2, 1/4, 1/4, and S_c = 25 * sum(w*L) / sum(w).
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ethics_api.criteria import CriteriaSet, Criterion, Grade, Indicator, Reference, load_file
from ethics_api.exact import round_half_away
from ethics_api.scoring import (
    Answer,
    Assessment,
    Evidence,
    NoCurrentAssessment,
    Scorecard,
    current_assessments,
    lower_median,
    score,
)

MINI = load_file(Path(__file__).parent / "criteria" / "mini-1.yaml")
AS_OF = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
NA = None  # an answer of "not applicable"

KEYS = ("p1", "p2", "p3", "o1", "o2", "t1", "t2")
CRITERION_OF = {
    "p1": "privacy",
    "p2": "privacy",
    "p3": "privacy",
    "o1": "oversight",
    "o2": "oversight",
    "t1": "openness",
    "t2": "openness",
}
# The mini set's bands, written out by hand (highest first).
MINI_BANDS = (("A", F(80)), ("B", F(60)), ("C", F(40)), ("D", F(0)))


# --- helpers ------------------------------------------------------------------------------------


def lv(p1, p2, p3, o1, o2, t1, t2) -> dict[str, int | None]:
    """The levels of one mini-set assessment, in the set's order (NA for not applicable)."""
    return dict(zip(KEYS, (p1, p2, p3, o1, o2, t1, t2), strict=True))


def make(
    levels: dict[str, int | None],
    *,
    assessor: str = "alice",
    submitted_at: dt.datetime | None = None,
    id: str | None = None,
    moderated: bool = False,
    ref: str = "mini@1",
    evidence: dict[str, tuple[Evidence, ...]] | None = None,
) -> Assessment:
    submitted_at = AS_OF - DAY if submitted_at is None else submitted_at
    evidence = evidence or {}
    answers = tuple(
        Answer(
            indicator=key,
            level=level,
            rationale="Does not apply to this system." if level is None else None,
            evidence=evidence.get(key, ()),
        )
        for key, level in levels.items()
    )
    return Assessment(
        id=id or f"{assessor}-{submitted_at.isoformat()}",
        criteria_ref=ref,
        assessor=assessor,
        submitted_at=submitted_at,
        answers=answers,
        moderated=moderated,
    )


def card(levels: dict[str, int | None], **kwargs) -> Scorecard:
    """The mini-set scorecard of one assessor's assessment."""
    weights = kwargs.pop("weights", None)
    return score(MINI, [make(levels, **kwargs)], AS_OF, weights=weights)


def by_key(scorecard: Scorecard) -> dict:
    return {c.key: c for c in scorecard.criteria}


def indicator_entries(scorecard: Scorecard) -> dict:
    return {i.key: i for c in scorecard.criteria for i in c.indicators}


def ev(kind: str, title: str | None = None, **kwargs) -> Evidence:
    return Evidence(title=title or kind, kind=kind, url="https://example.org/doc", **kwargs)


def tiny_set(criteria, *, key: str = "tiny") -> CriteriaSet:
    """A hand-made set: criteria = [(key, weight, minimum, [(indicator key, weight), ...]), ...]."""
    return CriteriaSet(
        key=key,
        version=1,
        title="Tiny",
        description="Hand-made for boundary cases.",
        published=dt.date(2026, 1, 1),
        validity_days=30,
        grades=tuple(Grade(label, minimum) for label, minimum in MINI_BANDS),
        criteria=tuple(
            Criterion(
                key=c_key,
                name=c_key.title(),
                description="-",
                weight=F(c_weight),
                minimum=None if minimum is None else F(minimum),
                indicators=tuple(
                    Indicator(
                        key=i_key,
                        question="?",
                        weight=F(i_weight),
                        levels=("0", "1", "2", "3", "4"),
                        references=(Reference(source="test"),),
                    )
                    for i_key, i_weight in indicators
                ),
            )
            for c_key, c_weight, minimum, indicators in criteria
        ),
    )


def tiny_card(criteria_set: CriteriaSet, levels: dict[str, int]) -> Scorecard:
    assessment = Assessment(
        id="x",
        criteria_ref=criteria_set.ref,
        assessor="alice",
        submitted_at=AS_OF - DAY,
        answers=tuple(Answer(k, v) for k, v in levels.items()),
    )
    return score(criteria_set, [assessment], AS_OF)


# --- 1 and 2: criterion scores, effective weights, contributions, total; N/A ---------------------

# columns: levels; S_c, E_c, C_c per criterion (None = not scored); T; T as printed; grade
SCORE_CASES = [
    pytest.param(
        lv(4, 2, 3, 1, 3, 2, 4),
        # S_p = 25*(4*1 + 2*3 + 3*1)/5 = 25*13/5 = 65
        # S_o = 25*(1 + 3)/2 = 50;  S_t = 25*(2*2 + 4*1)/3 = 200/3
        {"privacy": F(65), "oversight": F(50), "openness": F(200, 3)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        # C = 65/2, 50/4 = 25/2, (200/3)/4 = 50/3
        {"privacy": F(65, 2), "oversight": F(25, 2), "openness": F(50, 3)},
        F(185, 3),  # 65/2 + 25/2 + 50/3 = 45 + 50/3 = 185/3 = 61.666...
        "61.67",
        "B",
        id="plain",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        {"privacy": F(100), "oversight": F(100), "openness": F(100)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(50), "oversight": F(25), "openness": F(25)},
        F(100),
        "100.00",
        "A",
        id="all-4",
    ),
    pytest.param(
        lv(0, 0, 0, 0, 0, 0, 0),
        {"privacy": F(0), "oversight": F(0), "openness": F(0)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(0), "oversight": F(0), "openness": F(0)},
        F(0),
        "0.00",
        "D",
        id="all-0",
    ),
    pytest.param(
        lv(3, 1, 0, 4, 2, 1, 0),
        # S_p = 25*(3 + 3 + 0)/5 = 30;  S_o = 25*(4 + 2)/2 = 75;  S_t = 25*(2*1 + 0)/3 = 50/3
        {"privacy": F(30), "oversight": F(75), "openness": F(50, 3)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(15), "oversight": F(75, 4), "openness": F(25, 6)},
        F(455, 12),  # 180/12 + 225/12 + 50/12 = 455/12 = 37.9166...
        "37.92",
        "D",
        id="mixed",
    ),
    pytest.param(
        lv(4, 2, NA, 1, 3, 2, 4),
        # p3 N/A drops out: S_p = 25*(4*1 + 2*3)/(1 + 3) = 250/4 = 125/2
        {"privacy": F(125, 2), "oversight": F(50), "openness": F(200, 3)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(125, 4), "oversight": F(25, 2), "openness": F(50, 3)},
        F(725, 12),  # 375/12 + 150/12 + 200/12 = 725/12 = 60.41666...
        "60.42",
        "B",
        id="na-p3",
    ),
    pytest.param(
        lv(4, 2, 3, 1, 3, NA, 4),
        # t1 N/A drops out: S_t = 25*(4*1)/1 = 100
        {"privacy": F(65), "oversight": F(50), "openness": F(100)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(65, 2), "oversight": F(25, 2), "openness": F(25)},
        F(70),  # 65/2 + 25/2 + 25 = 70
        "70.00",
        "B",
        id="na-t1",
    ),
    pytest.param(
        lv(4, 2, 3, 1, 3, NA, NA),
        # openness all N/A: not scored; E renormalised over 2 + 1 = 3: 2/3, 1/3
        {"privacy": F(65), "oversight": F(50), "openness": None},
        {"privacy": F(2, 3), "oversight": F(1, 3), "openness": None},
        {"privacy": F(130, 3), "oversight": F(50, 3), "openness": None},
        F(60),  # 130/3 + 50/3 = 180/3 = 60, exactly the B band's min
        "60.00",
        "B",
        id="openness-not-scored",
    ),
    pytest.param(
        lv(1, 3, NA, 2, NA, NA, NA),
        # S_p = 25*(1 + 9)/4 = 125/2;  S_o = 25*2/1 = 50;  openness not scored
        {"privacy": F(125, 2), "oversight": F(50), "openness": None},
        {"privacy": F(2, 3), "oversight": F(1, 3), "openness": None},
        {"privacy": F(125, 3), "oversight": F(50, 3), "openness": None},
        F(175, 3),  # 125/3 + 50/3 = 175/3 = 58.333...
        "58.33",
        "C",
        id="several-na",
    ),
    pytest.param(
        lv(4, 4, 3, 4, 3, 2, 1),
        # S_p = 25*(4 + 12 + 3)/5 = 95;  S_o = 25*7/2 = 175/2;  S_t = 25*(4 + 1)/3 = 125/3
        {"privacy": F(95), "oversight": F(175, 2), "openness": F(125, 3)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(95, 2), "oversight": F(175, 8), "openness": F(125, 12)},
        F(1915, 24),  # 1140/24 + 525/24 + 250/24 = 1915/24 = 79.7916...: not yet an A
        "79.79",
        "B",
        id="just-below-A",
    ),
    pytest.param(
        lv(4, 4, 1, 4, 4, 2, 2),
        # S_p = 25*(4 + 12 + 1)/5 = 85;  S_o = 100;  S_t = 25*(4 + 2)/3 = 50
        {"privacy": F(85), "oversight": F(100), "openness": F(50)},
        {"privacy": F(1, 2), "oversight": F(1, 4), "openness": F(1, 4)},
        {"privacy": F(85, 2), "oversight": F(25), "openness": F(25, 2)},
        F(80),  # 85/2 + 25 + 25/2 = 80, exactly the A band's min
        "80.00",
        "A",
        id="exactly-A",
    ),
]


@pytest.mark.parametrize(
    ("levels", "scores", "effective", "contributions", "total", "printed", "grade"), SCORE_CASES
)
def test_criterion_scores_weights_contributions_total(
    levels, scores, effective, contributions, total, printed, grade
):
    result = card(levels)
    criteria = by_key(result)
    assert [c.key for c in result.criteria] == ["privacy", "oversight", "openness"]
    for key in ("privacy", "oversight", "openness"):
        c = criteria[key]
        assert c.score == scores[key], key
        assert c.effective_weight == effective[key], key
        assert c.contribution == contributions[key], key
        assert c.scored is (scores[key] is not None), key
    assert {k: c.weight for k, c in criteria.items()} == {
        "privacy": F(2),
        "oversight": F(1),
        "openness": F(1),
    }
    assert {k: c.minimum for k, c in criteria.items()} == {
        "privacy": F(50),
        "oversight": None,
        "openness": F(25),
    }
    assert result.total == total
    assert isinstance(result.total, F)
    assert round_half_away(result.total) == Decimal(printed)
    assert str(round_half_away(result.total)) == printed
    assert result.grade == grade
    # the contributions of the scored criteria add up to the total exactly
    assert sum(c.contribution for c in result.criteria if c.scored) == result.total
    assert sum(c.effective_weight for c in result.criteria if c.scored) == 1


def test_scorecard_identifies_set_and_levels():
    result = card(lv(4, 2, NA, 1, 3, NA, 4))
    assert result.criteria_ref == "mini@1"
    assert result.criteria_sha256 == MINI.sha256
    assert len(result.criteria_sha256) == 64
    assert result.as_of == AS_OF
    entries = indicator_entries(result)
    assert {k: e.level for k, e in entries.items()} == lv(4, 2, NA, 1, 3, NA, 4)
    assert entries["p3"].not_applicable and entries["t1"].not_applicable
    assert not entries["p1"].not_applicable
    assert entries["p1"].knockout and not entries["p2"].knockout
    assert entries["t1"].weight == F(2)
    assert entries["p2"].assessor_levels == (("alice", 2),)
    assert entries["p3"].assessor_levels == (("alice", None),)


@pytest.mark.parametrize(
    ("levels", "weights", "effective", "total", "grade"),
    [
        pytest.param(
            lv(4, 2, 3, 1, 3, 2, 4),
            {"privacy": F(1), "oversight": F(1), "openness": F(2)},
            # E = 1/4, 1/4, 2/4;  S = 65, 50, 200/3
            {"privacy": F(1, 4), "oversight": F(1, 4), "openness": F(1, 2)},
            F(745, 12),  # 65/4 + 50/4 + 100/3 = 345/12 + 400/12 = 745/12 = 62.083...
            "B",
            id="override",
        ),
        pytest.param(
            lv(4, 2, 3, 1, 3, NA, NA),
            {"privacy": F(1), "oversight": F(1), "openness": F(2)},
            # openness not scored: E = 1/2, 1/2
            {"privacy": F(1, 2), "oversight": F(1, 2), "openness": None},
            F(115, 2),  # 65/2 + 50/2 = 57.5
            "C",
            id="override-renormalised",
        ),
    ],
)
def test_overriding_weights_are_renormalised(levels, weights, effective, total, grade):
    result = card(levels, weights=weights)
    criteria = by_key(result)
    assert {k: c.effective_weight for k, c in criteria.items()} == effective
    assert {k: c.weight for k, c in criteria.items()} == weights  # the weight as given
    assert result.total == total
    assert result.grade == grade


# --- 3: knockouts -------------------------------------------------------------------------------

# columns: levels; knockouts as (kind, key, value, threshold); total; grade
KNOCKOUT_CASES = [
    pytest.param(lv(4, 2, 3, 1, 3, 2, 4), set(), F(185, 3), "B", id="none"),
    pytest.param(
        lv(0, 4, 4, 4, 4, 4, 4),
        {("indicator", "p1", F(0), F(1))},
        F(90),  # S_p = 25*(0 + 12 + 4)/5 = 80 (>= 50); T = 80/2 + 25 + 25 = 90
        "A",
        id="indicator-knockout",
    ),
    pytest.param(
        lv(1, 4, 4, 4, 4, 4, 4),
        set(),
        F(185, 2),  # S_p = 25*(1 + 12 + 4)/5 = 85; T = 85/2 + 50 = 92.5
        "A",
        id="knockout-indicator-at-1-is-fine",
    ),
    pytest.param(
        lv(1, 1, 1, 4, 4, 4, 4),
        {("criterion_minimum", "privacy", F(25), F(50))},
        F(125, 2),  # S_p = 25*5/5 = 25 < 50; T = 25/2 + 25 + 25 = 62.5
        "B",
        id="privacy-below-minimum",
    ),
    pytest.param(
        lv(1, 2, 2, 4, 4, 4, 4),
        {("criterion_minimum", "privacy", F(45), F(50))},
        F(145, 2),  # S_p = 25*(1 + 6 + 2)/5 = 45 < 50; T = 45/2 + 50 = 72.5
        "B",
        id="privacy-just-below-minimum",
    ),
    pytest.param(
        lv(1, 2, 3, 4, 4, 4, 4),
        set(),
        F(75),  # S_p = 25*(1 + 6 + 3)/5 = 50 = minimum: not a knockout; T = 25 + 50
        "B",
        id="privacy-exactly-at-minimum",
    ),
    pytest.param(
        lv(1, 2, NA, 4, 4, 4, 4),
        {("criterion_minimum", "privacy", F(175, 4), F(50))},
        F(575, 8),  # S_p = 25*(1 + 6)/4 = 175/4 = 43.75; T = 175/8 + 50 = 575/8
        "B",
        id="privacy-below-minimum-with-na",
    ),
    pytest.param(
        lv(2, 2, NA, 4, 4, 4, 4),
        set(),
        F(75),  # S_p = 25*(2 + 6)/4 = 50 = minimum; T = 25 + 50
        "B",
        id="privacy-at-minimum-with-na",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 0, 2),
        {("criterion_minimum", "openness", F(50, 3), F(25))},
        F(475, 6),  # S_t = 25*(0 + 2)/3 = 50/3 < 25; T = 50 + 25 + 50/12 = 475/6 = 79.1666...
        "B",
        id="openness-below-minimum",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 1, 1),
        set(),
        F(325, 4),  # S_t = 25*(2 + 1)/3 = 25 = minimum; T = 75 + 25/4 = 81.25
        "A",
        id="openness-exactly-at-minimum",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, NA, 0),
        {("criterion_minimum", "openness", F(0), F(25))},
        F(75),  # S_t = 0 (t2 alone); T = 50 + 25 + 0
        "B",
        id="openness-zero-with-na",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, NA, NA),
        set(),
        F(100),  # openness not scored: its minimum does not apply; E = 2/3, 1/3
        "A",
        id="not-scored-criterion-never-below-minimum",
    ),
    pytest.param(
        lv(0, 1, 0, 4, 4, 0, 0),
        {
            ("indicator", "p1", F(0), F(1)),
            ("criterion_minimum", "privacy", F(15), F(50)),  # 25*(0 + 3 + 0)/5 = 15
            ("criterion_minimum", "openness", F(0), F(25)),
        },
        F(65, 2),  # 15/2 + 100/4 + 0 = 32.5
        "D",
        id="both-kinds",
    ),
]


@pytest.mark.parametrize(("levels", "knockouts", "total", "grade"), KNOCKOUT_CASES)
def test_knockouts(levels, knockouts, total, grade):
    result = card(levels)
    listed = [(k.kind, k.key, k.value, k.threshold) for k in result.knockouts]
    assert len(listed) == len(knockouts)  # each knockout listed once
    assert set(listed) == knockouts
    assert result.eligible is (not knockouts)
    assert result.total == total
    assert result.grade == grade  # reported for the ineligible too


def test_minimum_compares_the_exact_score_not_the_printed_one():
    # one criterion, minimum 80; S = 100*(999*4 + 4001*3)/(4*5000) = 100*15999/20000 = 79.995,
    # printed 80.00 but below the minimum
    tiny = tiny_set([("c", 1, 80, [("a", 999), ("b", 4001)])])
    result = tiny_card(tiny, {"a": 4, "b": 3})
    assert [(k.kind, k.key, k.value, k.threshold) for k in result.knockouts] == [
        ("criterion_minimum", "c", F(15999, 200), F(80))
    ]
    assert str(round_half_away(result.criteria[0].score)) == "80.00"
    assert result.eligible is False
    assert result.grade == "B"


# --- 4: grade boundaries on exact values --------------------------------------------------------

# columns: criteria of a hand-made set; levels; total; printed; grade
GRADE_CASES = [
    pytest.param(
        [("c", 1, None, [("a", 999), ("b", 4001)])],
        {"a": 4, "b": 3},
        F(15999, 200),  # 100*(3996 + 12003)/(4*5000) = 15999/200 = 79.995
        "80.00",
        "B",
        id="79.995-is-not-an-A",
    ),
    pytest.param(
        [("c", 1, None, [("a", 1), ("b", 4)])],
        {"a": 4, "b": 3},
        F(80),  # 100*(4 + 12)/(4*5) = 80
        "80.00",
        "A",
        id="exactly-80-is-an-A",
    ),
    pytest.param(
        [("x", 1, None, [("xa", 1)]), ("y", 15999, None, [("ya", 1), ("yb", 4)])],
        {"xa": 0, "ya": 4, "yb": 3},
        # S_x = 0, S_y = 100*(4 + 12)/20 = 80; E_y = 15999/16000
        F(15999, 200),  # 80 * 15999/16000 = 15999/200 = 79.995
        "80.00",
        "B",
        id="79.995-over-two-criteria",
    ),
    pytest.param(
        [("c", 1, None, [("a", 1999), ("b", 3001)])],
        {"a": 3, "b": 2},
        F(11999, 200),  # 100*(5997 + 6002)/20000 = 11999/200 = 59.995
        "60.00",
        "C",
        id="59.995-is-not-a-B",
    ),
    pytest.param(
        [("c", 1, None, [("a", 2), ("b", 3)])],
        {"a": 3, "b": 2},
        F(60),  # 100*(6 + 6)/(4*5) = 60
        "60.00",
        "B",
        id="exactly-60-is-a-B",
    ),
    pytest.param(
        [("c", 1, None, [("a", 2999), ("b", 2001)])],
        {"a": 2, "b": 1},
        F(7999, 200),  # 100*(5998 + 2001)/20000 = 7999/200 = 39.995
        "40.00",
        "D",
        id="39.995-is-not-a-C",
    ),
    pytest.param(
        [("c", 1, None, [("a", 3), ("b", 2)])],
        {"a": 2, "b": 1},
        F(40),  # 100*(6 + 2)/(4*5) = 40
        "40.00",
        "C",
        id="exactly-40-is-a-C",
    ),
    pytest.param([("c", 1, None, [("a", 1)])], {"a": 0}, F(0), "0.00", "D", id="zero-is-a-D"),
    pytest.param(
        [("c", 1, None, [("a", 1)])], {"a": 4}, F(100), "100.00", "A", id="hundred-is-an-A"
    ),
]


@pytest.mark.parametrize(("criteria", "levels", "total", "printed", "grade"), GRADE_CASES)
def test_grade_uses_the_exact_total(criteria, levels, total, printed, grade):
    result = tiny_card(tiny_set(criteria), levels)
    assert result.total == total
    assert str(round_half_away(result.total)) == printed
    assert result.grade == grade
    assert sum(c.contribution for c in result.criteria) == result.total


# --- 5: rounding, half away from zero, only when written out ------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        pytest.param(F(1, 200), 2, "0.01", id="0.005"),
        pytest.param(F(3, 200), 2, "0.02", id="0.015"),
        pytest.param(F(107, 40), 2, "2.68", id="2.675"),  # 2675/1000 = 107/40
        pytest.param(F(1, 8), 2, "0.13", id="0.125-not-bankers"),
        pytest.param(F(5, 8), 2, "0.63", id="0.625-not-bankers"),
        pytest.param(F(1, 3), 2, "0.33", id="1/3"),
        pytest.param(F(2, 3), 2, "0.67", id="2/3"),
        pytest.param(F(-1, 200), 2, "-0.01", id="-0.005"),
        pytest.param(F(-107, 40), 2, "-2.68", id="-2.675"),
        pytest.param(F(-1, 3), 2, "-0.33", id="-1/3"),
        pytest.param(F(100), 2, "100.00", id="100"),
        pytest.param(F(0), 2, "0.00", id="0"),
        pytest.param(F(49, 10000), 2, "0.00", id="0.0049"),
        pytest.param(F(1, 201), 2, "0.00", id="just-under-half"),
        pytest.param(F(15999, 200), 2, "80.00", id="79.995"),
        pytest.param(F(185, 3), 2, "61.67", id="185/3"),
        pytest.param(F(1, 3), 4, "0.3333", id="1/3-4-places"),
        pytest.param(F(2, 3), 4, "0.6667", id="2/3-4-places"),
        pytest.param(F(1, 20000), 4, "0.0001", id="0.00005-4-places"),
    ],
)
def test_round_half_away(value, places, expected):
    rounded = round_half_away(value, places)
    assert isinstance(rounded, Decimal)
    assert rounded == Decimal(expected)
    assert str(rounded) == expected


def test_round_half_away_defaults_to_two_places():
    assert str(round_half_away(F(1, 200))) == "0.01"


# --- 6: several assessors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        pytest.param([3], 3, id="one"),
        pytest.param([1, 3], 1, id="two-lower"),
        pytest.param([3, 1], 1, id="two-unsorted"),
        pytest.param([0, 2, 4], 2, id="three"),
        pytest.param([4, 0, 2], 2, id="three-unsorted"),
        pytest.param([1, 2, 3, 4], 2, id="four"),
        pytest.param([4, 4, 2, 2], 2, id="four-pairs"),
        pytest.param([0, 0, 4, 4, 4], 4, id="five"),
    ],
)
def test_lower_median(levels, expected):
    assert lower_median(levels) == expected


# The o2 answers of several assessors (o1 = 4 and everything else 4 for all of them):
# S_o = 25*(4 + L)/2, or 100 when o2 is N/A; T = 50 + S_o/4 + 25 = 75 + S_o/4.
MEDIAN_CASES = [
    pytest.param([1, 3], 1, 2, F(125, 2), F(725, 8), id="two-1-3"),  # 25*5/2; 75 + 125/8
    pytest.param([0, 2, 4], 2, 4, F(75), F(375, 4), id="three-0-2-4"),  # 25*6/2; 75 + 75/4
    pytest.param([1, 2, 3, 4], 2, 3, F(75), F(375, 4), id="four-1-2-3-4"),
    pytest.param([2, 3], 2, None, F(75), F(375, 4), id="spread-1-no-disagreement"),
    pytest.param([NA, 3], 3, None, F(175, 2), F(775, 8), id="na-ignored"),  # 25*7/2; 75+175/8
    pytest.param([NA, 1, 3, NA], 1, 2, F(125, 2), F(725, 8), id="na-ignored-in-spread"),
    pytest.param([NA, 0, 4], 0, 4, F(50), F(175, 2), id="na-ignored-two-left"),  # 75 + 50/4
    pytest.param([NA, NA], NA, None, F(100), F(100), id="all-na-is-na"),
    pytest.param([4, 4, 4], 4, None, F(100), F(100), id="agreement"),
]


@pytest.mark.parametrize(("o2", "combined", "spread", "s_o", "total"), MEDIAN_CASES)
def test_several_assessors_combine_by_lower_median(o2, combined, spread, s_o, total):
    names = ["alice", "bob", "carol", "dave"][: len(o2)]
    assessments = [
        make(lv(4, 4, 4, 4, level, 4, 4), assessor=name)
        for name, level in zip(names, o2, strict=True)
    ]
    result = score(MINI, assessments, AS_OF)
    entry = indicator_entries(result)["o2"]
    assert entry.level == combined
    assert dict(entry.assessor_levels) == dict(zip(names, o2, strict=True))
    assert by_key(result)["oversight"].score == s_o
    assert result.total == total
    assert sorted(result.assessors) == sorted(names)
    if spread is None:
        assert result.disagreements == ()
        assert result.needs_moderation is False
    else:
        [disagreement] = result.disagreements
        assert disagreement.indicator == "o2"
        assert disagreement.spread == spread
        assert dict(disagreement.assessor_levels) == dict(zip(names, o2, strict=True))
        assert result.needs_moderation is True


def test_three_assessors_full_scorecard():
    assessments = [
        make(lv(1, 0, NA, 2, 4, NA, 3), assessor="alice"),
        make(lv(3, 2, NA, 3, NA, NA, 3), assessor="bob"),
        make(lv(2, 4, 1, 2, NA, NA, 4), assessor="carol"),
    ]
    result = score(MINI, assessments, AS_OF)
    # p1 [1,3,2] -> 2; p2 [0,2,4] -> 2; p3 [1] -> 1; o1 [2,3,2] -> 2; o2 [4] -> 4;
    # t1 all N/A -> N/A; t2 [3,3,4] -> 3
    assert {k: e.level for k, e in indicator_entries(result).items()} == lv(2, 2, 1, 2, 4, NA, 3)
    criteria = by_key(result)
    assert criteria["privacy"].score == F(45)  # 25*(2 + 6 + 1)/5 = 45 < 50
    assert criteria["oversight"].score == F(75)  # 25*(2 + 4)/2
    assert criteria["openness"].score == F(75)  # 25*3/1 (t1 N/A)
    assert result.total == F(60)  # 45/2 + 75/4 + 75/4 = 22.5 + 37.5
    assert result.grade == "B"
    assert [(k.kind, k.key, k.value, k.threshold) for k in result.knockouts] == [
        ("criterion_minimum", "privacy", F(45), F(50))
    ]
    assert result.eligible is False
    # p1 spread 3 - 1 = 2 and p2 spread 4 - 0 = 4 are disagreements; o1 and t2 (spread 1) not
    assert {d.indicator: d.spread for d in result.disagreements} == {"p1": 2, "p2": 4}
    assert {d.indicator: dict(d.assessor_levels) for d in result.disagreements} == {
        "p1": {"alice": 1, "bob": 3, "carol": 2},
        "p2": {"alice": 0, "bob": 2, "carol": 4},
    }
    assert result.needs_moderation is True
    assert set(result.assessors) == {"alice", "bob", "carol"}
    assert result.moderated is False


def test_latest_assessment_of_each_assessor_wins():
    early = make(lv(0, 0, 0, 0, 0, 0, 0), id="alice-early", submitted_at=AS_OF - 10 * DAY)
    late = make(lv(4, 2, 3, 1, 3, 2, 4), id="alice-late", submitted_at=AS_OF - 2 * DAY)
    for order in ([early, late], [late, early]):
        result = score(MINI, order, AS_OF)
        assert [a.id for a in result.assessments] == ["alice-late"]
        assert result.total == F(185, 3)  # the "plain" case
        assert result.disagreements == ()  # alice does not disagree with herself


def test_latest_of_each_assessor_with_several_assessors():
    assessments = [
        make(lv(0, 0, 0, 0, 0, 0, 0), assessor="alice", id="a1", submitted_at=AS_OF - 9 * DAY),
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="alice", id="a2", submitted_at=AS_OF - 3 * DAY),
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="bob", id="b1", submitted_at=AS_OF - 5 * DAY),
    ]
    used = current_assessments(assessments, MINI, AS_OF)
    assert sorted(a.id for a in used) == ["a2", "b1"]
    result = score(MINI, assessments, AS_OF)
    assert result.total == F(100)
    assert result.needs_moderation is False


def test_a_whole_moderated_assessment_settles_every_indicator_and_the_latest_wins():
    """Section 7 (v2): a moderated assessment is a moderation of every indicator; the
    assessors' assessments stay in use (their disagreements show, settled)."""
    assessments = [
        make(lv(0, 0, 0, 0, 0, 0, 0), assessor="alice", submitted_at=AS_OF - 9 * DAY),
        # bob's is the latest of all, yet the moderation settles every indicator
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="bob", submitted_at=AS_OF - DAY),
        make(
            lv(1, 1, 1, 1, 1, 1, 1),
            assessor="moira",
            id="mod-early",
            submitted_at=AS_OF - 6 * DAY,
            moderated=True,
        ),
        make(
            lv(4, 2, 3, 1, 3, 2, 4),
            assessor="max",
            id="mod-late",
            submitted_at=AS_OF - 4 * DAY,
            moderated=True,
        ),
    ]
    result = score(MINI, assessments, AS_OF)
    assert result.assessors == ("alice", "bob")
    assert [m.id for m in result.moderations] == ["mod-late"]  # mod-early replaced whole
    assert result.moderations[0].indicators == KEYS
    assert result.moderated is True
    assert result.total == F(185, 3)  # the "plain" case: mod-late's levels
    # alice (0s) and bob (4s) disagree on every indicator; max settled each.
    assert [d.indicator for d in result.disagreements] == list(KEYS)
    assert all(d.settled.moderator == "max" for d in result.disagreements)
    assert result.disagreements[0].settled.level == 4
    assert result.needs_moderation is False
    p1 = indicator_entries(result)["p1"]
    assert (p1.level, p1.assessor_levels, p1.settled_by) == (4, (("alice", 0), ("bob", 4)), "max")


def test_moderated_assessment_after_as_of_or_expired_is_ignored():
    assessments = [
        make(lv(4, 2, 3, 1, 3, 2, 4), assessor="alice", id="alice"),
        make(lv(0, 0, 0, 0, 0, 0, 0), id="mod-future", submitted_at=AS_OF + SECOND, moderated=True),
        make(
            lv(0, 0, 0, 0, 0, 0, 0),
            id="mod-expired",
            submitted_at=AS_OF - 30 * DAY - SECOND,
            moderated=True,
        ),
    ]
    result = score(MINI, assessments, AS_OF)
    assert [a.id for a in result.assessments] == ["alice"]
    assert result.moderated is False
    assert result.total == F(185, 3)


def test_assessments_against_another_criteria_ref_are_ignored():
    assessments = [
        make(lv(4, 2, 3, 1, 3, 2, 4), assessor="alice", id="mine", submitted_at=AS_OF - 5 * DAY),
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="alice", id="v2", ref="mini@2"),
        make(lv(0, 0, 0, 0, 0, 0, 0), assessor="bob", id="other", ref="other@1"),
        make(lv(0, 0, 0, 0, 0, 0, 0), id="other-mod", ref="mini@2", moderated=True),
    ]
    result = score(MINI, assessments, AS_OF)
    assert [a.id for a in result.assessments] == ["mine"]
    assert result.total == F(185, 3)
    assert result.disagreements == ()


# --- 7: expiry and as_of ------------------------------------------------------------------------


# columns: (id, assessor, submitted_at) of each assessment; the ids used
EXPIRY_CASES = [
    pytest.param([("a", "alice", AS_OF)], ["a"], id="submitted-exactly-at-as-of"),
    pytest.param([("a", "alice", AS_OF - 30 * DAY)], ["a"], id="exactly-at-expiry-counts"),
    pytest.param(
        [("a", "alice", AS_OF - 31 * DAY), ("b", "bob", AS_OF - DAY)], ["b"], id="expired-dropped"
    ),
    pytest.param(
        [("a", "alice", AS_OF - 30 * DAY - SECOND), ("b", "bob", AS_OF - DAY)],
        ["b"],
        id="one-second-past-expiry-dropped",
    ),
    pytest.param(
        [("a", "alice", AS_OF + SECOND), ("b", "bob", AS_OF - DAY)], ["b"], id="future-dropped"
    ),
    pytest.param(
        [("old", "alice", AS_OF - 3 * DAY), ("new", "alice", AS_OF + DAY)],
        ["old"],
        id="latest-at-or-before-as-of",
    ),
    pytest.param(
        [("old", "alice", AS_OF - 40 * DAY), ("new", "alice", AS_OF - 2 * DAY)],
        ["new"],
        id="latest-current",
    ),
]


@pytest.mark.parametrize(("submitted", "used"), EXPIRY_CASES)
def test_expiry_and_as_of(submitted, used):
    assessments = [
        make(lv(4, 2, 3, 1, 3, 2, 4), id=id_, assessor=assessor, submitted_at=at)
        for id_, assessor, at in submitted
    ]
    result = score(MINI, assessments, AS_OF)
    assert sorted(a.id for a in result.assessments) == used


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        pytest.param([], r"no assessment against mini@1", id="none"),
        pytest.param(
            [("x", "alice", AS_OF - DAY, "other@1"), ("y", "bob", AS_OF - DAY, "mini@2")],
            r"no assessment against mini@1",
            id="other-set-only",
        ),
        pytest.param(
            [("x", "alice", AS_OF + SECOND, "mini@1")], r"submitted after", id="all-in-the-future"
        ),
        pytest.param(
            [("x", "alice", AS_OF - 30 * DAY - SECOND, "mini@1")],
            r"expired.*30 days",
            id="all-expired",
        ),
        pytest.param(
            [
                ("x", "alice", AS_OF - 31 * DAY, "mini@1"),
                ("y", "bob", AS_OF + DAY, "mini@1"),
            ],
            r"expired",
            id="expired-and-future",
        ),
    ],
)
def test_no_current_assessment_says_why(submitted, expected):
    assessments = [
        make(lv(4, 4, 4, 4, 4, 4, 4), id=id_, assessor=assessor, submitted_at=at, ref=ref)
        for id_, assessor, at, ref in submitted
    ]
    with pytest.raises(NoCurrentAssessment, match=expected):
        score(MINI, assessments, AS_OF)


def test_valid_until_is_the_earliest_expiry_of_those_used():
    assessments = [
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="alice", submitted_at=AS_OF - 20 * DAY),
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="bob", submitted_at=AS_OF - 5 * DAY),
        # expired: not used, so its (earlier) expiry does not count
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="carol", submitted_at=AS_OF - 31 * DAY),
    ]
    result = score(MINI, assessments, AS_OF)
    # alice: (AS_OF - 20 days) + 30 days = AS_OF + 10 days; bob: AS_OF + 25 days
    assert result.valid_until == AS_OF + 10 * DAY
    assert {a.assessor: a.expires_at for a in result.assessments} == {
        "alice": AS_OF + 10 * DAY,
        "bob": AS_OF + 25 * DAY,
    }


def test_valid_until_of_an_assessment_exactly_at_expiry_is_as_of():
    result = score(MINI, [make(lv(4, 4, 4, 4, 4, 4, 4), submitted_at=AS_OF - 30 * DAY)], AS_OF)
    assert result.valid_until == AS_OF


# --- 8: confidence ------------------------------------------------------------------------------

TODAY = AS_OF.date()
IV, DOC, SD = "independently_verified", "documented", "self_declared"


def test_confidence_factors_strongest_current_item_and_stale_evidence():
    evidence = {
        "p1": (ev(IV),),
        "p2": (ev(SD, "p2-sd"), ev(DOC, "p2-doc")),  # the strongest: 0.7
        # p3: none -> 0
        "o1": (ev(SD),),
        "o2": (
            ev(IV, "o2-expired", valid_until=TODAY - DAY),  # stale: does not count
            ev(SD, "o2-sd"),
        ),
        "t1": (ev(DOC, "t1-future", effective_date=TODAY + DAY),),  # stale -> 0
        "t2": (ev(DOC, "t2-today", effective_date=TODAY, valid_until=TODAY),),  # counts
    }
    result = card(lv(4, 2, 3, 1, 3, 2, 4), evidence=evidence)
    factors = {k: e.evidence_factor for k, e in indicator_entries(result).items()}
    assert factors == {
        "p1": F(1),
        "p2": F(7, 10),
        "p3": F(0),
        "o1": F(3, 10),
        "o2": F(3, 10),
        "t1": F(0),
        "t2": F(7, 10),
    }
    # privacy (1*1 + 3*0.7 + 1*0)/5 = 0.62; oversight (0.3 + 0.3)/2 = 0.3;
    # openness (2*0 + 1*0.7)/3 = 7/30
    # 100*(0.62/2 + 0.3/4 + (7/30)/4) = 31 + 7.5 + 35/6 = 133/3 = 44.33...
    assert result.confidence.score == F(133, 3)
    assert result.confidence.band == "medium"
    stale = {
        (s.indicator, s.assessor, s.evidence.title, s.reason)
        for s in result.confidence.stale_evidence
    }
    assert stale == {
        ("o2", "alice", "o2-expired", "expired"),
        ("t1", "alice", "t1-future", "not_yet_effective"),
    }
    assert len(result.confidence.stale_evidence) == 2


# columns: levels; evidence kind of each indicator (one item, or none); confidence; band
CONFIDENCE_CASES = [
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        dict.fromkeys(KEYS, IV),
        F(100),
        "high",
        id="all-verified",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        dict.fromkeys(KEYS, DOC),
        F(70),  # 100*0.7
        "medium",
        id="all-documented",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        dict.fromkeys(KEYS, SD),
        F(30),  # 100*0.3
        "low",
        id="all-self-declared",
    ),
    pytest.param(lv(4, 4, 4, 4, 4, 4, 4), {}, F(0), "low", id="no-evidence"),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        {"p1": IV, "p2": IV, "p3": IV, "o1": IV, "o2": IV},
        F(75),  # 100*(1/2*1 + 1/4*1 + 1/4*0) = 75
        "high",
        id="exactly-75-is-high",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        {"p1": IV, "p2": IV, "p3": DOC, "o1": IV, "o2": IV, "t2": SD},
        # privacy (1 + 3 + 0.7)/5 = 0.94 -> 47; oversight 25; openness (0 + 0.3)/3 = 0.1 -> 2.5
        F(149, 2),  # 74.5
        "medium",
        id="74.5-is-medium",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        {"p1": SD, "p2": SD, "p3": SD, "o1": IV, "o2": IV},
        F(40),  # 100*(0.3/2 + 1/4) = 15 + 25 = 40
        "medium",
        id="exactly-40-is-medium",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, 4, 4),
        {"p1": SD, "p2": SD, "p3": SD, "o1": IV, "o2": DOC, "t2": SD},
        # 15 + 100*(1.7/2)/4 = 21.25 + 100*(0.3/3)/4 = 2.5
        F(155, 4),  # 38.75
        "low",
        id="38.75-is-low",
    ),
    pytest.param(
        lv(4, 4, NA, 4, NA, NA, 4),
        # p3 N/A: its (strong) evidence does not count, nor its weight
        {"p1": IV, "p2": IV, "p3": IV, "o1": DOC, "t1": IV, "t2": SD},
        # privacy (1 + 3)/4 = 1 -> 50; oversight 0.7 -> 17.5; openness 0.3 -> 7.5
        F(75),
        "high",
        id="na-indicators-drop-out",
    ),
    pytest.param(
        lv(4, 4, 4, 4, 4, NA, NA),
        {"p1": SD, "p2": SD, "p3": SD, "t1": IV, "t2": IV},
        F(20),  # openness not scored: E = 2/3, 1/3; 100*(2/3*0.3 + 1/3*0) = 20
        "low",
        id="not-scored-criterion-drops-out",
    ),
]


@pytest.mark.parametrize(("levels", "kinds", "confidence", "band"), CONFIDENCE_CASES)
def test_confidence_score_and_band(levels, kinds, confidence, band):
    result = card(levels, evidence={k: (ev(kind),) for k, kind in kinds.items()})
    assert result.confidence.score == confidence
    assert result.confidence.band == band
    assert result.confidence.stale_evidence == ()


def test_na_indicator_has_no_evidence_factor():
    result = card(lv(4, 4, NA, 4, 4, 4, 4), evidence={"p3": (ev(IV),)})
    assert indicator_entries(result)["p3"].evidence_factor is None


def test_evidence_of_all_assessors_counts():
    assessments = [
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="alice", evidence={"p1": (ev(SD),)}),
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="bob", evidence={"p1": (ev(IV),)}),
        make(lv(4, 4, 4, 4, 4, 4, 4), assessor="carol", evidence={"p2": (ev(DOC),)}),
    ]
    result = score(MINI, assessments, AS_OF)
    factors = {k: e.evidence_factor for k, e in indicator_entries(result).items()}
    assert factors["p1"] == F(1)  # bob's verified item beats alice's self-declared one
    assert factors["p2"] == F(7, 10)  # carol's item counts too
    # privacy (1*1 + 3*0.7 + 0)/5 = 3.1/5 = 0.62; 100*0.62/2 = 31
    assert result.confidence.score == F(31)
    assert result.confidence.band == "low"


def test_stale_evidence_of_every_assessor_is_listed():
    assessments = [
        make(
            lv(4, 4, 4, 4, 4, 4, 4),
            assessor="alice",
            evidence={"o1": (ev(IV, "old", valid_until=TODAY - DAY),)},
        ),
        make(
            lv(4, 4, 4, 4, 4, 4, 4),
            assessor="bob",
            evidence={"o1": (ev(DOC, "soon", effective_date=TODAY + DAY),)},
        ),
    ]
    result = score(MINI, assessments, AS_OF)
    assert indicator_entries(result)["o1"].evidence_factor == F(0)
    assert result.confidence.score == F(0)
    assert {
        (s.indicator, s.assessor, s.evidence.title, s.reason)
        for s in result.confidence.stale_evidence
    } == {("o1", "alice", "old", "expired"), ("o1", "bob", "soon", "not_yet_effective")}


# --- 9: improvement plan ------------------------------------------------------------------------

# gain_i = 100 * E_c * w_i / sum(w_j for j in A(c)) / 4
PLAN_CASES = [
    pytest.param(
        lv(0, 1, 2, 3, NA, 0, 1),
        # S_p = 25*(0 + 3 + 2)/5 = 25 < 50; S_o = 75 (o1 alone); S_t = 25*(0 + 1)/3 = 25/3 < 25
        # gains: privacy 100*(1/2)*w/5/4 = 5w/2; oversight 100*(1/4)*1/1/4 = 25/4;
        #        openness 100*(1/4)*w/3/4 = 25w/12
        [
            # the p1 knockout: 0 -> 1 (privacy sum w*L: 5 -> 6)
            ("p1", "privacy", 0, 1, F(5, 2), True),
            # privacy to 50 needs sum w*L >= 10: p2 (w3) 1 -> 2 (9), 2 -> 3 (12)
            ("p2", "privacy", 1, 2, F(15, 2), True),
            ("p2", "privacy", 2, 3, F(15, 2), True),
            # openness to 25 needs sum w*L >= 3: t1 (w2) 0 -> 1 (1 + 2 = 3)
            ("t1", "openness", 0, 1, F(25, 6), True),
            # then the rest by gain: o1 25/4 > p3 5/2 > t2 25/12; o2 N/A gets nothing
            ("o1", "oversight", 3, 4, F(25, 4), False),
            ("p3", "privacy", 2, 3, F(5, 2), False),
            ("t2", "openness", 1, 2, F(25, 12), False),
        ],
        id="knockout-then-minimums-then-rest",
    ),
    pytest.param(
        lv(3, 4, 2, 2, 3, NA, 3),
        # eligible. gains: t2 100*(1/4)*1/1/4 = 25/4; o1, o2 100*(1/4)*1/2/4 = 25/8;
        # p1, p3 100*(1/2)*1/5/4 = 5/2; p2 at 4 and t1 N/A: no step
        [
            ("t2", "openness", 3, 4, F(25, 4), False),
            ("o1", "oversight", 2, 3, F(25, 8), False),  # tie with o2: by key
            ("o2", "oversight", 3, 4, F(25, 8), False),
            ("p1", "privacy", 3, 4, F(5, 2), False),  # tie with p3: by key
            ("p3", "privacy", 2, 3, F(5, 2), False),
        ],
        id="by-gain-ties-by-key",
    ),
    pytest.param(
        lv(0, 4, 4, 4, 4, 4, 4),
        # the knockout step lifts S_p from 80 to 85: no minimum step; nothing else below 4
        [("p1", "privacy", 0, 1, F(5, 2), True)],
        id="knockout-only",
    ),
    pytest.param(
        lv(0, 3, 0, 4, 4, 4, 4),
        # S_p = 25*9/5 = 45 < 50; the p1 step (sum 9 -> 10) lifts it to 50: no minimum step
        [
            ("p1", "privacy", 0, 1, F(5, 2), True),
            ("p2", "privacy", 3, 4, F(15, 2), False),
            ("p3", "privacy", 0, 1, F(5, 2), False),
        ],
        id="knockout-step-counts-toward-minimum",
    ),
    pytest.param(
        lv(4, 4, 4, 3, NA, NA, NA),
        # openness not scored (its minimum never applies); E = 2/3, 1/3;
        # o1 alone: 100*(1/3)*1/1/4 = 25/3
        [("o1", "oversight", 3, 4, F(25, 3), False)],
        id="not-scored-criterion-gets-no-step",
    ),
    pytest.param(lv(4, 4, 4, 4, 4, 4, 4), [], id="nothing-to-improve"),
    pytest.param(lv(4, 4, NA, 4, NA, NA, 4), [], id="only-na-below-4"),
]


@pytest.mark.parametrize(("levels", "plan"), PLAN_CASES)
def test_improvement_plan(levels, plan):
    result = card(levels)
    steps = [
        (s.indicator, s.criterion, s.from_level, s.to_level, s.gain, s.clears_knockout)
        for s in result.improvement_plan
    ]
    assert steps == plan


def test_improvement_plan_minimum_steps_greedy_heaviest_then_key():
    # one criterion, minimum 75, indicators in set order b (w1), a (w1), z (w2), all at level 1:
    # S = 100*(1 + 1 + 2)/(4*4) = 25. Reaching 75 needs sum w*L >= 12 (from 4):
    # z 1->2 (6), 2->3 (8), 3->4 (10); then a and b tie on weight, a first by key:
    # a 1->2 (11), a 2->3 (12). Gains: 100*1*w/4/4 = 25w/4.
    tiny = tiny_set([("c", 1, 75, [("b", 1), ("a", 1), ("z", 2)])], key="greedy")
    result = tiny_card(tiny, {"b": 1, "a": 1, "z": 1})
    assert [(k.kind, k.key, k.value, k.threshold) for k in result.knockouts] == [
        ("criterion_minimum", "c", F(25), F(75))
    ]
    steps = [
        (s.indicator, s.criterion, s.from_level, s.to_level, s.gain, s.clears_knockout)
        for s in result.improvement_plan
    ]
    assert steps == [
        ("z", "c", 1, 2, F(25, 2), True),
        ("z", "c", 2, 3, F(25, 2), True),
        ("z", "c", 3, 4, F(25, 2), True),
        ("a", "c", 1, 2, F(25, 4), True),
        ("a", "c", 2, 3, F(25, 4), True),
        ("b", "c", 1, 2, F(25, 4), False),
    ]


# --- 10: properties over the mini set -----------------------------------------------------------

LEVEL = st.integers(min_value=0, max_value=4)
LEVEL_OR_NA = st.one_of(st.none(), LEVEL)
# p1, p2 and o1 do not allow N/A, so every assessment has at least one level
MINI_LEVELS = st.fixed_dictionaries(
    {
        "p1": LEVEL,
        "p2": LEVEL,
        "p3": LEVEL_OR_NA,
        "o1": LEVEL,
        "o2": LEVEL_OR_NA,
        "t1": LEVEL_OR_NA,
        "t2": LEVEL_OR_NA,
    }
)
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(levels=MINI_LEVELS)
def test_property_contributions_total_and_grade(levels):
    result = card(levels)
    scored = [c for c in result.criteria if c.scored]
    assert scored  # at least one level, so at least one scored criterion
    assert sum(c.contribution for c in scored) == result.total
    assert sum(c.effective_weight for c in scored) == 1
    for c in result.criteria:
        if c.scored:
            assert 0 <= c.score <= 100
            assert c.contribution == c.effective_weight * c.score
        else:
            assert c.effective_weight is None and c.contribution is None
            assert all(i.level is None for i in c.indicators)
    assert 0 <= result.total <= 100
    assert result.grade == next(label for label, minimum in MINI_BANDS if result.total >= minimum)
    assert result.eligible is (result.knockouts == ())
    assert 0 <= result.confidence.score <= 100


@PROPERTY_SETTINGS
@given(levels=MINI_LEVELS)
def test_property_raising_one_level_adds_exactly_its_gain(levels):
    result = card(levels)
    gains: dict[str, set] = {}
    for step in result.improvement_plan:
        gains.setdefault(step.indicator, set()).add(step.gain)
        assert step.to_level == step.from_level + 1
        assert step.criterion == CRITERION_OF[step.indicator]
    below_top = {k for k, level in levels.items() if level is not None and level < 4}
    # every answered indicator below 4 has a step, and nothing else has one
    assert set(gains) == below_top
    for key in below_top:
        raised = {**levels, key: levels[key] + 1}
        difference = card(raised).total - result.total
        assert difference > 0  # raising a level never lowers the total
        assert gains[key] == {difference}  # the plan's gain, the same for every step of key


@PROPERTY_SETTINGS
@given(levels=MINI_LEVELS)
def test_property_knockout_steps_come_first_and_clear_every_knockout(levels):
    result = card(levels)
    flags = [s.clears_knockout for s in result.improvement_plan]
    assert flags == sorted(flags, reverse=True)  # the clearing steps form a prefix
    raised = dict(levels)
    for step in result.improvement_plan:
        if step.clears_knockout:
            assert raised[step.indicator] == step.from_level
            raised[step.indicator] = step.to_level
    assert card(raised).eligible is True
    assert any(flags) is (not result.eligible)


@PROPERTY_SETTINGS
@given(levels=MINI_LEVELS, count=st.integers(min_value=2, max_value=4))
def test_property_assessors_who_agree_score_like_one(levels, count):
    alone = card(levels)
    together = score(MINI, [make(levels, assessor=f"assessor-{n}") for n in range(count)], AS_OF)
    assert together.total == alone.total
    assert [(k.kind, k.key, k.value, k.threshold) for k in together.knockouts] == [
        (k.kind, k.key, k.value, k.threshold) for k in alone.knockouts
    ]
    # Every assessor put each knockout there: none rests on one evaluator's mark.
    assert all(len(k.assessors) == count for k in together.knockouts)
    assert together.improvement_plan == alone.improvement_plan
    assert together.needs_moderation is False
    assert len(together.assessments) == count
