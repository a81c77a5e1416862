"""The accountable service: an append-only, hash-chained log of every state change.

Each event carries a sequence number, the time, the actor, the action, the object, the SHA-256
of the change and the hash of the previous event; its own hash covers all of these. The
encoding hashed is canonical JSON: keys sorted, no spaces, UTF-8, times in ISO 8601 UTC with
microseconds. Appends are serialised (PostgreSQL: an advisory lock; SQLite: the write lock every
write takes), so concurrent writers never fork the chain, and each event is written in the
transaction of the change it records: neither exists without the other.

A signed checkpoint (size, head hash, time; Ed25519) handed to a third party lets anyone later
prove the log was not truncated or rewritten before that point.
"""

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from .models import Event, utcnow

GENESIS = "0" * 64
# Any constant: the one advisory lock that orders appends to the log on PostgreSQL.
APPEND_LOCK = 0x45544849435321


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_hash(event: Event) -> str:
    """The hash of an event: canonical JSON of every field but the hash itself."""
    return sha256(
        canonical(
            {
                "seq": event.seq,
                "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(
                    timespec="microseconds"
                ),
                "organisation_id": event.organisation_id,
                "actor": event.actor,
                "action": event.action,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "change_sha256": event.change_sha256,
                "prev_hash": event.prev_hash,
            }
        )
    )


def _serialise_appends(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": APPEND_LOCK})


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: str,
    change: dict,
    actor: str,
    organisation_id: str | None = None,
) -> Event:
    """Append one event in the caller's transaction."""
    _serialise_appends(session)
    head = session.scalar(select(Event).order_by(Event.seq.desc()).limit(1))
    change_text = canonical(change).decode()
    event = Event(
        seq=head.seq + 1 if head else 1,
        occurred_at=utcnow(),
        organisation_id=organisation_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        change_sha256=sha256(change_text.encode()),
        change=change_text,
        prev_hash=head.hash if head else GENESIS,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class Verification:
    ok: bool
    size: int  # events checked
    head_hash: str | None
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(session: Session, upto: int | None = None) -> Verification:
    """Recompute the chain from the first event (up to `upto`); report the first bad one."""
    statement = select(Event).order_by(Event.seq).execution_options(yield_per=1000)
    if upto is not None:
        statement = statement.where(Event.seq <= upto)
    expected_seq, prev, count = 1, GENESIS, 0
    events = session.scalars(statement)
    try:
        for event in events:
            problem = None
            if event.seq != expected_seq:
                problem = f"event {expected_seq} is missing (found {event.seq} next)"
            elif event.prev_hash != prev:
                problem = "it does not follow the previous event (prev_hash differs)"
            elif sha256(event.change.encode()) != event.change_sha256:
                problem = "its change does not match its digest"
            elif event_hash(event) != event.hash:
                problem = "its hash does not match its content"
            if problem:
                return Verification(False, count, prev, expected_seq, problem)
            expected_seq, prev, count = expected_seq + 1, event.hash, count + 1
    finally:
        events.close()  # a server-side cursor on PostgreSQL: release it when stopping early
    return Verification(True, count, prev if count else None)


# --- checkpoints -------------------------------------------------------------------------------


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the checkpoint signing key cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the checkpoint signing key must be an Ed25519 private key (PEM)")
    return key


def new_private_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(private_key: Ed25519PrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _statement(size: int, head_hash: str | None, time: str) -> bytes:
    return canonical({"size": size, "head_hash": head_hash, "time": time})


def checkpoint(session: Session, private_key: Ed25519PrivateKey) -> dict:
    """Sign the log's current size and head hash; refused if the log does not verify."""
    state = verify(session)
    if not state.ok:
        raise ValueError(f"the log does not verify at event {state.first_bad_seq}: {state.problem}")
    time = utcnow().isoformat(timespec="microseconds")
    signature = private_key.sign(_statement(state.size, state.head_hash, time))
    return {
        "size": state.size,
        "head_hash": state.head_hash,
        "time": time,
        "signature": base64.b64encode(signature).decode(),
        "public_key": public_key_pem(private_key),
    }


def verify_against(session: Session, signed: dict, public_key_pem_text: str) -> Verification:
    """Check the log against a checkpoint signed by the holder of `public_key_pem_text`.

    The signature must hold; the log must still have at least `size` events (else truncated);
    the chain up to `size` must verify and end on the checkpoint's head hash (else rewritten).
    """
    try:
        public_key = serialization.load_pem_public_key(public_key_pem_text.encode())
    except (ValueError, TypeError, AttributeError):
        return Verification(False, 0, None, None, "the public key is not a PEM public key")
    if not isinstance(public_key, Ed25519PublicKey):
        return Verification(False, 0, None, None, "the public key is not an Ed25519 key")
    try:
        public_key.verify(
            base64.b64decode(signed["signature"]),
            _statement(signed["size"], signed["head_hash"], signed["time"]),
        )
    except (InvalidSignature, ValueError, KeyError, TypeError, AttributeError):
        return Verification(False, 0, None, None, "the checkpoint's signature does not verify")
    size = session.scalar(select(func.count()).select_from(Event))
    state = verify(session, upto=signed["size"])
    if not state.ok:
        return state
    if state.size < signed["size"]:
        return Verification(
            False,
            state.size,
            state.head_hash,
            state.size + 1,
            f"the log was truncated: it has {size} events, the checkpoint {signed['size']}",
        )
    if state.head_hash != signed["head_hash"]:
        return Verification(
            False,
            state.size,
            state.head_hash,
            signed["size"],
            "history was rewritten: the head at the checkpoint's size differs from its hash",
        )
    return Verification(True, state.size, state.head_hash)
