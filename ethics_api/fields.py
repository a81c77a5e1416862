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


class Rounded(fields.Float):
    """An exact value written out rounded half away from zero (2 places by default).

    A Float to the API document (a JSON number), so that clients generated from it read one.
    """

    def __init__(self, places: int = 2, scale: int = 1, **kwargs):
        self.places, self.scale = places, scale
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float(round_half_away(Fraction(value) * self.scale, self.places))


class Exact(fields.Number):
    """A weight or threshold as the criteria file gives it (1, 2.5): a JSON number."""

    num_type = float  # only for reading, which this output field never does

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, int | float):
            return value  # written out already, e.g. a stored ranking rendered again
        return as_json(value)


class _Computed:
    """A field whose value is worked out from the whole object, then written out as the field
    it is mixed into; unlike fields.Function, the API document then knows its type."""

    def __init__(self, compute, *args, **kwargs):
        self.compute = compute
        super().__init__(*args, **kwargs)

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(self.compute(obj), attr, obj, **kwargs)


class ComputedList(_Computed, fields.List):
    """`ComputedList(compute, inner)`: the list `compute(obj)`, each item written by `inner`."""


class ComputedNested(_Computed, fields.Nested):
    """`ComputedNested(compute, schema)`: `compute(obj)` written out by `schema`."""


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


# Characters that make text read differently from what it holds, spelled out so that the
# patterns below say exactly the same in Python and in the API document's JSON Schema.
# Control characters: C0 (but tab, line feed and carriage return), DEL and C1.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
LINE_BREAKS = r"\t\n\r\u2028\u2029"
# Embeddings, overrides and isolates, which reorder the characters around them when shown.
DIRECTION_OVERRIDES = r"\u202a-\u202e\u2066-\u2069"
# Zero-width spaces and joiners, word joiner and byte order mark: present, never seen.
ZERO_WIDTH = r"\u200b-\u200d\u2060\ufeff"

# A character that shows: not a control character, not white space, not an invisible format
# character (zero-width spaces and joiners, direction marks and overrides). Spelled out,
# because Python's and JSON Schema's `\s` and `.` disagree on a few characters.
VISIBLE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]"
# A character of a name or identifier: none of the above, and no line break or tab.
NAME_CHARACTER = f"[^{CONTROL}{LINE_BREAKS}{DIRECTION_OVERRIDES}{ZERO_WIDTH}]"
# One line of text with no white space at either end.
TRIMMED_LINE = f"{VISIBLE}(?:{NAME_CHARACTER}*{VISIBLE})?"

# A character of free text (rationales, summaries): lines and tabs allowed, and zero-width
# joiners too (emoji and several scripts need them); control characters and direction
# overrides not.
FREE_CHARACTER = f"[^{CONTROL}{DIRECTION_OVERRIDES}]"
FREE_TEXT = f"{FREE_CHARACTER}*"
NOT_BLANK = f"{FREE_CHARACTER}*{VISIBLE}{FREE_CHARACTER}*"

_REFUSED_IN_NAMES = re.compile(f"[{CONTROL}{LINE_BREAKS}{DIRECTION_OVERRIDES}{ZERO_WIDTH}]")
_REFUSED_IN_FREE_TEXT = re.compile(f"[{CONTROL}{DIRECTION_OVERRIDES}]")
_HIDDEN = re.compile(f"[{CONTROL}{DIRECTION_OVERRIDES}{ZERO_WIDTH}]")


def hidden_character(text: str, multiline: bool = False) -> str | None:
    """Why `text` cannot be taken as it is, or None: the first character that would hide or
    reorder what a reader sees. Names and identifiers (`multiline` false) refuse line breaks,
    tabs and zero-width characters too."""
    refused = _REFUSED_IN_FREE_TEXT if multiline else _REFUSED_IN_NAMES
    found = refused.search(text)
    if found is None:
        return None
    character, position = found.group(), found.start() + 1
    return f"Must not contain {_kind(character)} (U+{ord(character):04X}, character {position})."


def _kind(character: str) -> str:
    if re.fullmatch(f"[{DIRECTION_OVERRIDES}]", character):
        return "a direction override, which reorders the text around it"
    if re.fullmatch(f"[{ZERO_WIDTH}]", character):
        return "an invisible zero-width character"
    if re.fullmatch(f"[{LINE_BREAKS}]", character):
        return "a line break or tab (it must be one line)"
    return "a control character"


def without_hidden_characters(text: str) -> str:
    """`text` as it may be shown in a document: control characters, direction overrides and
    zero-width characters dropped (line breaks and tabs kept). Text refused on the way in
    never has them; this keeps rows stored before that rule out of documents too."""
    return _HIDDEN.sub("", text)


class Written(FullMatch):
    """Text a person wrote: the whole value matches `pattern`, and a character that hides or
    reorders text is refused with a message naming it (the pattern refuses it too, so the API
    document states the rule)."""

    def __init__(self, pattern: str, error: str, multiline: bool):
        self.multiline = multiline
        super().__init__(pattern, error)

    def __call__(self, value: str) -> str:
        problem = hidden_character(value, self.multiline)
        if problem is not None:
            raise ValidationError(problem)
        return super().__call__(value)


# A port from 1 to 65535, spelt out so the document states the range too.
PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
WEB_URL = rf"https?://[A-Za-z0-9.-]+(?::{PORT})?(?:[/?#][^\x00-\x20\x7f]*)?"


def Text(max_length: int, min_length: int = 0, **kwargs) -> fields.String:
    """Free text up to `max_length` characters: lines and tabs, but no control characters
    (PostgreSQL cannot even store NUL) nor direction overrides; with a `min_length`, not blank
    either (white space alone says nothing)."""
    if min_length:
        pattern, error = NOT_BLANK, "Must say something: not blank."
    else:
        pattern, error = FREE_TEXT, "Must not contain control characters or direction overrides."
    return fields.String(
        validate=[
            validate.Length(min=min_length, max=max_length),
            Written(pattern, error, multiline=True),
        ],
        **kwargs,
    )


def Line(max_length: int, **kwargs) -> fields.String:
    """A name, title or identifier: one line, not blank, no white space at either end, and
    nothing that hides or reorders what a reader sees."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=max_length),
            Written(
                TRIMMED_LINE,
                error="Must be one line, not blank, no spaces at either end.",
                multiline=False,
            ),
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
