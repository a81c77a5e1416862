"""A bidder's assessment summary, rendered from the ranking stored at closing."""

import marshmallow as ma
from marshmallow import fields, validate


class SummaryQuerySchema(ma.Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "md", "html"]),
        metadata={
            "description": "json; md or html for a document to send the bidder (same figures)"
        },
    )


class SummaryProcurementSchema(ma.Schema):
    id = fields.String()
    ocid = fields.String()
    title = fields.String()
    buyer = fields.String()
    closed_at = fields.String(metadata={"format": "date-time"})
    criteria_set = fields.String()


class SummaryBidderSchema(ma.Schema):
    vendor_id = fields.String()
    vendor_name = fields.String()
    rank = fields.Integer(allow_none=True)
    total = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    eligible = fields.Boolean(allow_none=True)


class SummaryCriterionSchema(ma.Schema):
    criterion = fields.String()
    name = fields.String()
    effective_weight = fields.Float(metadata={"description": "Percentage"})
    score = fields.Float(allow_none=True)
    winning_score = fields.Float(allow_none=True)


class RationaleSchema(ma.Schema):
    assessor = fields.String()
    indicator = fields.String()
    level = fields.Integer(allow_none=True)
    rationale = fields.String()


class SummaryKnockoutSchema(ma.Schema):
    kind = fields.String()
    key = fields.String()
    value = fields.Float()
    threshold = fields.Float()


class BidderSummarySchema(ma.Schema):
    """Rendered from the stored, already rounded ranking: plain numbers, no rounding again."""

    procurement = fields.Nested(SummaryProcurementSchema)
    bidder = fields.Nested(SummaryBidderSchema)
    bidders = fields.Integer()
    winner = fields.Nested(SummaryBidderSchema, allow_none=True)
    won = fields.Boolean()
    reason = fields.String()
    knockouts = fields.List(fields.Nested(SummaryKnockoutSchema))
    criteria = fields.List(fields.Nested(SummaryCriterionSchema))
    rationales = fields.List(fields.Nested(RationaleSchema))
