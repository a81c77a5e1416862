"""people, moderations per indicator, declarations of interest, and the evaluation's record

Every key now belongs to a person, and assessments and disputes name the person behind them:
identity is a row, not a free-text name. Existing keys become one person per distinct name in
their organisation; an assessment's or a dispute's name that no key bore becomes a person too.
Procurements record when their weights were fixed: for those already past draft, the time of
the logged move to evaluating (the procurement's creation where none was logged).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import datetime as dt
import json
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", sa.String(36), primary_key=True)


def _organisation() -> sa.Column:
    return sa.Column(
        "organisation_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False
    )


def _person(name: str = "person_id", nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(36), sa.ForeignKey("people.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "people",
        _id(),
        _organisation(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("organisation_id", "name", name="uq_people_organisation_name"),
    )
    op.create_index("ix_people_organisation_id", "people", ["organisation_id"])
    op.create_table(
        "moderations",
        _id(),
        _organisation(),
        sa.Column("vendor_id", sa.String(36), sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("criteria_key", sa.String(100), nullable=False),
        sa.Column("criteria_version", sa.Integer(), nullable=False),
        sa.Column("criteria_sha256", sa.String(64), nullable=False),
        sa.Column("procurement_id", sa.String(36), sa.ForeignKey("procurements.id"), nullable=True),
        _person(),
        sa.Column("moderator", sa.String(200), nullable=False),
        sa.Column("settlements", Document, nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_moderations_vendor_set", "moderations", ["vendor_id", "criteria_key"])
    op.create_index("ix_moderations_procurement_id", "moderations", ["procurement_id"])
    op.create_table(
        "declarations",
        _id(),
        _organisation(),
        sa.Column(
            "procurement_id", sa.String(36), sa.ForeignKey("procurements.id"), nullable=False
        ),
        _person(),
        sa.Column("person_name", sa.String(200), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.Column("mitigation", sa.Text(), nullable=True),
        _person("mitigated_by", nullable=True),
        sa.Column("mitigated_at", sa.DateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("procurement_id", "person_id", name="uq_declarations_person"),
    )
    with op.batch_alter_table("procurements") as batch:
        batch.add_column(sa.Column("weights_fixed_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("min_evaluators", sa.Integer(), nullable=False, server_default="2")
        )
        batch.add_column(sa.Column("tie_break", Document, nullable=True))

    for table in ("api_keys", "assessments", "disputes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("person_id", sa.String(36), nullable=True))
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("resolved_by_person_id", sa.String(36), nullable=True))
        batch.create_foreign_key(
            "fk_disputes_resolved_by_person_id", "people", ["resolved_by_person_id"], ["id"]
        )
    _people_from_names()
    for table in ("api_keys", "assessments", "disputes"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("person_id", existing_type=sa.String(36), nullable=False)
            batch.create_foreign_key(f"fk_{table}_person_id", "people", ["person_id"], ["id"])
            batch.create_index(f"ix_{table}_person_id", ["person_id"])
    _weights_fixed_when_evaluation_began()


def _people_from_names() -> None:
    """One person per distinct name in each organisation, first from the keys, then from the
    assessments and disputes that name someone no key named."""
    bind = op.get_bind()
    people: dict[tuple[str, str], str] = {}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sources = (
        ("api_keys", "name"),
        ("assessments", "assessor"),
        ("disputes", "filed_by"),
    )
    for table, column in sources:
        # Names are one trimmed line (the API refused anything else), so equal names are one.
        rows = bind.execute(
            sa.text(f"SELECT DISTINCT organisation_id, {column} FROM {table} ORDER BY 1, 2")
        ).all()
        for organisation_id, name in rows:
            if (organisation_id, name) not in people:
                person_id = str(uuid.uuid4())
                bind.execute(
                    sa.text(
                        "INSERT INTO people (id, organisation_id, name, created_at) "
                        "VALUES (:id, :organisation, :name, :now)"
                    ),
                    {"id": person_id, "organisation": organisation_id, "name": name, "now": now},
                )
                people[(organisation_id, name)] = person_id
        for (organisation_id, name), person_id in people.items():
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET person_id = :person "
                    f"WHERE organisation_id = :organisation AND {column} = :name"
                ),
                {"person": person_id, "organisation": organisation_id, "name": name},
            )


def _weights_fixed_when_evaluation_began() -> None:
    bind = op.get_bind()
    past_draft = bind.execute(
        sa.text("SELECT id, created_at FROM procurements WHERE status != 'draft'")
    ).all()
    for procurement_id, created_at in past_draft:
        moves = bind.execute(
            sa.text(
                "SELECT occurred_at, change FROM events WHERE object_type = 'procurement' "
                "AND object_id = :id AND action = 'procurement.updated' ORDER BY seq"
            ),
            {"id": procurement_id},
        ).all()
        began = next(
            (when for when, change in moves if json.loads(change).get("status") == "evaluating"),
            created_at,
        )
        bind.execute(
            sa.text("UPDATE procurements SET weights_fixed_at = :began WHERE id = :id"),
            {"began": began, "id": procurement_id},
        )


def downgrade() -> None:
    raise NotImplementedError("People, moderations and declarations are records of the evaluation.")
