"""procurements and bidders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "procurements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ocid", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_identifier_scheme", sa.String(length=50), nullable=True),
        sa.Column("buyer_identifier_id", sa.String(length=100), nullable=True),
        sa.Column("criteria_key", sa.String(length=100), nullable=False),
        sa.Column("criteria_version", sa.Integer(), nullable=False),
        sa.Column("criteria_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "weights",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("reuse_standalone", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "final_ranking",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ocid"),
    )
    op.create_table(
        "bidders",
        sa.Column("procurement_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=36), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["procurement_id"], ["procurements.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("procurement_id", "vendor_id"),
    )
    # SQLite cannot add a constraint to a table: batch mode rebuilds it there.
    with op.batch_alter_table("assessments") as batch:
        batch.create_index("ix_assessments_procurement_id", ["procurement_id"])
        batch.create_foreign_key(
            "fk_assessments_procurement_id",
            "procurements",
            ["procurement_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("assessments") as batch:
        batch.drop_constraint("fk_assessments_procurement_id", type_="foreignkey")
        batch.drop_index("ix_assessments_procurement_id")
    op.drop_table("bidders")
    op.drop_table("procurements")
