"""marshmallow fields that refuse rather than coerce, and that write exact values out."""

import math
from fractions import Fraction

from marshmallow import fields

from .scoring import round_half_away


class StrictBoolean(fields.Boolean):
    """Only true and false; never "true", 1 or "yes" (1 == True in Python, so test the type)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class ExactNumber(fields.Field):
    """An integer or decimal read as an exact Fraction (`1.5` is 3/2); booleans and text refused."""

    default_error_messages = {"invalid": "Must be a number (integer or decimal), not text."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.make_error("invalid")
        # repr gives the shortest decimal that reads back as this float: what the author wrote.
        return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


class Rounded(fields.Field):
    """An exact value written out rounded half away from zero (2 places by default)."""

    def __init__(self, places: int = 2, scale: int = 1, **kwargs):
        self.places, self.scale = places, scale
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float(round_half_away(Fraction(value) * self.scale, self.places))


class Exact(fields.Field):
    """A weight or threshold as the criteria file gives it (1, 2.5)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return int(value) if value.denominator == 1 else float(value)
