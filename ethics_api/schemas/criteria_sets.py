"""Criteria sets as the API shows them: every criterion, indicator, level and source."""

import marshmallow as ma
from flask import current_app
from marshmallow import fields

from ..fields import Exact


class ReferenceSchema(ma.Schema):
    source = fields.String()
    clause = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


class IndicatorSchema(ma.Schema):
    key = fields.String()
    question = fields.String()
    weight = Exact()
    knockout = fields.Boolean(metadata={"description": "Level 0 makes a vendor ineligible"})
    minimum_level = fields.Integer(
        allow_none=True,
        metadata={"description": "A combined level below it makes a vendor ineligible"},
    )
    allow_not_applicable = fields.Boolean()
    levels = fields.Function(
        lambda i: [{"level": n, "descriptor": text} for n, text in enumerate(i.levels)]
    )
    references = fields.List(fields.Nested(ReferenceSchema))


class CriterionSchema(ma.Schema):
    key = fields.String()
    name = fields.String()
    description = fields.String()
    weight = Exact()
    minimum = Exact(allow_none=True)
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
        metadata={"description": "Used when a request names no criteria set"},
    )
    counts = fields.Function(
        lambda s: {
            "criteria": len(s.criteria),
            "indicators": len(s.indicators),
            "knockouts": sum(i.knockout for i in s.indicators),
            "indicator_minimums": sum(i.minimum_level is not None for i in s.indicators),
            "minimums": sum(c.minimum is not None for c in s.criteria),
        }
    )


class CriteriaSetSchema(CriteriaSetSummarySchema):
    description = fields.String()
    grades = fields.List(fields.Nested(GradeSchema))
    criteria = fields.List(fields.Nested(CriterionSchema))
