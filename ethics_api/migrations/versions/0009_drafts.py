"""drafts: an evaluator's assessment in progress, private and never scored

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organisation_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=False),
        sa.Column(
            "vendor_id",
            sa.String(36),
            sa.ForeignKey("vendors.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scope_key", sa.String(120), nullable=False),
        sa.Column(
            "procurement_id",
            sa.String(36),
            sa.ForeignKey("procurements.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("criteria_key", sa.String(100), nullable=False),
        sa.Column("criteria_version", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("answers", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "person_id", "vendor_id", "scope_key", name="uq_drafts_person_vendor_scope"
        ),
    )
    op.create_index("ix_drafts_person_id", "drafts", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_drafts_person_id", table_name="drafts")
    op.drop_table("drafts")
