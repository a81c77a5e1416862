"""Records are as tamper-evident as the log: each event that creates or changes an assessment,
a moderation, a declaration, a dispute, a vendor or a closed procurement logs the SHA-256 of
the record as stored; verification recomputes every record's digest and names the first one
that differs from what its event logged (kind, id, event seq): `ethics-api audit verify`
exits 1, `GET /v1/audit/verify` answers ok: false.

Run on SQLite and (with ETHICS_TEST_DATABASE_URL) PostgreSQL. The records are edited the way
someone with database access would: an UPDATE or DELETE of the row, the log untouched.
"""

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from evaluation import assess, declare, moderate, move, tender, vendor
from sqlalchemy import delete, insert, select, update

from ethics_api import audit
from ethics_api.cli import main
from ethics_api.database import Database
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.models import (
    Assessment,
    Declaration,
    Dispute,
    Event,
    Moderation,
    Procurement,
    Vendor,
    new_id,
)
from ethics_api.services import disputes

from conftest import TEST_CRITERIA, client_with_key, make_key
from payloads import answers


@dataclasses.dataclass
class Evaluation:
    """A procurement evaluated and closed, and a dispute, through the application layer."""

    alpha: str
    beta: str
    procurement: str
    assessment: str  # alice's of alpha
    moderation: str
    declaration: str  # alice's
    dispute: str


@pytest.fixture
def evaluation(acting) -> Evaluation:
    alpha, beta = vendor(acting, "Alpha"), vendor(acting, "Beta")
    procurement = tender(acting, alpha, beta)
    declared = declare(acting, procurement, "alice")
    declare(acting, procurement, "bob")
    declare(acting, procurement, "mona", role=Role.MODERATOR)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    first = assess(acting, alpha, "alice", procurement, answers=answers(p1=0, p2=3))
    assess(acting, alpha, "bob", procurement, answers=answers(p1=1, p2=3))
    for name in ("alice", "bob"):
        assess(acting, beta, name, procurement)
    moderation = moderate(acting, alpha, "mona", procurement, ("p1", 1, "The DPIA is signed."))
    move(acting, procurement, status=ProcurementStatus.CLOSED)
    with acting(Role.VENDOR, "Beta's reply desk", vendor_id=beta) as context:
        dispute = disputes.open_dispute(
            context,
            beta,
            {
                "indicator": "t1",
                "statement": "Documented.",
                "procurement_id": uuid.UUID(procurement.id),
            },
        )
    return Evaluation(alpha, beta, procurement.id, first.id, moderation.id, declared.id, dispute.id)


# 2 vendors, 4 assessments, 3 declarations, 1 moderation, 1 closed procurement, 1 dispute.
RECORDS = 12


def records_check(app) -> audit.RecordCheck:
    with app.extensions["database"].sessions() as session:
        return audit.verify_records(session)


def logged(app, kind: str, record_id: str) -> Event:
    """The latest event that logged the record's digest."""
    with app.extensions["database"].sessions() as session:
        return session.scalars(
            select(Event)
            .where(
                Event.object_type == kind,
                Event.object_id == record_id,
                Event.record_sha256.is_not(None),
            )
            .order_by(Event.seq.desc())
        ).first()


def edit(app, statement) -> None:
    """An UPDATE or DELETE of one row, or an INSERT, committed."""
    with app.extensions["database"].transaction() as session:
        result = session.execute(statement)
        if not statement.is_insert:  # psycopg counts no inserted rows without RETURNING
            assert result.rowcount == 1


def cli_verify(database_url: str):
    environment = {
        "ETHICS_DATABASE_URL": database_url,
        "ETHICS_CRITERIA_DIR": str(TEST_CRITERIA),
        "ETHICS_DEFAULT_CRITERIA_SET": None,
    }
    return CliRunner().invoke(main, ["audit", "verify"], env=environment)


def api_verify(app) -> dict:
    response = client_with_key(app, make_key(app, "auditor", "Otto")).get("/v1/audit/verify")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_an_untouched_evaluation_verifies_record_by_record(app, evaluation, database_url):
    assert records_check(app) == audit.RecordCheck(True, RECORDS)
    result = cli_verify(database_url)
    assert result.exit_code == 0, result.output
    assert f"ok: {RECORDS} records match the digests their events logged" in result.stdout
    verified = api_verify(app)
    assert (verified["ok"], verified["records_checked"], verified["first_bad_record"]) == (
        True,
        RECORDS,
        None,
    )


def test_the_assessment_event_logs_the_digest_of_the_row_as_stored(app, evaluation):
    """Computed here from the row the ORM reads, by the rule the README gives: canonical JSON
    of {"kind", "record"}, times in UTC with microseconds."""
    with app.extensions["database"].sessions() as session:
        row = session.get(Assessment, evaluation.assessment)
        record = {name: getattr(row, name) for name in audit.RECORDS["assessment"].columns}
    record["submitted_at"] = record["submitted_at"].isoformat(timespec="microseconds")
    document = json.dumps(
        {"kind": "assessment", "record": record},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    event = logged(app, "assessment", evaluation.assessment)
    assert event.action == "assessment.submitted"
    assert event.record_sha256 == hashlib.sha256(document.encode()).hexdigest()
    # The event's hash covers the digest.
    assert event.hash == audit.event_hash(event)
    event.record_sha256 = audit.sha256(b"another record")
    assert event.hash != audit.event_hash(event)


def test_the_closing_event_logs_the_stored_ranking(app, evaluation):
    event = logged(app, "procurement", evaluation.procurement)
    assert json.loads(event.change)["status"] == "closed"
    # Before closing no event about the procurement logged a digest: it was no record yet.
    with app.extensions["database"].sessions() as session:
        digests = session.scalars(
            select(Event.record_sha256)
            .where(Event.object_type == "procurement", Event.object_id == evaluation.procurement)
            .order_by(Event.seq)
        ).all()
    assert digests[-1] == event.record_sha256
    assert set(digests[:-1]) == {None}


def _ranking_with_first_total_raised(app, evaluation) -> dict:
    with app.extensions["database"].sessions() as session:
        final = session.get(Procurement, evaluation.procurement).final_ranking
    final["ranking"][0]["total"] = final["ranking"][0]["total"] + 10
    return final


# How someone with database access would change each kind of record, and which record it is.
Tamper = Callable[[object, Evaluation], tuple[str, str, object]]
TAMPERINGS: dict[str, Tamper] = {
    "an assessment's answers": lambda app, e: (
        "assessment",
        e.assessment,
        update(Assessment).where(Assessment.id == e.assessment).values(answers=answers(p1=4, p2=4)),
    ),
    "a moderation's settled level": lambda app, e: (
        "moderation",
        e.moderation,
        update(Moderation)
        .where(Moderation.id == e.moderation)
        .values(settlements=[{"indicator": "p1", "level": 4, "reason": "The DPIA is signed."}]),
    ),
    "a closed procurement's stored ranking": lambda app, e: (
        "procurement",
        e.procurement,
        update(Procurement)
        .where(Procurement.id == e.procurement)
        .values(final_ranking=_ranking_with_first_total_raised(app, e)),
    ),
    "a closed procurement reopened": lambda app, e: (
        "procurement",
        e.procurement,
        update(Procurement)
        .where(Procurement.id == e.procurement)
        .values(status=ProcurementStatus.EVALUATING),
    ),
    "a declared conflict hidden": lambda app, e: (
        "declaration",
        e.declaration,
        update(Declaration).where(Declaration.id == e.declaration).values(conflict=True),
    ),
    "a dispute's statement": lambda app, e: (
        "dispute",
        e.dispute,
        update(Dispute).where(Dispute.id == e.dispute).values(statement="Withdrawn."),
    ),
    "a vendor's name": lambda app, e: (
        "vendor",
        e.alpha,
        update(Vendor).where(Vendor.id == e.alpha).values(name="Alpha (renamed)"),
    ),
    "a moderation deleted": lambda app, e: (
        "moderation",
        e.moderation,
        delete(Moderation).where(Moderation.id == e.moderation),
    ),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_an_edited_record_is_named_with_the_event_that_logged_it(
    app, evaluation, database_url, tampering
):
    kind, record_id, statement = TAMPERINGS[tampering](app, evaluation)
    event = logged(app, kind, record_id)
    edit(app, statement)

    check = records_check(app)
    assert not check.ok
    bad = check.first_bad
    assert (bad.kind, bad.record_id, bad.seq, bad.chain) == (
        kind,
        record_id,
        event.seq,
        event.chain,
    )
    gone = "gone" if tampering.endswith("deleted") else f"differs from the record event {event.seq}"
    assert gone in bad.problem

    result = cli_verify(database_url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"FAILED: {kind} {record_id}: "), result.stderr
    assert f"(event {event.seq} of chain {event.chain})" in result.stderr

    verified = api_verify(app)
    assert verified["ok"] is False
    assert verified["first_bad_record"] == {"kind": kind, "id": record_id, "seq": event.seq}
    assert verified["first_bad_seq"] == event.seq
    assert record_id in verified["problem"]


def test_a_record_inserted_behind_the_logs_back_is_named(app, evaluation, database_url):
    """A copy of an assessment under a new id: no event logs it."""
    with app.extensions["database"].sessions() as session:
        row = session.get(Assessment, evaluation.assessment)
        values = {c.name: getattr(row, c.name) for c in Assessment.__table__.columns}
    forged = new_id()
    edit(app, insert(Assessment).values({**values, "id": forged, "supersedes": None}))
    check = records_check(app)
    assert (check.first_bad.kind, check.first_bad.record_id, check.first_bad.seq) == (
        "assessment",
        forged,
        None,
    )
    assert "no event logs its digest" in check.first_bad.problem
    assert api_verify(app)["first_bad_record"] == {"kind": "assessment", "id": forged, "seq": None}
    assert cli_verify(database_url).exit_code == 1


def test_the_first_of_two_edited_records_is_the_one_of_the_earlier_event(app, evaluation):
    """The moderation's event comes after alice's assessment's: both edited, the assessment
    is named."""
    for name in ("a moderation's settled level", "an assessment's answers"):
        _, _, statement = TAMPERINGS[name](app, evaluation)
        edit(app, statement)
    assert records_check(app).first_bad.record_id == evaluation.assessment


def test_records_change_through_the_service_without_alarm(app, acting, evaluation):
    """A vendor updated and a dispute resolved: each change's event logs the new digest, and
    verification compares with the latest."""
    client = client_with_key(app, app.config["ADMIN_KEY"])
    url = f"/v1/vendors/{evaluation.alpha}"
    etag = client.get(url).headers["ETag"]
    changed = {"website": "https://alpha.example"}
    response = client.patch(url, json=changed, headers={"If-Match": etag})
    assert response.status_code == 200, response.get_data(as_text=True)
    with acting(Role.MODERATOR, "mona") as context:
        resolution = {"outcome": "rejected", "reasons": "Not documented."}
        disputes.resolve_dispute(context, evaluation.dispute, resolution)
    assert records_check(app) == audit.RecordCheck(True, RECORDS)
    assert logged(app, "vendor", evaluation.alpha).action == "vendor.updated"
    assert logged(app, "dispute", evaluation.dispute).action == "dispute.resolved"


def test_other_organisations_records_are_not_an_auditors_business(app, evaluation, database_url):
    """The API checks the caller's organisation's records only; the command line all."""
    database = Database(database_url)
    try:
        with database.sessions() as session:
            organisation = session.get(Assessment, evaluation.assessment).organisation_id
            assert audit.verify_records(session, organisation).checked == RECORDS
            assert audit.verify_records(session, new_id()) == audit.RecordCheck(True, 0)
    finally:
        database.dispose()
