"""What waits on a person, by role: declarations to make, bidders to assess, disagreements to
moderate, procurements ready to close and what blocks the others; and the page that shows it.
Figures from the mini set (tests/criteria/mini-1.yaml)."""

from evaluation import assess, declare, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_sign_in import accept, browser, clock, person_invited  # noqa: F401

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.services.my_work import my_work

from payloads import answers


def work_of(acting, role: Role, name: str):
    with acting(role, name) as context:
        return my_work(context)


def evaluating_with_a_disagreement(acting):
    """Kestrel assessed by Alice and Bob two levels apart on p2; Osprey by nobody yet."""
    kestrel, osprey = vendor(acting, "Kestrel"), vendor(acting, "Osprey")
    procurement = tender(acting, kestrel, osprey)
    declare(acting, procurement, "Alice")
    declare(acting, procurement, "Bob")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Alice", procurement, answers=answers(p2=1))
    assess(acting, kestrel, "Bob", procurement, answers=answers(p2=3))
    return procurement, kestrel, osprey


def test_an_evaluator_sees_the_bidders_left_to_assess(acting):
    procurement, _, osprey = evaluating_with_a_disagreement(acting)
    work = work_of(acting, Role.ASSESSOR, "Alice")
    assert [(p.id, b.vendor_id) for p, b in work.to_assess] == [(procurement.id, osprey)]
    assert work.declarations == [] and work.to_moderate == [] and work.to_close == []


def test_standalone_work_a_procurement_reuses_is_not_asked_again(acting):
    """Where a procurement ranks bidders on standalone assessments, an evaluator who has
    assessed a bidder standalone on its criteria set has nothing left to do for it."""
    kestrel, osprey = vendor(acting, "Kestrel"), vendor(acting, "Osprey")
    assess(acting, kestrel, "Alice")  # standalone, on the default set (mini@1)
    reusing = tender(acting, kestrel, osprey, reuse_standalone=True)
    declare(acting, reusing, "Alice")
    move(acting, reusing, status=ProcurementStatus.EVALUATING)
    work = work_of(acting, Role.ASSESSOR, "Alice")
    assert [(p.id, b.vendor_id) for p, b in work.to_assess] == [(reusing.id, osprey)]


def test_someone_who_has_not_declared_is_asked_to_declare_first(acting):
    procurement, _, _ = evaluating_with_a_disagreement(acting)
    work = work_of(acting, Role.MODERATOR, "Mona")
    assert [p.id for p in work.declarations] == [procurement.id]
    assert work.to_moderate == []  # declaring comes before moderating


def test_a_moderator_sees_the_disagreements_to_settle(acting):
    procurement, kestrel, _ = evaluating_with_a_disagreement(acting)
    declare(acting, procurement, "Mona", role=Role.MODERATOR)
    [(found, items)] = work_of(acting, Role.MODERATOR, "Mona").to_moderate
    assert found.id == procurement.id
    assert [(i.code, i.vendor_id, i.indicator) for i in items] == [
        ("unsettled_disagreement", kestrel, "p2")
    ]


def test_a_buyer_sees_what_blocks_closing_and_what_is_ready(acting):
    procurement, _, _ = evaluating_with_a_disagreement(acting)
    heron = vendor(acting, "Heron")
    ready_one = tender(acting, heron, min_evaluators=1)
    declare(acting, ready_one, "Carol")
    move(acting, ready_one, status=ProcurementStatus.EVALUATING)
    assess(acting, heron, "Carol", ready_one)
    work = work_of(acting, Role.BUYER, "Bea")
    assert [p.id for p in work.to_close] == [ready_one.id]
    [(blocked, items)] = work.blocked
    assert blocked.id == procurement.id
    assert {i.code for i in items} == {"unsettled_disagreement", "too_few_evaluators"}


def test_the_page_shows_a_buyer_what_blocks_closing(app, acting):
    evaluating_with_a_disagreement(acting)
    token = person_invited(acting, "Dana Buyer", "dana@council.example", Role.BUYER)
    client = browser(app)
    accept(client, token)
    page = client.get("/my-work").get_data(as_text=True)
    assert "Procurements not ready to close" in page
    assert "Kestrel: p2 awaits moderation (the evaluators&#39; levels lie 2 apart)." in page
    assert "Osprey has 0 current evaluators; the procurement needs 2." in page
