"""organisations and API keys, idempotency records, disputes, webhooks

Every vendor, procurement and assessment now belongs to an organisation; rows from before are
given to a "Default organisation" created here. Identifiers and ocids become unique per
organisation, so that one organisation cannot learn of another's records from a conflict.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# SQLite reports unnamed constraints without a name: batch mode names them by this convention.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _id() -> sa.Column:
    return sa.Column("id", sa.String(36), primary_key=True)


def _organisation() -> sa.Column:
    return sa.Column(
        "organisation_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "organisations",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "api_keys",
        _id(),
        _organisation(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False, unique=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("vendor_id", sa.String(36), sa.ForeignKey("vendors.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_api_keys_organisation_id", "api_keys", ["organisation_id"])
    op.create_table(
        "idempotency_records",
        _organisation(),
        sa.Column("api_key_id", sa.String(36), sa.ForeignKey("api_keys.id"), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", Document, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "webhooks",
        _id(),
        _organisation(),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", Document, nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_webhooks_organisation_id", "webhooks", ["organisation_id"])
    op.create_table(
        "webhook_deliveries",
        _id(),
        _organisation(),
        sa.Column("webhook_id", sa.String(36), sa.ForeignKey("webhooks.id"), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("payload", Document, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_organisation_id", "webhook_deliveries", ["organisation_id"]
    )
    op.create_index("ix_webhook_deliveries_webhook_id", "webhook_deliveries", ["webhook_id"])
    op.create_table(
        "webhook_attempts",
        _id(),
        sa.Column(
            "delivery_id", sa.String(36), sa.ForeignKey("webhook_deliveries.id"), nullable=False
        ),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id"])
    op.create_table(
        "disputes",
        _id(),
        _organisation(),
        sa.Column("vendor_id", sa.String(36), sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("criteria_key", sa.String(100), nullable=False),
        sa.Column("criteria_version", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.String(36), sa.ForeignKey("procurements.id"), nullable=True),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("evidence", Document, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filed_by", sa.String(200), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column(
            "moderated_assessment_id",
            sa.String(36),
            sa.ForeignKey("assessments.id"),
            nullable=True,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_disputes_organisation_id", "disputes", ["organisation_id"])
    op.create_index("ix_disputes_vendor_id", "disputes", ["vendor_id"])

    _give_existing_rows_an_organisation()


def _give_existing_rows_an_organisation() -> None:
    bind = op.get_bind()
    tables = ("vendors", "procurements", "assessments")
    for table in tables:
        op.add_column(table, sa.Column("organisation_id", sa.String(36), nullable=True))
    has_rows = any(bind.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in tables)
    if has_rows:
        organisation_id = str(uuid.uuid4())
        bind.execute(
            sa.text(
                "INSERT INTO organisations (id, name, created_at) "
                "VALUES (:id, 'Default organisation', CURRENT_TIMESTAMP)"
            ),
            {"id": organisation_id},
        )
        for table in tables:
            bind.execute(
                sa.text(f"UPDATE {table} SET organisation_id = :id"), {"id": organisation_id}
            )

    postgres = bind.dialect.name == "postgresql"
    old_unique = {
        "vendors": "vendors_identifier_scheme_identifier_id_key"
        if postgres
        else "uq_vendors_identifier_scheme_identifier_id",
        "procurements": "procurements_ocid_key" if postgres else "uq_procurements_ocid",
    }
    new_unique = {
        "vendors": (
            "uq_vendors_organisation_identifier",
            ["organisation_id", "identifier_scheme", "identifier_id"],
        ),
        "procurements": ("uq_procurements_organisation_ocid", ["organisation_id", "ocid"]),
    }
    for table in tables:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.alter_column("organisation_id", existing_type=sa.String(36), nullable=False)
            batch.create_foreign_key(
                f"fk_{table}_organisation_id", "organisations", ["organisation_id"], ["id"]
            )
            batch.create_index(f"ix_{table}_organisation_id", ["organisation_id"])
            if table in old_unique:
                batch.drop_constraint(old_unique[table], type_="unique")
                name, columns = new_unique[table]
                batch.create_unique_constraint(name, columns)


def downgrade() -> None:
    raise NotImplementedError("Organisations cannot be removed without losing who owns what.")
