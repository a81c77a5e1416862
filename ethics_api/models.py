"""Tables. Rows hold what users submitted, exactly; every score is computed from them."""

import datetime as dt
import uuid
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .enums import DeliveryStatus, DisputeStatus, ProcurementStatus
from .exact import exact

if TYPE_CHECKING:
    from .scoring import Scorecard


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times in UTC with tzinfo")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


# JSONB on PostgreSQL keeps the document indexed and compact; JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


# The columns that find a scope's assessments or moderations, then their order and ids.
SCOPE_RECORDS = (
    "vendor_id",
    "criteria_key",
    "criteria_version",
    "procurement_id",
    "submitted_at",
    "id",
)


class Organisation(Base):
    """A tenant: every vendor, assessment, procurement and webhook belongs to one."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Person(Base):
    """Someone of an organisation: the identity behind keys, assessments and declarations.

    A person may hold several keys (a new one before the old is revoked keeps the identity);
    names are unique within the organisation, as a reader of its records needs them to be.
    """

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name", name="uq_people_organisation_name"),
        Index("uq_people_invitation_digest", "invitation_digest", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Signing in (services.signin): the role an invitation gave, the vendor a vendor's person
    # acts for, the password's argon2id hash and the open invitation's SHA-256.
    sign_in_role: Mapped[str | None] = mapped_column(String(20))
    # A vendor of the organisation, checked when invited (no constraint: on SQLite one would
    # mean rebuilding the people table, which every record refers to).
    vendor_id: Mapped[str | None] = mapped_column(String(36))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    invitation_digest: Mapped[str | None] = mapped_column(String(64))
    invitation_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; the visible prefix identifies it in lists."""

    __tablename__ = "api_keys"
    # `secret` below is no column (only its SHA-256 is): it is set once, for the creation
    # response.
    __allow_unmapped__ = True
    secret: str | None = None

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    # The holder's name when the key was made (the person's name).
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    vendor_id: Mapped[str | None] = mapped_column(ForeignKey("vendors.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Vendor(Base):
    __tablename__ = "vendors"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id",
            "identifier_scheme",
            "identifier_id",
            name="uq_vendors_organisation_identifier",
        ),
        Index("uq_vendors_organisation_ppon", "organisation_id", "ppon", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    identifier_scheme: Mapped[str | None] = mapped_column(String(50))
    identifier_id: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(500))
    # What an assessment summary must give of a supplier (Procurement Regulations 2024 reg 31):
    # a postal address ({street_address, locality, region, postal_code, country_name}), an
    # email address, and the Procurement Act's unique identifier (PPON).
    address: Mapped[dict | None] = mapped_column(Document)
    email: Mapped[str | None] = mapped_column(String(320))
    ppon: Mapped[str | None] = mapped_column(String(14))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every update. The ETag is derived from it, and If-Match is checked in the
    # UPDATE's own WHERE clause, so two concurrent writers can never both win.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped in the transaction of every assessment, moderation and dispute recorded about the
    # vendor: what its scorecards draw on, in any scope. Stored scorecards are keyed by it, so
    # finding one reads no record (services/scorecard_store.py).
    records_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def identifier(self) -> dict | None:
        if self.identifier_scheme is None:
            return None
        return {"scheme": self.identifier_scheme, "id": self.identifier_id}


class Procurement(Base):
    """A tender: one criteria set, optional overriding weights, a lifecycle, its bidders."""

    __tablename__ = "procurements"
    __table_args__ = (
        UniqueConstraint("organisation_id", "ocid", name="uq_procurements_organisation_ocid"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    ocid: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_identifier_scheme: Mapped[str | None] = mapped_column(String(50))
    buyer_identifier_id: Mapped[str | None] = mapped_column(String(100))
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    # {criterion key: weight} exactly as sent; None means the set's own weights.
    weights: Mapped[dict | None] = mapped_column(Document)
    # {profile question key: true/false}: what the system bought does (scoring contract,
    # section 12); None while unanswered, and for a set with no profile.
    profile: Mapped[dict | None] = mapped_column(Document)
    reuse_standalone: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ProcurementStatus.DRAFT)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The ranking as it stood at closing, exactly as it was served; never changes afterwards.
    final_ranking: Mapped[dict | None] = mapped_column(Document)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # When the weights (and the profile) were frozen: on entering evaluation.
    weights_fixed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # How many evaluators must have assessed each bidder before closing.
    min_evaluators: Mapped[int] = mapped_column(Integer, default=2)
    # A tie for first settled as the tender set out: {vendor_id, reason, recorded_at, by}.
    tie_break: Mapped[dict | None] = mapped_column(Document)
    # The ethics evaluation's share of the whole award in percent, as sent; None: 100, the
    # whole award.
    award_share: Mapped[int | float | None] = mapped_column(Document)
    # When the contract award notice is (to be) published: the standstill period runs from it.
    award_notice_date: Mapped[dt.date | None] = mapped_column(Date)

    @property
    def criteria_set(self) -> str:
        return f"{self.criteria_key}@{self.criteria_version}"

    @property
    def share(self) -> Fraction:
        """The ethics evaluation's share of the award in percent, exactly."""
        return Fraction(100) if self.award_share is None else exact(self.award_share)

    @property
    def buyer(self) -> dict:
        identifier = None
        if self.buyer_identifier_scheme is not None:
            identifier = {"scheme": self.buyer_identifier_scheme, "id": self.buyer_identifier_id}
        return {"name": self.buyer_name, "identifier": identifier}


class Bidder(Base):
    __tablename__ = "bidders"

    procurement_id: Mapped[str] = mapped_column(
        ForeignKey("procurements.id", ondelete="RESTRICT"), primary_key=True
    )
    vendor_id: Mapped[str] = mapped_column(
        ForeignKey("vendors.id", ondelete="RESTRICT"), primary_key=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The criteria set's pass/fail gates as the buyer checked them for this bidder:
    # {gate key: {passed, reason, recorded_at, recorded_by, person_id}}; None: none checked.
    gates: Mapped[dict | None] = mapped_column(Document)

    vendor: Mapped[Vendor] = relationship(lazy="joined")


class AwardComponents(Base):
    """A bidder's other parts of the award, as the buyer scored them outside the service:
    [{name, kind (price or quality), weight (percent of the award), score (of 100)}], as sent.
    Recorded again, the record is replaced; the audit log keeps every version."""

    __tablename__ = "award_components"
    __table_args__ = (
        UniqueConstraint("procurement_id", "vendor_id", name="uq_award_components_bidder"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    procurement_id: Mapped[str] = mapped_column(ForeignKey("procurements.id"))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"))
    components: Mapped[list] = mapped_column(Document)
    # Who recorded them: a person, or the command line (no person).
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assessment(Base):
    """A submitted assessment: a record, never edited. A correction is a new assessment."""

    __tablename__ = "assessments"
    # `score` below is no column: the assessment's own score, which responses show.
    __allow_unmapped__ = True
    score: "Scorecard | None" = None
    __table_args__ = (
        Index("ix_assessments_vendor_set", "vendor_id", "criteria_key", "criteria_version"),
        # Covers the scorecard store's fingerprint of a scope (count, latest): read from the
        # index alone, never from the rows and their answers.
        Index("ix_assessments_scope_records", *SCOPE_RECORDS),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    assessor: Mapped[str] = mapped_column(String(200))  # the person's name
    procurement_id: Mapped[str | None] = mapped_column(
        ForeignKey("procurements.id", ondelete="RESTRICT"), index=True
    )
    moderated: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str | None] = mapped_column(Text)
    # The answers exactly as submitted (levels, N/A, rationale, evidence).
    answers: Mapped[list] = mapped_column(Document)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A correction is a new assessment naming the one it replaces; both stay readable.
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("assessments.id"), index=True)

    @property
    def criteria_set(self) -> str:
        return f"{self.criteria_key}@{self.criteria_version}"


class Draft(Base):
    """An evaluator's assessment in progress, saved from the form as they go: private to them,
    never scored, never logged, and gone once they submit it. One per evaluator, vendor and
    scope (a procurement, or standalone in a criteria set)."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint(
            "person_id", "vendor_id", "scope_key", name="uq_drafts_person_vendor_scope"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    # The procurement's id, or "criteria-key@version" for a standalone assessment: one column,
    # so that the unique constraint holds where a nullable procurement id would not.
    scope_key: Mapped[str] = mapped_column(String(120))
    procurement_id: Mapped[str | None] = mapped_column(
        ForeignKey("procurements.id", ondelete="CASCADE")
    )
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    # The answers as the form last held them: possibly incomplete, their formats (addresses,
    # dates) not yet checked; levels, indicators and evidence kinds always of the right kind.
    answers: Mapped[list] = mapped_column(Document)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Moderation(Base):
    """A moderator's settlement of indicators of one vendor in one scope: for each, the agreed
    level (or N/A) and the reason, the minute of the moderation meeting. A record, never
    edited: a later moderation of an indicator replaces an earlier one in the scorecard."""

    __tablename__ = "moderations"
    __table_args__ = (
        Index("ix_moderations_vendor_set", "vendor_id", "criteria_key"),
        Index("ix_moderations_scope_records", *SCOPE_RECORDS),  # as for assessments
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"))
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    procurement_id: Mapped[str | None] = mapped_column(ForeignKey("procurements.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    moderator: Mapped[str] = mapped_column(String(200))  # the person's name
    # [{indicator, level | not_applicable, reason, evidence?}] exactly as sent.
    settlements: Mapped[list] = mapped_column(Document)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def criteria_set(self) -> str:
        return f"{self.criteria_key}@{self.criteria_version}"


class Declaration(Base):
    """A person's declaration of interest in a procurement (Procurement Act 2023 ss.81-83):
    no conflict, or a conflict the buyer must mitigate before the person evaluates."""

    __tablename__ = "declarations"
    __table_args__ = (
        UniqueConstraint("procurement_id", "person_id", name="uq_declarations_person"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    procurement_id: Mapped[str] = mapped_column(ForeignKey("procurements.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    person_name: Mapped[str] = mapped_column(String(200))
    conflict: Mapped[bool] = mapped_column()
    description: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    mitigation: Mapped[str | None] = mapped_column(Text)
    mitigated_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    mitigated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def settled(self) -> bool:
        """Whether the person may evaluate: no conflict, or a conflict mitigated."""
        return not self.conflict or self.mitigation is not None


class CriteriaVersion(Base):
    """The fingerprint of each criteria set version the service has scored against."""

    __tablename__ = "criteria_versions"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    first_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredScorecard(Base):
    """A scorecard as served, computed once for the inputs it depends on (their fingerprint,
    `inputs_sha256`) and constant from `valid_from` until just before `valid_until`, its next
    time boundary (the far past and far future stand for no boundary). Only a cache: deleting
    every row changes no answer."""

    __tablename__ = "stored_scorecards"
    __table_args__ = (
        UniqueConstraint("inputs_sha256", "valid_from", name="uq_stored_scorecards_inputs"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    vendor_id: Mapped[str] = mapped_column(String(36), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The JSON document either side of its `as_of` value, the one part that varies in between.
    head: Mapped[str] = mapped_column(Text)
    tail: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The first response to a creating POST sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_records"

    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    # Keys are the client's: one API key's retries never replay another key's response.
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict] = mapped_column(Document)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dispute(Base):
    """A vendor's reply to one indicator of its scorecard, until a moderator resolves it."""

    __tablename__ = "disputes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id"), index=True)
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    procurement_id: Mapped[str | None] = mapped_column(ForeignKey("procurements.id"))
    indicator: Mapped[str] = mapped_column(String(100))
    statement: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(20), default=DisputeStatus.OPEN)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_by_person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    moderated_assessment_id: Mapped[str | None] = mapped_column(ForeignKey("assessments.id"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def criteria_set(self) -> str:
        return f"{self.criteria_key}@{self.criteria_version}"


class Webhook(Base):
    """A subscription: the events an organisation wants POSTed to a URL, signed with a secret."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(Document)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class WebhookDelivery(Base):
    """The outbox: one message for one subscription, written with the change it reports."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict] = mapped_column(Document)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One try at delivering a message: what the receiver answered, or why it could not."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """One entry of the append-only, hash-chained log of every state change.

    Each organisation has its own chain (`chain` is its id; "legacy" holds the single chain
    the service kept before). The database refuses UPDATE and DELETE on this table
    (triggers); `audit.verify` recomputes a chain and signed checkpoints pin its head, so a
    rewritten history is detected.
    """

    __tablename__ = "events"

    chain: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    organisation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(200))
    change_sha256: Mapped[str] = mapped_column(String(64))
    # Canonical JSON text, so the digest can be recomputed from the very bytes hashed.
    change: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The SHA-256 of the record the event created or changed, as stored after the change
    # (audit.RECORDS); None for events about other things.
    record_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_events_object", "object_type", "object_id"),
        UniqueConstraint("chain", "prev_hash", name="uq_events_chain_prev_hash"),
    )
