"""Scorecards (scoring contract, section 11) and their history."""

import marshmallow as ma
from marshmallow import fields

from ..fields import ComputedList, Exact, Instant, Rounded
from .common import CriteriaRefSchema, KnockoutSchema, VendorRefSchema, criteria_ref
from .disputes import OpenDisputeSchema


class ScorecardQuerySchema(ma.Schema):
    criteria_set = criteria_ref()
    as_of = Instant(
        metadata={"description": "RFC 3339 time the scorecard is computed for; now when absent"}
    )
    procurement_id = fields.UUID(
        metadata={
            "description": "The scorecard within this procurement: its assessments and weights"
        }
    )


class AssessorLevelSchema(ma.Schema):
    assessor = fields.String()
    level = fields.Integer(allow_none=True, metadata={"description": "null: not applicable"})


def _assessor_levels() -> ComputedList:
    return ComputedList(
        lambda obj: [{"assessor": a, "level": lv} for a, lv in obj.assessor_levels],
        fields.Nested(AssessorLevelSchema),
        metadata={"description": "Each assessor's level; null for not applicable"},
    )


class IndicatorScoreSchema(ma.Schema):
    key = fields.String()
    name = fields.String(
        metadata={
            "description": "The indicator in words: its question, as the criteria set gives it"
        }
    )
    weight = Exact()
    level = fields.Integer(allow_none=True, metadata={"description": "Combined level"})
    applies = fields.Boolean(
        metadata={
            "description": "false: the procurement's profile leaves the indicator out; it is "
            "not asked and not scored"
        }
    )
    not_applicable = fields.Boolean()
    knockout = fields.Boolean()
    minimum_level = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The red line in the scope's impact tier: a combined level below it "
            "is a knockout"
        },
    )
    assessor_levels = _assessor_levels()
    settled_by = fields.String(
        allow_none=True, metadata={"description": "The moderator whose agreed level is used"}
    )
    evidence_factor = Rounded(allow_none=True)


class CriterionScoreSchema(ma.Schema):
    key = fields.String()
    name = fields.String()
    weight = Exact(metadata={"description": "As given by the set or the procurement"})
    effective_weight = Rounded(
        scale=100,
        allow_none=True,
        metadata={"description": "E_c as a percentage; null when not scored"},
    )
    score = Rounded(
        allow_none=True, metadata={"description": "S_c in 0..100; null when not scored"}
    )
    contribution = Rounded(
        allow_none=True,
        metadata={"description": "E_c * S_c, points of the total; null when not scored"},
    )
    minimum = Exact(allow_none=True, metadata={"description": "null: the criterion has none"})
    scored = fields.Boolean()
    indicators = fields.List(fields.Nested(IndicatorScoreSchema))


class StaleEvidenceSchema(ma.Schema):
    indicator = fields.String()
    assessor = fields.String()
    reason = fields.String(metadata={"description": "expired or not_yet_effective"})
    title = fields.String(attribute="evidence.title")
    kind = fields.String(attribute="evidence.kind")
    url = fields.String(attribute="evidence.url", allow_none=True)
    sha256 = fields.String(attribute="evidence.sha256", allow_none=True)
    effective_date = fields.Date(attribute="evidence.effective_date", allow_none=True)
    valid_until = fields.Date(attribute="evidence.valid_until", allow_none=True)


class ConfidenceSchema(ma.Schema):
    score = Rounded()
    band = fields.String(metadata={"description": "high (>= 75), medium (>= 40) or low"})
    stale_evidence = fields.List(fields.Nested(StaleEvidenceSchema))


class SettledSchema(ma.Schema):
    level = fields.Integer(allow_none=True, metadata={"description": "null: agreed N/A"})
    moderator = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "The meeting's minute"})
    moderation_id = fields.String()
    submitted_at = fields.AwareDateTime()


class DisagreementSchema(ma.Schema):
    indicator = fields.String()
    spread = fields.Integer()
    splits_red_line = fields.Boolean(
        metadata={"description": "Some assessors below the indicator's red line, some not"}
    )
    assessor_levels = _assessor_levels()
    settled = fields.Nested(
        SettledSchema, allow_none=True, metadata={"description": "null until moderated"}
    )


class StepSchema(ma.Schema):
    indicator = fields.String()
    name = fields.String(metadata={"description": "The indicator's question, in words"})
    criterion = fields.String()
    from_level = fields.Integer()
    to_level = fields.Integer()
    gain = Rounded(
        metadata={
            "description": "Points of the total score (0..100) this step alone adds: the total "
            "after the step less the total before, rounded to 2 places"
        }
    )
    clears_knockout = fields.Boolean()


class AssessmentUsedSchema(ma.Schema):
    id = fields.String()
    assessor = fields.String()
    submitted_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    moderated = fields.Boolean()


class ModerationUsedSchema(ma.Schema):
    id = fields.String()
    moderator = fields.String()
    submitted_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    indicators = fields.List(fields.String(), metadata={"description": "Those it settles"})


class ScorecardSchema(ma.Schema):
    vendor = fields.Nested(VendorRefSchema)
    criteria_set = fields.Nested(CriteriaRefSchema)
    as_of = fields.AwareDateTime()
    profile = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The procurement's answers to the set's profile questions; null "
            "standalone, where every indicator applies"
        },
    )
    tier = fields.String(
        allow_none=True,
        metadata={
            "description": "The impact tier whose minimum levels hold (standalone: the highest); "
            "null when the set has no tiers"
        },
    )
    total = Rounded(metadata={"description": "T in 0..100, 2 places, half away from zero"})
    grade = fields.String()
    eligible = fields.Boolean()
    knockouts = fields.List(fields.Nested(KnockoutSchema))
    criteria = fields.List(fields.Nested(CriterionScoreSchema))
    confidence = fields.Nested(ConfidenceSchema)
    assessments = fields.List(fields.Nested(AssessmentUsedSchema))
    assessors = fields.List(fields.String())
    moderated = fields.Boolean(metadata={"description": "Some level was agreed by moderation"})
    moderations = fields.List(fields.Nested(ModerationUsedSchema))
    needs_moderation = fields.Boolean()
    disagreements = fields.List(fields.Nested(DisagreementSchema))
    improvement_plan = fields.List(fields.Nested(StepSchema))
    valid_until = fields.AwareDateTime(metadata={"description": "Earliest expiry of those used"})
    disputes = fields.List(
        fields.Nested(lambda: OpenDisputeSchema()),
        metadata={"description": "Open disputes the vendor filed against this scorecard"},
    )
    disputed_indicators = fields.List(fields.String())


class HistoryEntrySchema(ma.Schema):
    as_of = fields.AwareDateTime()
    assessment_id = fields.String()
    reason = fields.String(metadata={"description": "Why the scorecard moved"})
    total = Rounded()
    change = Rounded(allow_none=True, metadata={"description": "Points gained (or lost)"})
    grade = fields.String()
    eligible = fields.Boolean()
    knockouts = fields.List(fields.Nested(KnockoutSchema))


class ScorecardHistorySchema(ma.Schema):
    vendor = fields.Nested(VendorRefSchema)
    criteria_set = fields.Nested(CriteriaRefSchema)
    procurement_id = fields.String(allow_none=True)
    history = fields.List(fields.Nested(HistoryEntrySchema))
    next_start = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The `start` of the next page; null when this page reached the "
            "latest record"
        },
    )


class HistoryQuerySchema(ma.Schema):
    criteria_set = criteria_ref()
    procurement_id = fields.UUID(metadata={"description": "The history within this procurement"})
    start = fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0),
        metadata={
            "description": "The first record (assessment or moderation) this page examines, "
            "counted from 0 in order of submission: the previous page's `next_start`"
        },
    )
    limit = fields.Integer(
        load_default=100,
        validate=ma.validate.Range(min=1, max=500),
        metadata={
            "description": "How many records this page examines (at most 500); the entries "
            "are those among them where the scorecard moved"
        },
    )
