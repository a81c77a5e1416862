"""the award: suppliers' contact details and unique identifier, the ethics evaluation's share
of the award, the bidders' other award components, the contract award notice's date

Vendors gain what an assessment summary must give of a supplier (Procurement Regulations 2024
reg 31(2)(a)-(c)): a postal address, an email address and the Procurement Act's unique
identifier (PPON). Existing rows keep them empty until someone records them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Columns and a unique index, not a constraint: on SQLite a constraint would mean
    # rebuilding the vendors table, which every evaluation record refers to.
    op.add_column("vendors", sa.Column("address", Document, nullable=True))
    op.add_column("vendors", sa.Column("email", sa.String(320), nullable=True))
    op.add_column("vendors", sa.Column("ppon", sa.String(14), nullable=True))
    op.create_index(
        "uq_vendors_organisation_ppon", "vendors", ["organisation_id", "ppon"], unique=True
    )
    with op.batch_alter_table("procurements") as batch:
        batch.add_column(sa.Column("award_share", Document, nullable=True))
        batch.add_column(sa.Column("award_notice_date", sa.Date(), nullable=True))
    op.create_table(
        "award_components",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "procurement_id", sa.String(36), sa.ForeignKey("procurements.id"), nullable=False
        ),
        sa.Column("vendor_id", sa.String(36), sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("components", Document, nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("procurement_id", "vendor_id", name="uq_award_components_bidder"),
    )


def downgrade() -> None:
    raise NotImplementedError("Award components and suppliers' details are records of the award.")
