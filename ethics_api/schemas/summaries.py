"""A bidder's assessment summary (Procurement Regulations 2024 reg 31), as written out: the
JSON, the Markdown and the HTML page are renderings of this one dump.

The dump carries no control character, direction override or zero-width character: text is
refused with them on the way in, and the dump drops any that rows stored before kept, so none
reaches a document a bidder reads.
"""

import marshmallow as ma
from marshmallow import fields, validate

from ..fields import Exact, Rounded, without_hidden_characters
from .common import IdentifierSchema
from .procurements import AwardPartSchema, OverallSchema, RecordedTieBreakSchema
from .vendors import AddressSchema


class SummaryQuerySchema(ma.Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "md", "html"]),
        metadata={
            "description": "json; md or html for a document to send the bidder (same figures)"
        },
    )


class SummaryBuyerSchema(ma.Schema):
    name = fields.String()
    identifier = fields.Nested(IdentifierSchema, allow_none=True)


class SummaryProcurementSchema(ma.Schema):
    id = fields.String()
    ocid = fields.String()
    title = fields.String()
    buyer = fields.Nested(SummaryBuyerSchema)
    closed_at = fields.String(metadata={"format": "date-time"})
    min_evaluators = fields.Integer()


class SupplierSchema(ma.Schema):
    """Reg 31(2)(a)-(c): name, contact postal address and email, unique identifier."""

    vendor_id = fields.String()
    name = fields.String()
    address = fields.Nested(AddressSchema, allow_none=True)
    email = fields.String(allow_none=True)
    ppon = fields.String(allow_none=True, metadata={"description": "The unique identifier"})
    identifier = fields.Nested(IdentifierSchema, allow_none=True)


class ComparedSchema(ma.Schema):
    vendor_id = fields.String()
    vendor_name = fields.String()
    label = fields.String(
        metadata={
            "description": "the most advantageous tender, or the highest-ranked tender in the "
            "ethics evaluation when the service does not hold the whole award"
        }
    )


class OutcomeSchema(ma.Schema):
    scope = fields.String(
        metadata={"description": "award, or ethics_evaluation when that is all it covers"}
    )
    assessed = fields.Boolean()
    eligible = fields.Boolean(allow_none=True)
    rank = fields.Integer(allow_none=True)
    of = fields.Integer(metadata={"description": "Out of how many ranked tenders"})
    total = Rounded(allow_none=True)
    won = fields.Boolean(
        allow_none=True, metadata={"description": "null: the service does not hold the award"}
    )
    tied_for_first = fields.Boolean()
    tie_break = fields.Nested(RecordedTieBreakSchema, allow_none=True)
    compared_with = fields.Nested(ComparedSchema, allow_none=True)
    sentences = fields.List(fields.String(), metadata={"description": "Reg 31(3)(c)"})


class SummaryAwardSchema(ma.Schema):
    ethics_share = Exact()
    basis = fields.String()
    components = fields.List(fields.Nested(AwardPartSchema))
    result = fields.Nested(OverallSchema, allow_none=True)
    winning_result = fields.Nested(OverallSchema, allow_none=True)
    sentence = fields.String()


class MethodSchema(ma.Schema):
    criteria_set = fields.String()
    url = fields.String(metadata={"description": "Where the full method is published"})
    sentences = fields.List(fields.String(), metadata={"description": "Reg 31(2)(d)"})


class AssessedIndicatorSchema(ma.Schema):
    indicator = fields.String()
    name = fields.Function(
        lambda indicator: indicator["question"],
        metadata={
            "type": "string",
            "description": "The indicator in words: its question, as the set gives it",
        },
    )
    question = fields.String()
    level = fields.Integer(allow_none=True, metadata={"description": "null: not applicable"})
    descriptor = fields.String(allow_none=True)
    agreed_at_moderation = fields.Boolean()
    reasons = fields.List(fields.String())
    sentence = fields.String()


class MethodIndicatorSchema(ma.Schema):
    indicator = fields.String()
    name = fields.Function(
        lambda indicator: indicator["question"],
        metadata={
            "type": "string",
            "description": "The indicator in words: its question, as the set gives it",
        },
    )
    question = fields.String()
    red_line = fields.Integer(allow_none=True)
    levels = fields.List(fields.String())


class SummaryCriterionSchema(ma.Schema):
    criterion = fields.String()
    name = fields.String()
    description = fields.String()
    weight = fields.Float(metadata={"description": "Percent of the ethics evaluation"})
    award_weight = fields.Float(metadata={"description": "Percent of the whole award"})
    minimum = Exact(allow_none=True, metadata={"description": "The lowest passing score"})
    indicators = fields.List(fields.Nested(MethodIndicatorSchema))
    score = Rounded(allow_none=True)
    explanation = fields.String(allow_none=True)
    assessed = fields.List(fields.Nested(AssessedIndicatorSchema), allow_none=True)
    winning_score = Rounded(allow_none=True)
    winning_explanation = fields.String(allow_none=True)
    winning_assessed = fields.List(fields.Nested(AssessedIndicatorSchema), allow_none=True)
    advantage = fields.String(allow_none=True)


class DeclaredSchema(ma.Schema):
    panel_member = fields.String()
    conflict = fields.Boolean()
    description = fields.String(allow_none=True)
    mitigation = fields.String(allow_none=True)
    sentence = fields.String()


class HolidaySchema(ma.Schema):
    date = fields.String(metadata={"format": "date"})
    name = fields.String()
    nations = fields.List(fields.String())


class StandstillSchema(ma.Schema):
    notice_date = fields.String(allow_none=True, metadata={"format": "date"})
    first_day = fields.String(allow_none=True, metadata={"format": "date"})
    last_day = fields.String(allow_none=True, metadata={"format": "date"})
    working_days = fields.Integer()
    holidays_skipped = fields.List(fields.Nested(HolidaySchema))
    sentence = fields.String()


class BidderSummarySchema(ma.Schema):
    procurement = fields.Nested(SummaryProcurementSchema)
    supplier = fields.Nested(SupplierSchema)
    outcome = fields.Nested(OutcomeSchema)
    ethics_total = Rounded(allow_none=True)
    winning_ethics_total = Rounded(allow_none=True)
    award = fields.Nested(SummaryAwardSchema)
    method = fields.Nested(MethodSchema)
    criteria = fields.List(fields.Nested(SummaryCriterionSchema))
    declarations = fields.List(fields.Nested(DeclaredSchema))
    standstill = fields.Nested(StandstillSchema)
    not_covered = fields.List(fields.String())

    @ma.post_dump
    def nothing_hidden(self, data, **kwargs):
        return _shown(data)


def _shown(value):
    """Every string in `value`, however deep, without hidden characters."""
    if isinstance(value, str):
        return without_hidden_characters(value)
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value
