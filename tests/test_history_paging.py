"""A scorecard's history, read a page at a time: linear in its length, exact page by page.

Each record a page examines costs one scorecard over the records current at its submission,
so a page of a long history costs what a page of a short one does.
"""

import datetime as dt
import uuid

import pytest
from evaluation import assess, moderate, vendor

from ethics_api import scoring
from ethics_api.enums import Role
from ethics_api.models import Assessment
from ethics_api.services import scorecards
from ethics_api.services.scope import Scope, assessments_in

from payloads import MINI_KEYS, answer, answers

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def scorings(monkeypatch):
    """The assessments handed to each scorecard computed, one list per scorecard."""
    calls: list[list] = []
    real = scoring.score

    def counted(criteria_set, assessments, *args, **kwargs):
        assessments = list(assessments)
        calls.append(assessments)
        return real(criteria_set, assessments, *args, **kwargs)

    monkeypatch.setattr(scoring, "score", counted)
    return calls


def _seed(app, acting, count: int) -> str:
    """A vendor with `count` assessments, one a day by three assessors in turn, written in one
    transaction (through the models: the application layer would take minutes)."""
    vendor_id = vendor(acting, f"Long history {uuid.uuid4().hex[:6]}")
    with acting(Role.ASSESSOR, "Alice") as context:
        person_id = context.caller.person_id
        criteria_set = context.criteria.sets["mini@1"]
        organisation_id = context.caller.organisation_id
    with app.extensions["database"].transaction() as session:
        session.add_all(
            Assessment(
                organisation_id=organisation_id,
                vendor_id=vendor_id,
                criteria_key=criteria_set.key,
                criteria_version=criteria_set.version,
                criteria_sha256=criteria_set.sha256,
                person_id=person_id,
                assessor=("Alice", "Bob", "Cy")[n % 3],
                answers=[answer(key, (n // 7) % 5) for key in MINI_KEYS],
                submitted_at=T0 + dt.timedelta(days=n),
            )
            for n in range(count)
        )
    return vendor_id


def test_the_first_page_of_a_long_history_costs_a_page_of_scorecards(app, acting, clock, scorings):
    vendor_id = _seed(app, acting, 3000)
    clock.now = T0 + dt.timedelta(days=3000)
    with acting(Role.BUYER, "Bea") as context:
        scorings.clear()
        page = scorecards.vendor_history(context, vendor_id, start=0, limit=50)
    assert page["next_start"] == 50
    assert page["history"][0]["as_of"] == T0
    # 50 records examined: 50 scorecards, none of them over more than the 31 days of records
    # that can be current at once (mini@1 keeps an assessment for 30 days).
    assert len(scorings) == 50
    assert max(len(handed) for handed in scorings) <= 31
    # Deep in the history: one more scorecard, for where the page before it ended.
    with acting(Role.BUYER, "Bea") as context:
        scorings.clear()
        deep = scorecards.vendor_history(context, vendor_id, start=2900, limit=50)
    assert len(scorings) == 51 and deep["next_start"] == 2950
    with acting(Role.BUYER, "Bea") as context:
        last = scorecards.vendor_history(context, vendor_id, start=2950, limit=500)
    assert last["next_start"] is None


def _reference(criteria_set, work) -> list[tuple]:
    """The history worked out the long way: every record rescored from all the records."""
    records = sorted([*work.assessments, *work.moderations], key=lambda r: (r.submitted_at, r.id))
    found, last = [], None
    for record in records:
        try:
            card = scoring.score(
                criteria_set, work.assessments, record.submitted_at, None, work.moderations
            )
        except scoring.NoCurrentAssessment:
            continue
        state = (card.total, card.grade, card.eligible)
        if state != last:
            found.append((record.id, card.total, None if last is None else card.total - last[0]))
            last = state
    return found


def test_pages_joined_are_the_whole_history(acting, clock):
    vendor_id = vendor(acting, "Acme Analytics")
    for n in range(24):
        clock.advance(days=(n * 7) % 45)  # some gaps outlast the assessments: nothing current
        levels = {key: (n + i) % 5 for i, key in enumerate(("p1", "p2", "o1"))}
        assess(acting, vendor_id, ("Alice", "Bob", "Cy")[n % 3], answers=answers(**levels))
        if n % 5 == 4:
            moderate(acting, vendor_id, "Moe", None, ("p2", n % 5, "Agreed."))
    with acting(Role.BUYER, "Bea") as context:
        whole = scorecards.vendor_history(context, vendor_id)
        pages, start = [], 0
        while start is not None:
            page = scorecards.vendor_history(context, vendor_id, start=start, limit=4)
            pages += page["history"]
            start = page["next_start"]
        criteria_set = context.criteria.sets["mini@1"]
        [found] = assessments_in(context.session, [Scope(vendor_id, criteria_set)])
    assert whole["next_start"] is None
    assert pages == whole["history"]
    shown = [(e["assessment_id"], e["total"], e["change"]) for e in whole["history"]]
    assert len(shown) > 3 and len(found.own.assessments) == 24 and found.own.moderations
    assert shown == _reference(criteria_set, found.own)


def test_the_api_pages_and_caps_a_history(client):
    vendor_url = client.post("/v1/vendors", json={"name": "Acme"}).headers["Location"]
    for assessor, level in (("alice", 3), ("bob", 1), ("cy", 4)):
        body = {"assessor": assessor, "answers": [answer(key, level) for key in MINI_KEYS]}
        assert client.post(f"{vendor_url}/assessments", json=body).status_code == 201
    first = client.get(f"{vendor_url}/scorecard/history", query_string={"limit": 2}).json
    assert len(first["history"]) == 2 and first["next_start"] == 2
    rest = client.get(f"{vendor_url}/scorecard/history", query_string={"start": 2}).json
    assert rest["next_start"] is None
    whole = client.get(f"{vendor_url}/scorecard/history").json
    assert first["history"] + rest["history"] == whole["history"]
    for query in ({"limit": 501}, {"limit": 0}, {"start": -1}, {"limit": "many"}):
        refused = client.get(f"{vendor_url}/scorecard/history", query_string=query)
        assert refused.status_code == 422, query
        assert refused.mimetype == "application/problem+json"
