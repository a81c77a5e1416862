"""Procurements, their bidders and their ranking with its sensitivity analysis."""

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from ..enums import ProcurementStatus
from ..fields import Day, Exact, ExactNumber, FullMatch, Line, Rounded, StrictBoolean, Text
from .common import (
    CriteriaRefSchema,
    IdentifierSchema,
    KnockoutSchema,
    StrictSchema,
    criteria_ref,
)
from .declarations import DeclarationSchema, ReadinessSchema
from .gates import RecordedGateSchema

STATUSES = [status.value for status in ProcurementStatus]
OCID = r"ocds-[a-z0-9]{6}-[A-Za-z0-9][A-Za-z0-9._/-]{0,180}"


class BuyerSchema(StrictSchema):
    name = Line(200, required=True)
    identifier = fields.Nested(IdentifierSchema, allow_none=True)


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


def _profile() -> fields.Dict:
    # Values are checked against the set's questions (services.procurements.profile_errors),
    # so that an error points at the question, /profile/<key>.
    return fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"type": "boolean"}),
        metadata={
            "description": "An answer, true or false, to every profile question of the set, by "
            "key (in draft only): what the system does decides which indicators apply and the "
            "impact tier"
        },
    )


def _min_evaluators() -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=20),
        metadata={
            "description": "How many evaluators must assess each bidder before closing (in "
            "draft only)",
            "doc_default": 2,
        },
    )


def _award_share() -> ExactNumber:
    return ExactNumber(
        validate=validate.Range(min=0, min_inclusive=False, max=100),
        metadata={
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 100,
            "description": "The ethics evaluation's share of the whole award, in percent (in "
            "draft only): 20 when price and other criteria carry the other 80",
            "doc_default": 100,
        },
    )


def _award_notice_date() -> Day:
    return Day(
        allow_none=True,
        metadata={
            "description": "When the contract award notice is (to be) published: the standstill "
            "period runs from it (Procurement Act 2023 s.51). May be set in any status"
        },
    )


class ProcurementCreateSchema(StrictSchema):
    ocid = fields.String(
        required=True,
        validate=FullMatch(OCID, error="Must be an OCDS ocid: ocds-<6-character prefix>-<id>."),
        metadata={"description": "OCDS contracting-process id, e.g. ocds-213czf-2026-0042"},
    )
    title = Line(500, required=True)
    buyer = fields.Nested(BuyerSchema, required=True)
    criteria_set = criteria_ref(allow_none=True)
    weights = _weights(allow_none=True)
    profile = _profile()
    reuse_standalone = StrictBoolean(
        metadata={
            "description": "Let bidders with no assessment in this procurement be ranked on "
            "their standalone assessments",
            "doc_default": False,
        },
    )
    min_evaluators = _min_evaluators()
    award_share = _award_share()
    award_notice_date = _award_notice_date()


class TieBreakSchema(StrictSchema):
    vendor_id = fields.UUID(required=True, metadata={"description": "One of the tied bidders"})
    reason = Text(
        5_000,
        min_length=1,
        required=True,
        metadata={"description": "The tie-break the tender set out, and how it chose"},
    )


class ProcurementUpdateSchema(StrictSchema):
    JSON_SCHEMA_EXTRA = {"minProperties": 1}

    title = Line(500)
    buyer = fields.Nested(
        BuyerSchema, metadata={"description": "The buyer and its identifier (until closing)"}
    )
    min_evaluators = _min_evaluators()
    reuse_standalone = StrictBoolean(metadata={"description": "In draft only"})
    award_share = _award_share()
    award_notice_date = _award_notice_date()
    tie_break = fields.Nested(
        TieBreakSchema,
        metadata={
            "description": "While evaluating, when the ranking has a tie for first: the bidder "
            "the tender's tie-break chose, and why"
        },
    )
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "Forward one step only: draft -> evaluating -> closed (else 409)"},
    )
    weights = _weights(allow_none=True)
    profile = _profile()

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError(
                "Send at least one of title, buyer, status, weights, profile, min_evaluators, "
                "reuse_standalone, award_share, award_notice_date or tie_break."
            )


class CsvQuerySchema(ma.Schema):
    header = fields.String(
        load_default="human",
        validate=validate.OneOf(["human", "machine", "both"]),
        metadata={
            "description": "human: headings for people (criterion names); machine: stable "
            "names (score_<criterion key>); both: a row of each, people's first"
        },
    )


class ProcurementQuerySchema(ma.Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class WeightSchema(ma.Schema):
    criterion = fields.String()
    name = fields.String(metadata={"description": "The criterion's name"})
    weight = Exact()
    effective_weight = Rounded(
        scale=100, metadata={"description": "Percent of the ethics evaluation"}
    )
    award_weight = Rounded(
        scale=100,
        metadata={
            "description": "Percent of the whole award: the effective weight times the "
            "ethics evaluation's share"
        },
    )


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
    profile = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The answers to the set's profile questions; null: not answered (or "
            "the set has none). The tier and what applies: GET .../profile"
        },
    )
    reuse_standalone = fields.Boolean()
    min_evaluators = fields.Integer()
    award_share = Exact(
        attribute="share", metadata={"description": "The ethics evaluation's share of the award"}
    )
    award_notice_date = fields.Date(allow_none=True)
    status = fields.String(metadata={"description": "draft, evaluating or closed"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    weights_fixed_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When evaluation began; null in draft"}
    )
    tie_break = fields.Nested(lambda: RecordedTieBreakSchema(), allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class RecordedTieBreakSchema(ma.Schema):
    vendor_id = fields.String()
    reason = fields.String()
    recorded_at = fields.String(metadata={"format": "date-time"})
    recorded_by = fields.String()


class BidderCreateSchema(StrictSchema):
    vendor_id = fields.UUID(required=True)


class BidderSchema(ma.Schema):
    vendor_id = fields.String()
    vendor_name = fields.String(attribute="vendor.name")
    added_at = fields.AwareDateTime()
    gates = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(RecordedGateSchema),
        allow_none=True,
        metadata={"description": "The set's gates checked so far, by key; null: none yet"},
    )


class CriterionResultSchema(ma.Schema):
    criterion = fields.String()
    name = fields.String(
        metadata={"description": "The criterion's name (absent from rankings stored before)"}
    )
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
    reused_before_weights_fixed = fields.Boolean(
        metadata={"description": "Some of those were made before the weights were fixed"}
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


class MarginStepSchema(ma.Schema):
    indicator = fields.String()
    name = fields.String(metadata={"description": "The indicator's question, in words"})
    criterion = fields.String(metadata={"description": "The criterion's name"})
    from_level = fields.Integer()
    to_level = fields.Integer()
    gain = Rounded(
        metadata={
            "description": "Points of the ethics total (0..100) this one-level raise adds, "
            "rounded to 2 places"
        }
    )


class MarginSchema(ma.Schema):
    first_vendor_id = fields.String()
    second_vendor_id = fields.String()
    points = Rounded(metadata={"description": "The first's total less the second's"})
    largest_step = Rounded(
        allow_none=True, metadata={"description": "The most one raise of one level gains"}
    )
    steps_to_overtake = fields.Integer(
        allow_none=True,
        metadata={"description": "The fewest one-level raises after which the second draws level"},
    )
    steps = fields.List(fields.Nested(MarginStepSchema))
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
    margin = fields.Nested(
        MarginSchema,
        allow_none=True,
        metadata={"description": "The margin in evaluators' marks; null with fewer than two"},
    )


class AwardPartSchema(ma.Schema):
    name = fields.String()
    kind = fields.String(metadata={"description": "price or quality"})
    weight = Exact(metadata={"description": "Percent of the whole award"})


class ScoredPartSchema(AwardPartSchema):
    score = Exact(metadata={"description": "Out of 100, as the buyer scored it"})
    points = Rounded(metadata={"description": "weight / 100 x score"})


class OverallSchema(ma.Schema):
    rank = fields.Integer()
    vendor_id = fields.String()
    vendor_name = fields.String()
    ethics_total = Rounded()
    ethics_points = Rounded(metadata={"description": "The ethics share / 100 x the total"})
    components = fields.List(fields.Nested(ScoredPartSchema))
    total = Rounded(metadata={"description": "The overall result: the sum of the points"})


class OverallMarginSchema(ma.Schema):
    first_vendor_id = fields.String()
    second_vendor_id = fields.String()
    points = Rounded(metadata={"description": "The first's overall result less the second's"})
    largest_step = Rounded(
        allow_none=True,
        metadata={
            "description": "The most one evaluator's one-level mark on the second's ethics "
            "evaluation is worth overall"
        },
    )
    one_mark_decides = fields.Boolean()
    sentence = fields.String()


class AwardSchema(ma.Schema):
    ethics_share = Exact(metadata={"description": "The ethics evaluation's share, in percent"})
    basis = fields.String(
        metadata={
            "description": "What the award is decided on here: ethics (the whole award), "
            "overall (the ethics evaluation with the other components), incomplete (the "
            "service does not hold the rest of the award)"
        }
    )
    components = fields.List(
        fields.Nested(AwardPartSchema), metadata={"description": "The award's other parts"}
    )
    overall = fields.List(
        fields.Nested(OverallSchema),
        metadata={"description": "The eligible bidders' overall results, when basis is overall"},
    )
    components_recorded_for = fields.List(
        fields.String(), metadata={"description": "The bidders whose components are recorded"}
    )
    first_vendor_ids = fields.List(fields.String())
    tie_for_first = fields.Boolean()
    tie_break = fields.Nested(RecordedTieBreakSchema, allow_none=True)
    winner_vendor_id = fields.String(
        allow_none=True,
        metadata={"description": "The most advantageous tender, when the service holds the award"},
    )
    margin = fields.Nested(
        OverallMarginSchema,
        allow_none=True,
        metadata={"description": "Between the first two overall (basis overall only)"},
    )
    summary = fields.String()


class RankingSchema(ma.Schema):
    procurement_id = fields.String()
    ocid = fields.String()
    status = fields.String()
    final = fields.Boolean(metadata={"description": "true once closed: stored, never changes"})
    tie_for_first = fields.Boolean(
        metadata={"description": "Two or more eligible bidders share rank 1"}
    )
    tie_break = fields.Nested(RecordedTieBreakSchema, allow_none=True)
    winner_vendor_id = fields.String(
        allow_none=True,
        metadata={"description": "The sole first, or the tie-break's choice; null otherwise"},
    )
    award = fields.Nested(AwardSchema)
    as_of = fields.AwareDateTime()
    criteria_set = fields.Nested(CriteriaRefSchema)
    profile = fields.Dict(
        allow_none=True,
        metadata={"description": "The answers to the set's profile questions; null: none asked"},
    )
    tier = fields.String(
        allow_none=True,
        metadata={"description": "The impact tier whose minimum levels hold; null: no tiers"},
    )
    weights = fields.List(fields.Nested(WeightSchema))
    ranking = fields.List(fields.Nested(RankedBidderSchema))
    sensitivity = fields.Nested(SensitivitySchema)
    readiness = fields.Nested(
        ReadinessSchema, metadata={"description": "What blocks closing; at closing, none"}
    )
    declarations = fields.List(
        fields.Nested(DeclarationSchema),
        metadata={"description": "The declarations of interest made in the procurement"},
    )
