"""Scorecards stored once per change of their inputs, and read back as the bytes served.

A served scorecard is a function of its inputs and of the instant it is asked for. The inputs
are the scope (vendor, criteria set and its hash, procurement, weights, profile, gates), the
assessments and moderations recorded in it, the vendor's open disputes, whether the reader
sees names, and the code that scores and writes it out. Between two *time boundaries* of those
records (a submission, an expiry, an evidence item's `effective_date` or `valid_until`) the
document differs only by its `as_of` value. So it is stored once per set of inputs and per
stretch of time between boundaries, split around its `as_of`, and served by joining the stored
parts around the instant asked for: no scoring and no schema on the way out.

Records are never edited nor deleted (a correction is a new record), and every assessment,
moderation and dispute recorded about a vendor bumps its `records_revision` in the same
transaction (`records_changed`). So the vendor's row, read anyway, says whether anything a
scorecard draws on has changed: finding a stored scorecard reads no record, however many the
vendor has. On PostgreSQL the bump also takes the vendor's row lock, so revisions follow the
order in which records commit; and a scorecard computed on a miss is stored only if the
revision is still the one its key was made of once its records are read (`still_at`). A
worker also keeps the documents it read or stored (`SERVED`): for its inputs and stretch of
time a document never changes, so only what a writing transaction found or stored, which may
yet be rolled back, is not kept.

Rankings need more than the served bytes: each bidder's exact `scoring.Scorecard` (criterion
scores as fractions for the sensitivity and the margin, knockouts, confidence, the records it
used, for readiness). Those are kept in the process (`RANKED`), not in the database: under the
fingerprint of everything a bidder's scorecard in a ranking depends on (scope, weights,
profile, reuse, the bidder's gates, the count, largest id and latest submission of its records
in the scope, read from an index, and the offset its day is counted in) and for the same
stretch of time between boundaries, the scorecard differing only by its `as_of` within it. A
worker scores each bidder once per change and reads it afterwards; a new worker starts empty,
which costs one computation, never a wrong answer. The fingerprint is read in the statement
that reads the bidders, so a ranking that finds every scorecard kept runs no more statements
than before. Two rules keep it exact: a scorecard is kept only when the records scored are
those fingerprinted (worked out again from the records read: what a revision cannot be), and
a writing transaction neither keeps nor reads one (its records may still be rolled back).
"""

import datetime as dt
import hashlib
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import cast

from sqlalchemy import ColumnElement, Connection, Engine, and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .. import database, scoring
from ..criteria import CriteriaSet
from ..models import Assessment, Moderation, StoredScorecard, UTCDateTime, Vendor
from .scope import InScope, Scope

log = logging.getLogger(__name__)

# The far past and the far future: a stretch of time with no boundary on that side.
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
# The finest step of a stored time: an assessment current up to its expiry is gone one step on.
TICK = dt.timedelta(microseconds=1)

# What computes and writes out a scorecard. A change to any of these files changes the
# fingerprint of every input, so a stored document never outlives the code that wrote it.
_PACKAGE = Path(__file__).resolve().parent.parent
_CODE = (
    "scoring.py",
    "fields.py",
    "criteria.py",
    "answers.py",
    "schemas/scorecards.py",
    "schemas/common.py",
    "schemas/disputes.py",
    "services/scorecards.py",
    "services/scorecard_store.py",
    "services/gates.py",
    "services/anonymity.py",
)


def _code_sha256() -> str:
    digest = hashlib.sha256()
    for name in _CODE:
        path = _PACKAGE / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


CODE_SHA256 = _code_sha256()


# --- what a scorecard depends on -------------------------------------------------------------


def records_changed(vendor: Vendor) -> None:
    """Note, in the transaction recording it, that an assessment, a moderation or a dispute
    about the vendor changed what its scorecards draw on. Incremented by the database, not
    from the value read, so concurrent writers never reuse a revision."""
    vendor.records_revision = Vendor.records_revision + 1


_REVISION = select(Vendor.records_revision).where(Vendor.id == bindparam("vendor_id"))


def still_at(session: Session, vendor_id: str, revision: int) -> bool:
    """Whether the vendor's records are still at `revision`: read again after the records, so
    that a record committed in between (PostgreSQL reads each statement afresh) is never
    stored under the revision before it."""
    return session.connection().execute(_REVISION, {"vendor_id": vendor_id}).scalar() == revision


def _in_reach(model, reach: str) -> ColumnElement[bool]:
    """The rows made against a set in reach of a scope, its set and procurement as parameters:
    standalone ones, a procurement's own, or those and the standalone ones it may reuse."""
    column = model.procurement_id
    made_in: ColumnElement[bool] = {
        "standalone": column.is_(None),
        "own": column == bindparam("procurement_id"),
        "reusing": or_(column == bindparam("procurement_id"), column.is_(None)),
    }[reach]
    return and_(
        model.criteria_key == bindparam("criteria_key"),
        model.criteria_version == bindparam("criteria_version"),
        made_in,
    )


def reach_of(scope: Scope) -> str:
    """Which rows a scope draws on: standalone ones, a procurement's own, or those and the
    standalone ones it may reuse."""
    if scope.procurement_id is None:
        return "standalone"
    return "reusing" if scope.reuse_standalone else "own"


def reach_parameters(scope: Scope) -> dict:
    parameters = {
        "criteria_key": scope.criteria_set.key,
        "criteria_version": scope.criteria_set.version,
    }
    if scope.procurement_id is not None:
        parameters["procurement_id"] = scope.procurement_id
    return parameters


def written(values: Iterable) -> list:
    """A fingerprint's values as they are hashed."""
    return [value.isoformat() if isinstance(value, dt.datetime) else value for value in values]


def fingerprint_columns(reach: str, vendor_id) -> list:
    """How many assessments and moderations each row's vendor has in reach, with the largest
    id and submission time of each, as columns of a query with a vendor id column `vendor_id`:
    read in the same statement as the rows, from an index, whatever their number."""
    return [
        select(aggregate)
        .where(model.vendor_id == vendor_id, _in_reach(model, reach))
        .scalar_subquery()
        .label(f"{model.__tablename__}_{name}")
        for model in (Assessment, Moderation)
        for name, aggregate in (
            ("count", func.count()),
            ("last_id", func.max(model.id)),
            ("last_submitted", func.max(model.submitted_at)),
        )
    ]


def fingerprint_of(found: InScope) -> list:
    """`fingerprint_columns` worked out from the records read for a scope: equal to them when
    they are the records they counted."""
    own, reusable = found.own, found.reusable
    parts: list = []
    for records in (
        [*own.assessments, *reusable.assessments],
        [*own.moderations, *reusable.moderations],
    ):
        parts += [
            len(records),
            max((r.id for r in records), default=None),
            max((r.submitted_at for r in records), default=None),
        ]
    return written(parts)


def inputs_sha256(parts: dict) -> str:
    """The fingerprint of a scorecard's inputs (JSON-able values), with the code's."""
    canonical = json.dumps({"code": CODE_SHA256, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- when it changes -------------------------------------------------------------------------


def _evidence(record: scoring.Assessment | scoring.Moderation) -> Iterator[scoring.Evidence]:
    if isinstance(record, scoring.Moderation):
        for settlement in record.settlements:
            yield from settlement.evidence
    else:
        for answer in record.answers:
            yield from answer.evidence


def _midnight(day: dt.date, tz: dt.tzinfo | None) -> dt.datetime | None:
    """The first instant of `day` where the scorecard's day is counted (the offset of the
    instant asked for); None beyond the calendar."""
    try:
        return dt.datetime.combine(day, dt.time(), tzinfo=tz)
    except OverflowError:
        return None


def _day_after(day: dt.date) -> dt.date | None:
    return None if day == dt.date.max else day + dt.timedelta(days=1)


def boundaries(
    records: Iterable[scoring.Assessment | scoring.Moderation],
    criteria_set: CriteriaSet,
    tz: dt.tzinfo | None,
) -> Iterator[dt.datetime]:
    """Every instant at which the scorecard of these records may change: a record counts from
    its submission and stops one tick after its expiry; an evidence item counts from the day
    of its `effective_date` and stops the day after its `valid_until`."""
    for record in records:
        yield record.submitted_at
        yield record.expires_at(criteria_set) + TICK
        for item in _evidence(record):
            days = [item.effective_date, item.valid_until and _day_after(item.valid_until)]
            for day in days:
                if day is not None and (instant := _midnight(day, tz)) is not None:
                    yield instant


def stretch(
    found: InScope, criteria_set: CriteriaSet, as_of: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The stretch of time around `as_of`, from its last boundary up to (not including) its
    next one, over which the scope's scorecard is the same but for its `as_of`."""
    start, end = EARLIEST, LATEST
    records: list[scoring.Assessment | scoring.Moderation] = [
        *found.own.assessments,
        *found.own.moderations,
        *found.reusable.assessments,
        *found.reusable.moderations,
    ]
    for instant in boundaries(records, criteria_set, as_of.tzinfo):
        if instant <= as_of:
            start = max(start, instant)
        else:
            end = min(end, instant)
    return start, end


# --- stored documents --------------------------------------------------------------------------


def split_document(document: dict, as_of: dt.datetime) -> tuple[str, str]:
    """The JSON text of `document` either side of its `as_of` value (written as a string)."""
    marker = uuid.uuid4().hex
    text = json.dumps({**document, "as_of": marker}, separators=(",", ":"))
    head, found, tail = text.partition(f'"{marker}"')
    if not found:
        raise ValueError("the document has no as_of")
    return head, tail


def joined(head: str, tail: str, as_of: dt.datetime) -> bytes:
    """The stored document with `as_of` in its place, as marshmallow writes an aware time."""
    return f'{head}"{as_of.isoformat()}"{tail}'.encode()


_STORED = (
    select(
        StoredScorecard.valid_from,
        StoredScorecard.valid_until,
        StoredScorecard.head,
        StoredScorecard.tail,
    )
    .where(
        StoredScorecard.inputs_sha256 == bindparam("key"),
        StoredScorecard.valid_from <= bindparam("as_of", type_=UTCDateTime),
        StoredScorecard.valid_until > bindparam("as_of", type_=UTCDateTime),
    )
    .limit(1)
)


def read(connection: Connection, key: str, as_of: dt.datetime) -> bytes | None:
    """The stored document for these inputs on `as_of`; None when there is none yet."""
    kept, parts = SERVED.get(key, as_of)
    if kept:
        head, tail = cast(tuple[str, str], parts)
        return joined(head, tail, as_of)
    # On the connection: a Core read, without the ORM's execution machinery around it (which
    # cost three times the read itself).
    found = connection.execute(_STORED, {"key": key, "as_of": as_of}).first()
    if found is None:
        return None
    _keep(connection, key, (found.valid_from, found.valid_until), (found.head, found.tail))
    return joined(found.head, found.tail, as_of)


def _keep(
    bind: Connection | Engine,
    key: str,
    span: tuple[dt.datetime, dt.datetime],
    parts: tuple[str, str],
) -> None:
    """Keep a stored document in this process too, when a reading transaction found or stored
    it: a writing one's may yet be rolled back, and the revision in its key given to other
    records."""
    if not database.writing(bind):
        SERVED.put(key, span, parts)


def save(
    session: Session,
    key: str,
    vendor_id: str,
    span: tuple[dt.datetime, dt.datetime],
    parts: tuple[str, str],
    now: dt.datetime,
) -> None:
    """Store a document; a worker that stored the same one first wins, and a failure only
    means it is computed again next time (the store is a cache of exact results)."""
    values = {
        "inputs_sha256": key,
        "vendor_id": vendor_id,
        "valid_from": span[0],
        "valid_until": span[1],
        "head": parts[0],
        "tail": parts[1],
        "computed_at": now,
    }
    bind = session.get_bind()
    _keep(bind, key, span, parts)
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(StoredScorecard).values(values).on_conflict_do_nothing()
    try:
        if database.writing(bind):
            # A writing transaction (a POST, a command): the row commits with it.
            with session.begin_nested():
                session.execute(statement)
            return
        # A read: its own short transaction, which takes SQLite's write lock at BEGIN.
        engine = bind if isinstance(bind, Engine) else bind.engine
        with engine.execution_options(sqlite_immediate=True).begin() as connection:
            connection.execute(statement)
    except DBAPIError:
        log.warning("could not store a scorecard; it will be computed again", exc_info=True)


# --- scorecards kept in this process, for rankings ---------------------------------------------


def writing(session: Session) -> bool:
    """Whether the session is a writing transaction (a POST, a command), whose records may
    still be rolled back."""
    return database.writing(session.get_bind())


class Kept:
    """Exact results kept in this process, each under the fingerprint of its inputs and valid
    over its stretch of time, the least recently used forgotten beyond `capacity` inputs.

    A result is any value: what it holds is the caller's, and must not change once kept.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._kept: OrderedDict[str, list[tuple[dt.datetime, dt.datetime, object]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, as_of: dt.datetime) -> tuple[bool, object]:
        """(True, the result) kept for these inputs over a stretch holding `as_of`, else
        (False, None)."""
        with self._lock:
            spans = self._kept.get(key)
            if spans is None:
                return False, None
            self._kept.move_to_end(key)
            for start, end, value in spans:
                if start <= as_of < end:
                    return True, value
            return False, None

    def put(self, key: str, span: tuple[dt.datetime, dt.datetime], value: object) -> None:
        with self._lock:
            spans = self._kept.setdefault(key, [])
            self._kept.move_to_end(key)
            if not any(start == span[0] for start, _, _ in spans):
                spans.append((span[0], span[1], value))
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


# A bidder's scorecard in a ranking of ai-ethics@1 (50 indicators, 3 assessments) took about
# 35 KB (tracemalloc), so a thousand of them, some 35 MB, stay inside a worker's memory.
RANKED = Kept(capacity=1000)
# Served documents as stored, each the same for its inputs over its stretch of time, so a
# worker that read or stored one need not read it again: found in memory, a scorecard costs
# the vendor's row and no more. One of ai-ethics@1 with 50 indicators is about 35 KB of text;
# three hundred, some 10 MB, stay inside a worker's memory.
SERVED = Kept(capacity=300)
