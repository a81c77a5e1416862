"""The service's vocabularies, each defined once: roles, lifecycles and event names.

They are `StrEnum`s: each member is its own text, so it is stored, compared and written to JSON
as that text, and a typo in a name fails at import rather than in a query that finds nothing.
"""

from enum import StrEnum


class Role(StrEnum):
    """What an API key may do (README, "Roles")."""

    ADMIN = "admin"
    BUYER = "buyer"
    ASSESSOR = "assessor"
    MODERATOR = "moderator"
    VENDOR = "vendor"
    AUDITOR = "auditor"


# The organisation's own people, who read its records (vendors read only their own).
READERS = (Role.BUYER, Role.ASSESSOR, Role.MODERATOR, Role.AUDITOR)


class ProcurementStatus(StrEnum):
    """A procurement moves forward one step at a time, never back."""

    DRAFT = "draft"
    EVALUATING = "evaluating"
    CLOSED = "closed"


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class DeliveryStatus(StrEnum):
    """A webhook message in the outbox."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Action(StrEnum):
    """What an event of the audit log records."""

    ORGANISATION_CREATED = "organisation.created"
    PERSON_CREATED = "person.created"
    PERSON_INVITED = "person.invited"
    PASSWORD_SET = "person.password_set"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    VENDOR_CREATED = "vendor.created"
    VENDOR_UPDATED = "vendor.updated"
    ASSESSMENT_SUBMITTED = "assessment.submitted"
    PROCUREMENT_CREATED = "procurement.created"
    PROCUREMENT_UPDATED = "procurement.updated"
    BIDDER_ADDED = "bidder.added"
    COMPONENTS_RECORDED = "award_components.recorded"
    GATES_RECORDED = "gates.recorded"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_RESOLVED = "dispute.resolved"
    MODERATION_RECORDED = "moderation.recorded"
    DECLARATION_MADE = "declaration.made"
    CONFLICT_MITIGATED = "conflict.mitigated"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_DEACTIVATED = "webhook.deactivated"


class ObjectType(StrEnum):
    """What an event of the audit log is about."""

    ORGANISATION = "organisation"
    PERSON = "person"
    API_KEY = "api_key"
    VENDOR = "vendor"
    ASSESSMENT = "assessment"
    PROCUREMENT = "procurement"
    DISPUTE = "dispute"
    MODERATION = "moderation"
    DECLARATION = "declaration"
    WEBHOOK = "webhook"


class WebhookEvent(StrEnum):
    """What a webhook subscription can ask to hear about."""

    ASSESSMENT_SUBMITTED = "assessment.submitted"
    SCORECARD_CHANGED = "scorecard.changed"
    KNOCKOUT_TRIGGERED = "knockout.triggered"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_RESOLVED = "dispute.resolved"
    PROCUREMENT_CLOSED = "procurement.closed"
