"""Stored first responses of creating requests, so that a retried request never creates twice.

The HTTP layer (api/idempotency.py) decides what a request and a response are; this keeps them.
Requests with one key are serialised: PostgreSQL takes an advisory lock held until the
transaction ends; on SQLite every write already holds the database's write lock.
"""

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..models import IdempotencyRecord
from .context import Caller


def serialise(session: Session, api_key_id: str, key: str) -> None:
    """Wait for any other transaction using this key to end."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{api_key_id}:{key}".encode()).digest()
        session.execute(
            text("SELECT pg_advisory_xact_lock(:lock)"),
            {"lock": int.from_bytes(digest[:8], "big", signed=True)},
        )


def first_response(session: Session, api_key_id: str, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (api_key_id, key))


def remember(
    session: Session,
    caller: Caller,
    key: str,
    fingerprint: str,
    status: int,
    headers: dict,
    body: str,
) -> None:
    """Keep the first response to a key, in the transaction of what it created."""
    session.add(
        IdempotencyRecord(
            organisation_id=caller.organisation_id,
            api_key_id=caller.key_id,
            key=key,
            request_sha256=fingerprint,
            status=status,
            headers=headers,
            body=body,
        )
    )
