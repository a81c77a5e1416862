"""a vendor's records revision, the key of its stored scorecards

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows stored before start at 0: the scorecards stored under the former keys (counts of
    # records) are simply not found under the new ones, and are computed again once.
    with op.batch_alter_table("vendors") as batch:
        batch.add_column(
            sa.Column("records_revision", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        batch.drop_column("records_revision")
