"""The award a procurement's ethics evaluation is part of, and who it goes to.

A contract goes to the most advantageous tender overall (Procurement Act 2023 s.19); the ethics
evaluation is one part of the award, carrying `share` percent of it, beside the components the
buyer scored elsewhere (price, other quality criteria). When those components are recorded for
every eligible bidder, the overall result is the exact sum of the weighted parts:

    overall = share/100 x ethics total + sum over components of weight/100 x score

and the award is decided on it; when the ethics evaluation is the whole award (share 100) it is
decided on the ethics ranking; otherwise the service does not hold the whole award and names no
winner of it.

A tie for first on the deciding ranking is broken only by the tie-break the buyer recorded
(scoring contract section 9), never by the order of a list.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .ranking import Placed, answered_levels, indicator_gains
from .scoring import MAX_LEVEL

WHOLE = Fraction(100)
ETHICS = "ethics evaluation"


@dataclass(frozen=True)
class Component:
    """One other part of the award as the buyer scored a bid: score out of 100, weight in
    percent of the whole award."""

    name: str
    kind: str  # price or quality
    weight: Fraction
    score: Fraction

    @property
    def model(self) -> tuple[str, str, Fraction]:
        return (self.name, self.kind, self.weight)


@dataclass(frozen=True)
class Overall:
    vendor_id: str
    vendor_name: str
    ethics_total: Fraction
    components: tuple[Component, ...]
    total: Fraction
    rank: int


@dataclass(frozen=True)
class OverallMargin:
    """How far the second overall is from the first, against what one evaluator's one-level
    mark on the second's ethics evaluation is worth overall (its largest step, scaled by the
    ethics evaluation's share)."""

    first: str
    second: str
    points: Fraction
    largest_step: Fraction | None  # None: every answered indicator of the second is at 4

    @property
    def one_mark_decides(self) -> bool:
        return self.largest_step is not None and self.points <= self.largest_step


@dataclass(frozen=True)
class Award:
    share: Fraction
    basis: str  # "ethics" (share 100), "overall" (components complete), "incomplete"
    model: tuple[tuple[str, str, Fraction], ...]  # the components' (name, kind, weight)
    overall: tuple[Overall, ...]  # by overall rank; empty unless the basis is "overall"
    recorded: tuple[str, ...]  # the vendor ids whose components are recorded
    first: tuple[str, ...]  # vendor ids first on the deciding ranking
    tie_break: dict | None  # the recorded tie-break, when it breaks a tie on that ranking
    winner_vendor_id: str | None  # the most advantageous tender, when the service knows it
    margin: OverallMargin | None = None  # between the first two overall, when they differ

    @property
    def tie_for_first(self) -> bool:
        return len(self.first) > 1

    @property
    def decided_on_ethics(self) -> bool:
        """Whether the deciding ranking is the ethics ranking (whole award, or the service
        does not hold the rest of it)."""
        return self.basis != "overall"


def points(weight: Fraction, score: Fraction) -> Fraction:
    """What a part scoring `score` of 100 adds to the overall result at `weight` percent."""
    return weight * score / WHOLE


def decide(
    placed: Sequence[Placed],
    share: Fraction,
    components: Mapping[str, Sequence[Component]],
    tie_break: dict | None,
) -> Award:
    """The award from the ethics ranking, the ethics evaluation's share and the bidders' other
    components, by vendor id."""
    eligible = [p for p in placed if _eligible(p)]
    model = _model(components)
    recorded = all(p.bidder.vendor_id in components for p in eligible)
    if share == WHOLE:
        basis = "ethics"
    elif model and eligible and recorded:
        basis = "overall"
    else:
        basis = "incomplete"
    overall = _overall(eligible, share, components) if basis == "overall" else ()
    if basis == "overall":
        first = tuple(o.vendor_id for o in overall if o.rank == 1)
    else:
        first = tuple(p.bidder.vendor_id for p in eligible if p.rank == 1)
    applies = (
        tie_break if len(first) > 1 and tie_break and tie_break["vendor_id"] in first else None
    )
    if applies:
        chosen: str | None = applies["vendor_id"]
    else:
        chosen = first[0] if len(first) == 1 else None
    return Award(
        share=share,
        basis=basis,
        model=model,
        overall=overall,
        recorded=tuple(sorted(components)),
        first=first,
        tie_break=applies,
        winner_vendor_id=None if basis == "incomplete" else chosen,
        margin=_margin(overall, placed, share),
    )


def _margin(
    overall: tuple[Overall, ...], placed: Sequence[Placed], share: Fraction
) -> OverallMargin | None:
    if len(overall) < 2 or overall[0].total == overall[1].total:
        return None
    first, second = overall[0], overall[1]
    card = next(p.bidder.scorecard for p in placed if p.bidder.vendor_id == second.vendor_id)
    assert card is not None, "a bidder ranked overall is assessed"
    levels = answered_levels(card)
    gains = [gain for key, gain in indicator_gains(card).items() if levels[key] < MAX_LEVEL]
    return OverallMargin(
        first.vendor_id,
        second.vendor_id,
        first.total - second.total,
        max(gains) * share / WHOLE if gains else None,
    )


def _eligible(placed: Placed) -> bool:
    scorecard = placed.bidder.scorecard
    return scorecard is not None and scorecard.eligible


def _model(components: Mapping[str, Sequence[Component]]) -> tuple:
    """The components' shape, the same for every bidder (the services see to that)."""
    for found in components.values():
        return tuple(c.model for c in found)
    return ()


def _overall(
    eligible: Sequence[Placed], share: Fraction, components: Mapping[str, Sequence[Component]]
) -> tuple[Overall, ...]:
    totals = []
    for p in eligible:
        parts = tuple(components[p.bidder.vendor_id])
        assert p.total is not None, "an eligible bidder is assessed"
        total = points(share, p.total) + sum(
            (points(c.weight, c.score) for c in parts), Fraction(0)
        )
        totals.append((p, parts, total))
    totals.sort(key=lambda t: (-t[2], t[0].bidder.vendor_name, t[0].bidder.vendor_id))
    ranked: list[Overall] = []
    for index, (p, parts, total) in enumerate(totals):
        tied = index > 0 and total == ranked[-1].total
        rank = ranked[-1].rank if tied else index + 1
        assert p.total is not None
        ranked.append(
            Overall(p.bidder.vendor_id, p.bidder.vendor_name, p.total, parts, total, rank)
        )
    return tuple(ranked)
