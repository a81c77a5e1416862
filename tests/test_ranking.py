"""Ranking and sensitivity (docs/scoring.md, from "Ranking within a procurement"), by hand.

Every expected value below was worked out by hand and is written as an exact literal with the
arithmetic beside it: no expectation is computed with the code under test. The scorecards are
real ones, built by `scoring.score` from answer levels on the mini set
(tests/criteria/mini-1.yaml):

    privacy   W=2, minimum 50: p1 w1 (knockout), p2 w3, p3 w1 (N/A allowed)
    oversight W=1:             o1 w1, o2 w1 (N/A allowed)
    openness  W=1, minimum 25: t1 w2 (N/A allowed), t2 w1 (N/A allowed)

so S_p = 25*(p1 + 3*p2 + p3)/5 (25*(p1 + 3*p2)/4 with p3 N/A), S_o = 25*(o1 + o2)/2,
S_t = 25*(2*t1 + t2)/3, and with every criterion scored T = (2*S_p + S_o + S_t)/4.

A bidder is written (S_p, S_o, S_t). Under a one-at-a-time variation the set weights (2, 1, 1)
become (1.6, 1, 1) sum 3.6, (2.4, 1, 1) sum 4.4, (2, 0.8, 1) or (2, 1, 0.8) sum 3.8, and
(2, 1.2, 1) or (2, 1, 1.2) sum 4.2. Tipping points with both bidders scored on the same criteria
solve N_A + x*a_A = N_B + x*a_B, i.e. x = (N_A - N_B) / (a_B - a_A), where N is the weighted
sum of the other criteria's scores and a = W_k * S_k. Pure tests: no Flask, no database.
"""

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ethics_api.criteria import CriteriaSet, Criterion, Grade, Indicator, Reference, load_file
from ethics_api.ranking import (
    Bidder,
    place,
    sensitivity,
    tipping_point,
    weighted_total,
)
from ethics_api.ranking_report import ranking_report
from ethics_api.scoring import Answer, Assessment, Scorecard, score

MINI = load_file(Path(__file__).parent / "criteria" / "mini-1.yaml")
AS_OF = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
NA = None  # an answer of "not applicable"
KEYS = ("p1", "p2", "p3", "o1", "o2", "t1", "t2")
SET_WEIGHTS = {"privacy": F(2), "oversight": F(1), "openness": F(1)}
LESS, MORE = F(4, 5), F(6, 5)


# --- helpers ------------------------------------------------------------------------------------


def lv(p1, p2, p3, o1, o2, t1, t2) -> dict[str, int | None]:
    """The levels of one mini-set assessment, in the set's order (NA for not applicable)."""
    return dict(zip(KEYS, (p1, p2, p3, o1, o2, t1, t2), strict=True))


def assessment(levels: dict[str, int | None], criteria_ref: str = "mini@1") -> Assessment:
    return Assessment(
        id="a-1",
        criteria_ref=criteria_ref,
        assessor="alice",
        submitted_at=AS_OF - dt.timedelta(days=1),
        answers=tuple(
            Answer(key, level, rationale="Does not apply." if level is None else None)
            for key, level in levels.items()
        ),
    )


def card(levels: dict[str, int | None], weights: dict[str, F] | None = None) -> Scorecard:
    """The mini-set scorecard of one assessment (the set's weights unless overridden)."""
    return score(MINI, [assessment(levels)], AS_OF, weights=weights)


def bidder(name: str, levels, weights=None, reused_standalone: bool = False) -> Bidder:
    """A bidder named `name` (vendor id v-name); levels None means no current assessment."""
    scorecard = None if levels is None else card(levels, weights)
    return Bidder(f"v-{name.lower()}", name, scorecard, reused_standalone)


def ids(placed) -> list[tuple[str, int | None]]:
    return [(p.bidder.vendor_id, p.rank) for p in placed]


def tips(analysis) -> dict[str, tuple[D | None, bool | None]]:
    return {t.criterion: (t.factor, t.overtakes_above) for t in analysis.tipping_points}


def variations(analysis) -> list[tuple[str, F, tuple[str, ...]]]:
    return [(v.criterion, v.factor, v.winners) for v in analysis.one_at_a_time]


# --- the bidders used below, each worked out by hand ---------------------------------------------

# Alpha (100, 50, 50): S_p = 25*(4+12+4)/5 = 100, S_o = 25*4/2 = 50, S_t = 25*(4+2)/3 = 50
#   T = (200 + 50 + 50)/4 = 75
ALPHA = lv(4, 4, 4, 2, 2, 2, 2)
# Beta (70, 75, 75): S_p = 25*(3+9+2)/5 = 70, S_o = 25*6/2 = 75, S_t = 25*(6+3)/3 = 75
#   T = (140 + 75 + 75)/4 = 72.5
BETA = lv(3, 3, 2, 3, 3, 3, 3)
# Gamma (60, 50, 100): S_p = 25*(2+9+1)/5 = 60, S_o = 50, S_t = 25*(8+4)/3 = 100
#   T = (120 + 50 + 100)/4 = 67.5
GAMMA = lv(2, 3, 1, 2, 2, 4, 4)
# Gamma2 (65, 62.5, 100): S_p = 25*(2+9+2)/5 = 65, S_o = 25*5/2 = 62.5, S_t = 100
#   T = (130 + 62.5 + 100)/4 = 292.5/4 = 585/8 = 73.125
GAMMA2 = lv(2, 3, 2, 3, 2, 4, 4)
# Alpha, robust (100, 75, 50): T = (200 + 75 + 50)/4 = 325/4 = 81.25
ALPHA_ROBUST = lv(4, 4, 4, 3, 3, 2, 2)
# Knock (80, 100, 100), p1 = 0 is a knockout: S_p = 25*(0+12+4)/5 = 80
#   T = (160 + 100 + 100)/4 = 90, ineligible
KNOCK = lv(0, 4, 4, 4, 4, 4, 4)
# All 4 (100, 100, 100): T = 100
TOP = lv(4, 4, 4, 4, 4, 4, 4)
# All 3 (75, 75, 75): T = 75, exactly Alpha's total with other levels
THREES = lv(3, 3, 3, 3, 3, 3, 3)
# All 2 (50, 50, 50): T = 50; privacy 50 is not below its minimum 50
TWOS = lv(2, 2, 2, 2, 2, 2, 2)
# Murky (100, 100, 0): S_t = 0 < 25 is a knockout; T = (200 + 100 + 0)/4 = 75, ineligible
MURKY = lv(4, 4, 4, 4, 4, 0, 0)
# No DPIA (75, 100, 50), p1 = 0: S_p = 25*(0 + 12)/4 = 75 (p3 N/A), S_t = 25*(4+2)/3 = 50
#   T = (150 + 100 + 50)/4 = 75, ineligible
NODPIA = lv(0, 4, NA, 4, 4, 2, 2)
# Low (25, 25, 25): S_p = 25 < 50 is a knockout; T = 25, ineligible
LOW = lv(1, 1, 1, 1, 1, 1, 1)

CARD_CASES = [
    # name, levels, (S_p, S_o, S_t), T, eligible
    ("alpha", ALPHA, (F(100), F(50), F(50)), F(75), True),
    ("beta", BETA, (F(70), F(75), F(75)), F(145, 2), True),
    ("gamma", GAMMA, (F(60), F(50), F(100)), F(135, 2), True),
    ("gamma2", GAMMA2, (F(65), F(125, 2), F(100)), F(585, 8), True),
    ("alpha-robust", ALPHA_ROBUST, (F(100), F(75), F(50)), F(325, 4), True),
    ("knock", KNOCK, (F(80), F(100), F(100)), F(90), False),
    ("top", TOP, (F(100), F(100), F(100)), F(100), True),
    ("threes", THREES, (F(75), F(75), F(75)), F(75), True),
    ("twos", TWOS, (F(50), F(50), F(50)), F(50), True),
    ("murky", MURKY, (F(100), F(100), F(0)), F(75), False),
    ("nodpia", NODPIA, (F(75), F(100), F(50)), F(75), False),
    ("low", LOW, (F(25), F(25), F(25)), F(25), False),
]


@pytest.mark.parametrize(
    "levels, scores, total, eligible", [c[1:] for c in CARD_CASES], ids=[c[0] for c in CARD_CASES]
)
def test_fixture_cards_match_the_hand_calculation(levels, scores, total, eligible):
    """The scorecards the ranking tests start from are the hand-computed ones."""
    result = card(levels)
    assert tuple(c.score for c in result.criteria) == scores
    assert result.total == total
    assert result.eligible is eligible


# --- section 9: place() -------------------------------------------------------------------------


def test_place_eligible_then_ineligible_then_unassessed_with_shared_ranks():
    bidders = [
        bidder("Low", LOW),  # 25, ineligible
        bidder("Zed", None),  # no current assessment
        bidder("Xavier", THREES),  # 75
        bidder("Murky", MURKY),  # 75, ineligible
        bidder("Knock", KNOCK),  # 90, ineligible
        bidder("Top", TOP),  # 100
        bidder("Late", None),  # no current assessment
        bidder("Twos", TWOS),  # 50
        bidder("Nodpia", NODPIA),  # 75, ineligible
        bidder("Alpha", ALPHA),  # 75
    ]
    placed = place(bidders)
    # Eligible: 100 -> 1; 75 and 75 share 2 (listed by name), the next rank skips to 4 (50).
    # Ineligible continue after the 4 eligible bidders: 90 -> 5; 75 and 75 share 6; 25 -> 8.
    # Unassessed last, unranked, by name.
    assert ids(placed) == [
        ("v-top", 1),
        ("v-alpha", 2),
        ("v-xavier", 2),
        ("v-twos", 4),
        ("v-knock", 5),
        ("v-murky", 6),
        ("v-nodpia", 6),
        ("v-low", 8),
        ("v-late", None),
        ("v-zed", None),
    ]
    assert [p.total for p in placed] == [
        F(100),
        F(75),
        F(75),
        F(50),
        F(90),
        F(75),
        F(75),
        F(25),
        None,
        None,
    ]


def test_an_ineligible_bidder_with_the_highest_total_ranks_after_every_eligible_one():
    placed = place([bidder("Knock", KNOCK), bidder("Gamma", GAMMA), bidder("Beta", BETA)])
    # Knock 90 > Beta 72.5 > Gamma 67.5, but Knock is ineligible (p1 = 0).
    assert ids(placed) == [("v-beta", 1), ("v-gamma", 2), ("v-knock", 3)]
    assert [p.total for p in placed] == [F(145, 2), F(135, 2), F(90)]


def test_ineligible_ranks_continue_after_a_tie_for_the_last_eligible_rank():
    placed = place([bidder("Knock", KNOCK), bidder("Xavier", THREES), bidder("Alpha", ALPHA)])
    # Alpha and Xavier both 75 share rank 1; two bidders rank ahead, so Knock is 3 (1, 1, 3).
    assert ids(placed) == [("v-alpha", 1), ("v-xavier", 1), ("v-knock", 3)]


def test_only_ineligible_bidders_rank_from_one():
    placed = place([bidder("Low", LOW), bidder("Knock", KNOCK), bidder("Murky", MURKY)])
    # No eligible bidder: 90 -> 1, 75 -> 2, 25 -> 3.
    assert ids(placed) == [("v-knock", 1), ("v-murky", 2), ("v-low", 3)]


def test_only_unassessed_bidders_are_all_unranked():
    placed = place([bidder("Zed", None), bidder("Late", None)])
    assert ids(placed) == [("v-late", None), ("v-zed", None)]
    assert place([]) == ()


PERCENT_WEIGHTS = {"privacy": F(45), "oversight": F(35), "openness": F(20)}


def test_totals_that_print_equal_but_differ_exactly_do_not_tie():
    # Weights 45/35/20.
    # Xena lv(1,3,2,2,4,3,4): S_p = 25*(1+9+2)/5 = 60, S_o = 25*6/2 = 75, S_t = 25*(6+4)/3 = 250/3
    #   T = (45*60 + 35*75 + 20*250/3)/100 = (2700 + 2625 + 5000/3)/100 = 20975/300 = 839/12
    #     = 69.91666... -> printed 69.92
    # Yuri lv(3,2,NA,3,4,NA,NA): S_p = 25*(3+6)/4 = 225/4, S_o = 25*7/2 = 175/2, openness not
    #   scored: T = (45*225/4 + 35*175/2)/80 = (2531.25 + 3062.5)/80 = 5593.75/80 = 4475/64
    #     = 69.921875 -> printed 69.92
    # Yuri - Xena = (4475*3 - 839*16)/192 = (13425 - 13424)/192 = 1/192 > 0.
    xena = bidder("Xena", lv(1, 3, 2, 2, 4, 3, 4), PERCENT_WEIGHTS)
    yuri = bidder("Yuri", lv(3, 2, NA, 3, 4, NA, NA), PERCENT_WEIGHTS)
    assert xena.scorecard.total == F(839, 12)
    assert yuri.scorecard.total == F(4475, 64)
    assert xena.scorecard.eligible and yuri.scorecard.eligible
    placed = place([xena, yuri])
    assert ids(placed) == [("v-yuri", 1), ("v-xena", 2)]


def test_place_ranks_by_the_given_total():
    # By weighted_total under oversight x 1.2 (2, 1.2, 1), sum 4.2:
    #   Alpha (100, 50, 50):   (200 + 60 + 50)/4.2 = 310*5/21 = 1550/21 = 73.81
    #   Beta (70, 75, 75):     (140 + 90 + 75)/4.2 = 305*5/21 = 1525/21 = 72.62
    #   Gamma2 (65, 62.5, 100): (130 + 75 + 100)/4.2 = 305*5/21 = 1525/21: ties with Beta
    varied = {"privacy": F(2), "oversight": F(6, 5), "openness": F(1)}
    bidders = [bidder("Gamma", GAMMA2), bidder("Beta", BETA), bidder("Alpha", ALPHA)]
    placed = place(bidders, lambda s: weighted_total(s, varied))
    assert ids(placed) == [("v-alpha", 1), ("v-beta", 2), ("v-gamma", 2)]
    assert [p.total for p in placed] == [F(1550, 21), F(1525, 21), F(1525, 21)]


# --- weighted_total and overriding weights -------------------------------------------------------

# Bea lv(2,4,NA,0,3,NA,NA): S_p = 25*(2+12)/4 = 87.5, S_o = 25*3/2 = 37.5, openness not scored.
BEA = lv(2, 4, NA, 0, 3, NA, NA)


@pytest.mark.parametrize(
    "levels, weights, expected",
    [
        # Alpha (100, 50, 50) at (1, 1, 1): (100 + 50 + 50)/3 = 200/3
        (ALPHA, {"privacy": 1, "oversight": 1, "openness": 1}, F(200, 3)),
        # Alpha at (1, 1, 3): (100 + 50 + 150)/5 = 60
        (ALPHA, {"privacy": 1, "oversight": 1, "openness": 3}, F(60)),
        # Bea (87.5, 37.5, -) at the set's weights: renormalised over 2 + 1: (175 + 37.5)/3 = 425/6
        (BEA, SET_WEIGHTS, F(425, 6)),
        # Bea, privacy dropped (weight 0): 37.5 alone
        (BEA, {"privacy": 0, "oversight": 1, "openness": 1}, F(75, 2)),
        # Bea, oversight dropped: 87.5 alone
        (BEA, {"privacy": 2, "oversight": 0, "openness": 1}, F(175, 2)),
        # Bea with privacy and oversight at 0: nothing of positive weight is scored -> 0
        (BEA, {"privacy": 0, "oversight": 0, "openness": 1}, F(0)),
    ],
)
def test_weighted_total(levels, weights, expected):
    weights = {k: F(v) for k, v in weights.items()}
    assert weighted_total(card(levels), weights) == expected


def test_overriding_weights_change_the_winner():
    # Prudence lv(4,4,4,1,1,1,1): (100, 25, 25): S_t = 25*(2+1)/3 = 25, not below the minimum 25
    # Quill lv(2,2,2,1,1,4,4): (50, 25, 100): S_p = 25*(2+6+2)/5 = 50, not below 50
    prudence, quill = lv(4, 4, 4, 1, 1, 1, 1), lv(2, 2, 2, 1, 1, 4, 4)
    # Set weights (2, 1, 1): Prudence (200 + 25 + 25)/4 = 62.5; Quill (100 + 25 + 100)/4 = 56.25
    by_set = [bidder("Quill", quill), bidder("Prudence", prudence)]
    assert [b.scorecard.total for b in by_set] == [F(225, 4), F(125, 2)]
    assert ids(place(by_set)) == [("v-prudence", 1), ("v-quill", 2)]
    # Overriding (1, 1, 3): Prudence (100 + 25 + 75)/5 = 40; Quill (50 + 25 + 300)/5 = 75
    override = {"privacy": F(1), "oversight": F(1), "openness": F(3)}
    by_override = [bidder("Quill", quill, override), bidder("Prudence", prudence, override)]
    assert [b.scorecard.total for b in by_override] == [F(75), F(40)]
    assert ids(place(by_override)) == [("v-quill", 1), ("v-prudence", 2)]
    # The same figures from the set-weight scorecards' criterion scores.
    assert weighted_total(by_set[0].scorecard, override) == F(75)
    assert weighted_total(by_set[1].scorecard, override) == F(40)
    # And the sensitivity baseline under the override names Quill first.
    assert sensitivity(by_set, override).winners == ("v-quill",)


# --- section 10: one at a time -------------------------------------------------------------------


def test_one_at_a_time_robust_winner():
    # Alpha (100, 75, 50), Beta (70, 75, 75), Gamma (60, 50, 100); base 81.25, 72.5, 67.5.
    #             Alpha                 Beta                 Gamma
    # p x0.8 /3.6 (160+75+50)=285 79.17 (112+75+75)=262 72.78 (96+50+100)=246 68.33
    # p x1.2 /4.4 (240+75+50)=365 82.95 (168+75+75)=318 72.27 (144+50+100)=294 66.82
    # o x0.8 /3.8 (200+60+50)=310 81.58 (140+60+75)=275 72.37 (120+40+100)=260 68.42
    # o x1.2 /4.2 (200+90+50)=340 80.95 (140+90+75)=305 72.62 (120+60+100)=280 66.67
    # t x0.8 /3.8 (200+75+40)=315 82.89 (140+75+60)=275 72.37 (120+50+80)=250 65.79
    # t x1.2 /4.2 (200+75+60)=335 79.76 (140+75+90)=305 72.62 (120+50+120)=290 69.05
    # Alpha > Beta > Gamma every time.
    bidders = [bidder("Gamma", GAMMA), bidder("Alpha", ALPHA_ROBUST), bidder("Beta", BETA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert analysis.winners == ("v-alpha",)
    assert variations(analysis) == [
        ("privacy", LESS, ("v-alpha",)),
        ("privacy", MORE, ("v-alpha",)),
        ("oversight", LESS, ("v-alpha",)),
        ("oversight", MORE, ("v-alpha",)),
        ("openness", LESS, ("v-alpha",)),
        ("openness", MORE, ("v-alpha",)),
    ]
    assert dict(analysis.worst_ranks) == {"v-alpha": 1, "v-beta": 2, "v-gamma": 3}
    assert len(analysis.worst_ranks) == 3
    assert analysis.winner_stable is True


def test_one_at_a_time_fragile_winner():
    # Alpha (100, 50, 50), Beta (70, 75, 75), Gamma (60, 50, 100); base 75, 72.5, 67.5.
    #             Alpha                Beta                  Gamma             ranks
    # p x0.8 /3.6 (160+100)=260 72.22  (112+150)=262 72.78   246 68.33         B A G
    # p x1.2 /4.4 (240+100)=340 77.27  (168+150)=318 72.27   294 66.82         A B G
    # o x0.8 /3.8 (200+40+50)=290 76.32 (140+60+75)=275 72.37 260 68.42        A B G
    # o x1.2 /4.2 (200+60+50)=310 73.81 (140+90+75)=305 72.62 280 66.67        A B G
    # t x0.8 /3.8 (200+50+40)=290 76.32 (140+75+60)=275 72.37 250 65.79        A B G
    # t x1.2 /4.2 (200+50+60)=310 73.81 (140+75+90)=305 72.62 290 69.05        A B G
    # worst ranks: Alpha 2 (privacy x0.8), Beta 2, Gamma 3.
    bidders = [bidder("Alpha", ALPHA), bidder("Beta", BETA), bidder("Gamma", GAMMA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert analysis.winners == ("v-alpha",)
    assert variations(analysis) == [
        ("privacy", LESS, ("v-beta",)),
        ("privacy", MORE, ("v-alpha",)),
        ("oversight", LESS, ("v-alpha",)),
        ("oversight", MORE, ("v-alpha",)),
        ("openness", LESS, ("v-alpha",)),
        ("openness", MORE, ("v-alpha",)),
    ]
    assert dict(analysis.worst_ranks) == {"v-alpha": 2, "v-beta": 2, "v-gamma": 3}
    assert analysis.winner_stable is False
    # The flip itself, from the criterion scores: 262/3.6 = 655/9 > 260/3.6 = 650/9.
    less_privacy = {"privacy": F(8, 5), "oversight": F(1), "openness": F(1)}
    assert weighted_total(bidders[0].scorecard, less_privacy) == F(650, 9)
    assert weighted_total(bidders[1].scorecard, less_privacy) == F(655, 9)


def test_one_at_a_time_with_two_changes_and_a_tie_inside_a_variation():
    # Alpha (100, 50, 50), Beta (70, 75, 75), Gamma (65, 62.5, 100); base 75, 72.5, 73.125.
    #             Alpha                Beta                 Gamma                      ranks
    # base                      75                  72.5  (130+62.5+100)/4 = 73.125   A G B
    # p x0.8 /3.6 260 = 72.22       262 = 72.78       (104+162.5)=266.5 = 74.03     G B A
    # p x1.2 /4.4 340 = 77.27       318 = 72.27       (156+162.5)=318.5 = 72.39     A G B
    # o x0.8 /3.8 290 = 76.32       275 = 72.37       (130+50+100)=280 = 73.68      A G B
    # o x1.2 /4.2 310 = 73.81       305 = 72.62       (130+75+100)=305 = 72.62      A B=G (2, 2)
    # t x0.8 /3.8 290 = 76.32       275 = 72.37       (130+62.5+80)=272.5 = 71.71   A B G
    # t x1.2 /4.2 310 = 73.81       305 = 72.62       (130+62.5+120)=312.5 = 74.40  G A B
    # worst ranks: Alpha 3 (privacy x0.8), Beta 3, Gamma 3 (openness x0.8).
    bidders = [bidder("Alpha", ALPHA), bidder("Beta", BETA), bidder("Gamma", GAMMA2)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert analysis.winners == ("v-alpha",)
    assert variations(analysis) == [
        ("privacy", LESS, ("v-gamma",)),
        ("privacy", MORE, ("v-alpha",)),
        ("oversight", LESS, ("v-alpha",)),
        ("oversight", MORE, ("v-alpha",)),
        ("openness", LESS, ("v-alpha",)),
        ("openness", MORE, ("v-gamma",)),
    ]
    assert dict(analysis.worst_ranks) == {"v-alpha": 3, "v-beta": 3, "v-gamma": 3}
    assert analysis.winner_stable is False
    assert (analysis.first, analysis.second) == ("v-alpha", "v-gamma")
    # Alpha vs Gamma:
    #   privacy:   N_A = 50 + 50 = 100, N_G = 62.5 + 100 = 162.5, a_A = 200, a_G = 130:
    #              x = (100 - 162.5)/(130 - 200) = 62.5/70 = 25/28 = 0.892857... -> 0.8929, below
    #   oversight: N_A = 200 + 50 = 250, N_G = 130 + 100 = 230, a_A = 50, a_G = 62.5:
    #              x = 20/12.5 = 1.6, above
    #   openness:  N_A = 250, N_G = 130 + 62.5 = 192.5, a_A = 50, a_G = 100:
    #              x = 57.5/50 = 1.15, above (so x1.2 lets Gamma through, as found above)
    assert tips(analysis) == {
        "privacy": (D("0.8929"), False),
        "oversight": (D("1.6"), True),
        "openness": (D("1.15"), True),
    }


def test_worst_rank_counts_the_unchanged_ranking():
    # Ash lv(1,2,3,2,4,1,3):   S_p = 25*(1+6+3)/5 = 50, S_o = 25*6/2 = 75, S_t = 25*(2+3)/3 = 125/3
    #   T = (100 + 75 + 125/3)/4 = 650/12 = 325/6 = 54.17
    # Birch lv(1,3,3,0,NA,3,4): S_p = 25*(1+9+3)/5 = 65, S_o = 25*0 = 0, S_t = 25*(6+4)/3 = 250/3
    #   T = (130 + 0 + 250/3)/4 = 640/12 = 160/3 = 53.33
    # Cedar lv(1,3,NA,0,1,NA,3): S_p = 25*(1+9)/4 = 62.5, S_o = 25*1/2 = 12.5, S_t = 25*3 = 75
    #   T = (125 + 12.5 + 75)/4 = 425/8 = 53.125
    # Base: Ash 1, Birch 2, Cedar 3. In every variation Cedar passes exactly one of the two:
    #             Ash                        Birch                      Cedar            ranks
    # p x0.8 /3.6 (80+75+41.67)=196.67 54.63  (104+0+83.33)=187.33 52.04  (100+12.5+75)=187.5 52.08
    #                                                                                    A C B
    # p x1.2 /4.4 (120+75+41.67)=236.67 53.79 (156+83.33)=239.33 54.39   (150+12.5+75)=237.5 53.98
    #                                                                                    B C A
    # o x0.8 /3.8 (100+60+41.67)=201.67 53.07 (130+83.33)=213.33 56.14   (125+10+75)=210 55.26
    #                                                                                    B C A
    # o x1.2 /4.2 (100+90+41.67)=231.67 55.16 213.33/4.2 = 50.79         (125+15+75)=215 51.19
    #                                                                                    A C B
    # t x0.8 /3.8 (100+75+33.33)=208.33 54.82 (130+66.67)=196.67 51.75   (125+12.5+60)=197.5 51.97
    #                                                                                    A C B
    # t x1.2 /4.2 (100+75+50)=225 53.57       (130+100)=230 54.76        (125+12.5+90)=227.5 54.17
    #                                                                                    B C A
    # Cedar is 2nd in all six variations: its worst rank, 3, comes from the unchanged ranking.
    bidders = [
        bidder("Cedar", lv(1, 3, NA, 0, 1, NA, 3)),
        bidder("Birch", lv(1, 3, 3, 0, NA, 3, 4)),
        bidder("Ash", lv(1, 2, 3, 2, 4, 1, 3)),
    ]
    assert [b.scorecard.total for b in bidders] == [F(425, 8), F(160, 3), F(325, 6)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert analysis.winners == ("v-ash",)
    assert variations(analysis) == [
        ("privacy", LESS, ("v-ash",)),
        ("privacy", MORE, ("v-birch",)),
        ("oversight", LESS, ("v-birch",)),
        ("oversight", MORE, ("v-ash",)),
        ("openness", LESS, ("v-ash",)),
        ("openness", MORE, ("v-birch",)),
    ]
    assert dict(analysis.worst_ranks) == {"v-ash": 3, "v-birch": 3, "v-cedar": 3}
    assert analysis.winner_stable is False
    assert report_of(bidders)["sensitivity"]["summary"] == (
        "If Privacy weighed 20% more, Birch would rank first instead of Ash. "
        "If Human oversight weighed 20% less, Birch would rank first instead of Ash. "
        "If Openness weighed 20% more, Birch would rank first instead of Ash."
    )


def test_a_tie_for_first_in_a_variation_keeps_the_winner_stable():
    # Ada lv(4,4,NA,0,3,NA,2): S_p = 25*(4+12)/4 = 100, S_o = 25*3/2 = 37.5, S_t = 25*2 = 50
    #   T = (200 + 37.5 + 50)/4 = 287.5/4 = 575/8 = 71.875
    # Bea lv(2,4,NA,0,3,NA,NA): (87.5, 37.5, -): T = (175 + 37.5)/3 = 425/6 = 70.83
    #             Ada                          Bea
    # p x0.8      (160+87.5)/3.6 = 68.75       (140+37.5)/2.6 = 68.27
    # p x1.2      (240+87.5)/4.4 = 74.43       (210+37.5)/3.4 = 72.79
    # o x0.8      (200+30+50)/3.8 = 73.68      (175+30)/2.8 = 73.21
    # o x1.2      (200+45+50)/4.2 = 70.24      (175+45)/3.2 = 68.75
    # t x0.8      (200+37.5+40)/3.8 = 73.03    70.83 (openness not scored)
    # t x1.2      (200+37.5+60)/4.2 = 297.5/4.2 = 425/6 = Bea's 425/6: a tie for first
    bidders = [bidder("Bea", BEA), bidder("Ada", lv(4, 4, NA, 0, 3, NA, 2))]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert analysis.winners == ("v-ada",)
    assert variations(analysis) == [
        ("privacy", LESS, ("v-ada",)),
        ("privacy", MORE, ("v-ada",)),
        ("oversight", LESS, ("v-ada",)),
        ("oversight", MORE, ("v-ada",)),
        ("openness", LESS, ("v-ada",)),
        ("openness", MORE, ("v-ada", "v-bea")),
    ]
    assert dict(analysis.worst_ranks) == {"v-ada": 1, "v-bea": 2}
    assert analysis.winner_stable is True


# --- section 10: leave one out -------------------------------------------------------------------


def test_leave_one_out_changes_the_winner_and_reports_a_tie():
    # Alpha (100, 75, 50), Beta (70, 75, 75), Gamma (60, 50, 100)
    # without privacy:   Alpha (75+50)/2 = 62.5, Beta (75+75)/2 = 75, Gamma (50+100)/2 = 75
    #                    -> Beta and Gamma tie first
    # without oversight: Alpha (200+50)/3 = 83.33, Beta (140+75)/3 = 71.67,
    #                    Gamma (120+100)/3 = 73.33 -> Alpha
    # without openness:  Alpha (200+75)/3 = 91.67, Beta (140+75)/3 = 71.67,
    #                    Gamma (120+50)/3 = 56.67 -> Alpha
    bidders = [bidder("Gamma", GAMMA), bidder("Alpha", ALPHA_ROBUST), bidder("Beta", BETA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert [(left.criterion, left.winners) for left in analysis.leave_one_out] == [
        ("privacy", ("v-beta", "v-gamma")),
        ("oversight", ("v-alpha",)),
        ("openness", ("v-alpha",)),
    ]
    # One at a time, the same field is robust (see test_one_at_a_time_robust_winner).
    assert analysis.winner_stable is True


def test_leave_one_out_for_a_pair_with_different_scored_criteria():
    # Ada (100, 37.5, 50) and Bea (87.5, 37.5, -):
    # without privacy:   Ada (37.5 + 50)/2 = 43.75; Bea 37.5 alone -> Ada
    # without oversight: Ada (200 + 50)/3 = 83.33; Bea 175/2 = 87.5 alone -> Bea
    # without openness:  Ada (200 + 37.5)/3 = 79.17; Bea (175 + 37.5)/3 = 70.83 -> Ada
    bidders = [bidder("Ada", lv(4, 4, NA, 0, 3, NA, 2)), bidder("Bea", BEA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert [(left.criterion, left.winners) for left in analysis.leave_one_out] == [
        ("privacy", ("v-ada",)),
        ("oversight", ("v-bea",)),
        ("openness", ("v-ada",)),
    ]


def duo_set() -> CriteriaSet:
    """Two criteria of weight 1, one N/A-allowed indicator each: a criterion can stand alone."""

    def criterion(key: str) -> Criterion:
        indicator = Indicator(
            key=f"{key}1",
            question="?",
            weight=F(1),
            levels=("0", "1", "2", "3", "4"),
            references=(Reference(source="test"),),
            allow_not_applicable=True,
        )
        return Criterion(key, key.upper(), "-", F(1), None, (indicator,))

    return CriteriaSet(
        key="duo",
        version=1,
        title="Duo",
        description="Hand-made: a bidder can be scored on one criterion only.",
        published=dt.date(2026, 1, 1),
        validity_days=30,
        grades=(Grade("A", F(80)), Grade("B", F(60)), Grade("C", F(40)), Grade("D", F(0))),
        criteria=(criterion("a"), criterion("b")),
    )


def test_leave_one_out_drops_a_bidders_only_scored_criterion_to_zero():
    duo = duo_set()

    def duo_bidder(name: str, a1, b1) -> Bidder:
        levels = {"a1": a1, "b1": b1}
        return Bidder(f"v-{name.lower()}", name, score(duo, [assessment(levels, "duo@1")], AS_OF))

    # Solo a1=4, b1=N/A: S_a = 100, b not scored, T = 100
    # Pair a1=1, b1=2:   S_a = 25, S_b = 50, T = (25 + 50)/2 = 37.5
    # Zero a1=0, b1=0:   S_a = 0, S_b = 0, T = 0
    solo, pair, zero = duo_bidder("Solo", 4, NA), duo_bidder("Pair", 1, 2), duo_bidder("Zero", 0, 0)
    assert [b.scorecard.total for b in (solo, pair, zero)] == [F(100), F(75, 2), F(0)]
    weights = {"a": F(1), "b": F(1)}
    analysis = sensitivity([solo, pair, zero], weights)
    assert analysis.winners == ("v-solo",)
    # without a: Solo has nothing left and counts 0; Pair 50; Zero 0 -> Pair
    # without b: Solo 100, Pair 25, Zero 0 -> Solo
    assert [(left.criterion, left.winners) for left in analysis.leave_one_out] == [
        ("a", ("v-pair",)),
        ("b", ("v-solo",)),
    ]
    without_a = {"a": F(0), "b": F(1)}
    assert weighted_total(solo.scorecard, without_a) == 0
    # Solo's 0 is exactly Zero's 0: they share rank 2 behind Pair.
    placed = place([solo, pair, zero], lambda s: weighted_total(s, without_a))
    assert ids(placed) == [("v-pair", 1), ("v-solo", 2), ("v-zero", 2)]
    assert [p.total for p in placed] == [F(50), F(0), F(0)]


# --- section 10: tipping points ------------------------------------------------------------------

# Alpha lv(3,3,3,2,2,4,4): S_p = 25*(3+9+3)/5 = 75, S_o = 50, S_t = 100; T = (150+50+100)/4 = 75
# Beta lv(4,4,4,1,3,1,1):  S_p = 100, S_o = 25*4/2 = 50, S_t = 25*(2+1)/3 = 25;
#   T = (200 + 50 + 25)/4 = 68.75 (openness 25 is not below its minimum)
LINEAR_ALPHA = lv(3, 3, 3, 2, 2, 4, 4)
LINEAR_BETA = lv(4, 4, 4, 1, 3, 1, 1)


def test_tipping_points_linear_above_below_and_none():
    bidders = [bidder("Beta", LINEAR_BETA), bidder("Alpha", LINEAR_ALPHA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert (analysis.first, analysis.second) == ("v-alpha", "v-beta")
    # privacy:   N_A = 50 + 100 = 150, N_B = 50 + 25 = 75, a_A = 2*75 = 150, a_B = 2*100 = 200
    #            x = (150 - 75)/(200 - 150) = 75/50 = 1.5; Beta gains as privacy grows: above
    #            check at x = 1.5, weights (3, 1, 1): (225+50+100)/5 = 75 = (300+50+25)/5
    # oversight: S_o = 50 for both: (N_A + 50x)/(P + x) - (N_B + 50x)/(P + x) = (N_A - N_B)/(P + x)
    #            never 0 -> None
    # openness:  N_A = 150 + 50 = 200, N_B = 200 + 50 = 250, a_A = 100, a_B = 25
    #            x = (200 - 250)/(25 - 100) = 2/3 = 0.66666... -> 0.6667 (rounded up); below
    assert tips(analysis) == {
        "privacy": (D("1.5"), True),
        "oversight": (None, None),
        "openness": (D("0.6667"), False),
    }
    factor = analysis.tipping_points[0].factor
    assert factor.as_tuple().exponent == -4  # written with 4 places: 1.5000


def test_tipping_points_of_the_fragile_field():
    # Alpha (100, 50, 50) vs Beta (70, 75, 75):
    #   privacy:   N_A = 50 + 50 = 100, N_B = 75 + 75 = 150, a_A = 200, a_B = 140
    #              x = (100 - 150)/(140 - 200) = 5/6 = 0.83333... -> 0.8333, below
    #   oversight: N_A = 200 + 50 = 250, N_B = 140 + 75 = 215, a_A = 50, a_B = 75
    #              x = 35/25 = 1.4, above
    #   openness:  the same numbers as oversight -> 1.4, above
    bidders = [bidder("Gamma", GAMMA), bidder("Beta", BETA), bidder("Alpha", ALPHA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert (analysis.first, analysis.second) == ("v-alpha", "v-beta")
    assert tips(analysis) == {
        "privacy": (D("0.8333"), False),
        "oversight": (D("1.4"), True),
        "openness": (D("1.4"), True),
    }


def test_tipping_points_of_the_robust_field():
    # Alpha (100, 75, 50) vs Beta (70, 75, 75):
    #   privacy:   N_A = 75 + 50 = 125, N_B = 150, a_A = 200, a_B = 140
    #              x = (125 - 150)/(140 - 200) = 25/60 = 5/12 = 0.41666... -> 0.4167, below
    #   oversight: both 75 -> None
    #   openness:  N_A = 200 + 75 = 275, N_B = 140 + 75 = 215, a_A = 50, a_B = 75
    #              x = 60/25 = 2.4, above; check (200+75+120)/5.4 = 395/5.4 = (140+75+180)/5.4
    bidders = [bidder("Gamma", GAMMA), bidder("Alpha", ALPHA_ROBUST), bidder("Beta", BETA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert tips(analysis) == {
        "privacy": (D("0.4167"), False),
        "oversight": (None, None),
        "openness": (D("2.4"), True),
    }


def test_tipping_factor_is_rounded_half_away_from_zero():
    # Alpha (100, 50, 50) vs Beta (70, 75, 75) with oversight weighing W_o = 28000/20001:
    #   N_A = 2*100 + 50 = 250, N_B = 2*70 + 75 = 215; a_A = 50 W_o, a_B = 75 W_o
    #   x = 35/(25 W_o) = 1.4 * 20001/28000 = 20001/20000 = 1.00005 exactly
    #   half away from zero -> 1.0001 (half to even would give 1.0000)
    weights = {"privacy": F(2), "oversight": F(28000, 20001), "openness": F(1)}
    point = tipping_point(card(ALPHA), card(BETA), weights, "oversight")
    assert (point.criterion, point.factor, point.overtakes_above) == (
        "oversight",
        D("1.0001"),
        True,
    )


def test_tipping_points_quadratic_and_degenerate_when_a_criterion_is_not_scored():
    # Alpha lv(2,2,2,4,4,4,4): (50, 100, 100), T = (100 + 100 + 100)/4 = 75
    # Beta lv(4,4,4,0,0,NA,NA): (100, 0, -), openness not scored, T = (200 + 0)/3 = 200/3
    alpha, beta = lv(2, 2, 2, 4, 4, 4, 4), lv(4, 4, 4, 0, 0, NA, NA)
    analysis = sensitivity([bidder("Beta", beta), bidder("Alpha", alpha)], SET_WEIGHTS)
    assert (analysis.first, analysis.second) == ("v-alpha", "v-beta")
    # privacy, weight 2x: (100 + 100 + 100x)/(2 + 2x) = 200x/(1 + 2x)
    #   (200 + 100x)(1 + 2x) = 200x(2 + 2x) -> 200 + 500x + 200x^2 = 400x + 400x^2
    #   -> 2x^2 - x - 2 = 0 -> x = (1 + sqrt 17)/4 = (1 + 4.1231056...)/4 = 1.2807764... -> 1.2808
    #   Beta scores 100 on privacy against 50: it overtakes above.
    # oversight, weight x: (200 + 100x)/(3 + x) = 200/(2 + x)
    #   (200 + 100x)(2 + x) = 200(3 + x) -> 100x^2 + 200x - 200 = 0 -> x^2 + 2x - 2 = 0
    #   -> x = sqrt 3 - 1 = 0.7320508... -> 0.7321; Alpha scores 100 against 0: Beta, below.
    # openness, Beta not scored: (200 + 100x)/(3 + x) = 200/3 -> 600 + 300x = 600 + 200x
    #   -> x = 0, not > 0 -> None (they draw level only as openness vanishes).
    assert tips(analysis) == {
        "privacy": (D("1.2808"), True),
        "oversight": (D("0.7321"), False),
        "openness": (None, None),
    }


def test_tipping_points_double_root_and_equal_scores_with_different_scored_criteria():
    # Ada (100, 37.5, 50), T = 575/8 = 71.875; Bea (87.5, 37.5, -), T = 425/6 = 70.83
    analysis = sensitivity(
        [bidder("Ada", lv(4, 4, NA, 0, 3, NA, 2)), bidder("Bea", BEA)], SET_WEIGHTS
    )
    assert (analysis.first, analysis.second) == ("v-ada", "v-bea")
    # privacy, weight 2x: (200x + 87.5)/(2x + 2) = (175x + 37.5)/(2x + 1)
    #   400x^2 + 375x + 87.5 = 350x^2 + 425x + 75 -> 50x^2 - 50x + 12.5 = 12.5 (2x - 1)^2 = 0
    #   double root x = 0.5: Bea draws level there and falls back: no side (None).
    # oversight, equal scores 37.5 but different scored criteria:
    #   (250 + 37.5x)/(3 + x) = (175 + 37.5x)/(2 + x)
    #   37.5x^2 + 325x + 500 = 37.5x^2 + 287.5x + 525 -> 37.5x = 25 -> x = 2/3 -> 0.6667
    #   Ada - Bea grows with x: Bea overtakes below.
    # openness, Bea not scored: (237.5 + 50x)/(3 + x) = 425/6
    #   1425 + 300x = 1275 + 425x -> x = 150/125 = 1.2; Ada's 50 drags her down: above.
    assert tips(analysis) == {
        "privacy": (D("0.5"), None),
        "oversight": (D("0.6667"), False),
        "openness": (D("1.2"), True),
    }


def test_tipping_point_is_the_smallest_of_two_positive_roots():
    # Alpha lv(1,2,4,2,4,NA,NA): S_p = 25*(1+6+4)/5 = 55, S_o = 25*6/2 = 75, openness not scored
    #   T = (110 + 75)/3 = 185/3 = 61.67
    # Beta lv(1,2,3,1,4,3,4): S_p = 25*(1+6+3)/5 = 50, S_o = 25*5/2 = 62.5,
    #   S_t = 25*(6+4)/3 = 250/3; T = (100 + 62.5 + 250/3)/4 = 1475/24 = 61.46
    # privacy, weight 2x: (110x + 75)/(2x + 1) = (100x + 875/6)/(2x + 2)
    #   220x^2 + 370x + 150 = 200x^2 + (1175/3)x + 875/6
    #   -> 20x^2 - (65/3)x + 25/6 = 0 -> (x6/5) 24x^2 - 26x + 5 = 0 -> x = (26 +- 14)/48
    #   -> 1/4 and 5/6; the smallest, 0.25, is reported. Between the roots Beta leads, so just
    #   above 0.25 Beta is ahead: overtakes_above True.
    alpha, beta = card(lv(1, 2, 4, 2, 4, NA, NA)), card(lv(1, 2, 3, 1, 4, 3, 4))
    assert (alpha.total, beta.total) == (F(185, 3), F(1475, 24))
    point = tipping_point(alpha, beta, SET_WEIGHTS, "privacy")
    assert (point.factor, point.overtakes_above) == (D("0.25"), True)


def test_no_tipping_points_with_fewer_than_two_eligible_bidders():
    one_eligible = [bidder("Knock", KNOCK), bidder("Alpha", ALPHA), bidder("Late", None)]
    analysis = sensitivity(one_eligible, SET_WEIGHTS)
    assert (analysis.first, analysis.second, analysis.tipping_points) == (None, None, ())
    none_eligible = [bidder("Knock", KNOCK), bidder("Low", LOW)]
    analysis = sensitivity(none_eligible, SET_WEIGHTS)
    assert (analysis.first, analysis.second, analysis.tipping_points) == (None, None, ())


# --- section 10: eligibility never changes -------------------------------------------------------


def test_an_ineligible_bidder_never_wins_a_variation():
    # Knock (80, 100, 100) is ineligible (p1 = 0) and has the highest total in every variation:
    #   base 90; p x0.8 (128+200)/3.6 = 91.1; p x1.2 (192+200)/4.4 = 980/11 = 89.09;
    #   o or t x0.8 (160+80+100)/3.8 = 89.47; o or t x1.2 (160+120+100)/4.2 = 90.48;
    #   without privacy (100+100)/2 = 100; without oversight or openness (160+100)/3 = 86.67
    # against Alpha's best 77.27 and Beta's best 75 (see the fragile field).
    bidders = [bidder("Knock", KNOCK), bidder("Beta", BETA), bidder("Alpha", ALPHA)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    more_privacy = {"privacy": F(12, 5), "oversight": F(1), "openness": F(1)}
    assert weighted_total(bidders[0].scorecard, more_privacy) == F(980, 11)
    assert analysis.winners == ("v-alpha",)
    assert variations(analysis) == [
        ("privacy", LESS, ("v-beta",)),
        ("privacy", MORE, ("v-alpha",)),
        ("oversight", LESS, ("v-alpha",)),
        ("oversight", MORE, ("v-alpha",)),
        ("openness", LESS, ("v-alpha",)),
        ("openness", MORE, ("v-alpha",)),
    ]
    # without privacy: Alpha (50+50)/2 = 50, Beta (75+75)/2 = 75 -> Beta;
    # without oversight: Alpha (200+50)/3 = 83.33, Beta (140+75)/3 = 71.67 -> Alpha; openness alike
    assert [(left.criterion, left.winners) for left in analysis.leave_one_out] == [
        ("privacy", ("v-beta",)),
        ("oversight", ("v-alpha",)),
        ("openness", ("v-alpha",)),
    ]
    assert dict(analysis.worst_ranks) == {"v-alpha": 2, "v-beta": 2, "v-knock": 3}
    # The tipping points are between the two best eligible bidders, never Knock.
    assert (analysis.first, analysis.second) == ("v-alpha", "v-beta")


def test_unassessed_bidders_have_no_worst_rank_and_nothing_assessed_has_no_winner():
    bidders = [bidder("Alpha", ALPHA), bidder("Late", None)]
    analysis = sensitivity(bidders, SET_WEIGHTS)
    assert dict(analysis.worst_ranks) == {"v-alpha": 1}
    analysis = sensitivity([bidder("Late", None)], SET_WEIGHTS)
    assert analysis.winners == ()
    assert analysis.winner_stable is False
    assert all(v.winners == () for v in analysis.one_at_a_time)
    assert all(left.winners == () for left in analysis.leave_one_out)


# --- the report and its sentences ----------------------------------------------------------------


def report_of(bidders, weights=SET_WEIGHTS) -> dict:
    return ranking_report(MINI, dict(weights), bidders, AS_OF)


def test_report_rows_and_fragile_sentences():
    bidders = [
        bidder("Late", None),
        bidder("Knock", KNOCK),
        bidder("Gamma", GAMMA, reused_standalone=True),
        bidder("Beta", BETA),
        bidder("Alpha", ALPHA),
    ]
    report = report_of(bidders)
    assert report["as_of"] == AS_OF
    assert report["criteria_set"] == {"ref": "mini@1", "sha256": MINI.sha256}
    # 2/(2+1+1) = 1/2, 1/4, 1/4
    assert report["weights"] == [
        {
            "criterion": "privacy",
            "name": "Privacy",
            "weight": F(2),
            "effective_weight": F(1, 2),
            "award_weight": F(1, 2),
        },
        {
            "criterion": "oversight",
            "name": "Human oversight",
            "weight": F(1),
            "effective_weight": F(1, 4),
            "award_weight": F(1, 4),
        },
        {
            "criterion": "openness",
            "name": "Openness",
            "weight": F(1),
            "effective_weight": F(1, 4),
            "award_weight": F(1, 4),
        },
    ]
    rows = report["ranking"]
    assert [(r["vendor_id"], r["rank"], r.get("total"), r.get("eligible")) for r in rows] == [
        ("v-alpha", 1, F(75), True),
        ("v-beta", 2, F(145, 2), True),
        ("v-gamma", 3, F(135, 2), True),
        ("v-knock", 4, F(90), False),
        ("v-late", None, None, None),
    ]
    assert rows[2]["reused_standalone"] is True and rows[0]["reused_standalone"] is False
    assert rows[4] == {
        "rank": None,
        "vendor_id": "v-late",
        "vendor_name": "Late",
        "assessed": False,
        "reused_standalone": False,
        "reused_before_weights_fixed": False,
    }
    # Alpha's criteria: contributions 100/2 = 50, 50/4 = 12.5, 50/4 = 12.5
    assert rows[0]["criteria"] == [
        {"criterion": "privacy", "name": "Privacy", "score": F(100), "contribution": F(50)},
        {
            "criterion": "oversight",
            "name": "Human oversight",
            "score": F(50),
            "contribution": F(25, 2),
        },
        {"criterion": "openness", "name": "Openness", "score": F(50), "contribution": F(25, 2)},
    ]
    assert [k.key for k in rows[3]["knockouts"]] == ["p1"]

    s = report["sensitivity"]
    assert s["winner_vendor_ids"] == ["v-alpha"]
    assert s["winner_stable"] is False
    # Only privacy x0.8 changes the winner (see test_one_at_a_time_fragile_winner).
    assert s["summary"] == "If Privacy weighed 20% less, Beta would rank first instead of Alpha."
    # Knock is fourth in every variation (ineligible).
    assert s["one_at_a_time"] == [
        {"vendor_id": "v-alpha", "vendor_name": "Alpha", "worst_rank": 2},
        {"vendor_id": "v-beta", "vendor_name": "Beta", "worst_rank": 2},
        {"vendor_id": "v-gamma", "vendor_name": "Gamma", "worst_rank": 3},
        {"vendor_id": "v-knock", "vendor_name": "Knock", "worst_rank": 4},
    ]
    assert s["variations"] == [
        {"criterion": "privacy", "factor": F(4, 5), "winner_vendor_ids": ["v-beta"]},
        {"criterion": "privacy", "factor": F(6, 5), "winner_vendor_ids": ["v-alpha"]},
        {"criterion": "oversight", "factor": F(4, 5), "winner_vendor_ids": ["v-alpha"]},
        {"criterion": "oversight", "factor": F(6, 5), "winner_vendor_ids": ["v-alpha"]},
        {"criterion": "openness", "factor": F(4, 5), "winner_vendor_ids": ["v-alpha"]},
        {"criterion": "openness", "factor": F(6, 5), "winner_vendor_ids": ["v-alpha"]},
    ]
    # without privacy: Alpha 50, Beta 75, Gamma 75 (Knock 100, ineligible) -> Beta and Gamma;
    # without oversight: 83.33, 71.67, (120+100)/3 = 73.33 -> Alpha;
    # without openness: 83.33, 71.67, (120+50)/3 = 56.67 -> Alpha
    assert s["leave_one_out"] == [
        {
            "criterion": "privacy",
            "winner_vendor_id": "v-beta",
            "winner_vendor_ids": ["v-beta", "v-gamma"],
            "sentence": "Without Privacy, Beta and Gamma would rank first.",
        },
        {
            "criterion": "oversight",
            "winner_vendor_id": "v-alpha",
            "winner_vendor_ids": ["v-alpha"],
            "sentence": "Without Human oversight, Alpha would still rank first.",
        },
        {
            "criterion": "openness",
            "winner_vendor_id": "v-alpha",
            "winner_vendor_ids": ["v-alpha"],
            "sentence": "Without Openness, Alpha would still rank first.",
        },
    ]
    assert (s["first_vendor_id"], s["second_vendor_id"]) == ("v-alpha", "v-beta")
    # 5/6 -> 0.8333 below; 1.4 above; 1.4 above (see test_tipping_points_of_the_fragile_field)
    assert s["tipping_points"] == [
        {
            "criterion": "privacy",
            "factor": D("0.8333"),
            "sentence": "Beta would overtake Alpha if Privacy weighed less than 0.8333 times "
            "its current weight.",
        },
        {
            "criterion": "oversight",
            "factor": D("1.4"),
            "sentence": "Beta would overtake Alpha if Human oversight weighed more than 1.4 times "
            "its current weight.",
        },
        {
            "criterion": "openness",
            "factor": D("1.4"),
            "sentence": "Beta would overtake Alpha if Openness weighed more than 1.4 times "
            "its current weight.",
        },
    ]


def test_report_sentences_stable_winner_and_missing_tipping_point():
    report = report_of([bidder("Alpha", LINEAR_ALPHA), bidder("Beta", LINEAR_BETA)])
    s = report["sensitivity"]
    # privacy x1.2 < 1.5 and x0.8: Alpha; openness x0.8 > 2/3 and x1.2: Alpha; oversight never.
    assert s["winner_stable"] is True
    assert s["summary"] == (
        "Alpha ranks first whichever criterion weighs 20% more or 20% less "
        "(one criterion at a time)."
    )
    # without privacy: Alpha (50+100)/2 = 75, Beta (50+25)/2 = 37.5 -> Alpha
    # without oversight: Alpha (150+100)/3 = 83.33, Beta (200+25)/3 = 75 -> Alpha
    # without openness: Alpha (150+50)/3 = 66.67, Beta (200+50)/3 = 83.33 -> Beta
    assert [left["sentence"] for left in s["leave_one_out"]] == [
        "Without Privacy, Alpha would still rank first.",
        "Without Human oversight, Alpha would still rank first.",
        "Without Openness, Beta would rank first.",
    ]
    assert [left["winner_vendor_id"] for left in s["leave_one_out"]] == [
        "v-alpha",
        "v-alpha",
        "v-beta",
    ]
    assert [(t["criterion"], t["factor"], t["sentence"]) for t in s["tipping_points"]] == [
        (
            "privacy",
            D("1.5"),
            "Beta would overtake Alpha if Privacy weighed more than 1.5 times its current weight.",
        ),
        (
            "oversight",
            None,
            "No change to the weight of Human oversight alone would let Beta overtake Alpha.",
        ),
        (
            "openness",
            D("0.6667"),
            "Beta would overtake Alpha if Openness weighed less than 0.6667 times "
            "its current weight.",
        ),
    ]


def test_report_summary_with_two_changes_and_a_draw_level_sentence():
    s = report_of([bidder("Alpha", ALPHA), bidder("Beta", BETA), bidder("Gamma", GAMMA2)])[
        "sensitivity"
    ]
    # privacy x0.8 and openness x1.2 put Gamma first (test_one_at_a_time_with_two_changes_...)
    assert s["summary"] == (
        "If Privacy weighed 20% less, Gamma would rank first instead of Alpha. "
        "If Openness weighed 20% more, Gamma would rank first instead of Alpha."
    )
    # without privacy: Alpha 50, Beta 75, Gamma (62.5 + 100)/2 = 81.25 -> Gamma
    assert s["leave_one_out"][0]["sentence"] == "Without Privacy, Gamma would rank first."
    assert s["tipping_points"][0]["sentence"] == (
        "Gamma would overtake Alpha if Privacy weighed less than 0.8929 times its current weight."
    )

    s = report_of([bidder("Ada", lv(4, 4, NA, 0, 3, NA, 2)), bidder("Bea", BEA)])["sensitivity"]
    # Privacy's double root at 0.5 (test_tipping_points_double_root_...)
    assert s["tipping_points"][0]["sentence"] == (
        "Bea would draw level with Ada, without overtaking, if Privacy weighed 0.5 times "
        "its current weight."
    )
    # openness x1.2 only ties Bea with Ada: Ada still ranks first in every variation.
    assert s["winner_stable"] is True
    assert s["summary"] == (
        "Ada ranks first whichever criterion weighs 20% more or 20% less (one criterion at a time)."
    )


def test_report_with_nothing_assessed_or_one_eligible_bidder():
    s = report_of([bidder("Late", None)])["sensitivity"]
    assert s["summary"] == "No bidder is assessed yet: there is no ranking to test."
    assert s["winner_vendor_ids"] == [] and s["tipping_points"] == []
    assert [left["winner_vendor_id"] for left in s["leave_one_out"]] == [None, None, None]
    s = report_of([bidder("Knock", KNOCK), bidder("Alpha", ALPHA)])["sensitivity"]
    assert (s["first_vendor_id"], s["second_vendor_id"], s["tipping_points"]) == (None, None, [])
    assert s["summary"] == (
        "Alpha ranks first whichever criterion weighs 20% more or 20% less "
        "(one criterion at a time)."
    )


# --- property ------------------------------------------------------------------------------------

LEVEL = st.integers(0, 4)
LEVEL_OR_NA = st.one_of(st.none(), LEVEL)
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.lists(MINI_LEVELS, min_size=2, max_size=4))
def test_property_ranks_order_eligibility_and_worst_rank(fields):
    bidders = [bidder(f"B{i}", levels) for i, levels in enumerate(fields)]
    placed = place(bidders)
    ranks = [p.rank for p in placed]
    assert all(r is not None for r in ranks)
    assert ranks == sorted(ranks)
    eligible = [p for p in placed if p.bidder.scorecard.eligible]
    ineligible = [p for p in placed if not p.bidder.scorecard.eligible]
    assert all(e.rank < i.rank for e in eligible for i in ineligible)
    # Competition ranking, counted independently: 1 + those in the same group with a strictly
    # higher exact total (+ every eligible bidder for the ineligible).
    for p in eligible:
        assert p.rank == 1 + sum(q.total > p.total for q in eligible)
    for p in ineligible:
        assert p.rank == 1 + len(eligible) + sum(q.total > p.total for q in ineligible)
    analysis = sensitivity(bidders, SET_WEIGHTS)
    worst = dict(analysis.worst_ranks)
    assert set(worst) == {b.vendor_id for b in bidders}
    for p in placed:
        assert worst[p.bidder.vendor_id] >= p.rank
        assert worst[p.bidder.vendor_id] <= len(bidders)
    # Eligibility never changes: when someone is eligible, every winner of every variation is.
    if eligible:
        by_id = {b.vendor_id: b for b in bidders}
        for v in [*analysis.one_at_a_time, *analysis.leave_one_out]:
            assert all(by_id[w].scorecard.eligible for w in v.winners)


# --- margin in steps (section 10, v2) and ties for first (section 9, v2) --------------------------
#
# With all three criteria scored and the set's weights, E = 1/2, 1/4, 1/4 and one level more
# on an indicator gains 100 * E_c * w_i / (4 * answered weight of c): privacy (weight 5)
# 2.5 * w_i, so p1 2.5, p2 7.5, p3 2.5; oversight (weight 2) 3.125 each; openness (weight 3)
# 25/12 * w_i, so t1 50/12 and t2 25/12.


def test_a_margin_of_one_step_is_one_evaluators_mark():
    """Alpha 75 leads Beta 72.5 by 2.5; Beta's p2 from 3 to 4 gains 7.5, the largest step."""
    analysis = sensitivity([bidder("Alpha", ALPHA), bidder("Beta", BETA)], SET_WEIGHTS)
    margin = analysis.margin
    assert (margin.first, margin.second) == ("v-alpha", "v-beta")
    assert (margin.points, margin.largest_step, margin.steps_to_overtake) == (F(5, 2), F(15, 2), 1)
    assert [(s.indicator, s.from_level, s.to_level, s.gain) for s in margin.steps] == [
        ("p2", 3, 4, F(15, 2))
    ]
    report = report_of([bidder("Alpha", ALPHA), bidder("Beta", BETA)])
    written = report["sensitivity"]["margin"]
    assert written["steps"][0]["criterion"] == "Privacy"
    assert written["sentence"] == (
        "Alpha leads Beta by 2.50 points; one level more on one indicator of Beta's is worth up "
        "to 7.50 points, and 1 one-level raise of Beta's levels would draw level with or "
        "overtake Alpha: a single evaluator's single mark decides the award."
    )


def test_the_fewest_raises_are_taken_largest_gain_first_ties_by_key():
    """Alpha robust 81.25 leads Gamma2 73.125 by 8.125. Gamma2 (2, 3, 2, 3, 2, 4, 4): p2 3->4
    gains 7.5 (not enough), then o1 and o2 gain 3.125 each and o1 comes first by key:
    7.5 + 3.125 = 10.625 >= 8.125 after 2 raises. t1 gains more but is at 4 already."""
    analysis = sensitivity([bidder("Alpha", ALPHA_ROBUST), bidder("Gamma", GAMMA2)], SET_WEIGHTS)
    margin = analysis.margin
    assert (margin.points, margin.largest_step, margin.steps_to_overtake) == (
        F(65, 8),
        F(15, 2),
        2,
    )
    assert [(s.indicator, s.from_level, s.to_level, s.gain) for s in margin.steps] == [
        ("p2", 3, 4, F(15, 2)),
        ("o1", 3, 4, F(25, 8)),
    ]


def test_an_indicator_may_be_raised_more_than_once():
    """Top 100 leads Alpha 75 by 25; Alpha's room: o1, o2 2->4 (3.125 each step), t1 2->4
    (50/12 each), t2 2->4 (25/12 each). By gain: t1, t1 (8.33), o1, o1, o2, o2 (12.5 more:
    20.83), t2, t2 (4.17 more: 25): all 8 raises, when Alpha draws level at 100."""
    margin = sensitivity([bidder("Top", TOP), bidder("Alpha", ALPHA)], SET_WEIGHTS).margin
    assert margin.steps_to_overtake == 8
    assert [(s.indicator, s.to_level) for s in margin.steps] == [
        ("t1", 3),
        ("t1", 4),
        ("o1", 3),
        ("o1", 4),
        ("o2", 3),
        ("o2", 4),
        ("t2", 3),
        ("t2", 4),
    ]
    assert sum(s.gain for s in margin.steps) == margin.points == 25


def test_a_tie_for_first_is_said_and_settled_only_by_a_recorded_tie_break():
    """Alpha and Threes both total 75: tied for first, no winner on the scores."""
    tied = [bidder("Alpha", ALPHA), bidder("Threes", THREES), bidder("Beta", BETA)]
    report = report_of(tied)
    assert report["tie_for_first"] is True
    assert report["winner_vendor_id"] is None and report["tie_break"] is None
    margin = report["sensitivity"]["margin"]
    assert (margin["points"], margin["steps_to_overtake"], margin["steps"]) == (0, 0, [])
    settled = ranking_report(
        MINI,
        SET_WEIGHTS,
        tied,
        AS_OF,
        tie_break={"vendor_id": "v-threes", "reason": "Lower price, as the tender set out."},
    )
    assert settled["winner_vendor_id"] == "v-threes"
    assert settled["tie_break"]["reason"] == "Lower price, as the tender set out."
    # A tie-break naming a bidder not tied for first settles nothing.
    stray = ranking_report(MINI, SET_WEIGHTS, tied, AS_OF, tie_break={"vendor_id": "v-beta"})
    assert (stray["winner_vendor_id"], stray["tie_break"]) == (None, None)
    single = report_of([bidder("Alpha", ALPHA), bidder("Beta", BETA)])
    assert (single["tie_for_first"], single["winner_vendor_id"]) == (False, "v-alpha")
