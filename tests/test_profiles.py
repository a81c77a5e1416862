"""Profiles, impact tiers and applicability (scoring contract, section 12), worked out by hand on
tests/criteria-profiled/profiled-1.yaml, and the loader's rules for them.

The set: profile questions `model` (1 point) and `biometric` (3 points); tiers standard (0) and
high (3). Criteria data (weight 2: d1 weight 1 with minimum level 1, 3 in the high tier; d2
weight 3), model (weight 1, only for a system with a model: m1, and m2 only if biometric too)
and faces (weight 1: b1, a knockout, only if biometric).

With d1 = d2 = 2, m1 = 4, m2 = 2, b1 = 1:
- model yes, biometric no (1 point, standard): d1, d2, m1 apply; data 100 * (2 + 6) / 16 = 50,
  model 100, faces not scored; total (2 * 50 + 100) / 3 = 200/3 = 66.67, eligible.
- both yes (4 points, high): everything applies; model 100 * (4 + 2) / 8 = 75, faces 25; total
  (2 * 50 + 75 + 25) / 4 = 50; d1 at 2 is under the high tier's minimum 3: ineligible.
"""

import copy
import datetime as dt
from fractions import Fraction as F
from pathlib import Path

import pytest
import yaml

from ethics_api.criteria import CriteriaError, load_file
from ethics_api.scoring import Answer, Assessment, score

from conftest import PROFILED_CRITERIA

PROFILED_PATH = PROFILED_CRITERIA / "profiled-1.yaml"
PROFILED = load_file(PROFILED_PATH)
AS_OF = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
LEVELS = {"d1": 2, "d2": 2, "m1": 4, "m2": 2, "b1": 1}
MODEL_ONLY = {"model": True, "biometric": False}
BOTH = {"model": True, "biometric": True}


def assessment(levels: dict, assessor: str = "alice") -> Assessment:
    return Assessment(
        id=f"a-{assessor}",
        criteria_ref="profiled@1",
        assessor=assessor,
        submitted_at=AS_OF - dt.timedelta(days=1),
        answers=tuple(Answer(key, level) for key, level in levels.items()),
    )


def card(profile, levels=LEVELS, *more):
    applicability = PROFILED.applicability(profile) if profile is not None else None
    return score(PROFILED, [assessment(levels), *more], AS_OF, applicability=applicability)


def by_key(scorecard) -> dict:
    return {i.key: i for c in scorecard.criteria for i in c.indicators}


# --- tiers and what applies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "points", "tier"),
    [
        ({"model": False, "biometric": False}, 0, "standard"),
        ({"model": True, "biometric": False}, 1, "standard"),
        ({"model": False, "biometric": True}, 3, "high"),
        ({"model": True, "biometric": True}, 4, "high"),
    ],
)
def test_the_tier_is_the_highest_whose_min_points_the_yes_answers_reach(answers, points, tier):
    applicability = PROFILED.applicability(answers)
    assert (applicability.points, applicability.tier) == (points, tier)


@pytest.mark.parametrize(
    ("answers", "applying"),
    [
        ({"model": False, "biometric": False}, {"d1", "d2"}),
        ({"model": True, "biometric": False}, {"d1", "d2", "m1"}),
        # m2 needs its criterion's `model` and its own `biometric`: both must be yes.
        ({"model": False, "biometric": True}, {"d1", "d2", "b1"}),
        ({"model": True, "biometric": True}, {"d1", "d2", "m1", "m2", "b1"}),
    ],
)
def test_applies_if_needs_every_named_question_answered_yes(answers, applying):
    assert PROFILED.applicability(answers).indicators == applying


def test_a_standalone_scope_applies_everything_in_the_highest_tier():
    standalone = PROFILED.applicability(None)
    assert standalone.indicators == {"d1", "d2", "m1", "m2", "b1"}
    assert standalone.tier == "high"
    assert standalone.profile is None


def test_a_set_without_a_profile_applies_everything_and_has_no_tier():
    mini = load_file(Path(__file__).parent / "criteria" / "mini-1.yaml")
    in_procurement = mini.in_procurement(None)
    assert in_procurement.indicators == {i.key for i in mini.indicators}
    assert in_procurement.tier is None


# --- scoring by what applies --------------------------------------------------------------------


def test_what_does_not_apply_is_left_out_as_na_is_worked_by_hand():
    result = card(MODEL_ONLY)
    scores = {c.key: c.score for c in result.criteria}
    assert scores == {"data": F(50), "model": F(100), "faces": None}
    assert result.total == F(200, 3)
    assert result.eligible and result.grade == "B"
    effective = {c.key: c.effective_weight for c in result.criteria}
    assert effective == {"data": F(2, 3), "model": F(1, 3), "faces": None}
    indicators = by_key(result)
    # The answers given to m2 and b1 (a standalone assessment answers everything) are ignored.
    assert (indicators["b1"].applies, indicators["b1"].level) == (False, None)
    assert indicators["b1"].assessor_levels == ()
    assert (indicators["m2"].applies, indicators["m2"].level) == (False, None)
    assert indicators["m1"].applies and indicators["m1"].level == 4
    assert (result.profile, result.tier) == (MODEL_ONLY, "standard")


def test_the_tiers_minimum_level_knocks_a_bidder_out_worked_by_hand():
    result = card(BOTH)
    assert {c.key: c.score for c in result.criteria} == {
        "data": F(50),
        "model": F(75),
        "faces": F(25),
    }
    assert result.total == F(50)
    [knockout] = result.knockouts
    assert (knockout.kind, knockout.key, knockout.value, knockout.threshold) == (
        "indicator_minimum",
        "d1",
        2,
        3,
    )
    assert knockout.assessors == ("alice",)
    assert not result.eligible
    assert by_key(result)["d1"].minimum_level == 3
    # The same marks in the standard tier keep the bidder in: d1's own minimum there is 1.
    assert card(MODEL_ONLY).knockouts == ()
    assert by_key(card(MODEL_ONLY))["d1"].minimum_level == 1


def test_a_knockout_that_does_not_apply_knocks_nobody_out():
    levels = {**LEVELS, "b1": 0}
    assert card(MODEL_ONLY, levels).eligible
    assert [k.key for k in card(BOTH, {**levels, "d1": 3}).knockouts] == ["b1"]


def test_a_standalone_scorecard_holds_the_highest_tiers_red_lines():
    result = card(None)
    assert result.tier == "high" and result.profile is None
    assert [k.key for k in result.knockouts] == ["d1"]


def test_the_red_line_of_the_tier_decides_what_is_a_disagreement():
    """Alice 2 and Bob 3 on d1 are one level apart: in the high tier they fall on both sides of
    its minimum 3, a disagreement; in the standard tier (minimum 1) they do not."""
    bob = assessment({**LEVELS, "d1": 3}, assessor="bob")
    [disagreement] = card(BOTH, LEVELS, bob).disagreements
    assert (disagreement.indicator, disagreement.splits_red_line) == ("d1", True)
    assert card(MODEL_ONLY, LEVELS, bob).disagreements == ()


def test_the_improvement_plan_steps_only_on_what_applies_and_clears_the_tiers_line_first():
    plan = card(BOTH).improvement_plan
    assert [(s.indicator, s.to_level, s.clears_knockout) for s in plan[:1]] == [("d1", 3, True)]
    assert {s.indicator for s in card(MODEL_ONLY).improvement_plan} <= {"d1", "d2", "m1"}


# --- the loader's rules -------------------------------------------------------------------------


def profiled_doc() -> dict:
    return yaml.safe_load(PROFILED_PATH.read_text(encoding="utf-8"))


def refused(tmp_path, mutate) -> str:
    doc = copy.deepcopy(profiled_doc())
    mutate(doc)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(CriteriaError) as raised:
        load_file(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    return message


def test_the_profiled_set_loads_exactly():
    assert [(q.key, q.points) for q in PROFILED.profile] == [("model", 1), ("biometric", 3)]
    assert [(t.label, t.min_points) for t in PROFILED.tiers] == [("standard", 0), ("high", 3)]
    assert [(c.key, c.applies_if) for c in PROFILED.criteria] == [
        ("data", ()),
        ("model", ("model",)),
        ("faces", ()),
    ]
    d1 = PROFILED.indicators[0]
    assert (d1.minimum_level, dict(d1.minimum_level_by_tier)) == (1, {"high": 3})
    assert [(i.key, i.applies_if) for i in PROFILED.buyer_checklist] == [
        ("dpia", ()),
        ("watchlist-authorisation", ("biometric",)),
    ]
    assert [g.key for g in PROFILED.gates] == ["not-excluded"]


def _set(path: tuple, value):
    def mutate(doc):
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _drop(key: str):
    return lambda doc: doc.pop(key)


@pytest.mark.parametrize(
    ("mutate", "where", "rule"),
    [
        (_drop("profile"), "tiers", "Tiers need a profile"),
        (_set(("tiers", 0, "min_points"), 1), "tiers[0].min_points", "must have min_points 0"),
        (
            _set(("tiers", 1, "min_points"), 0),
            "tiers[1].min_points",
            "strictly ascending min_points",
        ),
        (_set(("tiers", 1, "label"), "standard"), "tiers[1].label", "Duplicate label"),
        (_set(("profile", 1, "key"), "model"), "profile[1].key", "Duplicate key"),
        (_set(("profile", 0, "points"), -1), "profile[0].points", "greater than or equal to 0"),
        (_set(("profile", 0, "points"), 1.5), "profile[0].points", "Not a valid integer"),
        (
            _set(("criteria", 1, "applies_if"), ["cameras"]),
            "criteria[1].applies_if",
            "Unknown profile key 'cameras'",
        ),
        (
            _set(("criteria", 1, "indicators", 1, "applies_if"), ["cameras"]),
            "criteria[1].indicators[1].applies_if",
            "Unknown profile key 'cameras'",
        ),
        (
            _set(("buyer_checklist", 1, "applies_if"), ["cameras"]),
            "buyer_checklist[1].applies_if",
            "Unknown profile key",
        ),
        (
            _set(("gates", 0, "applies_if"), ["cameras"]),
            "gates[0].applies_if",
            "Unknown profile key",
        ),
        (
            _set(("criteria", 1, "applies_if"), []),
            "criteria[1].applies_if",
            "at least one profile key",
        ),
        (
            _set(("criteria", 0, "indicators", 0, "minimum_level_by_tier"), {"extreme": 4}),
            "criteria[0].indicators[0].minimum_level_by_tier",
            "Unknown tier 'extreme'",
        ),
        (
            _set(("criteria", 0, "indicators", 0, "minimum_level_by_tier"), {"high": 5}),
            "criteria[0].indicators[0].minimum_level_by_tier.high.value",
            "greater than or equal to 1 and less than or equal to 4",
        ),
        (
            _set(("criteria", 2, "indicators", 0, "minimum_level_by_tier"), {"high": 2}),
            "criteria[2].indicators[0].minimum_level_by_tier",
            "not both",
        ),
        (
            _set(("buyer_checklist", 0, "key"), "d2"),
            "buyer_checklist[0].key",
            "never scored against bidders",
        ),
        (_set(("gates", 0, "key"), "m1"), "gates[0].key", "never scored against bidders"),
        (
            _set(("gates",), [{"key": "x", "references": [{"source": "Act", "clause": "s.1"}]}]),
            "gates[0].question",
            "required",
        ),
        (
            _set(("buyer_checklist", 1, "key"), "dpia"),
            "buyer_checklist[1].key",
            "Duplicate key",
        ),
    ],
)
def test_each_rule_of_profiles_is_refused_naming_the_path_and_the_rule(
    tmp_path, mutate, where, rule
):
    message = refused(tmp_path, mutate)
    assert f": {where}: " in message, message
    assert rule in message, message
