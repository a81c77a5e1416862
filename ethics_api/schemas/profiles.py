"""A procurement's profile as the API shows it: the answers and what they decide."""

import marshmallow as ma
from marshmallow import fields

from .criteria_sets import ReferenceSchema, TierSchema


class AnsweredQuestionSchema(ma.Schema):
    key = fields.String()
    question = fields.String()
    points = fields.Integer()
    answer = fields.Boolean(allow_none=True, metadata={"description": "null: not answered yet"})


class IndicatorApplicabilitySchema(ma.Schema):
    indicator = fields.String()
    criterion = fields.String()
    applies_if = fields.List(
        fields.String(),
        metadata={"description": "The profile questions (the criterion's and its own) it needs"},
    )
    applies = fields.Boolean(allow_none=True, metadata={"description": "null: not answered yet"})
    minimum_level = fields.Integer(
        allow_none=True, metadata={"description": "The red line in the procurement's tier"}
    )


class ChecklistEntrySchema(ma.Schema):
    key = fields.String()
    duty = fields.String(metadata={"description": "The buyer's own duty: never scored"})
    references = fields.List(fields.Nested(ReferenceSchema))
    applies = fields.Boolean(allow_none=True)


class GateEntrySchema(ma.Schema):
    key = fields.String()
    question = fields.String(
        metadata={"description": "A pass/fail condition the buyer checks of each bidder"}
    )
    references = fields.List(fields.Nested(ReferenceSchema))
    applies = fields.Boolean(allow_none=True)


class ProfileSchema(ma.Schema):
    procurement_id = fields.String()
    criteria_set = fields.String()
    answered = fields.Boolean(
        metadata={"description": "false while a set with profile questions awaits the answers"}
    )
    questions = fields.List(fields.Nested(AnsweredQuestionSchema))
    points = fields.Integer(allow_none=True, metadata={"description": "The yes answers' points"})
    tier = fields.String(
        allow_none=True, metadata={"description": "The impact tier the points reach"}
    )
    tiers = fields.List(fields.Nested(TierSchema))
    indicators = fields.List(fields.Nested(IndicatorApplicabilitySchema))
    buyer_checklist = fields.List(fields.Nested(ChecklistEntrySchema))
    gates = fields.List(fields.Nested(GateEntrySchema))
