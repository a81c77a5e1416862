"""each organisation's own event chain, and records' digests

The single chain becomes the chain "legacy", its events and hashes untouched, so that it and
any checkpoint taken of it still verify. Each organisation gets a chain of its own, which
opens with copies of the organisation's legacy events (renumbered from 1 and hashed in the
new way: with their chain and the digest of the record they leave behind), then an
`audit.chain_migrated` event pinning those copies to the legacy chain (how many, and the
SHA-256 of their legacy hashes), then a `record.sealed` event for each record no event had
logged (those older than the log). The database keeps refusing UPDATE and DELETE on events.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ethics_api import audit
from ethics_api.models import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "the event log is append-only"
ACTOR = "migration 0010"
EVENTS = sa.table(
    "events",
    sa.column("chain", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("occurred_at", UTCDateTime),
    sa.column("organisation_id", sa.String),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("change_sha256", sa.String),
    sa.column("change", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("record_sha256", sa.String),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _reshape_on_postgresql()
    else:
        _reshape_on_sqlite()
    _split_into_chains(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("The event log is kept: it is the service's accountability.")


# --- the table: a chain column, the record digest, (chain, seq) as the key ------------------------


def _reshape_on_postgresql() -> None:
    # Adding a column with a default writes no row through UPDATE: the triggers stay on.
    op.add_column(
        "events",
        sa.Column("chain", sa.String(36), nullable=False, server_default=audit.LEGACY),
    )
    op.alter_column("events", "chain", server_default=None)
    op.add_column("events", sa.Column("record_sha256", sa.String(64), nullable=True))
    op.drop_constraint("events_pkey", "events", type_="primary")
    op.create_primary_key("events_pkey", "events", ["chain", "seq"])
    op.drop_constraint("events_prev_hash_key", "events", type_="unique")
    op.create_unique_constraint("uq_events_chain_prev_hash", "events", ["chain", "prev_hash"])


def _reshape_on_sqlite() -> None:
    """SQLite changes no primary key in place: a new table, the rows copied as they are."""
    for name in ("events_no_update", "events_no_delete", "events_no_overwrite"):
        op.execute(f"DROP TRIGGER {name}")
    op.create_table(
        "events_reshaped",
        sa.Column("chain", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=True),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("change_sha256", sa.String(64), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("record_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("chain", "seq"),
        sa.UniqueConstraint("chain", "prev_hash", name="uq_events_chain_prev_hash"),
    )
    columns = (
        "seq, occurred_at, organisation_id, actor, action, object_type, object_id, "
        "change_sha256, change, prev_hash, hash"
    )
    op.execute(
        f"INSERT INTO events_reshaped (chain, {columns}) "
        f"SELECT '{audit.LEGACY}', {columns} FROM events ORDER BY seq"
    )
    op.drop_table("events")
    op.rename_table("events_reshaped", "events")
    op.create_index("ix_events_organisation_id", "events", ["organisation_id"])
    op.create_index("ix_events_object", "events", ["object_type", "object_id"])
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    # REPLACE deletes a conflicting row without firing delete triggers: refuse any insert that
    # would collide with an existing event of its chain before it gets that far.
    op.execute(
        "CREATE TRIGGER events_no_overwrite BEFORE INSERT ON events "
        "WHEN EXISTS (SELECT 1 FROM events WHERE hash = NEW.hash OR (chain = NEW.chain "
        "AND (seq = NEW.seq OR prev_hash = NEW.prev_hash))) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )


# --- the data: each organisation's chain ----------------------------------------------------------


class _Chain:
    """An organisation's chain as the migration writes it."""

    def __init__(self, connection: sa.Connection, organisation_id: str):
        self.connection, self.organisation_id = connection, organisation_id
        self.seq, self.head = 0, audit.GENESIS

    def append(self, fields: dict) -> None:
        self.seq += 1
        row = {
            **fields,
            "chain": self.organisation_id,
            "seq": self.seq,
            "organisation_id": self.organisation_id,
            "prev_hash": self.head,
        }
        row["hash"] = audit.event_hash(audit.Event(**row))
        self.connection.execute(EVENTS.insert(), [row])
        self.head = row["hash"]

    def append_new(self, action: str, object_type: str, object_id: str, change: dict, digest):
        text = audit.canonical(change).decode()
        self.append(
            {
                "occurred_at": dt.datetime.now(dt.UTC),
                "actor": ACTOR,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "change_sha256": audit.sha256(text.encode()),
                "change": text,
                "record_sha256": digest,
            }
        )


def _digests_now(connection: sa.Connection) -> dict[tuple, str]:
    """{(organisation, kind, id): digest} of every record that should have one."""
    digests = {}
    for kind in audit.RECORDS:
        for row in audit.record_rows(connection, kind):
            if audit.needs_digest(kind, row):
                digests[(row.organisation_id, kind, row.id)] = audit.digest_of(kind, row)
    return digests


def _split_into_chains(connection: sa.Connection) -> None:
    legacy = connection.execute(
        sa.select(EVENTS).where(EVENTS.c.chain == audit.LEGACY).order_by(EVENTS.c.seq)
    ).all()
    by_organisation: dict[str, list] = {}
    for event in legacy:
        if event.organisation_id is not None:
            by_organisation.setdefault(event.organisation_id, []).append(event)
    unlogged = _digests_now(connection)
    organisations = sorted(by_organisation.keys() | {key[0] for key in unlogged})
    for organisation_id in organisations:
        chain = _Chain(connection, organisation_id)
        events = by_organisation.get(organisation_id, [])
        # The last event about each record carries its digest as the record stands now.
        last = {(e.object_type, e.object_id): i for i, e in enumerate(events)}
        for i, event in enumerate(events):
            key = (organisation_id, event.object_type, event.object_id)
            digest = unlogged.pop(key, None) if last[key[1:]] == i else None
            copied = {name: getattr(event, name) for name in audit.COPIED}
            chain.append({**copied, "record_sha256": digest})
        if events:
            pins = {
                "legacy_events": len(events),
                "legacy_hashes_sha256": audit.legacy_hashes_sha256([e.hash for e in events]),
            }
            chain.append_new(audit.MIGRATED, "organisation", organisation_id, pins, None)
        for (owner, kind, record_id), digest in sorted(unlogged.items()):
            if owner == organisation_id:
                chain.append_new(audit.SEALED, kind, record_id, {}, digest)
