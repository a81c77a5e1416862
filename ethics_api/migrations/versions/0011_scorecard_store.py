"""scorecards stored once per change

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The columns that find a scope's assessments or moderations, then their order and ids
# (as in models.SCOPE_RECORDS when this revision was written: a migration never follows the
# models).
SCOPE_RECORDS = [
    "vendor_id",
    "criteria_key",
    "criteria_version",
    "procurement_id",
    "submitted_at",
    "id",
]

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_scorecards",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("inputs_sha256", sa.String(64), nullable=False),
        sa.Column("vendor_id", sa.String(36), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("tail", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("inputs_sha256", "valid_from", name="uq_stored_scorecards_inputs"),
    )
    op.create_index("ix_stored_scorecards_vendor_id", "stored_scorecards", ["vendor_id"])
    # A scope's records counted from an index alone.
    for table in ("assessments", "moderations"):
        op.create_index(f"ix_{table}_scope_records", table, SCOPE_RECORDS)


def downgrade() -> None:
    for table in ("assessments", "moderations"):
        op.drop_index(f"ix_{table}_scope_records", table_name=table)
    op.drop_index("ix_stored_scorecards_vendor_id", table_name="stored_scorecards")
    op.drop_table("stored_scorecards")
