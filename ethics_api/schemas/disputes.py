"""Disputes: a vendor's reply to one indicator, and its resolution."""

import marshmallow as ma
from marshmallow import fields, post_load, validate

from ..enums import DisputeStatus
from ..fields import Text
from .assessments import EvidenceSchema, StoredEvidenceSchema
from .common import StrictSchema, criteria_ref, non_blank


class DisputeCreateSchema(StrictSchema):
    indicator = non_blank(100, required=True, metadata={"description": "The disputed indicator"})
    statement = Text(20_000, min_length=1, required=True, metadata={"description": "The reply"})
    evidence = fields.List(
        fields.Nested(EvidenceSchema),
        validate=validate.Length(max=50),
        metadata={"doc_default": []},
    )
    criteria_set = criteria_ref(
        "key@version of the scorecard; the default set when absent", allow_none=True
    )
    procurement_id = fields.UUID(
        allow_none=True, metadata={"description": "The procurement's scorecard, if any"}
    )

    @post_load(pass_original=True)
    def evidence_as_sent(self, data, original, **kwargs):
        # Kept exactly as sent: loading reads evidence dates as date objects.
        if "evidence" in data:
            data["evidence"] = original["evidence"]
        return data


class DisputeResolutionSchema(StrictSchema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf([DisputeStatus.UPHELD.value, DisputeStatus.REJECTED.value]),
        metadata={"description": "upheld: a moderated assessment settles it; rejected: reasons"},
    )
    reasons = Text(20_000, min_length=1, required=True)
    assessment_id = fields.UUID(
        allow_none=True,
        metadata={"description": "When upheld: the moderated assessment that settles it"},
    )


class DisputeQuerySchema(ma.Schema):
    status = fields.String(
        validate=validate.OneOf([status.value for status in DisputeStatus]),
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
