"""Ranking bidders within a procurement, and how much the ranking depends on the weights.

Pure functions over scorecards (scoring contract, sections 9 and 10): eligible bidders first by
exact total, then the ineligible, then those with no current assessment (no rank). Equal exact
totals share a rank and the next rank skips (1, 2, 2, 4). The sensitivity analysis re-ranks
under varied weights from each bidder's criterion scores; eligibility never changes with the
weights, so only totals and ranks move.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from .exact import round_half_away
from .scoring import MAX_LEVEL, Scorecard

FACTORS = (Fraction(4, 5), Fraction(6, 5))


@dataclass(frozen=True)
class Bidder:
    vendor_id: str
    vendor_name: str
    scorecard: Scorecard | None  # None: no current assessment
    reused_standalone: bool = False


@dataclass(frozen=True)
class Placed:
    bidder: Bidder
    rank: int | None
    total: Fraction | None


def weighted_total(scorecard: Scorecard, weights: Mapping[str, Fraction]) -> Fraction:
    """T under other criterion weights, renormalised over the bidder's scored criteria.

    A bidder left with no scored criterion of positive weight totals 0.
    """
    # The same fraction as sum(w * S) / sum(w), added up in integers over common denominators
    # and reduced once: the sensitivity analysis takes 17 totals of every bidder per ranking,
    # and Fraction reduces (a gcd) after every single operation.
    terms = [(weights[key], score) for key, score in scorecard.scores.items()]
    terms = [(weight, score) for weight, score in terms if weight > 0]
    if not terms:
        return Fraction(0)
    weighted_den = math.lcm(*(w.denominator * s.denominator for w, s in terms))
    weighted = sum(
        w.numerator * s.numerator * (weighted_den // (w.denominator * s.denominator))
        for w, s in terms
    )
    weight_den = math.lcm(*(w.denominator for w, _ in terms))
    weight = sum(w.numerator * (weight_den // w.denominator) for w, _ in terms)
    return Fraction(weighted * weight_den, weighted_den * weight)


def place(
    bidders: Sequence[Bidder], total_of: Callable[[Scorecard], Fraction] | None = None
) -> tuple[Placed, ...]:
    """The ranking, by `total_of` (the scorecard's own total unless given)."""
    total_of = total_of or (lambda scorecard: scorecard.total)
    assessed = [(b, b.scorecard) for b in bidders if b.scorecard is not None]
    placed: list[Placed] = []
    for eligible in (True, False):
        group = sorted(
            ((b, total_of(s)) for b, s in assessed if s.eligible is eligible),
            key=lambda bt: (-bt[1], bt[0].vendor_name, bt[0].vendor_id),
        )
        offset = len(placed)
        for index, (bidder, total) in enumerate(group):
            tied = index > 0 and total == group[index - 1][1]
            placed.append(Placed(bidder, placed[-1].rank if tied else offset + index + 1, total))
    unassessed = sorted(
        (b for b in bidders if b.scorecard is None), key=lambda b: (b.vendor_name, b.vendor_id)
    )
    placed += [Placed(b, None, None) for b in unassessed]
    return tuple(placed)


def winners(placed: Sequence[Placed]) -> tuple[str, ...]:
    return tuple(p.bidder.vendor_id for p in placed if p.rank == 1)


@dataclass(frozen=True)
class Variation:
    criterion: str
    factor: Fraction
    winners: tuple[str, ...]


@dataclass(frozen=True)
class LeftOut:
    criterion: str
    winners: tuple[str, ...]


@dataclass(frozen=True)
class TippingPoint:
    criterion: str
    factor: Decimal | None  # rounded to 4 places; None when no factor > 0 makes them equal
    overtakes_above: bool | None  # True: the second overtakes when the factor is above it
    # With a second root above the first, the second bidder leads only up to it.
    leads_until: Decimal | None = None


@dataclass(frozen=True)
class Raise:
    indicator: str
    from_level: int
    to_level: int
    gain: Fraction


@dataclass(frozen=True)
class Margin:
    """How far the second eligible bidder is from the first, in evaluators' marks (section 10)."""

    first: str
    second: str
    points: Fraction  # T_first - T_second
    largest_step: Fraction | None  # the most one raise of one of the second's levels gains
    steps_to_overtake: int | None  # None: raising all of them to 4 is not enough
    steps: tuple[Raise, ...]  # the raises, largest gain first


@dataclass(frozen=True)
class Sensitivity:
    winners: tuple[str, ...]
    winner_stable: bool
    worst_ranks: tuple[tuple[str, int], ...]
    one_at_a_time: tuple[Variation, ...]
    leave_one_out: tuple[LeftOut, ...]
    first: str | None  # the top two eligible bidders, between which tipping points are found
    second: str | None
    tipping_points: tuple[TippingPoint, ...]
    margin: Margin | None = None


def _varied(weights: Mapping[str, Fraction], key: str, factor: Fraction) -> dict:
    return {**weights, key: weights[key] * factor}


def _placed_under(bidders: Sequence[Bidder], weights: Mapping[str, Fraction]):
    """The ranking under other criterion weights."""
    return place(bidders, lambda scorecard: weighted_total(scorecard, weights))


def sensitivity(bidders: Sequence[Bidder], weights: Mapping[str, Fraction]) -> Sensitivity:
    baseline = _placed_under(bidders, weights)
    baseline_winners = winners(baseline)
    worst = {p.bidder.vendor_id: p.rank for p in baseline if p.rank is not None}

    variations = []
    for key in weights:
        for factor in FACTORS:
            placed = _placed_under(bidders, _varied(weights, key, factor))
            for p in placed:
                if p.rank is not None:
                    worst[p.bidder.vendor_id] = max(worst[p.bidder.vendor_id], p.rank)
            variations.append(Variation(key, factor, winners(placed)))
    stable = bool(baseline_winners) and all(
        set(baseline_winners) <= set(v.winners) for v in variations
    )

    left_out = []
    for key in weights:
        placed = _placed_under(bidders, {**weights, key: Fraction(0)})
        left_out.append(LeftOut(key, winners(placed)))

    eligible = [
        (p.bidder, p.bidder.scorecard)
        for p in baseline
        if p.bidder.scorecard is not None and p.bidder.scorecard.eligible
    ]
    first, second = (eligible[0], eligible[1]) if len(eligible) >= 2 else (None, None)
    tipping = (
        tuple(tipping_point(first[1], second[1], weights, key) for key in weights)
        if first and second
        else ()
    )
    return Sensitivity(
        margin=margin(first[0].vendor_id, first[1], second[0].vendor_id, second[1])
        if first and second
        else None,
        winners=baseline_winners,
        winner_stable=stable,
        worst_ranks=tuple(worst.items()),
        one_at_a_time=tuple(variations),
        leave_one_out=tuple(left_out),
        first=first[0].vendor_id if first else None,
        second=second[0].vendor_id if second else None,
        tipping_points=tipping,
    )


def margin(first_id: str, first: Scorecard, second_id: str, second: Scorecard) -> Margin:
    """The margin between the first and the second, in one-level raises of the second's
    answered indicators: each raise of indicator i gains gain_i (section 8), whatever its
    level, so taking them largest first (ties by key) finds the fewest."""
    gains = indicator_gains(second)
    room = [
        (key, level)
        for key, level in answered_levels(second).items()
        if level < MAX_LEVEL and key in gains
    ]
    room.sort(key=lambda kl: kl[0])
    room.sort(key=lambda kl: gains[kl[0]], reverse=True)
    points = first.total - second.total
    steps: list[Raise] = []
    gained = Fraction(0)
    for key, level in room:
        for to in range(level + 1, MAX_LEVEL + 1):
            if gained >= points:
                break
            steps.append(Raise(key, to - 1, to, gains[key]))
            gained += gains[key]
    enough = gained >= points
    return Margin(
        first=first_id,
        second=second_id,
        points=points,
        largest_step=max((gains[key] for key, _ in room), default=None),
        steps_to_overtake=len(steps) if enough else None,
        steps=tuple(steps) if enough else (),
    )


def answered_levels(scorecard: Scorecard) -> dict[str, int]:
    """The combined level of each answered indicator."""
    return {i.key: i.level for c in scorecard.criteria for i in c.indicators if i.level is not None}


def indicator_gains(scorecard: Scorecard) -> dict[str, Fraction]:
    """What one level more of each answered indicator adds to the total (section 8):
    100 * E_c * w_i / (4 * the answered weight of c)."""
    gains = {}
    for criterion in scorecard.criteria:
        if criterion.effective_weight is None:
            continue
        answered = [i for i in criterion.indicators if i.level is not None]
        weight = sum((i.weight for i in answered), Fraction(0))
        for indicator in answered:
            gains[indicator.key] = (
                100 * criterion.effective_weight * indicator.weight / (MAX_LEVEL * weight)
            )
    return gains


def tipping_point(
    first: Scorecard, second: Scorecard, weights: Mapping[str, Fraction], key: str
) -> TippingPoint:
    """The smallest factor x > 0 on criterion `key`'s weight at which the two totals are equal.

    Each total is (N + x*a) / (P + x*b): N and P the weighted scores and weights of the other
    scored criteria, a and b those of `key` (0 where `key` is not scored for that bidder).
    Equal totals make (N1 + a1 x)(P2 + b2 x) - (N2 + a2 x)(P1 + b1 x) zero: a quadratic in x.
    When both bidders have the same criteria scored it factors into (P + b x), whose root is
    negative, times a linear term, so the answer is then rational and exact.
    """

    def parts(scorecard: Scorecard) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        n = p = a = b = Fraction(0)
        for criterion, score in scorecard.scores.items():
            if criterion == key:
                a, b = weights[key] * score, weights[key]
            else:
                n, p = n + weights[criterion] * score, p + weights[criterion]
        return n, p, a, b

    n1, p1, a1, b1 = parts(first)
    n2, p2, a2, b2 = parts(second)
    quadratic = a1 * b2 - a2 * b1
    linear = n1 * b2 + a1 * p2 - n2 * b1 - a2 * p1
    constant = n1 * p2 - n2 * p1
    roots = _positive_roots(quadratic, linear, constant)
    if not roots:
        return TippingPoint(key, None, None)
    x = roots[0]
    # Past x, first - second takes the sign of the slope there: negative means the second
    # bidder overtakes when the weight grows beyond x times, positive when it shrinks below.
    slope = 2 * quadratic * x + linear
    if slope == 0:
        return TippingPoint(key, round_half_away(x, 4), None)
    until = round_half_away(roots[1], 4) if slope < 0 and len(roots) > 1 else None
    return TippingPoint(key, round_half_away(x, 4), slope < 0, until)


def _positive_roots(qa: Fraction, qb: Fraction, qc: Fraction) -> list[Fraction]:
    """Positive roots of qa x^2 + qb x + qc, smallest first.

    Exact where the root is rational (always when the equation is linear); an irrational root
    is taken to 50 significant digits, far beyond the 4 places it is reported with.
    """
    if qa == 0:
        if qb == 0:
            return []  # equal for every x, or never: no single tipping factor
        root = -qc / qb
        return [root] if root > 0 else []
    discriminant = qb * qb - 4 * qa * qc
    if discriminant < 0:
        return []
    sqrt = _sqrt(discriminant)
    roots = [(-qb + sign * sqrt) / (2 * qa) for sign in (-1, 1)]
    return sorted(r for r in roots if r > 0)


def _sqrt(value: Fraction) -> Fraction:
    """The exact root of a rational square, else one good to 50 significant digits."""
    num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if num * num == value.numerator and den * den == value.denominator:
        return Fraction(num, den)
    with localcontext() as context:
        context.prec = 50
        return Fraction(Decimal(value.numerator).sqrt() / Decimal(value.denominator).sqrt())
