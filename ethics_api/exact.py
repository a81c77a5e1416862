"""Exact numbers: how values enter as fractions and leave rounded.

Scores are computed with `Fraction` from end to end (scoring contract, section 3). Numbers come
in as JSON or YAML integers and decimals, and go out rounded half away from zero, only when
written.
"""

import math
from decimal import Decimal
from fractions import Fraction


def exact(value: int | float | Decimal | Fraction) -> Fraction:
    """A number as the fraction its author wrote: a float is read through `repr`, the shortest
    decimal that reads back as that float (0.1 is 1/10, not 3602879701896397/36028797018963968).
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def as_json(value: Fraction) -> int | float:
    """An exact number that came in as a JSON number, as that number again (2.5, not 5/2)."""
    return int(value) if value.denominator == 1 else float(value)


def round_half_away(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact value half away from zero, only ever when it is written out."""
    scaled = abs(value) * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    return Decimal(-whole if value < 0 else whole).scaleb(-places)
