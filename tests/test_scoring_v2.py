"""The scoring contract's fair-evaluation rules, worked out by hand on the mini set
(tests/criteria/mini-1.yaml; see test_scoring.py for its numbers): red lines that never rest on
one evaluator's mark (section 7), moderation per indicator (section 7), indicator minimum
levels and knockouts that name their assessors (section 4).

Every indicator at level 2 gives 50 in every criterion, so a total of 50; raising p2 (weight 3
of privacy's 5) by one level adds 100 * 3 / 5 / 4 = 15 to privacy, and privacy weighs 2 of 4:
7.5 points of the total.
"""

import dataclasses
import datetime as dt
from fractions import Fraction as F

from test_scoring import AS_OF, DAY, MINI, indicator_entries, lv, make

from ethics_api.scoring import Evidence, Moderation, Settlement, score

ALL_TWO = lv(2, 2, 2, 2, 2, 2, 2)


def moderation(*settlements: tuple, id: str = "m1", moderator="mona", days_ago=1, evidence=()):
    """settlements: (indicator, level or None, reason)."""
    return Moderation(
        id=id,
        criteria_ref="mini@1",
        moderator=moderator,
        submitted_at=AS_OF - days_ago * DAY,
        settlements=tuple(
            Settlement(k, level, reason, evidence) for k, level, reason in settlements
        ),
    )


def with_levels(**levels) -> dict:
    return {**ALL_TWO, **levels}


def test_a_red_line_crossed_by_one_evaluator_and_not_another_is_a_disagreement():
    """p1 is a knockout: alice 0, bob 1. The lower median is 0, so the vendor is out on
    alice's mark alone; a spread of 1 was no disagreement before, it is one now. (p2 at 3 keeps
    privacy, (0 + 9 + 2) / 20 = 55, above its minimum of 50.)"""
    result = score(
        MINI,
        [
            make(with_levels(p1=0, p2=3), assessor="alice"),
            make(with_levels(p1=1, p2=3), assessor="bob"),
        ],
        AS_OF,
    )
    [knockout] = result.knockouts
    assert (knockout.kind, knockout.key, knockout.value, knockout.threshold) == (
        "indicator",
        "p1",
        0,
        1,
    )
    assert knockout.assessors == ("alice",)  # it rests on alice's mark
    [disagreement] = result.disagreements
    assert (disagreement.indicator, disagreement.spread) == ("p1", 1)
    assert disagreement.splits_red_line is True
    assert disagreement.settled is None
    assert result.needs_moderation is True


def test_levels_on_one_side_of_the_red_line_are_no_disagreement():
    both_out = [make(with_levels(p1=0, p2=3), assessor=a) for a in ("alice", "bob")]
    result = score(MINI, both_out, AS_OF)
    assert result.disagreements == ()
    assert [(k.key, k.assessors) for k in result.knockouts] == [("p1", ("alice", "bob"))]
    both_in = [make(with_levels(p1=1), assessor="alice"), make(with_levels(p1=2), assessor="bob")]
    assert score(MINI, both_in, AS_OF).disagreements == ()


def test_a_moderation_settles_the_indicators_it_names_and_keeps_the_others_combined():
    """The meeting agrees p1 at 1 (eligible again); p2 is left combined: alice 2, bob 4, lower
    median 2 (a disagreement of spread 2, still unsettled). Both put p3 at 4."""
    assessments = [
        make(with_levels(p1=0, p3=4), assessor="alice"),
        make(with_levels(p1=1, p2=4, p3=4), assessor="bob"),
    ]
    proof = Evidence("Access log extract", "documented", url="https://example.org/log")
    minute = moderation(("p1", 1, "Both read the DPIA; it was signed."), evidence=(proof,))
    result = score(MINI, assessments, AS_OF, moderations=[minute])

    assert result.eligible is True and result.knockouts == ()
    entries = indicator_entries(result)
    assert (entries["p1"].level, entries["p1"].settled_by) == (1, "mona")
    assert (entries["p2"].level, entries["p2"].settled_by) == (2, None)
    # Privacy (1 + 6 + 4) / 20 = 55, total (110 + 50 + 50) / 4 = 52.5.
    assert result.total == F(105, 2)
    by_indicator = {d.indicator: d for d in result.disagreements}
    assert by_indicator["p1"].settled.level == 1
    assert by_indicator["p1"].settled.reason == "Both read the DPIA; it was signed."
    assert by_indicator["p2"].settled is None
    assert result.needs_moderation is True  # p2 still waits
    # The moderation's own evidence counts for what it settles: documented, 0.7.
    assert entries["p1"].evidence_factor == F(7, 10)
    assert [(m.id, m.indicators) for m in result.moderations] == [("m1", ("p1",))]

    second = moderation(("p2", 3, "Policy seen in operation."), id="m2")
    settled = score(MINI, assessments, AS_OF, moderations=[minute, second])
    assert settled.needs_moderation is False
    # p2 at 3: privacy (1 + 9 + 4) / 20 = 70, total (140 + 100) / 4 = 60.
    assert settled.total == 60


def test_the_latest_current_moderation_of_an_indicator_wins():
    assessments = [make(ALL_TWO, assessor="alice")]
    early = moderation(("p2", 4, "First meeting."), id="early", days_ago=3)
    late = moderation(("p2", 0, "Second meeting."), id="late", days_ago=2)
    result = score(MINI, assessments, AS_OF, moderations=[late, early])
    assert indicator_entries(result)["p2"].level == 0
    assert [m.id for m in result.moderations] == ["late"]
    # A moderation expires like an assessment (30 days in the mini set).
    expired = moderation(("p2", 4, "Long ago."), id="old", days_ago=31)
    assert (
        indicator_entries(score(MINI, assessments, AS_OF, moderations=[expired]))["p2"].level == 2
    )
    future = dataclasses.replace(early, submitted_at=AS_OF + dt.timedelta(seconds=1))
    assert indicator_entries(score(MINI, assessments, AS_OF, moderations=[future]))["p2"].level == 2


def test_a_moderation_may_agree_not_applicable_where_the_set_allows_it():
    """t1 (weight 2) and t2 (weight 1) make openness; t1 N/A leaves t2 alone: openness 50."""
    result = score(
        MINI, [make(ALL_TWO)], AS_OF, moderations=[moderation(("t1", None, "No model."))]
    )
    assert indicator_entries(result)["t1"].level is None
    assert result.total == 50


def test_a_criterion_minimum_names_everyone_whose_levels_make_it():
    """privacy has minimum 50: all at 1 gives 25. Bob's p2 is settled by mona."""
    low = lv(1, 1, 1, 2, 2, 2, 2)
    result = score(
        MINI,
        [make(low, assessor="alice"), make(low, assessor="bob")],
        AS_OF,
        moderations=[moderation(("p2", 1, "Agreed."))],
    )
    criterion = next(k for k in result.knockouts if k.kind == "criterion_minimum")
    assert (criterion.key, criterion.value, criterion.threshold) == ("privacy", 25, 50)
    assert criterion.assessors == ("alice", "bob", "mona")


def with_minimum(criteria_set, key: str, level: int):
    """The set with a minimum level on one indicator."""
    criteria = tuple(
        dataclasses.replace(
            c,
            indicators=tuple(
                dataclasses.replace(i, minimum_level=level) if i.key == key else i
                for i in c.indicators
            ),
        )
        for c in criteria_set.criteria
    )
    return dataclasses.replace(criteria_set, criteria=criteria)


def test_an_indicator_minimum_level_is_a_red_line_with_its_own_knockout():
    """p2 must reach 3. alice 2, bob 3: the lower median 2 is below it, on alice's mark alone;
    a spread of 1, but across the line, so a disagreement. The plan raises p2 to 3 first
    (clearing the knockout, 7.5 points), whatever else would gain more."""
    strict = with_minimum(MINI, "p2", 3)
    result = score(
        strict,
        [make(ALL_TWO, assessor="alice"), make(with_levels(p2=3), assessor="bob")],
        AS_OF,
    )
    [knockout] = result.knockouts
    assert (knockout.kind, knockout.key, knockout.value, knockout.threshold) == (
        "indicator_minimum",
        "p2",
        2,
        3,
    )
    assert knockout.assessors == ("alice",)
    assert indicator_entries(result)["p2"].minimum_level == 3
    [disagreement] = result.disagreements
    assert (disagreement.indicator, disagreement.spread, disagreement.splits_red_line) == (
        "p2",
        1,
        True,
    )
    first = result.improvement_plan[0]
    assert (first.indicator, first.from_level, first.to_level, first.gain) == ("p2", 2, 3, F(15, 2))
    assert first.clears_knockout is True
    assert not any(step.clears_knockout for step in result.improvement_plan[1:])
    # At the line is no knockout, and both at or above it no disagreement.
    both = [make(with_levels(p2=3), assessor=a) for a in ("alice", "bob")]
    assert score(strict, both, AS_OF).eligible is True
    assert score(strict, both, AS_OF).disagreements == ()
