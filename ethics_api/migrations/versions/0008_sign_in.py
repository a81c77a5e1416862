"""sign-in for people: the role an invitation gives, a vendor's person's vendor, the
password's hash and the open invitation's digest

Existing people keep signing in as before: not at all, until an admin invites them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Columns and a unique index, no constraint: on SQLite a constraint would mean rebuilding
    # the people table, which every evaluation record refers to.
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("sign_in_role", sa.String(20), nullable=True))
        batch.add_column(sa.Column("vendor_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(200), nullable=True))
        batch.add_column(sa.Column("invitation_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("invitation_expires_at", sa.DateTime(), nullable=True))
    op.create_index("uq_people_invitation_digest", "people", ["invitation_digest"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_people_invitation_digest", table_name="people")
    with op.batch_alter_table("people") as batch:
        for column in (
            "invitation_expires_at",
            "invitation_digest",
            "password_hash",
            "vendor_id",
            "sign_in_role",
        ):
            batch.drop_column(column)
