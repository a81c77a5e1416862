"""marshmallow fields that refuse rather than coerce, and that write exact values out."""

import math
import re
from decimal import Decimal
from fractions import Fraction

from marshmallow import ValidationError, fields, validate

from .exact import as_json, exact, round_half_away


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
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self.make_error("invalid")
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            raise self.make_error("invalid")
        return exact(value)


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
        if value is None or isinstance(value, int | float):
            return value  # written out already, e.g. a stored ranking rendered again
        return as_json(value)


class FullMatch(validate.Regexp):
    """The whole value must match; documented as the anchored JSON Schema `pattern`.

    marshmallow's Regexp only anchors the start, and Python's `$` also matches before a final
    newline, so "GB\\n" would pass `^[A-Z]{2}$`: fullmatch refuses it.
    """

    def __init__(self, pattern: str, error: str):
        super().__init__(f"^(?:{pattern})$", error=error)

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# A character that shows: not a control character, not white space, not an invisible format
# character (zero-width spaces and joiners, direction marks and overrides). Spelled out,
# because Python's and JSON Schema's `\s` and `.` disagree on a few characters.
VISIBLE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]"
NO_CONTROL = r"[^\x00-\x1f\x7f]"
# One line of text with no white space at either end.
TRIMMED_LINE = f"{VISIBLE}(?:{NO_CONTROL}*{VISIBLE})?"

# Free text: anything but NUL, which PostgreSQL cannot store in text.
NO_NUL = r"[^\x00]*"
NOT_BLANK = f"{NO_NUL}{VISIBLE}{NO_NUL}"

# A port from 1 to 65535, spelt out so the document states the range too.
PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
WEB_URL = rf"https?://[A-Za-z0-9.-]+(?::{PORT})?(?:[/?#][^\x00-\x20\x7f]*)?"


def Text(max_length: int, min_length: int = 0, **kwargs) -> fields.String:
    """Free text up to `max_length` characters, without NUL; with a `min_length`, not blank
    either (white space alone says nothing)."""
    if min_length:
        pattern, error = NOT_BLANK, "Must say something: not blank, no NUL characters."
    else:
        pattern, error = NO_NUL, "Must not contain NUL characters."
    return fields.String(
        validate=[validate.Length(min=min_length, max=max_length), FullMatch(pattern, error)],
        **kwargs,
    )


def Line(max_length: int, **kwargs) -> fields.String:
    """A name or title: one line, not blank, no white space at either end."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=max_length),
            FullMatch(TRIMMED_LINE, error="Must be one line, not blank, no spaces at either end."),
        ],
        **kwargs,
    )


def WebUrl(max_length: int = 2000, **kwargs) -> fields.String:
    """An http(s) URL; a plain pattern, so the API document states the rule exactly."""
    return fields.String(
        validate=[
            validate.Length(max=max_length),
            FullMatch(WEB_URL, error="Must be an http(s):// URL (with a port from 1 to 65535)."),
        ],
        **kwargs,
    )


# RFC 3339: a full date, a time to the second (fractions up to the microsecond, as far as
# Python keeps them) and an offset. ISO 8601's other forms (week dates, 20270101T000000Z) are
# not RFC 3339, and nanoseconds would be cut silently: all refused.
RFC3339 = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
FULL_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


class Instant(fields.AwareDateTime):
    """An RFC 3339 date-time with its offset, e.g. 2027-01-01T00:00:00Z."""

    default_error_messages = {
        "invalid": "Must be an RFC 3339 time with an offset, e.g. 2027-01-01T00:00:00Z "
        "(in a query, spell + as %2B).",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata.setdefault("pattern", f"^{RFC3339}$")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or re.fullmatch(RFC3339, value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value.upper(), attr, data, **kwargs)


class Day(fields.Date):
    """A date as YYYY-MM-DD, the only form RFC 3339 has (not 20260105)."""

    default_error_messages = {"invalid": "Must be a date as YYYY-MM-DD, e.g. 2026-01-05."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata.setdefault("pattern", f"^{FULL_DATE}$")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or re.fullmatch(FULL_DATE, value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)
