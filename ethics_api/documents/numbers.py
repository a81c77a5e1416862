"""Numbers as prose writes them: exact values rounded once, with no trailing zeros."""

from fractions import Fraction

from ..exact import round_half_away


def number(value: Fraction | int | float) -> str:
    """50 for 50, 12.5 for 12.5, 33.33 for 100/3: at most two decimal places."""
    text = f"{round_half_away(Fraction(value))}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: Fraction | int | float) -> str:
    return f"{number(value)}%"


def points(value: Fraction | int | float) -> str:
    """A score as documents print it: always two decimal places (68.75, 50.00)."""
    return f"{round_half_away(Fraction(value))}"
