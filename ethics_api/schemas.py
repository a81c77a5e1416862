"""Request and response schemas: the HTTP contract, not the tables.

Input schemas refuse rather than coerce: unknown fields, strings for numbers, floats for
integers and numbers for booleans are all errors (marshmallow's `unknown = RAISE`,
`Integer(strict=True)` and `StrictBoolean`). Output schemas render the exact values of
`scoring` with the one rounding rule of the contract.
"""

import re

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate, validates_schema

from .fields import (
    VISIBLE,
    Day,
    Exact,
    FullMatch,
    Instant,
    Line,
    Rounded,
    StrictBoolean,
    Text,
    WebUrl,
)
from .scoring import EVIDENCE_FACTORS

SHA256_PATTERN = r"[0-9a-f]{64}"
CRITERIA_REF = r"[a-z][a-z0-9]*(-[a-z0-9]+)*@[1-9][0-9]*"


# --- fields ------------------------------------------------------------------------------------


def _text(max_length: int, **kwargs) -> fields.String:
    return Text(max_length, min_length=1, **kwargs)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class StatusSchema(ma.Schema):
    status = fields.String(metadata={"description": "ok, or ready"})


# --- vendors -----------------------------------------------------------------------------------


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


def _country(**kwargs) -> fields.String:
    return fields.String(
        validate=FullMatch(r"[A-Z]{2}", error="Must be an ISO 3166-1 alpha-2 code."),
        metadata={"description": "ISO 3166-1 alpha-2 country code, e.g. GB"},
        **kwargs,
    )


def _website(**kwargs) -> fields.String:
    return WebUrl(500, metadata={"example": "https://vendor.example"}, **kwargs)


class VendorCreateSchema(StrictSchema):
    name = Line(200, required=True)
    identifier = fields.Nested(IdentifierSchema, load_default=None)
    country = _country(load_default=None)
    website = _website(load_default=None)


class VendorUpdateSchema(StrictSchema):
    """Only the fields sent change; `null` clears country or website."""

    JSON_SCHEMA_EXTRA = {"minProperties": 1}

    name = Line(200)
    country = _country(allow_none=True)
    website = _website(allow_none=True)

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Send at least one of name, country or website.")


class VendorSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    identifier = fields.Nested(IdentifierSchema, allow_none=True)
    country = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class VendorQuerySchema(ma.Schema):
    q = Text(
        200,
        min_length=1,
        metadata={"description": "Only vendors whose name contains this text (any case)"},
    )


# --- assessments -------------------------------------------------------------------------------


class EvidenceSchema(StrictSchema):
    title = Line(500, required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(EVIDENCE_FACTORS)),
        metadata={"description": "How strong the evidence is: factor 0.3, 0.7 or 1 in confidence"},
    )
    url = WebUrl(2000)
    sha256 = fields.String(
        validate=FullMatch(SHA256_PATTERN, error="Must be 64 lowercase hex digits."),
        metadata={"description": "SHA-256 of the document"},
    )
    effective_date = Day(metadata={"description": "The evidence counts from this day"})
    valid_until = Day(metadata={"description": "The evidence counts until this day"})

    JSON_SCHEMA_EXTRA = {"anyOf": [{"required": ["url"]}, {"required": ["sha256"]}]}

    @validates_schema
    def locatable(self, data, **kwargs):
        if "url" not in data and "sha256" not in data:
            raise ma.ValidationError("Give a url, a sha256 of the document, or both.")
        start, end = data.get("effective_date"), data.get("valid_until")
        if start and end and end < start:
            raise ma.ValidationError("Must not be before effective_date.", field_name="valid_until")


class AnswerSchema(StrictSchema):
    indicator = _text(100, required=True, metadata={"description": "An indicator key of the set"})
    level = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=4),
        metadata={"description": "0..4 as described by the indicator's levels"},
    )
    not_applicable = StrictBoolean(
        metadata={"description": "true where the indicator allows N/A (then give a rationale)"}
    )
    rationale = Text(10_000, min_length=1)
    evidence = fields.List(fields.Nested(EvidenceSchema), validate=validate.Length(max=50))

    JSON_SCHEMA_EXTRA = {
        "oneOf": [
            {
                "required": ["level"],
                "properties": {"not_applicable": {"const": False}},
            },
            {
                "required": ["not_applicable", "rationale"],
                "properties": {
                    "not_applicable": {"const": True},
                    "rationale": {"pattern": VISIBLE},
                },
                "not": {"required": ["level"]},
            },
        ]
    }

    @validates_schema
    def level_or_not_applicable(self, data, **kwargs):
        has_level = "level" in data
        not_applicable = data.get("not_applicable", False)
        if has_level and not_applicable:
            raise ma.ValidationError("Give either a level or not_applicable: true, not both.")
        if not has_level and not not_applicable:
            raise ma.ValidationError("Give a level (0..4) or not_applicable: true.")
        if not_applicable and not re.search(VISIBLE, data.get("rationale") or ""):
            raise ma.ValidationError(
                "A not-applicable answer needs a rationale.", field_name="rationale"
            )


class StoredEvidenceSchema(EvidenceSchema):
    """Evidence as stored: the dates are the text that was sent."""

    effective_date = fields.String(metadata={"format": "date"})
    valid_until = fields.String(metadata={"format": "date"})


class StoredAnswerSchema(AnswerSchema):
    evidence = fields.List(fields.Nested(StoredEvidenceSchema))


class AssessmentCreateSchema(StrictSchema):
    criteria_set = fields.String(
        load_default=None,
        validate=FullMatch(CRITERIA_REF, error="Must be key@version, e.g. ai-ethics@1."),
        metadata={"description": "key@version; the default set when absent"},
    )
    assessor = Line(
        200,
        load_default=None,
        metadata={
            "description": "Who made the assessment: the key's own name for assessors and "
            "moderators; required from admin keys"
        },
    )
    procurement_id = fields.UUID(
        load_default=None,
        metadata={"description": "Assess within this procurement (it must be evaluating)"},
    )
    moderated = StrictBoolean(
        load_default=False,
        metadata={"description": "true when a moderator settles the other assessments"},
    )
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    summary = Text(20_000, min_length=1, load_default=None)
    supersedes = fields.UUID(
        load_default=None,
        metadata={
            "description": "Correct an earlier assessment of the same vendor, set and scope: "
            "both stay readable, the earlier one no longer counts"
        },
    )


class KnockoutSchema(ma.Schema):
    kind = fields.String(metadata={"description": "indicator or criterion_minimum"})
    key = fields.String()
    value = Rounded(metadata={"description": "The level, or the criterion score"})
    threshold = Rounded(metadata={"description": "1, or the criterion minimum"})


class OwnScoreSchema(ma.Schema):
    total = Rounded()
    grade = fields.String()
    eligible = fields.Boolean()
    knockouts = fields.List(fields.Nested(KnockoutSchema))


class AssessmentSchema(ma.Schema):
    id = fields.String()
    vendor_id = fields.String()
    criteria_set = fields.String()
    criteria_sha256 = fields.String()
    assessor = fields.String()
    procurement_id = fields.String(allow_none=True)
    moderated = fields.Boolean()
    summary = fields.String(allow_none=True)
    answers = fields.List(
        fields.Nested(StoredAnswerSchema), metadata={"description": "Exactly as submitted"}
    )
    submitted_at = fields.AwareDateTime()
    supersedes = fields.String(allow_none=True)
    score = fields.Nested(
        OwnScoreSchema,
        metadata={"description": "This assessment's own score, alone, when it was submitted"},
    )


# --- scorecards --------------------------------------------------------------------------------


class ScorecardQuerySchema(ma.Schema):
    criteria_set = fields.String(
        validate=FullMatch(CRITERIA_REF, error="Must be key@version, e.g. ai-ethics@1."),
        metadata={"description": "key@version; the default set when absent"},
    )
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


def _assessor_levels() -> fields.Method:
    return fields.Function(
        lambda obj: [{"assessor": a, "level": lv} for a, lv in obj.assessor_levels],
        metadata={"description": "Each assessor's level; null for not applicable"},
    )


class IndicatorScoreSchema(ma.Schema):
    key = fields.String()
    weight = Exact()
    level = fields.Integer(allow_none=True, metadata={"description": "Combined level"})
    not_applicable = fields.Boolean()
    knockout = fields.Boolean()
    assessor_levels = _assessor_levels()
    evidence_factor = Rounded(allow_none=True)


class CriterionScoreSchema(ma.Schema):
    key = fields.String()
    name = fields.String()
    weight = Exact(metadata={"description": "As given by the set or the procurement"})
    effective_weight = Rounded(
        scale=100, metadata={"description": "E_c as a percentage; null when not scored"}
    )
    score = Rounded(metadata={"description": "S_c in 0..100; null when not scored"})
    contribution = Rounded(metadata={"description": "E_c * S_c, points of the total"})
    minimum = Exact()
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


class DisagreementSchema(ma.Schema):
    indicator = fields.String()
    spread = fields.Integer()
    assessor_levels = _assessor_levels()


class StepSchema(ma.Schema):
    indicator = fields.String()
    criterion = fields.String()
    from_level = fields.Integer()
    to_level = fields.Integer()
    gain = Rounded(metadata={"description": "Points the total gains by this step alone"})
    clears_knockout = fields.Boolean()


class AssessmentUsedSchema(ma.Schema):
    id = fields.String()
    assessor = fields.String()
    submitted_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    moderated = fields.Boolean()


class VendorRefSchema(ma.Schema):
    id = fields.String()
    name = fields.String()


class CriteriaRefSchema(ma.Schema):
    ref = fields.String()
    sha256 = fields.String()
    title = fields.String()


class ScorecardSchema(ma.Schema):
    vendor = fields.Nested(VendorRefSchema)
    criteria_set = fields.Nested(CriteriaRefSchema)
    as_of = fields.AwareDateTime()
    total = Rounded(metadata={"description": "T in 0..100, 2 places, half away from zero"})
    grade = fields.String()
    eligible = fields.Boolean()
    knockouts = fields.List(fields.Nested(KnockoutSchema))
    criteria = fields.List(fields.Nested(CriterionScoreSchema))
    confidence = fields.Nested(ConfidenceSchema)
    assessments = fields.List(fields.Nested(AssessmentUsedSchema))
    assessors = fields.List(fields.String())
    moderated = fields.Boolean(metadata={"description": "A moderated assessment is used alone"})
    needs_moderation = fields.Boolean()
    disagreements = fields.List(fields.Nested(DisagreementSchema))
    improvement_plan = fields.List(fields.Nested(StepSchema))
    valid_until = fields.AwareDateTime(metadata={"description": "Earliest expiry of those used"})
    disputes = fields.List(
        fields.Nested(lambda: OpenDisputeSchema()),
        metadata={"description": "Open disputes the vendor filed against this scorecard"},
    )
    disputed_indicators = fields.List(fields.String())


# --- disputes ----------------------------------------------------------------------------------


class DisputeCreateSchema(StrictSchema):
    indicator = _text(100, required=True, metadata={"description": "The disputed indicator"})
    statement = Text(20_000, min_length=1, required=True, metadata={"description": "The reply"})
    evidence = fields.List(
        fields.Nested(EvidenceSchema), load_default=list, validate=validate.Length(max=50)
    )
    criteria_set = fields.String(
        load_default=None,
        validate=FullMatch(CRITERIA_REF, error="Must be key@version, e.g. ai-ethics@1."),
        metadata={"description": "key@version of the scorecard; the default set when absent"},
    )
    procurement_id = fields.UUID(
        load_default=None, metadata={"description": "The procurement's scorecard, if any"}
    )


class DisputeResolutionSchema(StrictSchema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["upheld", "rejected"]),
        metadata={"description": "upheld: a moderated assessment settles it; rejected: reasons"},
    )
    reasons = Text(20_000, min_length=1, required=True)
    assessment_id = fields.UUID(
        load_default=None,
        metadata={"description": "When upheld: the moderated assessment that settles it"},
    )


class DisputeQuerySchema(ma.Schema):
    status = fields.String(
        validate=validate.OneOf(["open", "upheld", "rejected"]),
        metadata={"description": "Only disputes in this state, e.g. open: a moderator's queue"},
    )


class OrganisationDisputeQuerySchema(DisputeQuerySchema):
    vendor_id = fields.UUID(metadata={"description": "Only this vendor's disputes"})


class DisputeSchema(ma.Schema):
    id = fields.String()
    vendor_id = fields.String()
    criteria_set = fields.String()
    procurement_id = fields.String(allow_none=True)
    indicator = fields.String()
    statement = fields.String()
    evidence = fields.List(fields.Nested(StoredEvidenceSchema))
    status = fields.String(metadata={"description": "open, upheld or rejected"})
    filed_by = fields.String()
    filed_at = fields.AwareDateTime()
    resolution = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    moderated_assessment_id = fields.String(allow_none=True)


class OpenDisputeSchema(ma.Schema):
    id = fields.String()
    indicator = fields.String()
    filed_at = fields.AwareDateTime()
    statement = fields.String()


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


class HistoryQuerySchema(ma.Schema):
    criteria_set = fields.String(
        validate=FullMatch(CRITERIA_REF, error="Must be key@version, e.g. ai-ethics@1."),
        metadata={"description": "key@version; the default set when absent"},
    )
    procurement_id = fields.UUID(metadata={"description": "The history within this procurement"})


# --- the event log -------------------------------------------------------------------------------


class AuditQuerySchema(ma.Schema):
    object_type = fields.String(
        validate=validate.OneOf(
            ["vendor", "assessment", "procurement", "dispute", "webhook", "api_key", "organisation"]
        )
    )
    object_id = Text(200, min_length=1)
    actor = Text(300, min_length=1, metadata={"description": "Part of the actor, e.g. a prefix"})
    since = Instant(metadata={"description": "From this time (inclusive)"})
    until = Instant(metadata={"description": "Before this time"})

    @validates_schema
    def in_order(self, data, **kwargs):
        if "since" in data and "until" in data and data["until"] <= data["since"]:
            raise ma.ValidationError("Must be after since.", field_name="until")


class EventSchema(ma.Schema):
    seq = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    change = fields.Raw(attribute="change_document", metadata={"description": "What changed"})
    change_sha256 = fields.String()
    prev_hash = fields.String()
    hash = fields.String()


class VerificationSchema(ma.Schema):
    ok = fields.Boolean()
    size = fields.Integer(metadata={"description": "Events checked"})
    head_hash = fields.String(allow_none=True)
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)


# --- criteria sets -----------------------------------------------------------------------------


class ReferenceSchema(ma.Schema):
    source = fields.String()
    clause = fields.String(allow_none=True)
    url = fields.String(allow_none=True)


class IndicatorSchema(ma.Schema):
    key = fields.String()
    question = fields.String()
    weight = Exact()
    knockout = fields.Boolean()
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
            "minimums": sum(c.minimum is not None for c in s.criteria),
        }
    )


class CriteriaSetSchema(CriteriaSetSummarySchema):
    description = fields.String()
    grades = fields.List(fields.Nested(GradeSchema))
    criteria = fields.List(fields.Nested(CriterionSchema))


# --- procurements ------------------------------------------------------------------------------

OCID = r"ocds-[a-z0-9]{6}-[A-Za-z0-9][A-Za-z0-9._/-]{0,180}"


class BuyerSchema(StrictSchema):
    name = Line(200, required=True)
    identifier = fields.Nested(IdentifierSchema, load_default=None)


def _weights(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"type": "number", "minimum": 0.001, "maximum": 1000}),
        metadata={
            "description": "A weight (0.001 to 1000; only their ratios count) for every "
            "criterion of the set, by key"
        },
        **kwargs,
    )


class ProcurementCreateSchema(StrictSchema):
    ocid = fields.String(
        required=True,
        validate=FullMatch(OCID, error="Must be an OCDS ocid: ocds-<6-character prefix>-<id>."),
        metadata={"description": "OCDS contracting-process id, e.g. ocds-213czf-2026-0042"},
    )
    title = Line(500, required=True)
    buyer = fields.Nested(BuyerSchema, required=True)
    criteria_set = fields.String(
        load_default=None,
        validate=FullMatch(CRITERIA_REF, error="Must be key@version, e.g. ai-ethics@1."),
        metadata={"description": "key@version; the default set when absent"},
    )
    weights = _weights(load_default=None, allow_none=True)
    reuse_standalone = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Let bidders with no assessment in this procurement be ranked on "
            "their standalone assessments"
        },
    )


class ProcurementUpdateSchema(StrictSchema):
    JSON_SCHEMA_EXTRA = {"minProperties": 1}

    title = Line(500)
    status = fields.String(
        validate=validate.OneOf(["draft", "evaluating", "closed"]),
        metadata={"description": "Forward one step only: draft -> evaluating -> closed (else 409)"},
    )
    weights = _weights(allow_none=True)

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Send at least one of title, status or weights.")


class ProcurementQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(["draft", "evaluating", "closed"]))


class WeightSchema(ma.Schema):
    criterion = fields.String()
    weight = Exact()
    effective_weight = Rounded(scale=100, metadata={"description": "Percentage"})


class ProcurementSchema(ma.Schema):
    id = fields.String()
    ocid = fields.String()
    title = fields.String()
    buyer = fields.Nested(BuyerSchema)
    criteria_set = fields.String()
    criteria_sha256 = fields.String()
    weights = fields.Dict(
        allow_none=True, metadata={"description": "Overriding weights as sent; null: the set's"}
    )
    reuse_standalone = fields.Boolean()
    status = fields.String(metadata={"description": "draft, evaluating or closed"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)


class BidderCreateSchema(StrictSchema):
    vendor_id = fields.UUID(required=True)


class BidderSchema(ma.Schema):
    vendor_id = fields.String()
    vendor_name = fields.String(attribute="vendor.name")
    added_at = fields.AwareDateTime()


class CriterionResultSchema(ma.Schema):
    criterion = fields.String()
    score = Rounded(allow_none=True)
    contribution = Rounded(allow_none=True)


class RankedBidderSchema(ma.Schema):
    rank = fields.Integer(allow_none=True, metadata={"description": "null: not assessed"})
    vendor_id = fields.String()
    vendor_name = fields.String()
    assessed = fields.Boolean()
    reused_standalone = fields.Boolean(
        metadata={"description": "Ranked on standalone assessments the procurement reuses"}
    )
    total = Rounded()
    grade = fields.String()
    eligible = fields.Boolean()
    knockouts = fields.List(fields.Nested(KnockoutSchema))
    confidence = Rounded()
    confidence_band = fields.String()
    needs_moderation = fields.Boolean()
    criteria = fields.List(fields.Nested(CriterionResultSchema))
    assessors = fields.List(fields.String())
    disputed_indicators = fields.List(
        fields.String(), metadata={"description": "Indicators under an open dispute"}
    )


class WorstRankSchema(ma.Schema):
    vendor_id = fields.String()
    vendor_name = fields.String()
    worst_rank = fields.Integer()


class VariationSchema(ma.Schema):
    criterion = fields.String()
    factor = Rounded(places=1)
    winner_vendor_ids = fields.List(fields.String())


class LeftOutSchema(ma.Schema):
    criterion = fields.String()
    winner_vendor_id = fields.String(allow_none=True)
    winner_vendor_ids = fields.List(fields.String())
    sentence = fields.String()


class TippingPointSchema(ma.Schema):
    criterion = fields.String()
    factor = Rounded(places=4, allow_none=True)
    sentence = fields.String()


class SensitivitySchema(ma.Schema):
    winner_vendor_ids = fields.List(fields.String())
    winner_stable = fields.Boolean()
    summary = fields.String()
    one_at_a_time = fields.List(fields.Nested(WorstRankSchema))
    variations = fields.List(fields.Nested(VariationSchema))
    leave_one_out = fields.List(fields.Nested(LeftOutSchema))
    first_vendor_id = fields.String(allow_none=True)
    second_vendor_id = fields.String(allow_none=True)
    tipping_points = fields.List(fields.Nested(TippingPointSchema))


class RankingSchema(ma.Schema):
    procurement_id = fields.String()
    ocid = fields.String()
    status = fields.String()
    final = fields.Boolean(metadata={"description": "true once closed: stored, never changes"})
    as_of = fields.AwareDateTime()
    criteria_set = fields.Nested(CriteriaRefSchema)
    weights = fields.List(fields.Nested(WeightSchema))
    ranking = fields.List(fields.Nested(RankedBidderSchema))
    sensitivity = fields.Nested(SensitivitySchema)


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


# --- webhooks ----------------------------------------------------------------------------------

# A Standard Webhooks secret: `whsec_` and the standard base64 (padded) of 24 to 64 random bytes,
# spelled out so that the document states exactly what is accepted.
_B64_QUAD = "[A-Za-z0-9+/]{4}"
WEBHOOK_SECRET = (
    f"whsec_(?:(?:{_B64_QUAD}){{8,21}}(?:[A-Za-z0-9+/]{{2}}==)?"
    f"|(?:{_B64_QUAD}){{8,20}}[A-Za-z0-9+/]{{3}}=)"
)


def _webhook_events(**kwargs) -> fields.List:
    from .webhooks import EVENTS

    return fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        validate=validate.Length(min=1),
        metadata={"description": "The events to receive, each once", "uniqueItems": True},
        **kwargs,
    )


class WebhookCreateSchema(StrictSchema):
    url = WebUrl(
        2000,
        required=True,
        metadata={
            "description": "Where messages are POSTed",
            "example": "https://buyer.example/hooks",
        },
    )
    events = _webhook_events(required=True)
    secret = fields.String(
        validate=FullMatch(WEBHOOK_SECRET, error="Must be whsec_ and the base64 of 24-64 bytes."),
        metadata={
            "description": "The signing secret (Standard Webhooks); generated when absent. "
            "Shown in the creation response only",
        },
    )

    @validates_schema
    def events_once(self, data, **kwargs):
        events = data.get("events") or []
        if len(set(events)) != len(events):
            raise ma.ValidationError("Name each event once.", field_name="events")


class WebhookSchema(ma.Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean(metadata={"description": "false once deleted; its log is kept"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        metadata={
            "description": "whsec_...: verify the webhook-signature of every message with it. "
            "Shown only in this response; keep it"
        }
    )


class WebhookAttemptSchema(ma.Schema):
    attempted_at = fields.AwareDateTime()
    status_code = fields.Integer(
        allow_none=True, metadata={"description": "The receiver's HTTP status; null: no answer"}
    )
    error = fields.String(
        allow_none=True, metadata={"description": "Why it failed: a status or a network error"}
    )
    duration_ms = fields.Integer()


class WebhookDeliverySchema(ma.Schema):
    id = fields.String()
    message_id = fields.String(metadata={"description": "The webhook-id header, every attempt"})
    event = fields.String()
    status = fields.String(metadata={"description": "pending, delivered or failed"})
    attempts = fields.Integer(metadata={"description": "Attempts made so far"})
    created_at = fields.AwareDateTime()
    next_attempt_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When it is tried next; null once settled"}
    )
    delivered_at = fields.AwareDateTime(allow_none=True)
    payload = fields.Dict(metadata={"description": "The message body: type, timestamp, data"})
    attempt_log = fields.List(
        fields.Nested(WebhookAttemptSchema), metadata={"description": "Every attempt, oldest first"}
    )

    @ma.post_dump
    def settled_has_no_next_attempt(self, data, **kwargs):
        if data.get("status") != "pending":
            data["next_attempt_at"] = None
        return data


class WebhookDeliveryQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))
