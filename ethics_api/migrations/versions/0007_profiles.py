"""profiles and gates: a procurement's answers to its criteria set's profile questions, and
each bidder's pass/fail gates as the buyer checked them

What the system being bought does decides which indicators apply and the impact tier whose
minimum levels hold. Existing procurements keep no answers: their sets have no profile, and
no gates.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("procurements") as batch:
        batch.add_column(sa.Column("profile", Document, nullable=True))
    with op.batch_alter_table("bidders") as batch:
        batch.add_column(sa.Column("gates", Document, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bidders") as batch:
        batch.drop_column("gates")
    with op.batch_alter_table("procurements") as batch:
        batch.drop_column("profile")
