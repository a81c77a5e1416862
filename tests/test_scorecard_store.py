"""The scorecard store: a stored scorecard is the scorecard computed afresh, on any instant.

Scorecards are served from `stored_scorecards` while their inputs stand still; these tests
check that what is served equals a recomputation over random histories and instants (time
boundaries included), that a stored scorecard is read without scoring, and that every change
of an input is seen at once.
"""

import datetime as dt
import json
import uuid

import pytest
from evaluation import assess, moderate, vendor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spying import recorded_calls, statements
from sqlalchemy import func, select

from ethics_api import scoring
from ethics_api.enums import Role
from ethics_api.models import StoredScorecard
from ethics_api.schemas.scorecards import ScorecardSchema
from ethics_api.services import assessments, scorecard_store, scorecards
from ethics_api.services.context import Context
from ethics_api.services.errors import NotFound

from payloads import MINI_KEYS, answer, assessment

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
VALIDITY = dt.timedelta(days=30)  # mini@1
OFFSETS = [dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-5))]

THREES = [answer(key, 3) for key in MINI_KEYS]

levels = st.one_of(st.none(), st.integers(0, 4))
evidence_item = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(sorted(scoring.EVIDENCE_FACTORS)),
        "from": st.one_of(st.none(), st.integers(-5, 60)),
        "days": st.one_of(st.none(), st.integers(0, 40)),
    }
)
record = st.fixed_dictionaries(
    {
        "after": st.integers(0, 20 * 24),  # hours since the previous record
        "who": st.sampled_from(["Alice", "Bob", "Cy"]),
        "levels": st.fixed_dictionaries({key: levels for key in MINI_KEYS}),
        "evidence": st.lists(evidence_item, max_size=2),
        "moderation": st.booleans(),
    }
)


def _evidence(item: dict) -> dict:
    shown = {"title": "Audit", "kind": item["kind"], "url": "https://audit.example"}
    if item["from"] is not None:
        start = (T0 + dt.timedelta(days=item["from"])).date()
        shown["effective_date"] = start.isoformat()
        if item["days"] is not None:
            shown["valid_until"] = (start + dt.timedelta(days=item["days"])).isoformat()
    return shown


def _answers(drawn: dict) -> list[dict]:
    given = dict(drawn["levels"])
    for key in ("p1", "p2", "o1"):  # not allowed N/A in mini@1
        given[key] = given[key] if given[key] is not None else 1
    found = [answer(key, given[key]) for key in MINI_KEYS]
    if drawn["evidence"]:
        found[1]["evidence"] = [_evidence(item) for item in drawn["evidence"]]
    return found


def _record(acting, vendor_id: str, drawn: dict):
    """An assessment, or a moderation of two indicators, at the clock's time."""
    if drawn["moderation"]:
        settle = {key: level for key, level in drawn["levels"].items() if level is not None}
        chosen = [(k, v, "Agreed at the meeting.") for k, v in sorted(settle.items())[:2]]
        if chosen:
            return moderate(acting, vendor_id, "Moe", None, *chosen)
    return assess(acting, vendor_id, drawn["who"], answers=_answers(drawn))


def _fresh(context, vendor_id: str, as_of: dt.datetime):
    """The scorecard computed from the records, as the API would write it; None: a 404."""
    try:
        found = scorecards.vendor_scorecard(context, vendor_id, as_of=as_of)
    except NotFound:
        return None
    return json.loads(json.dumps(ScorecardSchema().dump(found)))


def _served(context, vendor_id: str, as_of: dt.datetime):
    try:
        return json.loads(scorecards.served_scorecard(context, vendor_id, as_of=as_of))
    except NotFound:
        return None


def _instants(submitted: list[dt.datetime], hours: list[int], offsets: list[int]):
    """Instants to ask about: drawn ones, and each record's time boundaries and their
    neighbours (a microsecond either side)."""
    tick = dt.timedelta(microseconds=1)
    found = [T0 + dt.timedelta(hours=h) for h in hours]
    for at in submitted:
        found += [at - tick, at, at + tick, at + VALIDITY, at + VALIDITY + tick]
    zones = [OFFSETS[offsets[n % len(offsets)]] for n in range(len(found))]
    return [at.astimezone(zone) for at, zone in zip(found, zones, strict=True)]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(record, min_size=1, max_size=5),
    hours=st.lists(st.integers(-48, 120 * 24), min_size=1, max_size=6),
    offsets=st.lists(st.integers(0, 2), min_size=1, max_size=3),
)
def test_a_stored_scorecard_equals_its_recomputation(acting, clock, history, hours, offsets):
    clock.now = T0
    vendor_id = vendor(acting, f"Acme {uuid.uuid4().hex[:8]}")  # one per example
    submitted = []
    for index, drawn in enumerate(history):
        clock.advance(hours=drawn["after"])
        # A moderation settles assessed indicators: the first record is an assessment.
        drawn = {**drawn, "moderation": drawn["moderation"] and index > 0}
        submitted.append(_record(acting, vendor_id, drawn).submitted_at)
    instants = _instants(submitted, hours, offsets)
    # Twice over: the second pass reads what the first stored, at every instant.
    for as_of in [*instants, *reversed(instants)]:
        with acting(Role.BUYER, "Bea") as context:
            assert _served(context, vendor_id, as_of) == _fresh(context, vendor_id, as_of)


@pytest.fixture
def scorings(monkeypatch):
    """How many scorecards are computed (a list that grows by one with each)."""
    return recorded_calls(monkeypatch, scoring, "score", argument=2)


def _stored_rows(app) -> int:
    with app.extensions["database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(StoredScorecard))


def _assessed(client, vendor_url: str, level: int, assessor: str = "alice") -> None:
    body = assessment(assessor, answers=[answer(key, level) for key in MINI_KEYS])
    response = client.post(f"{vendor_url}/assessments", json=body)
    assert response.status_code == 201, response.json


def test_a_scorecard_is_computed_once_and_then_read_as_stored(app, client, scorings):
    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    _assessed(client, vendor_url, 3)
    scorings.clear()  # the assessment scores itself for its response
    first = client.get(f"{vendor_url}/scorecard")
    assert first.status_code == 200 and len(scorings) == 1
    assert _stored_rows(app) == 1
    # Later, inside the same stretch of time: read, not computed; only its instant differs.
    as_of = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    second = client.get(f"{vendor_url}/scorecard", query_string={"as_of": as_of})
    assert len(scorings) == 1 and _stored_rows(app) == 1
    assert second.json["as_of"] == as_of
    assert {**second.json, "as_of": None} == {**first.json, "as_of": None}


def test_every_change_of_an_input_is_seen_at_once(client, scorings):
    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    _assessed(client, vendor_url, 3)
    before = client.get(f"{vendor_url}/scorecard").json
    _assessed(client, vendor_url, 1, "bob")
    after_assessment = client.get(f"{vendor_url}/scorecard").json
    assert after_assessment["total"] < before["total"]  # the lower median of 3s and 1s
    client.patch(vendor_url, json={"name": "Acme Renamed"}, headers={"If-Match": '"v1"'})
    renamed = client.get(f"{vendor_url}/scorecard").json
    assert renamed["vendor"]["name"] == "Acme Renamed"
    # Past the validity of both assessments, nothing is current: a 404, not a stored card.
    expired = (dt.datetime.now(dt.UTC) + VALIDITY + dt.timedelta(days=1)).isoformat()
    late = client.get(f"{vendor_url}/scorecard", query_string={"as_of": expired})
    assert late.status_code == 404
    assert late.mimetype == "application/problem+json"


def test_a_vendor_reads_its_own_anonymised_scorecard_not_the_named_one(app, client):
    from conftest import client_with_key, make_key

    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    vendor_id = vendor_url.rsplit("/", 1)[1]
    _assessed(client, vendor_url, 3, "Alice Smith")
    named = client.get(f"{vendor_url}/scorecard").json
    assert named["assessors"] == ["Alice Smith"]
    own = client_with_key(app, make_key(app, "vendor", "Acme's bid team", vendor_id))
    anonymous = own.get(f"/v1/vendors/{vendor_id}/scorecard").json
    assert "Alice Smith" not in json.dumps(anonymous)
    assert anonymous["total"] == named["total"]


def _reading(app, acting, clock):
    """A buyer's context in a read transaction, as a GET request has."""
    with acting(Role.BUYER, "Bea") as writing:
        caller = writing.caller
    session = app.extensions["database"].sessions()
    session.begin()
    return session, Context(
        session, caller, app.extensions["catalog"], app.extensions["settings"], clock
    )


def test_a_stored_scorecard_is_found_without_reading_a_record(app, acting, clock):
    """However long the vendor's history, finding its stored scorecard reads its row, not its
    records: the history costs the first read, never the next ones."""
    clock.now = T0
    vendor_id = vendor(acting, "Acme")
    for n in range(12):
        clock.advance(hours=1)
        assess(acting, vendor_id, f"Assessor {n}", answers=THREES)
    session, context = _reading(app, acting, clock)
    with session:
        first = scorecards.served_scorecard(context, vendor_id)
    # In the worker that stored it, the document is kept in memory: only the vendor's row is
    # read. In another worker (here: with nothing kept), the stored document is read too.
    for kept_here in (True, False):
        if not kept_here:
            scorecard_store.SERVED.clear()
        session, context = _reading(app, acting, clock)
        with session, statements(app.extensions["database"].engine) as seen:
            assert scorecards.served_scorecard(context, vendor_id) == first
        touched = " ".join(seen).lower()
        assert "vendors" in touched
        assert ("stored_scorecards" in touched) is not kept_here, seen
        for table in ("assessments", "moderations", "disputes"):
            assert table not in touched, seen


def test_a_scorecard_computed_in_a_transaction_rolled_back_is_never_served(app, acting, clock):
    """A writing transaction's records, and the records revision they moved to, may be rolled
    back and the revision given to other records: what it computed is neither stored nor kept."""
    clock.now = T0
    vendor_id = vendor(acting, "Acme")
    assess(acting, vendor_id, "Alice", answers=THREES)
    with pytest.raises(RuntimeError), acting(Role.ASSESSOR, "Bob") as context:
        body = {"answers": [answer(key, 1) for key in MINI_KEYS]}
        assessments.submit_assessment(context, vendor_id, body)
        rolled_back = json.loads(scorecards.served_scorecard(context, vendor_id))
        assert rolled_back["assessors"] == ["Alice", "Bob"]
        raise RuntimeError("the request fails after all")
    clock.advance(hours=1)
    assess(acting, vendor_id, "Cy", answers=THREES)  # the same revision, other records
    session, context = _reading(app, acting, clock)
    with session:
        served = json.loads(scorecards.served_scorecard(context, vendor_id))
        assert served == _fresh(context, vendor_id, clock.now)
    assert served["assessors"] == ["Alice", "Cy"]


def test_records_committed_after_the_revision_are_not_stored_under_it(
    app, acting, clock, monkeypatch
):
    """On PostgreSQL each statement sees what was committed before it: a scorecard worked out
    from records newer than the revision its key was made of is served, never stored under
    that key. (SQLite reads one snapshot: what it stores there is the older revision's.)"""
    clock.now = T0
    vendor_id = vendor(acting, "Acme")
    assess(acting, vendor_id, "Alice", answers=THREES)
    records_in = scorecards.assessments_in

    def another_assessment_commits_first(session, scopes):
        monkeypatch.setattr(scorecards, "assessments_in", records_in)
        assess(acting, vendor_id, "Bob", answers=THREES)
        return records_in(session, scopes)

    monkeypatch.setattr(scorecards, "assessments_in", another_assessment_commits_first)
    session, context = _reading(app, acting, clock)
    with session:
        served = json.loads(scorecards.served_scorecard(context, vendor_id))
    read_both = app.extensions["database"].engine.dialect.name == "postgresql"
    assert served["assessors"] == (["Alice", "Bob"] if read_both else ["Alice"])
    with app.extensions["database"].sessions() as reader:
        stored = [
            json.loads(row.head + '"x"' + row.tail)
            for row in reader.scalars(select(StoredScorecard))
        ]
    assert [card["assessors"] for card in stored] == ([] if read_both else [["Alice"]])
    # The next read, at the new revision, has both.
    session, context = _reading(app, acting, clock)
    with session:
        after = json.loads(scorecards.served_scorecard(context, vendor_id))
    assert after["assessors"] == ["Alice", "Bob"]
