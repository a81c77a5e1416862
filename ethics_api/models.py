"""Tables. Rows hold what users submitted, exactly; every score is computed from them."""

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
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


class Vendor(Base):
    __tablename__ = "vendors"
    __table_args__ = (UniqueConstraint("identifier_scheme", "identifier_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), index=True)
    identifier_scheme: Mapped[str | None] = mapped_column(String(50))
    identifier_id: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by every update. The ETag is derived from it, and If-Match is checked in the
    # UPDATE's own WHERE clause, so two concurrent writers can never both win.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def identifier(self) -> dict | None:
        if self.identifier_scheme is None:
            return None
        return {"scheme": self.identifier_scheme, "id": self.identifier_id}


class Procurement(Base):
    """A tender: one criteria set, optional overriding weights, a lifecycle, its bidders."""

    __tablename__ = "procurements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    ocid: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_identifier_scheme: Mapped[str | None] = mapped_column(String(50))
    buyer_identifier_id: Mapped[str | None] = mapped_column(String(100))
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    # {criterion key: weight} exactly as sent; None means the set's own weights.
    weights: Mapped[dict | None] = mapped_column(Document)
    reuse_standalone: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The ranking as it stood at closing, exactly as it was served; never changes afterwards.
    final_ranking: Mapped[dict | None] = mapped_column(Document)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def criteria_set(self) -> str:
        return f"{self.criteria_key}@{self.criteria_version}"

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

    vendor: Mapped[Vendor] = relationship(lazy="joined")


class Assessment(Base):
    """A submitted assessment: a record, never edited. A correction is a new assessment."""

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_vendor_set", "vendor_id", "criteria_key", "criteria_version"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    criteria_key: Mapped[str] = mapped_column(String(100))
    criteria_version: Mapped[int] = mapped_column(Integer)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    assessor: Mapped[str] = mapped_column(String(200))
    procurement_id: Mapped[str | None] = mapped_column(
        ForeignKey("procurements.id", ondelete="RESTRICT"), index=True
    )
    moderated: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str | None] = mapped_column(Text)
    # The answers exactly as submitted (levels, N/A, rationale, evidence).
    answers: Mapped[list] = mapped_column(Document)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def criteria_set(self) -> str:
        return f"{self.criteria_key}@{self.criteria_version}"


class CriteriaVersion(Base):
    """The fingerprint of each criteria set version the service has scored against."""

    __tablename__ = "criteria_versions"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    first_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
