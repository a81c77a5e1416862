"""A knockout in words: what makes a bid ineligible whatever its total, said the same way on
every page that shows one (the procurement's ranking, the vendor's scorecard, the board pack).

The sentence names what was missed by its own words (the gate's condition, the indicator's
question and the description of the level reached, the criterion's name) as well as its key,
so a reader needs neither the criteria file nor the API to follow it.
"""

from fractions import Fraction

from ..criteria import CriteriaSet
from ..scoring import MAX_LEVEL
from .numbers import number, points


def knockout_sentence(
    criteria_set: CriteriaSet,
    kind: str,
    key: str,
    value: Fraction | int | float | str,
    threshold: Fraction | int | float | str,
    tier: str | None = None,
) -> str:
    """One knockout as a sentence. `kind`, `key`, `value` and `threshold` are the knockout's as
    the scorecard and the ranking hold them (a ranking written out gives its numbers as
    strings); `tier` is the impact tier whose minimum levels held, if any."""
    value, threshold = Fraction(str(value)), Fraction(str(threshold))
    if kind == "gate":
        gate = next((g for g in criteria_set.gates if g.key == key), None)
        what = f"\u201c{' '.join(gate.question.split())}\u201d ({key})" if gate else key
        return f"Gate failed: {what}. A bidder that fails a gate cannot be awarded the contract."
    if kind == "criterion_minimum":
        name = next((c.name for c in criteria_set.criteria if c.key == key), key)
        return (
            f"Criterion minimum not met: {name} scored {points(value)} out of 100, under its "
            f"minimum of {number(threshold)}."
        )
    indicator = next((i for i in criteria_set.indicators if i.key == key), None)
    if indicator is None:  # a set always names its indicators; kept readable all the same
        return f"{key} is at level {number(value)}, under level {number(threshold)}."
    level = int(value)
    at = (
        f"\u201c{indicator.question}\u201d ({key}) is at level {level} of {MAX_LEVEL}, "
        f"\u201c{indicator.levels[level]}\u201d"
    )
    if kind == "indicator":
        return f"Red line crossed: {at}; the red line is level {number(threshold)}."
    where = f" in the {tier} impact tier" if tier else ""
    return f"Indicator minimum not met: {at}; the minimum{where} is level {number(threshold)}."
