"""Rankings from kept scorecards and kept reports: a ranking read from what is kept for its
inputs is the ranking recomputed from their records, on any instant.

While a procurement is evaluating, each bidder's scorecard is kept in the process under the
fingerprint of its inputs, for the stretch of time it holds over (services/scorecard_store.py).
These tests compare what a ranking, its sensitivity, margin and award give from kept
scorecards with a recomputation from scratch over random procurements (profiles, weights,
gates, award components, reused standalone work, moderations, evidence that lapses, instants
in several offsets), check that a kept scorecard is read without scoring and a kept report
without ranking, and that every change of an input is seen at once, in the ranking as
written out too (its readiness and declarations are worked out on every read).
"""

import datetime as dt
import json
import uuid
from contextlib import contextmanager

import pytest
from evaluation import BUYER, declare, move, vendor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spying import recorded_calls

from ethics_api import scoring
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.models import Procurement
from ethics_api.services import (
    assessments,
    components,
    disputes,
    gates,
    lookup,
    moderations,
    procurements,
    rankings,
    scorecard_store,
    vendors,
)
from ethics_api.services import evaluation as evaluation_module
from ethics_api.services.context import Context
from ethics_api.services.errors import DomainError
from ethics_api.services.evaluation import evaluation
from ethics_api.services.revisions import Expected

from conftest import PROFILED_CRITERIA

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
VALIDITY = dt.timedelta(days=30)  # profiled@1
OFFSETS = [dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-5))]
PROFILES = [{"model": True, "biometric": False}, {"model": True, "biometric": True}]
# What an assessment answers: in a procurement, what its profile leaves in; standalone, all.
ANSWERED = {False: ("d1", "d2", "m1"), True: ("d1", "d2", "m1", "m2", "b1")}
ALL = ANSWERED[True]


@pytest.fixture
def app(make_app):
    return make_app(CRITERIA_DIR=PROFILED_CRITERIA)


@pytest.fixture
def reading(app, acting, clock):
    """`reading()`: a buyer's context in a read transaction, as a GET request has; only
    reads keep scorecards (a write's records may still be rolled back)."""

    @contextmanager
    def context():
        with acting(Role.BUYER, "Bea") as writing:
            caller = writing.caller
        database = app.extensions["database"]
        with database.sessions() as session, session.begin():
            yield Context(
                session, caller, app.extensions["catalog"], app.extensions["settings"], clock
            )

    return context


@pytest.fixture
def scorings(monkeypatch):
    """How many scorecards are computed (a list that grows by one with each)."""
    return recorded_calls(monkeypatch, scoring, "score", argument=2)


@pytest.fixture
def rankings_made(monkeypatch):
    """How many ranking reports are worked out (a list that grows by one with each), with
    an empty store of kept reports for this test alone."""
    monkeypatch.setattr(evaluation_module, "REPORTS", scorecard_store.Kept(capacity=32))
    return recorded_calls(monkeypatch, evaluation_module, "ranking_report", argument=3)


@pytest.fixture
def emptied(monkeypatch):
    """An empty store of kept scorecards for this test alone."""
    monkeypatch.setattr(scorecard_store, "RANKED", scorecard_store.Kept(capacity=1000))
    return scorecard_store.RANKED


@contextmanager
def nothing_kept(monkeypatch):
    """Scorecards and reports worked out from the records alone: nothing kept is read."""
    with monkeypatch.context() as patched:
        patched.setattr(scorecard_store, "RANKED", scorecard_store.Kept(capacity=0))
        patched.setattr(evaluation_module, "REPORTS", scorecard_store.Kept(capacity=0))
        yield


def recomputed(context, procurement, as_of, monkeypatch):
    """The evaluation scored from the records alone: nothing kept is read, nothing kept."""
    with nothing_kept(monkeypatch):
        return evaluation(context, procurement, as_of)


def written(context, procurement, monkeypatch=None) -> dict:
    """The live ranking as the API writes it out, as of the context's now; from the records
    alone when given `monkeypatch`."""
    if monkeypatch is None:
        return rankings.written_live_ranking(context, procurement)
    with nothing_kept(monkeypatch):
        return rankings.written_live_ranking(context, procurement)


def assert_same(kept, fresh) -> None:
    """Scorecards (every field but the lazily worked-out plan), the ranking, sensitivity,
    margin and award alike."""
    assert kept.bidders == fresh.bidders
    assert kept.report == fresh.report


# --- random procurements ---------------------------------------------------------------------

evidence_item = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(sorted(scoring.EVIDENCE_FACTORS)),
        "from": st.integers(-5, 40),  # days after T0
        "days": st.one_of(st.none(), st.integers(0, 30)),
    }
)
record = st.fixed_dictionaries(
    {
        "bidder": st.integers(0, 2),
        "after": st.integers(0, 12 * 24),  # hours since the previous record
        "standalone": st.booleans(),
        "who": st.sampled_from(["Alice", "Bob", "Mona"]),  # Mona moderates
        "levels": st.fixed_dictionaries({key: st.integers(0, 4) for key in ALL}),
        "evidence": st.lists(evidence_item, max_size=2),
    }
)
procurement_drawn = st.fixed_dictionaries(
    {
        "bidders": st.integers(1, 3),
        "profile": st.sampled_from([0, 1]),
        "weights": st.one_of(
            st.none(), st.fixed_dictionaries({k: st.integers(1, 5) for k in ("data", "model")})
        ),
        "reuse": st.booleans(),
        "share": st.sampled_from([100, 60]),
        "gates": st.lists(st.sampled_from([None, True, False]), min_size=3, max_size=3),
        "prices": st.lists(st.integers(0, 100), min_size=3, max_size=3),
    }
)


def _evidence(item: dict) -> dict:
    start = (T0 + dt.timedelta(days=item["from"])).date()
    shown = {"title": "Audit", "kind": item["kind"], "url": "https://audit.example"}
    shown["effective_date"] = start.isoformat()
    if item["days"] is not None:
        shown["valid_until"] = (start + dt.timedelta(days=item["days"])).isoformat()
    return shown


def _answers(drawn: dict, keys) -> list[dict]:
    found = [
        {"indicator": key, "level": drawn["levels"][key], "rationale": f"The tender, on {key}."}
        for key in keys
    ]
    if drawn["evidence"]:
        found[1]["evidence"] = [_evidence(item) for item in drawn["evidence"]]
    return found


def _weights(drawn: dict) -> dict | None:
    weights = drawn["weights"]
    return None if weights is None else {**weights, "faces": 1}


def _procurement(acting, drawn: dict, vendor_ids: list[str]):
    """A procurement evaluating with these bidders, its evaluators declared."""
    body = {
        "ocid": f"ocds-213czf-{uuid.uuid4().hex[:8]}",
        "title": "Analytics",
        "buyer": BUYER,
        "profile": PROFILES[drawn["profile"]],
        "weights": _weights(drawn),
        "reuse_standalone": drawn["reuse"],
        "award_share": drawn["share"],
        "min_evaluators": 1,
    }
    with acting(Role.BUYER, "Bea") as context:
        procurement = procurements.create_procurement(context, body)
        for vendor_id in vendor_ids:
            procurements.add_bidder(context, procurement.id, vendor_id)
    for name in ("Alice", "Bob"):
        declare(acting, procurement, name)
    declare(acting, procurement, "Mona", role=Role.MODERATOR)
    return move(acting, procurement, status=ProcurementStatus.EVALUATING)


def _submit(acting, procurement, vendor_id: str, drawn: dict, biometric: bool):
    """An assessment, or a moderation of two indicators; None when the service refuses it (a
    moderation with nothing to settle, say): a refusal is not what is tested here."""
    where = None if drawn["standalone"] else procurement
    keys = ALL if where is None else ANSWERED[biometric]
    try:
        if drawn["who"] == "Mona":
            settlements = [
                {"indicator": k, "level": drawn["levels"][k], "reason": "Agreed."} for k in keys[:2]
            ]
            body: dict = {"settlements": settlements}
            if where is not None:
                body["procurement_id"] = uuid.UUID(where.id)
            with acting(Role.MODERATOR, "Mona") as context:
                return moderations.record_moderation(context, vendor_id, body)
        body = {"answers": _answers(drawn, keys)}
        if where is not None:
            body["procurement_id"] = uuid.UUID(where.id)
        with acting(Role.ASSESSOR, drawn["who"]) as context:
            return assessments.submit_assessment(context, vendor_id, body)
    except DomainError:
        return None


def _gates_and_components(acting, procurement, drawn: dict, vendor_ids: list[str]) -> None:
    with acting(Role.BUYER, "Bea") as context:
        count = len(vendor_ids)
        given = zip(vendor_ids, drawn["gates"][:count], drawn["prices"][:count], strict=True)
        for vendor_id, passed, price in given:
            if passed is not None:
                result = {"gate": "not-excluded", "passed": passed, "reason": "On the CDP."}
                gates.record_gates(context, procurement.id, vendor_id, [result])
            if drawn["share"] < 100:
                price_part = {"name": "Price", "kind": "price", "weight": 40, "score": price}
                components.record_components(context, procurement.id, vendor_id, [price_part])


def _instants(submitted: list[dt.datetime], hours: list[int], offsets: list[int]):
    """Drawn instants, and each record's time boundaries with a microsecond either side."""
    tick = dt.timedelta(microseconds=1)
    found = [T0 + dt.timedelta(hours=h) for h in hours]
    for at in submitted:
        found += [at - tick, at, at + tick, at + VALIDITY, at + VALIDITY + tick]
    zones = [OFFSETS[offsets[n % len(offsets)]] for n in range(len(found))]
    return [at.astimezone(zone) for at, zone in zip(found, zones, strict=True)]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=procurement_drawn,
    history=st.lists(record, min_size=1, max_size=6),
    hours=st.lists(st.integers(-48, 60 * 24), min_size=1, max_size=4),
    offsets=st.lists(st.integers(0, 2), min_size=1, max_size=3),
)
def test_a_ranking_from_kept_scorecards_equals_its_recomputation(
    acting, reading, clock, monkeypatch, scorings, rankings_made, drawn, history, hours, offsets
):
    clock.now = T0
    vendor_ids = [vendor(acting, f"Bidder {uuid.uuid4().hex[:8]}") for _ in range(3)]
    vendor_ids = vendor_ids[: drawn["bidders"]]
    procurement = _procurement(acting, drawn, vendor_ids)
    submitted = []
    for item in history:
        clock.advance(hours=item["after"])
        vendor_id = vendor_ids[item["bidder"] % len(vendor_ids)]
        made = _submit(acting, procurement, vendor_id, item, drawn["profile"] == 1)
        if made is not None:
            submitted.append(made.submitted_at)
    _gates_and_components(acting, procurement, drawn, vendor_ids)
    instants = _instants(submitted, hours, offsets)
    for as_of in instants:  # each bidder's scorecard kept for each stretch asked about
        with reading() as context:
            evaluation(context, _row(context, procurement), as_of)
    # The second time, every scorecard and report is read as kept, and equals the one
    # recomputed; and so does the ranking as written out, as of that instant.
    for as_of in reversed(instants):
        with reading() as context:
            found = _row(context, procurement)
            scorings.clear()
            rankings_made.clear()
            kept = evaluation(context, found, as_of)
            assert scorings == []
            assert rankings_made == []
            assert_same(kept, recomputed(context, found, as_of, monkeypatch))
            clock.now = as_of
            assert written(context, found) == written(context, found, monkeypatch)
            # The JSON text sent, its kept part encoded once, is that ranking's text.
            sent = rankings.live_ranking_json(context, found).decode()
            assert sent == json.dumps(written(context, found, monkeypatch), separators=(",", ":"))


def _row(context, procurement) -> Procurement:
    return lookup.get(context, Procurement, procurement.id)


# --- kept, read, and let go ------------------------------------------------------------------


def _evaluating(acting, bidders=2, **data):
    drawn = {
        "bidders": bidders,
        "profile": 0,
        "weights": None,
        "reuse": False,
        "share": 100,
        **data,
    }
    vendor_ids = [vendor(acting, f"Bidder {n}") for n in range(bidders)]
    return _procurement(acting, drawn, vendor_ids), vendor_ids


def _assess(acting, procurement, vendor_id: str, level: int, who: str = "Alice"):
    levels = dict.fromkeys(ALL, level)
    drawn = {"standalone": False, "who": who, "levels": levels, "evidence": []}
    return _submit(acting, procurement, vendor_id, drawn, biometric=False)


def _ranked(reading, procurement, as_of=None):
    with reading() as context:
        found = lookup.get(context, Procurement, procurement.id)
        return evaluation(context, found, as_of or context.now())


def test_a_kept_scorecard_is_read_without_scoring(acting, reading, clock, scorings, emptied):
    clock.now = T0
    procurement, (first, second) = _evaluating(acting)
    _assess(acting, procurement, first, 3)
    _assess(acting, procurement, second, 2)
    scorings.clear()
    before = _ranked(reading, procurement)
    assert len(scorings) == 2  # one scorecard per bidder
    clock.advance(hours=5)
    later = _ranked(reading, procurement)
    assert len(scorings) == 2  # read, not computed
    assert [b.scorecard.as_of for b in later.bidders] == [clock.now, clock.now]
    assert [b.scorecard.total for b in later.bidders] == [b.scorecard.total for b in before.bidders]


def test_every_change_of_an_input_is_seen_at_once(acting, reading, clock, monkeypatch):
    clock.now = T0
    procurement, (first, second) = _evaluating(acting)
    _assess(acting, procurement, first, 3)
    _assess(acting, procurement, second, 2)

    def ranked_now():
        kept = _ranked(reading, procurement)
        with reading() as context:
            found = lookup.get(context, Procurement, procurement.id)
            assert_same(kept, recomputed(context, found, context.now(), monkeypatch))
        return {b.vendor_id: b.scorecard for b in kept.bidders}

    start = ranked_now()
    clock.advance(hours=1)
    _assess(acting, procurement, first, 1, who="Bob")  # the lower median of 3 and 1
    assert ranked_now()[first].total < start[first].total
    with acting(Role.BUYER, "Bea") as context:
        failed = {"gate": "not-excluded", "passed": False, "reason": "Excluded."}
        gates.record_gates(context, procurement.id, second, [failed])
    assert ranked_now()[second].eligible is False
    # Past the validity of every assessment, nothing is current.
    clock.advance(days=31)
    assert ranked_now() == {first: None, second: None}


def test_every_change_is_seen_at_once_in_the_ranking_as_written_out(
    acting, reading, clock, monkeypatch, rankings_made
):
    """What the kept report leaves out (readiness, declarations, the vendors' details) is
    worked out on every read; what it holds is kept under everything it depends on."""
    clock.now = T0
    procurement, (first, second) = _evaluating(acting)
    _assess(acting, procurement, first, 3)
    _assess(acting, procurement, second, 3)

    def written_now() -> tuple[dict, bool]:
        """The ranking written out, and whether its report was worked out for it (not read
        as kept); checked against its recomputation."""
        with reading() as context:
            found = lookup.get(context, Procurement, procurement.id)
            made = len(rankings_made)
            kept = written(context, found)
            worked_out = len(rankings_made) > made
            assert kept == written(context, found, monkeypatch)
            return kept, worked_out

    def blocking(found: dict) -> list[str]:
        return sorted(item["code"] for item in found["readiness"]["blocking"])

    start, worked_out = written_now()
    assert worked_out
    assert written_now() == (start, False)  # read as kept, the same instant
    assert start["tie_for_first"] is True
    assert "tie_without_tie_break" in blocking(start)
    tie_break = {"vendor_id": uuid.UUID(first), "reason": "Lower price."}
    move(acting, procurement, tie_break=tie_break)  # a kept input
    tie_broken, worked_out = written_now()
    assert worked_out
    assert tie_broken["winner_vendor_id"] == first
    assert "tie_without_tie_break" not in blocking(tie_broken)
    with acting(Role.BUYER, "Bea") as context:  # a vendor's details: read on every read
        revision = vendors.get_vendor(context, first).revision
        vendors.update_vendor(context, first, {"email": None}, Expected(frozenset({revision})))
    no_email, worked_out = written_now()
    assert not worked_out
    missing = [
        (item["vendor_id"], "email address" in item["message"])
        for item in no_email["readiness"]["warnings"]
        if item["code"] == "supplier_details_missing"
    ]
    assert missing == [(first, True)]
    declare(acting, procurement, "Carol")  # a declaration: read on every read
    declared, worked_out = written_now()
    assert not worked_out
    assert len(declared["declarations"]) == len(tie_broken["declarations"]) + 1
    clock.advance(hours=1)  # later, the same report but for its as_of
    later, worked_out = written_now()
    assert not worked_out
    assert later["as_of"] != declared["as_of"]
    assert {**later, "as_of": declared["as_of"]} == declared
    with acting(Role.VENDOR, "Vic", vendor_id=second) as context:  # a kept input
        disputes.open_dispute(
            context,
            second,
            {
                "indicator": "d1",
                "statement": "Our audit says otherwise.",
                "procurement_id": uuid.UUID(procurement.id),
            },
        )
    disputed, worked_out = written_now()
    assert worked_out
    by_vendor = {row["vendor_id"]: row["disputed_indicators"] for row in disputed["ranking"]}
    assert by_vendor == {first: [], second: ["d1"]}


def test_a_writing_transaction_keeps_nothing(acting, reading, clock, emptied):
    clock.now = T0
    procurement, (first, _) = _evaluating(acting)
    _assess(acting, procurement, first, 3)
    with acting(Role.BUYER, "Bea") as context:
        evaluation(context, procurement, context.now())
    assert len(emptied) == 0
    _ranked(reading, procurement)  # a read keeps both bidders'
    assert len(emptied) == 2


def test_records_read_after_their_fingerprint_are_not_kept_under_it(
    acting, reading, clock, emptied
):
    """On PostgreSQL each statement sees what was committed before it: the scorecards are
    kept only when the records read are those the bidders' query fingerprinted."""
    from ethics_api.services import evaluation as module

    clock.now = T0
    procurement, [first] = _evaluating(acting, bidders=1)
    _assess(acting, procurement, first, 3)
    with reading() as context:
        found = lookup.get(context, Procurement, procurement.id)
        criteria_set = lookup.set_of(context, found)
        vendors, stale, _ = module._bidders_and_records(context, found, criteria_set)
    _assess(acting, procurement, first, 1, who="Bob")  # committed after the fingerprint
    with reading() as context:
        found = lookup.get(context, Procurement, procurement.id)
        [bidder] = module.scored_bidders(
            context, found, criteria_set, context.now(), vendors, stale
        )
    assert len(bidder.scorecard.assessments) == 2  # scored from what was read
    assert len(emptied) == 0  # and not kept under the older fingerprint
    _ranked(reading, procurement)  # the fingerprint read with the bidders: kept
    assert len(emptied) == 1


def test_the_least_recently_used_are_let_go():
    kept = scorecard_store.Kept(capacity=2)
    span = (scorecard_store.EARLIEST, scorecard_store.LATEST)
    for key in ("a", "b"):
        kept.put(key, span, key.upper())
    assert kept.get("a", T0) == (True, "A")  # "b" is now the least recently used
    kept.put("c", span, "C")
    assert (kept.get("a", T0), kept.get("b", T0), kept.get("c", T0)) == (
        (True, "A"),
        (False, None),
        (True, "C"),
    )
    # Outside its stretch, a kept result is not found.
    kept.put("d", (T0, T0 + dt.timedelta(days=1)), "D")
    assert kept.get("d", T0 - dt.timedelta(microseconds=1)) == (False, None)
    assert kept.get("d", T0 + dt.timedelta(days=1)) == (False, None)
    assert kept.get("d", T0) == (True, "D")
