"""The accountable service: append-only, hash-chained logs of every state change.

Each organisation has its own chain: its events carry a sequence number of their own (1, 2,
...), the time, the actor, the action, the object, the SHA-256 of the change, the SHA-256 of
the record the change left behind (assessments, moderations, declarations, disputes, vendors,
a closed procurement: `RECORDS`) and the hash of the chain's previous event; its own hash
covers all of these and the chain's name. So one organisation's chain says nothing of
another's activity: no shared sequence, no foreign hash.

The encoding hashed is canonical JSON: keys sorted, no spaces, UTF-8, times in ISO 8601 UTC
with microseconds. Appends to a chain are serialised (PostgreSQL: an advisory lock per chain;
SQLite: the write lock every write takes), so concurrent writers never fork it, and each event
is written in the transaction of the change it records: neither exists without the other.

The single chain the service kept before it had one per organisation is kept as it was, as
the chain "legacy" (its events hashed as they always were, so checkpoints taken of it still
verify); each organisation's chain opens with copies of its legacy events and an event that
pins them (`MIGRATED`).

A signed checkpoint (chain, size, head hash, time; Ed25519) handed to a third party lets
anyone holding the signer's public key later prove that chain was not truncated or rewritten
before that point.
"""

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from .models import (
    Assessment,
    Declaration,
    Dispute,
    Event,
    Moderation,
    Procurement,
    Vendor,
    utcnow,
)

GENESIS = "0" * 64
LEGACY = "legacy"
# The event that closes the copies of an organisation's legacy events in its own chain.
MIGRATED = "audit.chain_migrated"
# The event that logs the digest of a record no event had logged when chains were split.
SEALED = "record.sealed"
# Any constant: with the chain's hash, the advisory lock that orders appends to one chain on
# PostgreSQL (a 32-bit key, as the two-key form of the lock takes).
APPEND_LOCK = 0x45544843


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _instant(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(event: Event) -> str:
    """The hash of an event: canonical JSON of every field but the hash itself. A legacy event
    is hashed as the single chain always hashed it (no chain, no record digest)."""
    fields = {
        "seq": event.seq,
        "occurred_at": _instant(event.occurred_at),
        "organisation_id": event.organisation_id,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "change_sha256": event.change_sha256,
        "prev_hash": event.prev_hash,
    }
    if event.chain != LEGACY:
        fields.update(chain=event.chain, record_sha256=event.record_sha256)
    return sha256(canonical(fields))


def _serialise_appends(session: Session, chain: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:lock, hashtext(:chain))"),
            {"lock": APPEND_LOCK, "chain": chain},
        )


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: str,
    change: dict,
    actor: str,
    organisation_id: str,
    record_sha256: str | None = None,
) -> Event:
    """Append one event to the organisation's chain in the caller's transaction."""
    if organisation_id == LEGACY:
        raise ValueError("the legacy chain is closed: nothing is appended to it")
    _serialise_appends(session, organisation_id)
    head = session.scalar(
        select(Event).where(Event.chain == organisation_id).order_by(Event.seq.desc()).limit(1)
    )
    change_text = canonical(change).decode()
    event = Event(
        chain=organisation_id,
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
        record_sha256=record_sha256,
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
    chain: str | None = None


def chains(session: Session) -> list[str]:
    """Every chain with events: the legacy chain first, then the organisations' by id."""
    names = set(session.scalars(select(Event.chain).distinct()))
    return sorted(names, key=lambda name: (name != LEGACY, name))


def verify(session: Session, chain: str, upto: int | None = None) -> Verification:
    """Recompute one chain from its first event (up to `upto`); report the first bad one."""
    statement = (
        select(Event)
        .where(Event.chain == chain)
        .order_by(Event.seq)
        .execution_options(yield_per=1000)
    )
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
                return Verification(False, count, prev, expected_seq, problem, chain)
            expected_seq, prev, count = expected_seq + 1, event.hash, count + 1
    finally:
        events.close()  # a server-side cursor on PostgreSQL: release it when stopping early
    return Verification(True, count, prev if count else None, chain=chain)


def verify_chains(session: Session) -> list[Verification]:
    """Every chain verified, in `chains` order; stops after the first that fails."""
    results = []
    for chain in chains(session):
        results.append(verify(session, chain))
        if not results[-1].ok:
            break
    return results


# --- records: what the events say the stored rows are --------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A table whose rows the log vouches for: the columns digested, and when a row must have
    a logged digest (a procurement: once closed; any other record: always)."""

    model: type
    columns: tuple[str, ...]
    closed_only: bool = False


RECORDS: dict[str, RecordKind] = {
    "assessment": RecordKind(
        Assessment,
        (
            "id",
            "organisation_id",
            "vendor_id",
            "criteria_key",
            "criteria_version",
            "criteria_sha256",
            "person_id",
            "assessor",
            "procurement_id",
            "moderated",
            "summary",
            "answers",
            "submitted_at",
            "supersedes",
        ),
    ),
    "moderation": RecordKind(
        Moderation,
        (
            "id",
            "organisation_id",
            "vendor_id",
            "criteria_key",
            "criteria_version",
            "criteria_sha256",
            "procurement_id",
            "person_id",
            "moderator",
            "settlements",
            "submitted_at",
        ),
    ),
    "declaration": RecordKind(
        Declaration,
        (
            "id",
            "organisation_id",
            "procurement_id",
            "person_id",
            "person_name",
            "conflict",
            "description",
            "declared_at",
            "mitigation",
            "mitigated_by",
            "mitigated_at",
        ),
    ),
    "dispute": RecordKind(
        Dispute,
        (
            "id",
            "organisation_id",
            "vendor_id",
            "criteria_key",
            "criteria_version",
            "procurement_id",
            "indicator",
            "statement",
            "evidence",
            "status",
            "person_id",
            "filed_by",
            "filed_at",
            "resolution",
            "resolved_by",
            "resolved_by_person_id",
            "resolved_at",
            "moderated_assessment_id",
        ),
    ),
    "vendor": RecordKind(
        Vendor,
        (
            "id",
            "organisation_id",
            "name",
            "identifier_scheme",
            "identifier_id",
            "country",
            "website",
            "address",
            "email",
            "ppon",
        ),
    ),
    # What closing fixes for good: the ranking as served, and what it was computed with.
    "procurement": RecordKind(
        Procurement,
        (
            "id",
            "organisation_id",
            "ocid",
            "status",
            "criteria_key",
            "criteria_version",
            "criteria_sha256",
            "weights",
            "profile",
            "tie_break",
            "closed_at",
            "final_ranking",
        ),
        closed_only=True,
    ),
}
CLOSED = "closed"


def _plain(value):
    """A stored value as JSON: times in UTC with microseconds, days as ISO dates."""
    if isinstance(value, dt.datetime):
        return _instant(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record_rows(session: Session | Connection, kind: str, where: Iterable = ()):
    """The digested columns of a kind's rows, as the database returns them."""
    table = RECORDS[kind].model.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in RECORDS[kind].columns]
    statement = select(*columns).order_by(table.c.id)
    for condition in where:
        statement = statement.where(condition(table))
    return session.execute(statement)


def digest_of(kind: str, row) -> str:
    """The SHA-256 of one record: canonical JSON of its kind and its digested columns."""
    values = {name: _plain(row._mapping[name]) for name in RECORDS[kind].columns}
    return sha256(canonical({"kind": kind, "record": values}))


def needs_digest(kind: str, row) -> bool:
    return not RECORDS[kind].closed_only or row._mapping["status"] == CLOSED


def record_digest(session: Session, kind: str, record_id: str) -> str | None:
    """The digest of the record as stored now (flushed), if an event about it should log one:
    None for other objects and for a procurement not closed."""
    if kind not in RECORDS:
        return None
    session.flush()
    row = record_rows(session, kind, [lambda table: table.c.id == str(record_id)]).first()
    if row is None or not needs_digest(kind, row):
        return None
    return digest_of(kind, row)


@dataclass(frozen=True)
class RecordProblem:
    kind: str
    record_id: str
    seq: int | None  # the event that logged the digest; None if no event did
    chain: str
    problem: str

    @property
    def order(self) -> tuple:
        return (self.seq is None, self.seq or 0, self.kind, self.record_id)


@dataclass(frozen=True)
class RecordCheck:
    ok: bool
    checked: int  # records whose digest was compared
    first_bad: RecordProblem | None = None


def _logged_digests(session: Session, organisation_id: str | None) -> dict[tuple, tuple]:
    """{(chain, kind, record id): (seq, digest)} of the latest event that logged each digest."""
    statement = (
        select(Event.chain, Event.object_type, Event.object_id, Event.seq, Event.record_sha256)
        .where(Event.record_sha256.is_not(None), Event.chain != LEGACY)
        .order_by(Event.chain, Event.seq)
    )
    if organisation_id is not None:
        statement = statement.where(Event.chain == organisation_id)
    logged = {}
    for chain, kind, object_id, seq, digest in session.execute(statement):
        logged[(chain, kind, object_id)] = (seq, digest)
    return logged


def verify_records(session: Session, organisation_id: str | None = None) -> RecordCheck:
    """Recompute every record's digest (of one organisation, or all) and compare it with the
    one its latest event logged. Reports the problem of lowest event seq: a record that
    differs, one no event logs, or one an event logged that is gone."""
    logged = _logged_digests(session, organisation_id)
    problems: list[RecordProblem] = []
    checked = 0
    where = [] if organisation_id is None else [lambda t: t.c.organisation_id == organisation_id]
    for kind in RECORDS:
        for row in record_rows(session, kind, where):
            chain, record_id = row.organisation_id, row.id
            found = logged.pop((chain, kind, record_id), None)
            if found is None:
                if needs_digest(kind, row):
                    problems.append(
                        RecordProblem(kind, record_id, None, chain, "no event logs its digest")
                    )
                continue
            checked += 1
            seq, digest = found
            if digest_of(kind, row) != digest:
                problems.append(
                    RecordProblem(
                        kind,
                        record_id,
                        seq,
                        chain,
                        f"it differs from the record event {seq} logged",
                    )
                )
    for (chain, kind, record_id), (seq, _) in logged.items():
        if kind in RECORDS:
            problems.append(
                RecordProblem(kind, record_id, seq, chain, f"event {seq} logged it but it is gone")
            )
    if not problems:
        return RecordCheck(True, checked)
    return RecordCheck(False, checked, min(problems, key=lambda p: p.order))


def describe(problem: RecordProblem) -> str:
    return f"{problem.kind} {problem.record_id}: {problem.problem}"


# --- the legacy chain and its copies --------------------------------------------------------------

# The fields of a legacy event its copy in the organisation's chain repeats.
COPIED = (
    "occurred_at",
    "organisation_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "change_sha256",
    "change",
)


def legacy_hashes_sha256(hashes: list[str]) -> str:
    return sha256(canonical(hashes))


def verify_copies(session: Session) -> Verification | None:
    """Each organisation's chain opens with copies of its legacy events, in order, and the
    event that pins them (`MIGRATED`: how many, and the SHA-256 of their legacy hashes).
    The first organisation whose copies differ from the legacy chain, or None."""
    legacy: dict[str, list[Event]] = {}
    for event in session.scalars(select(Event).where(Event.chain == LEGACY).order_by(Event.seq)):
        if event.organisation_id is not None:
            legacy.setdefault(event.organisation_id, []).append(event)
    for organisation_id, originals in legacy.items():
        copies = list(
            session.scalars(
                select(Event)
                .where(Event.chain == organisation_id, Event.seq <= len(originals) + 1)
                .order_by(Event.seq)
            )
        )
        for original, copy in zip(originals, copies, strict=False):
            if any(getattr(original, f) != getattr(copy, f) for f in COPIED):
                return Verification(
                    False,
                    copy.seq - 1,
                    None,
                    copy.seq,
                    f"it is not a copy of legacy event {original.seq}",
                    organisation_id,
                )
        pin = copies[len(originals)] if len(copies) > len(originals) else None
        expected = {
            "legacy_events": len(originals),
            "legacy_hashes_sha256": legacy_hashes_sha256([e.hash for e in originals]),
        }
        if pin is None or pin.action != MIGRATED or json.loads(pin.change) != expected:
            return Verification(
                False,
                len(originals),
                None,
                len(originals) + 1,
                "the copies of the organisation's legacy events are not those of the legacy chain",
                organisation_id,
            )
    return None


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


def load_public_key(pem_text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError saying what is wrong otherwise."""
    try:
        public_key = serialization.load_pem_public_key(pem_text.encode())
    except (ValueError, TypeError, AttributeError):
        raise ValueError("the public key is not a PEM public key") from None
    if not isinstance(public_key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return public_key


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw 32-byte key, as a holder of the key can recompute it."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + sha256(raw)


def _statement(signed: dict) -> bytes:
    """What a checkpoint's signature covers. A checkpoint naming no chain is one of the legacy
    chain, signed before there were several: its statement has no chain either."""
    statement = {"size": signed["size"], "head_hash": signed["head_hash"], "time": signed["time"]}
    if "chain" in signed:
        statement["chain"] = signed["chain"]
    return canonical(statement)


def checkpoint(session: Session, private_key: Ed25519PrivateKey, chain: str) -> dict:
    """Sign one chain's current size and head hash; refused if the chain does not verify."""
    state = verify(session, chain)
    if not state.ok:
        raise ValueError(
            f"chain {chain} does not verify at event {state.first_bad_seq}: {state.problem}"
        )
    signed = {
        "chain": chain,
        "size": state.size,
        "head_hash": state.head_hash,
        "time": utcnow().isoformat(timespec="microseconds"),
    }
    signature = private_key.sign(_statement(signed))
    return {
        **signed,
        "signature": base64.b64encode(signature).decode(),
        "public_key": public_key_pem(private_key),
    }


def verify_against(session: Session, signed: dict, public_key_pem_text: str) -> Verification:
    """Check a chain against a checkpoint signed by the holder of `public_key_pem_text`, a key
    the verifier trusts (never the one the checkpoint carries: whoever rewrote the history
    could sign it again with a key of their own).

    The signature must hold; the chain must still have at least `size` events (else
    truncated); it must verify up to `size` and end there on the checkpoint's head hash (else
    rewritten).
    """
    try:
        public_key = load_public_key(public_key_pem_text)
    except ValueError as exc:
        return Verification(False, 0, None, None, str(exc))
    chain = signed.get("chain", LEGACY) if isinstance(signed, dict) else None
    try:
        public_key.verify(base64.b64decode(signed["signature"]), _statement(signed))
    except (InvalidSignature, ValueError, KeyError, TypeError, AttributeError):
        return Verification(False, 0, None, None, "the checkpoint's signature does not verify")
    if not isinstance(chain, str) or not isinstance(signed["size"], int):
        return Verification(False, 0, None, None, "the checkpoint names no chain and size")
    size = session.scalar(select(func.count()).select_from(Event).where(Event.chain == chain))
    state = verify(session, chain, upto=signed["size"])
    if not state.ok:
        return state
    if state.size < signed["size"]:
        return Verification(
            False,
            state.size,
            state.head_hash,
            state.size + 1,
            f"the log was truncated: it has {size} events, the checkpoint {signed['size']}",
            chain,
        )
    if state.head_hash != signed["head_hash"]:
        return Verification(
            False,
            state.size,
            state.head_hash,
            signed["size"],
            "history was rewritten: the head at the checkpoint's size differs from its hash",
            chain,
        )
    return Verification(True, state.size, state.head_hash, chain=chain)
