"""The application layer on its own, without HTTP: the rules every caller meets (the API, the
command line, the demo), each use case raising the domain error that says why.

Figures come from tests/criteria/mini-1.yaml (see test_events_and_history.py for the set worked
out by hand): every indicator at level 2 totals 50.
"""

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.models import Event, Procurement, Vendor, WebhookDelivery
from ethics_api.services import (
    assessments,
    changes,
    declarations,
    procurements,
    scorecards,
    vendors,
    webhooks,
)
from ethics_api.services.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from ethics_api.services.keys import create_key, revoke_key
from ethics_api.services.people import create_person
from ethics_api.services.revisions import Expected
from ethics_api.services.scope import Scope, assessments_in

from payloads import answers


def count(app, model) -> int:
    with app.extensions["database"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def new_vendor(acting, name: str = "Acme Analytics") -> str:
    with acting(Role.BUYER, "Bea") as context:
        return vendors.create_vendor(context, {"name": name}).id


def submitted(acting, vendor_id: str, name: str = "alice", **data) -> str:
    role = Role.MODERATOR if data.get("moderated") else Role.ASSESSOR
    with acting(role, name) as context:
        payload = {"answers": answers(), **data}
        return assessments.submit_assessment(context, vendor_id, payload).id


# --- one call records a change ------------------------------------------------------------------


def test_a_change_its_event_and_its_messages_commit_together_or_not_at_all(app, acting):
    with acting() as context:
        webhooks.subscribe(
            context, {"url": "https://hooks.example/ethics", "events": ["assessment.submitted"]}
        )
    vendor_id = new_vendor(acting)
    with acting(Role.ASSESSOR, "alice"):
        pass  # alice exists before the count
    events, messages = count(app, Event), count(app, WebhookDelivery)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), acting(Role.ASSESSOR, "alice") as context:
        assessments.submit_assessment(context, vendor_id, {"answers": answers()})
        raise Abandoned  # after the change was recorded: the transaction rolls back whole
    assert (count(app, Event), count(app, WebhookDelivery)) == (events, messages)

    submitted(acting, vendor_id)
    assert (count(app, Event), count(app, WebhookDelivery)) == (events + 1, messages + 1)


def test_a_change_is_logged_as_sent_with_what_it_resolved_to(app, acting):
    procurement_id = uuid.uuid4()
    with acting() as context:
        changes.record(
            context,
            "vendor.updated",
            "vendor",
            "v-1",
            {"procurement_id": procurement_id, "day": dt.date(2026, 1, 5), "list": [1, None]},
        )
    with app.extensions["database"].sessions() as session:
        last = session.scalar(select(Event).order_by(Event.seq.desc()).limit(1))
    assert last.change == (
        f'{{"day":"2026-01-05","list":[1,null],"procurement_id":"{procurement_id}"}}'
    )
    assert last.actor == "test (admin: Ada)"


# --- vendors -----------------------------------------------------------------------------------


def test_vendor_identifiers_are_unique_in_an_organisation(app, acting):
    identifier = {"scheme": "GB-COH", "id": "01234567"}
    with acting(Role.BUYER) as context:
        vendors.create_vendor(context, {"name": "Acme", "identifier": identifier})
    with pytest.raises(Conflict, match="GB-COH/01234567 exists"), acting(Role.BUYER) as context:
        vendors.create_vendor(context, {"name": "Acme again", "identifier": identifier})
    assert count(app, Vendor) == 1


def test_an_update_applies_only_to_the_version_read(acting):
    vendor_id = new_vendor(acting)
    with acting(Role.BUYER) as context:
        vendor = vendors.update_vendor(context, vendor_id, {"name": "Acme Ltd"}, Expected({1}))
        assert vendor.revision == 2
    with pytest.raises(PreconditionFailed), acting(Role.BUYER) as context:
        vendors.update_vendor(context, vendor_id, {"name": "Lost"}, Expected(frozenset({1})))
    with acting(Role.BUYER) as context:
        assert vendors.get_vendor(context, vendor_id).name == "Acme Ltd"


def test_a_vendor_key_sees_only_its_own_vendor(acting):
    mine, theirs = new_vendor(acting, "Mine"), new_vendor(acting, "Theirs")
    with acting(Role.VENDOR, "desk", vendor_id=mine) as context:
        assert vendors.get_vendor(context, mine).name == "Mine"
        with pytest.raises(NotFound):
            vendors.get_vendor(context, theirs)


# --- assessments -------------------------------------------------------------------------------


def test_who_an_assessment_is_by(acting):
    vendor_id = new_vendor(acting)

    def submit(role: Role, **data):
        with acting(role, "alice") as context:
            return assessments.submit_assessment(context, vendor_id, {"answers": answers(), **data})

    with pytest.raises(Invalid) as raised:
        submit(Role.ADMIN)
    assert [e.pointer for e in raised.value.errors] == ["/assessor"]
    with pytest.raises(Forbidden, match="under your own name, alice"):
        submit(Role.ASSESSOR, assessor="bob")
    with pytest.raises(Forbidden, match="Only a moderator"):
        submit(Role.ASSESSOR, moderated=True)
    assert submit(Role.ADMIN, assessor="carol").assessor == "carol"
    assert submit(Role.ASSESSOR).assessor == "alice"


def test_answers_that_do_not_fit_the_set_are_refused_each_with_its_place(acting):
    vendor_id = new_vendor(acting)
    wrong = [a for a in answers() if a["indicator"] != "p1"] + [{"indicator": "zz", "level": 1}]
    with pytest.raises(Invalid) as raised, acting(Role.ASSESSOR, "alice") as context:
        assessments.submit_assessment(context, vendor_id, {"answers": wrong})
    assert sorted((e.pointer, e.messages) for e in raised.value.errors) == [
        ("/answers", ("Indicator 'p1' is not answered.",)),
        ("/answers/6/indicator", ("Unknown indicator 'zz' in mini@1.",)),
    ]


def test_corrections_are_an_assessors_own_and_made_once(acting):
    vendor_id = new_vendor(acting)
    original = submitted(acting, vendor_id, "alice")
    with pytest.raises(Forbidden), acting(Role.ASSESSOR, "bob") as context:
        data = {"answers": answers(), "supersedes": uuid.UUID(original)}
        assessments.submit_assessment(context, vendor_id, data)
    correction = submitted(acting, vendor_id, "alice", supersedes=uuid.UUID(original))
    with pytest.raises(Conflict, match=f"already corrected by {correction}"):
        submitted(acting, vendor_id, "mona", moderated=True, supersedes=uuid.UUID(original))
    other = new_vendor(acting, "Other")
    with pytest.raises(Invalid) as raised:
        submitted(acting, other, "alice", supersedes=uuid.UUID(correction))
    assert [e.pointer for e in raised.value.errors] == ["/supersedes"]


def test_a_blind_assessor_reads_others_work_only_after_their_own(acting):
    vendor_id = new_vendor(acting)
    bobs = submitted(acting, vendor_id, "bob")
    with acting(Role.ASSESSOR, "alice") as context:
        with pytest.raises(Forbidden, match="Blind evaluation"):
            assessments.get_assessment(context, bobs)
        with pytest.raises(Forbidden, match="Blind evaluation"):
            scorecards.vendor_scorecard(context, vendor_id)
    submitted(acting, vendor_id, "alice")
    with acting(Role.ASSESSOR, "alice") as context:
        assert assessments.get_assessment(context, bobs).assessor == "bob"
        assert scorecards.vendor_scorecard(context, vendor_id)["assessors"] == ("alice", "bob")


# --- procurements ------------------------------------------------------------------------------


def new_procurement(acting, evaluators=("alice",), **data) -> Procurement:
    """A procurement in draft, its evaluators' declarations (no conflict) made."""
    body = {"ocid": "ocds-213czf-1", "title": "Analytics", "buyer": {"name": "City"}, **data}
    with acting(Role.BUYER) as context:
        procurement = procurements.create_procurement(context, body)
    for name in evaluators:
        with acting(Role.ASSESSOR, name) as context:
            declarations.declare(context, procurement.id, {"conflict": False})
    return procurement


def moved(acting, procurement: Procurement, **data) -> Procurement:
    with acting(Role.BUYER) as context:
        return procurements.update_procurement(
            context, procurement.id, data, Expected(frozenset({procurement.revision}))
        )


def test_a_procurement_moves_forward_one_step_and_fixes_its_weights(acting):
    procurement = new_procurement(acting)
    weights = {"privacy": 1, "oversight": 1, "openness": 2}
    procurement = moved(acting, procurement, weights=weights)
    with pytest.raises(Conflict, match="forward one step"):
        moved(acting, procurement, status=ProcurementStatus.CLOSED)
    procurement = moved(acting, procurement, status=ProcurementStatus.EVALUATING)
    with pytest.raises(Conflict, match="Weights: fixed once evaluation starts"):
        moved(acting, procurement, weights=weights)
    with pytest.raises(Conflict, match="forward one step"):
        moved(acting, procurement, status=ProcurementStatus.DRAFT)
    procurement = moved(acting, procurement, status=ProcurementStatus.CLOSED)
    assert procurement.final_ranking["final"] is True
    with pytest.raises(Conflict, match="closed: it no longer changes"):
        moved(acting, procurement, title="Too late")


def test_weights_must_name_every_criterion_within_range(acting):
    with pytest.raises(Invalid) as raised:
        new_procurement(acting, weights={"privacy": 0, "colour": 1})
    assert sorted(e.pointer for e in raised.value.errors) == [
        "/weights/colour",
        "/weights/openness",
        "/weights/oversight",
        "/weights/privacy",
    ]


def test_assessments_in_a_procurement_need_it_evaluating_and_a_bidder(acting):
    vendor_id, outsider = new_vendor(acting), new_vendor(acting, "Outsider")
    procurement = new_procurement(acting)
    with acting(Role.BUYER) as context:
        procurements.add_bidder(context, procurement.id, vendor_id)
    with pytest.raises(Conflict, match="is draft"):
        submitted(acting, vendor_id, procurement_id=uuid.UUID(procurement.id))
    moved(acting, procurement, status=ProcurementStatus.EVALUATING)
    with pytest.raises(Conflict, match="not a bidder"):
        submitted(acting, outsider, procurement_id=uuid.UUID(procurement.id))
    submitted(acting, vendor_id, procurement_id=uuid.UUID(procurement.id))
    with acting(Role.BUYER) as context, pytest.raises(Conflict, match="already a bidder"):
        procurements.add_bidder(context, procurement.id, vendor_id)


# --- one scope ---------------------------------------------------------------------------------


def test_a_procurement_scores_its_own_assessments_first_then_reused_standalone_ones(
    app, acting, clock
):
    criteria_set = app.extensions["catalog"].get("mini@1")
    reused, own = new_vendor(acting, "Reused"), new_vendor(acting, "Own")
    procurement = new_procurement(acting, reuse_standalone=True)
    for vendor_id in (reused, own):
        with acting(Role.BUYER) as context:
            procurements.add_bidder(context, procurement.id, vendor_id)
        submitted(acting, vendor_id)  # standalone, every indicator at level 2
    moved(acting, procurement, status=ProcurementStatus.EVALUATING)
    clock.advance(minutes=1)
    in_procurement = answers(p2=4)
    submitted(acting, own, answers=in_procurement, procurement_id=uuid.UUID(procurement.id))

    with acting(Role.BUYER) as context:
        found = assessments_in(
            context.session,
            [Scope.of_procurement(v, procurement, criteria_set) for v in (reused, own)],
        )
        cards = [scorecards.scored(f, clock.now) for f in found]
    assert [(len(f.own.assessments), len(f.reusable.assessments)) for f in found] == [
        (0, 1),
        (1, 1),
    ]
    # Reused: all at 2, total 50. Own: p2 at 4 lifts privacy to 100 * (2 + 12 + 2) / 20 = 80,
    # total (2 * 80 + 50 + 50) / 4 = 65.
    assert [(card.total, reused_flag) for card, reused_flag in cards] == [(50, True), (65, False)]

    # Standalone scopes never draw on procurement work, nor procurements without reuse.
    with acting(Role.BUYER) as context:
        [standalone] = assessments_in(context.session, [Scope(own, criteria_set)])
        [strict] = assessments_in(context.session, [Scope(own, criteria_set, procurement.id)])
    assert (len(standalone.own.assessments), len(standalone.reusable.assessments)) == (1, 0)
    assert (len(strict.own.assessments), len(strict.reusable.assessments)) == (1, 0)


# --- keys --------------------------------------------------------------------------------------


def test_keys_name_a_known_role_and_vendor_keys_a_vendor(acting):
    with acting() as context:
        otto = create_person(context, {"name": "Otto"})
        with pytest.raises(Invalid, match="unknown role"):
            create_key(context, otto, "overlord")
        with pytest.raises(Invalid, match="bound to exactly one vendor"):
            create_key(context, otto, Role.VENDOR)
        with pytest.raises(NotFound, match="no vendor"):
            create_key(context, otto, Role.VENDOR, str(uuid.uuid4()))
        key, secret = create_key(context, otto, Role.AUDITOR)
        assert secret.startswith(f"{key.prefix}_")


def test_a_key_is_revoked_once(app, acting):
    with acting() as context:
        key, _ = create_key(context, create_person(context, {"name": "Otto"}), Role.AUDITOR)
    events = count(app, Event)
    for _ in range(2):
        with acting() as context:
            assert revoke_key(context, key.prefix).revoked_at is not None
    assert count(app, Event) == events + 1
    with pytest.raises(NotFound), acting() as context:
        revoke_key(context, "eth_00000000")
