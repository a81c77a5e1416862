"""What the resources' schemas share: strictness, identifiers, references to a vendor or a set.

Input schemas refuse rather than coerce: unknown fields, strings for numbers, floats for
integers and numbers for booleans are all errors (marshmallow's `unknown = RAISE`,
`Integer(strict=True)` and `StrictBoolean`). Output schemas render the exact values of
`scoring` with the one rounding rule of the contract.
"""

from fractions import Fraction

import marshmallow as ma
from marshmallow import fields, validate

from ..exact import round_half_away
from ..fields import FullMatch, Line, Rounded, Text

SHA256_PATTERN = r"[0-9a-f]{64}"
CRITERIA_REF = r"[a-z][a-z0-9]*(-[a-z0-9]+)*@[1-9][0-9]*"


def criteria_ref(description: str = "key@version; the default set when absent", **kwargs):
    """A criteria set named `key@version`."""
    return fields.String(
        validate=FullMatch(CRITERIA_REF, error="Must be key@version, e.g. ai-ethics@1."),
        metadata={"description": description},
        **kwargs,
    )


def non_blank(max_length: int, **kwargs) -> fields.String:
    return Text(max_length, min_length=1, **kwargs)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class StatusSchema(ma.Schema):
    status = fields.String(metadata={"description": "ok, or ready"})


class IdentifierSchema(StrictSchema):
    scheme = fields.String(
        required=True,
        validate=[
            validate.Length(max=50),
            FullMatch(
                r"[A-Z]{2,6}(-[A-Z0-9]+)+", error="Must be an org-id.guide scheme, e.g. GB-COH."
            ),
        ],
        metadata={"description": "Register the id comes from (org-id.guide), e.g. GB-COH"},
    )
    id = Line(100, required=True, metadata={"description": "The id in that register"})


class KnockoutSchema(ma.Schema):
    kind = fields.String(
        metadata={
            "description": "indicator, indicator_minimum, criterion_minimum, or gate (a "
            "pass/fail condition the buyer recorded as failed)"
        }
    )
    key = fields.String()
    name = fields.String(
        metadata={
            "description": "The key in words: the indicator's question, the criterion's name or "
            "the gate's condition (absent from rankings stored before it was added)"
        }
    )
    value = Rounded(metadata={"description": "The level, or the criterion score"})
    threshold = Rounded(
        metadata={"description": "1, the indicator's minimum level, or the criterion minimum"}
    )
    assessors = fields.List(
        fields.String(),
        metadata={
            "description": "Whose levels put it there: the assessors below the line, or the "
            "moderator who settled it"
        },
    )
    message = fields.Function(
        lambda knockout: knockout_message(_as_dict(knockout)),
        metadata={"type": "string", "description": "The knockout in one plain sentence"},
    )


def _as_dict(knockout) -> dict:
    # A knockout just scored (an object) or one of a ranking stored at closing (a dict).
    if isinstance(knockout, dict):
        return knockout
    return {
        name: getattr(knockout, name, None)
        for name in ("kind", "key", "name", "value", "threshold")
    }


def knockout_message(knockout: dict) -> str:
    """What makes the bidder ineligible, in a sentence: e.g. Indicator dpia ("Was a DPIA
    completed?") is at level 0, below the red line of 1."""
    kind, key, name = knockout["kind"], knockout["key"], knockout.get("name")
    value, threshold = Fraction(knockout["value"]), Fraction(knockout["threshold"])
    called = f"{key} (\u201c{name}\u201d)" if name else key
    if kind == "indicator":
        return (
            f"Indicator {called} is at level {int(value)}, below the red line of {int(threshold)}."
        )
    if kind == "indicator_minimum":
        return (
            f"Indicator {called} is at level {int(value)}, below its minimum level of "
            f"{int(threshold)}."
        )
    if kind == "criterion_minimum":
        return (
            f"Criterion {called} scored {round_half_away(value)} of 100, below its minimum of "
            f"{round_half_away(threshold)}."
        )
    return f"The bidder failed the pass/fail condition {called}."


class VendorRefSchema(ma.Schema):
    id = fields.String()
    name = fields.String()


class CriteriaRefSchema(ma.Schema):
    ref = fields.String()
    sha256 = fields.String()
    title = fields.String()
