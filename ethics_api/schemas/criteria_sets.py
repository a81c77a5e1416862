"""Criteria sets as the API shows them: every criterion, indicator, level and source."""

import marshmallow as ma
from flask import current_app
from marshmallow import fields

from ..fields import ComputedList, ComputedNested, Exact


class ReferenceSchema(ma.Schema):
    source = fields.String()
    clause = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


def _applies_if() -> fields.List:
    return fields.List(
        fields.String(),
        metadata={
            "description": "Profile questions that must all be answered yes for it to apply; "
            "empty: it always applies"
        },
    )


class ProfileQuestionSchema(ma.Schema):
    key = fields.String()
    question = fields.String()
    points = fields.Integer(metadata={"description": "Added to the profile's points by a yes"})


class TierSchema(ma.Schema):
    label = fields.String()
    min_points = fields.Integer()


class ChecklistItemSchema(ma.Schema):
    key = fields.String()
    duty = fields.String(metadata={"description": "The buyer's own duty: never scored"})
    references = fields.List(fields.Nested(ReferenceSchema))
    applies_if = _applies_if()


class GateSchema(ma.Schema):
    key = fields.String()
    question = fields.String(
        metadata={"description": "A pass/fail condition the buyer checks of each bidder"}
    )
    references = fields.List(fields.Nested(ReferenceSchema))
    applies_if = _applies_if()


class LevelSchema(ma.Schema):
    level = fields.Integer(metadata={"description": "0..4"})
    descriptor = fields.String(metadata={"description": "What an answer at this level shows"})


class CountsSchema(ma.Schema):
    criteria = fields.Integer()
    indicators = fields.Integer()
    knockouts = fields.Integer()
    indicator_minimums = fields.Integer()
    profile_questions = fields.Integer()
    buyer_duties = fields.Integer()
    gates = fields.Integer()
    minimums = fields.Integer()


def _counts(criteria_set) -> dict:
    return {
        "criteria": len(criteria_set.criteria),
        "indicators": len(criteria_set.indicators),
        "knockouts": sum(i.knockout for i in criteria_set.indicators),
        "indicator_minimums": sum(
            i.minimum_level is not None or bool(i.minimum_level_by_tier)
            for i in criteria_set.indicators
        ),
        "profile_questions": len(criteria_set.profile),
        "buyer_duties": len(criteria_set.buyer_checklist),
        "gates": len(criteria_set.gates),
        "minimums": sum(c.minimum is not None for c in criteria_set.criteria),
    }


class IndicatorSchema(ma.Schema):
    key = fields.String()
    question = fields.String()
    weight = Exact()
    knockout = fields.Boolean(metadata={"description": "Level 0 makes a vendor ineligible"})
    minimum_level = fields.Integer(
        allow_none=True,
        metadata={"description": "A combined level below it makes a vendor ineligible"},
    )
    minimum_level_by_tier = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "The minimum level in an impact tier, overriding minimum_level"},
    )
    applies_if = _applies_if()
    allow_not_applicable = fields.Boolean()
    levels = ComputedList(
        lambda i: [{"level": n, "descriptor": text} for n, text in enumerate(i.levels)],
        fields.Nested(LevelSchema),
    )
    references = fields.List(fields.Nested(ReferenceSchema))


class CriterionSchema(ma.Schema):
    key = fields.String()
    name = fields.String()
    description = fields.String()
    weight = Exact()
    minimum = Exact(allow_none=True)
    applies_if = _applies_if()
    indicators = fields.List(fields.Nested(IndicatorSchema))


class GradeSchema(ma.Schema):
    label = fields.String()
    min = Exact()


class CriteriaSetSummarySchema(ma.Schema):
    key = fields.String()
    version = fields.Integer()
    ref = fields.String()
    title = fields.String()
    published = fields.Date()
    validity_days = fields.Integer()
    sha256 = fields.String()
    default = fields.Function(
        lambda s: s.ref == current_app.extensions["catalog"].default_ref,
        metadata={"type": "boolean", "description": "Used when a request names no criteria set"},
    )
    counts = ComputedNested(_counts, CountsSchema)


class CriteriaSetSchema(CriteriaSetSummarySchema):
    description = fields.String()
    grades = fields.List(fields.Nested(GradeSchema))
    profile = fields.List(
        fields.Nested(ProfileQuestionSchema),
        metadata={"description": "Yes/no questions about the system, answered by a procurement"},
    )
    tiers = fields.List(fields.Nested(TierSchema), metadata={"description": "Lowest first"})
    buyer_checklist = fields.List(fields.Nested(ChecklistItemSchema))
    gates = fields.List(fields.Nested(GateSchema))
    criteria = fields.List(fields.Nested(CriterionSchema))
