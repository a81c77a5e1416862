"""the append-only event log, and assessments that supersede others

The database itself refuses UPDATE and DELETE on the event log, with triggers on SQLite and on
PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "the event log is append-only"


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=True),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("change_sha256", sa.String(64), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_events_organisation_id", "events", ["organisation_id"])
    op.create_index("ix_events_object", "events", ["object_type", "object_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )
        # TRUNCATE skips row triggers: refuse it too.
        op.execute(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        # REPLACE deletes a conflicting row without firing delete triggers: refuse any insert
        # that would collide with an existing event before it gets that far.
        op.execute(
            "CREATE TRIGGER events_no_overwrite BEFORE INSERT ON events "
            "WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq OR hash = NEW.hash "
            "OR prev_hash = NEW.prev_hash) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )

    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("supersedes", sa.String(36), nullable=True))
        batch.create_foreign_key("fk_assessments_supersedes", "assessments", ["supersedes"], ["id"])
        batch.create_index("ix_assessments_supersedes", ["supersedes"])


def downgrade() -> None:
    raise NotImplementedError("The event log is kept: it is the service's accountability.")
