"""Assessments: answers per indicator with evidence, as submitted and as stored."""

import re

import marshmallow as ma
from marshmallow import fields, post_load, validate, validates_schema

from ..fields import VISIBLE, Day, FullMatch, Line, Rounded, StrictBoolean, Text, WebUrl
from ..scoring import EVIDENCE_FACTORS
from .common import (
    SHA256_PATTERN,
    KnockoutSchema,
    StrictSchema,
    criteria_ref,
    non_blank,
)


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
    indicator = non_blank(
        100, required=True, metadata={"description": "An indicator key of the set"}
    )
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
    criteria_set = criteria_ref(allow_none=True)
    assessor = Line(
        200,
        allow_none=True,
        metadata={
            "description": "Who made the assessment: the key's own name for assessors and "
            "moderators; required from admin keys"
        },
    )
    procurement_id = fields.UUID(
        allow_none=True,
        metadata={"description": "Assess within this procurement (it must be evaluating)"},
    )
    moderated = StrictBoolean(
        metadata={
            "description": "true when a moderator settles the other assessments",
            "doc_default": False,
        },
    )
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    summary = Text(20_000, min_length=1, allow_none=True)
    supersedes = fields.UUID(
        allow_none=True,
        metadata={
            "description": "Correct an earlier assessment of the same vendor, set and scope: "
            "both stay readable, the earlier one no longer counts"
        },
    )

    @post_load(pass_original=True)
    def answers_as_sent(self, data, original, **kwargs):
        # Stored exactly as sent. Validation refused whatever loading would have altered, but
        # loading reads evidence dates as date objects, which are not what was sent.
        return {**data, "answers": original["answers"]}


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
