"""Drafts of assessments on the application layer: private to their author, resumable, never
scored, logged or exported; kept only by those who may assess, by the same rules; submitted
through the assessment use case, which deletes the draft, or refused, which keeps it.

The mini set (tests/criteria/mini-1.yaml), and the profiled set where a procurement's profile
leaves indicators out (tests/criteria-profiled/profiled-1.yaml)."""

import os
import uuid

import pytest
from evaluation import assess, declare, move, tender, vendor
from sqlalchemy import func, select

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.models import Assessment, Draft, Event, utcnow
from ethics_api.services import drafts
from ethics_api.services.errors import Conflict, Forbidden, Invalid, NotFound

from conftest import PROFILED_CRITERIA, TEST_CRITERIA, Clock, client_with_key, make_key
from payloads import answer, answers


@pytest.fixture
def app(make_app):
    return make_app(
        CRITERIA_DIR=os.pathsep.join(str(f) for f in (TEST_CRITERIA, PROFILED_CRITERIA)),
        DEFAULT_CRITERIA_SET="mini@1",
    )


def evaluating(acting, *names, **data):
    """A procurement evaluating one vendor, with these evaluators declared (no conflict)."""
    kestrel = vendor(acting, "Kestrel")
    procurement = tender(acting, kestrel, **data)
    for name in names:
        declare(acting, procurement, name)
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    return procurement, kestrel


def in_(procurement) -> dict:
    return {"procurement_id": procurement.id}


def save(acting, name, vendor_id, procurement, answers_so_far, role=Role.ASSESSOR, **data):
    with acting(role, name) as context:
        draft = drafts.save_draft(
            context, vendor_id, {**in_(procurement), "answers": answers_so_far, **data}
        )
        return draft.id


def draft_of(acting, name, vendor_id, procurement, role=Role.ASSESSOR):
    with acting(role, name) as context:
        return drafts.open_draft(context, vendor_id, in_(procurement)).draft


def count(app, model) -> int:
    with app.extensions["database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def clock():
    """The real time: the scorecards served over HTTP are computed now, so assessments made
    here must be current now."""
    return Clock(utcnow())


HALF = [answer("p1", 3, rationale="A DPIA was signed off."), answer("p2", 1)]


def test_a_draft_is_saved_resumed_and_replaced_per_person_vendor_and_scope(acting, clock):
    procurement, kestrel = evaluating(acting, "Alice")
    first = save(acting, "Alice", kestrel, procurement, HALF, summary="Half way.")
    clock.advance(minutes=5)
    more = [*HALF, answer("o1", 4, evidence=[{"title": "Stop button", "kind": "documented"}])]
    again = save(acting, "Alice", kestrel, procurement, more)
    assert again == first  # one draft, replaced
    found = draft_of(acting, "Alice", kestrel, procurement)
    assert found.answers == more and found.summary is None
    assert found.saved_at == clock.now
    # Standalone, the same person and vendor keep another draft, on the criteria set.
    with acting(Role.ASSESSOR, "Alice") as context:
        drafts.save_draft(context, kestrel, {"criteria_set": "mini@1", "answers": HALF})
        standalone = drafts.open_draft(context, kestrel, {"criteria_set": "mini@1"}).draft
    assert standalone.id != first and standalone.scope_key == "mini@1"
    assert standalone.answers == HALF


def test_a_draft_is_private_even_from_an_admin(acting):
    procurement, kestrel = evaluating(acting, "Alice", "Bob")
    draft_id = save(acting, "Alice", kestrel, procurement, HALF)
    with acting(Role.ASSESSOR, "Alice") as context:
        assert drafts.get_draft(context, draft_id).answers == HALF
    for role, name in ((Role.ASSESSOR, "Bob"), (Role.ADMIN, "Ada")):
        with acting(role, name) as context, pytest.raises(NotFound):
            drafts.get_draft(context, draft_id)
    assert draft_of(acting, "Bob", kestrel, procurement) is None


def test_a_draft_is_never_scored_logged_or_exported(app, acting):
    procurement, kestrel = evaluating(acting, "Alice", "Bob")
    assess(acting, kestrel, "Bob", procurement, answers=answers(p2=3))
    buyer = client_with_key(app, make_key(app, "buyer", "Bea"))
    served = (
        f"/v1/vendors/{kestrel}/scorecard?procurement_id={procurement.id}",
        f"/v1/procurements/{procurement.id}/ranking",
        f"/v1/procurements/{procurement.id}/ranking.csv",
        f"/v1/procurements/{procurement.id}/levels.csv",
    )
    before = [served_now(buyer, path) for path in served]
    events = count(app, Event)
    # A complete draft, at other levels than Bob's: were it counted, the scorecard would move,
    # and the levels' export would list a second evaluator.
    save(acting, "Alice", kestrel, procurement, answers(p1=4, p2=0, o1=4), summary="Draft.")
    assert count(app, Event) == events
    assert [served_now(buyer, path) for path in served] == before
    # p2, where the draft says 0: Bob's level alone, agreed and listed.
    [p2] = [row for row in before[-1].splitlines() if ",p2," in row]
    assert p2.endswith(",3,no,3")


def served_now(client, path: str):
    """A document as served, without the instant it was computed for (which moves on)."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    if response.mimetype != "application/json":
        return response.get_data(as_text=True)
    return {k: v for k, v in response.get_json().items() if k != "as_of"}


def test_submitting_goes_through_the_assessment_and_deletes_the_draft(app, acting):
    procurement, kestrel = evaluating(acting, "Alice")
    save(acting, "Alice", kestrel, procurement, answers(p2=3), summary="All read.")
    with acting(Role.ASSESSOR, "Alice") as context:
        record = drafts.submit_draft(context, kestrel, in_(procurement))
    assert (record.assessor, record.procurement_id, record.summary) == (
        "Alice",
        procurement.id,
        "All read.",
    )
    assert record.answers == answers(p2=3)
    assert draft_of(acting, "Alice", kestrel, procurement) is None
    assert count(app, Draft) == 0
    # The same record, and the same score, as the assessment use case makes from the API.
    twin = assess(acting, kestrel, "Alice", procurement, answers=answers(p2=3))
    assert record.score.total == twin.score.total and record.score.grade == twin.score.grade
    with app.extensions["database"].sessions() as session:
        kinds = [e.action for e in session.scalars(select(Event).order_by(Event.seq))]
    assert kinds.count("assessment.submitted") == 2


def test_a_refused_submission_keeps_the_draft(app, acting):
    procurement, kestrel = evaluating(acting, "Alice")
    incomplete = [
        answer("p1", 2),
        answer("p2", 2, evidence=[{"title": "Policy", "kind": "documented"}]),  # no url
    ]
    save(acting, "Alice", kestrel, procurement, incomplete)
    with acting(Role.ASSESSOR, "Alice") as context, pytest.raises(Invalid) as refused:
        drafts.submit_draft(context, kestrel, in_(procurement))
    pointers = {e.pointer for e in refused.value.errors}
    assert pointers == {"/answers/1/evidence/0"}  # the shape first, as the API checks it
    complete_but_unfinished = [a for a in answers() if a["indicator"] != "t2"]
    save(acting, "Alice", kestrel, procurement, complete_but_unfinished)
    with acting(Role.ASSESSOR, "Alice") as context, pytest.raises(Invalid) as refused:
        drafts.submit_draft(context, kestrel, in_(procurement))
    assert [e.messages for e in refused.value.errors] == [("Indicator 't2' is not answered.",)]
    assert draft_of(acting, "Alice", kestrel, procurement).answers == complete_but_unfinished
    assert count(app, Assessment) == 0


def test_a_draft_holds_nothing_no_assessment_could(acting):
    procurement, kestrel = evaluating(acting, "Alice")
    wrong = {
        "/answers/0/level": [{"indicator": "p1", "level": 5}],
        "/answers/0/indicator": [{"indicator": "zz", "level": 1}],
        "/answers/1/indicator": [answer("p1", 1), answer("p1", 2)],
        "/answers/0/not_applicable": [answer("p1", None)],  # p1 allows no N/A
        "/answers/0/evidence/0/kind": [answer("p2", 1, evidence=[{"kind": "rumour"}])],
        "/answers/0": [{"indicator": "p3", "level": 2, "not_applicable": True}],
        "/answers/0/colour": [{"indicator": "p2", "colour": "red"}],
    }
    for expected, draft_answers in wrong.items():
        with acting(Role.ASSESSOR, "Alice") as context, pytest.raises(Invalid) as refused:
            drafts.save_draft(context, kestrel, {**in_(procurement), "answers": draft_answers})
        assert [e.pointer for e in refused.value.errors] == [expected], draft_answers
    # What is still being typed is kept: a web address without its scheme, a date half done.
    typing = [answer("p2", 1, evidence=[{"url": "docs.example", "effective_date": "2026-0"}])]
    save(acting, "Alice", kestrel, procurement, typing)
    assert draft_of(acting, "Alice", kestrel, procurement).answers == typing


def test_only_those_who_may_assess_keep_drafts(acting):
    procurement, kestrel = evaluating(acting, "Alice")
    # Not declared in the procurement: refused as the assessment would be.
    with (
        acting(Role.ASSESSOR, "Carol") as context,
        pytest.raises(Conflict, match="has not declared"),
    ):
        drafts.save_draft(context, kestrel, {**in_(procurement), "answers": HALF})
    declare(acting, procurement, "Dan", conflict=True, description="Advised Kestrel in 2025.")
    with (
        acting(Role.ASSESSOR, "Dan") as context,
        pytest.raises(Conflict, match="conflict of interest"),
    ):
        drafts.open_draft(context, kestrel, in_(procurement))
    for role in (Role.BUYER, Role.VENDOR):
        with acting(role, "Bea", vendor_id=kestrel) as context, pytest.raises(Forbidden):
            drafts.open_draft(context, kestrel, in_(procurement))
    # A vendor that does not bid in the procurement.
    osprey = vendor(acting, "Osprey")
    with acting(Role.ASSESSOR, "Alice") as context, pytest.raises(Conflict, match="not a bidder"):
        drafts.save_draft(context, osprey, {**in_(procurement), "answers": HALF})
    assert count_drafts(acting) == 0


def count_drafts(acting) -> int:
    with acting(Role.ADMIN, "Ada") as context:
        return context.session.scalar(select(func.count()).select_from(Draft))


def test_a_procurement_profile_decides_what_a_draft_may_answer(acting):
    # On the profiled set, a system with a model but no biometrics: m2 and b1 do not apply.
    procurement, kestrel = evaluating(
        acting, "Alice", criteria_set="profiled@1", profile={"model": True, "biometric": False}
    )
    with acting(Role.ASSESSOR, "Alice") as context:
        with pytest.raises(Invalid, match="do not fit profiled@1") as refused:
            drafts.save_draft(context, kestrel, {**in_(procurement), "answers": [answer("b1", 3)]})
        placed = drafts.open_draft(context, kestrel, in_(procurement))
    assert "does not apply" in refused.value.errors[0].messages[0]
    assert sorted(placed.applicability.indicators) == ["d1", "d2", "m1"]
    assert placed.applicability.tier == "standard"
    save(acting, "Alice", kestrel, procurement, [answer(k, 2) for k in ("d1", "d2", "m1")])
    with acting(Role.ASSESSOR, "Alice") as context:
        record = drafts.submit_draft(context, kestrel, in_(procurement))
    assert [a["indicator"] for a in record.answers] == ["d1", "d2", "m1"]


def test_there_is_nothing_to_submit_without_a_draft(acting):
    procurement, kestrel = evaluating(acting, "Alice")
    with acting(Role.ASSESSOR, "Alice") as context, pytest.raises(NotFound, match="no draft"):
        drafts.submit_draft(context, kestrel, in_(procurement))
    with acting(Role.ASSESSOR, "Alice") as context, pytest.raises(NotFound):
        drafts.get_draft(context, uuid.uuid4())
