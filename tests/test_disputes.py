"""Disputes: a vendor's right of reply on one indicator, flagged until a moderator resolves it.

Rejected with reasons, or upheld by a moderated assessment of the same vendor, criteria set and
scope submitted after the dispute was filed; either way the dispute keeps its statement beside
its resolution, and the outbox reports both events to subscribed webhooks.
"""

import base64
import uuid

import pytest
from sqlalchemy import select

from ethics_api.models import Organisation, Webhook, WebhookDelivery

from conftest import client_with_key, make_key, make_organisation
from payloads import answers, vendor
from responses import assert_problem, created, ok

EVIDENCE = {
    "title": "Purpose limitation policy v2",
    "kind": "documented",
    "url": "https://acme.example/policies/purpose.pdf",
    "sha256": "b" * 64,
    "effective_date": "2026-02-01",
    "valid_until": "2027-02-01",
}
STATEMENT = "Collection is limited to the stated purpose; see the policy in force since February."
# What resolving a dispute changes; everything else it keeps.
CHANGED = {"status", "resolution", "resolved_by", "resolved_at", "moderated_assessment_id"}
REASONS = "The policy postdates the system's deployment and does not cover the pilot."


# --- helpers -------------------------------------------------------------------------------------


def move(client, procurement_id: str, status: str) -> None:
    url = f"/v1/procurements/{procurement_id}"
    etag = client.get(url).headers["ETag"]
    ok(client.patch(url, json={"status": status}, headers={"If-Match": etag}))


def submit(client, vendor_id: str, assessor: str | None = None, **fields):
    body = {"answers": answers(), **fields}
    if assessor is not None:
        body["assessor"] = assessor
    return client.post(f"/v1/vendors/{vendor_id}/assessments", json=body)


class Setting:
    """Two vendors bidding in an evaluating procurement, assessed there and standalone."""

    def __init__(self, app):
        self.app = app
        self.admin = app.test_client()
        self.vendor_id = created(self.admin.post("/v1/vendors", json=vendor("Acme Analytics")))[
            "id"
        ]
        self.rival_id = created(self.admin.post("/v1/vendors", json=vendor("Rival Robotics")))["id"]
        body = {"ocid": "ocds-abc123-1", "title": "Video analytics", "buyer": {"name": "Council"}}
        self.procurement_id = created(self.admin.post("/v1/procurements", json=body))["id"]
        for vendor_id in (self.vendor_id, self.rival_id):
            created(
                self.admin.post(
                    f"/v1/procurements/{self.procurement_id}/bidders", json={"vendor_id": vendor_id}
                )
            )
        for evaluator in ("alice", "Morgan Moderator"):
            declared = {"conflict": False, "person": evaluator}
            created(
                self.admin.post(
                    f"/v1/procurements/{self.procurement_id}/declarations", json=declared
                )
            )
        move(self.admin, self.procurement_id, "evaluating")
        for vendor_id in (self.vendor_id, self.rival_id):
            created(submit(self.admin, vendor_id, "alice"))
            created(submit(self.admin, vendor_id, "alice", procurement_id=self.procurement_id))
        self.vendor_key = client_with_key(
            app, make_key(app, "vendor", "Acme reply desk", vendor_id=self.vendor_id)
        )
        self.rival_key = client_with_key(
            app, make_key(app, "vendor", "Rival reply desk", vendor_id=self.rival_id)
        )
        self.moderator = client_with_key(app, make_key(app, "moderator", "Morgan Moderator"))

    @property
    def disputes_url(self) -> str:
        return f"/v1/vendors/{self.vendor_id}/disputes"

    def open(self, indicator: str = "p2", **fields) -> dict:
        body = {"indicator": indicator, "statement": STATEMENT, **fields}
        return created(self.vendor_key.post(self.disputes_url, json=body))

    def resolve(self, dispute_id: str, client=None, **body):
        client = client or self.moderator
        return client.post(f"/v1/disputes/{dispute_id}/resolution", json=body)

    def scorecard(self, procurement: bool = False) -> dict:
        url = f"/v1/vendors/{self.vendor_id}/scorecard"
        if procurement:
            url += f"?procurement_id={self.procurement_id}"
        return ok(self.admin.get(url))

    def ranking_rows(self) -> dict[str, dict]:
        ranking = ok(self.admin.get(f"/v1/procurements/{self.procurement_id}/ranking"))
        return {row["vendor_id"]: row for row in ranking["ranking"]}

    def dispute(self, dispute_id: str) -> dict:
        return ok(self.admin.get(f"/v1/disputes/{dispute_id}"))

    def count(self, vendor_id: str | None = None) -> int:
        url = f"/v1/vendors/{vendor_id or self.vendor_id}/disputes"
        return len(ok(self.admin.get(url)))


@pytest.fixture
def setting(app) -> Setting:
    return Setting(app)


# --- opening -------------------------------------------------------------------------------------


def test_a_vendor_key_opens_a_dispute_with_its_evidence_stored_as_sent(setting):
    response = setting.vendor_key.post(
        setting.disputes_url,
        json={"indicator": "p2", "statement": STATEMENT, "evidence": [EVIDENCE]},
    )
    dispute = created(response)
    assert response.headers["Location"] == f"/v1/disputes/{dispute['id']}"
    assert dispute["vendor_id"] == setting.vendor_id
    assert dispute["criteria_set"] == "mini@1"
    assert dispute["procurement_id"] is None
    assert dispute["indicator"] == "p2"
    assert dispute["statement"] == STATEMENT
    assert dispute["evidence"] == [EVIDENCE]
    assert dispute["status"] == "open"
    assert dispute["filed_by"] == "Acme reply desk"
    assert dispute["filed_at"]
    assert dispute["resolution"] is None
    assert dispute["resolved_by"] is None
    assert dispute["resolved_at"] is None
    assert dispute["moderated_assessment_id"] is None
    assert ok(setting.vendor_key.get(response.headers["Location"])) == dispute
    assert ok(setting.admin.get(response.headers["Location"])) == dispute
    assert ok(setting.vendor_key.get(setting.disputes_url)) == [dispute]


def test_a_dispute_without_evidence_stores_an_empty_list(setting):
    assert setting.open()["evidence"] == []


def test_a_dispute_within_a_procurement_names_it(setting):
    dispute = setting.open("t1", procurement_id=setting.procurement_id)
    assert dispute["procurement_id"] == setting.procurement_id
    assert dispute["criteria_set"] == "mini@1"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"indicator": "zz"}, "/indicator"),
        ({"indicator": "privacy"}, "/indicator"),  # a criterion, not an indicator
        ({"indicator": "p2", "criteria_set": "nope@1"}, "/criteria_set"),
        ({"indicator": "p2", "procurement_id": str(uuid.uuid4())}, "/procurement_id"),
        ({"indicator": "p2", "statement": ""}, "/statement"),
        ({"indicator": "p2", "statement": "   \n  "}, "/statement"),  # blank says nothing
        ({"indicator": "p2", "statement": "\u200b\u200b"}, "/statement"),  # nor invisible
        ({"indicator": "p2", "evidence": [{"title": "No locator", "kind": "documented"}]}, None),
        ({"indicator": "p2", "colour": "blue"}, "/colour"),
    ],
)
def test_an_invalid_dispute_is_422_and_stores_nothing(setting, body, pointer):
    response = setting.vendor_key.post(setting.disputes_url, json={"statement": STATEMENT, **body})
    problem = assert_problem(response, 422)
    if pointer is not None:
        assert pointer in [e["pointer"] for e in problem["errors"]]
    assert setting.count() == 0


def test_another_vendors_key_cannot_open_a_dispute_for_the_vendor(setting):
    response = setting.rival_key.post(
        setting.disputes_url, json={"indicator": "p2", "statement": STATEMENT}
    )
    assert_problem(response, 404)
    assert setting.count() == 0
    assert setting.count(setting.rival_id) == 0


def test_other_roles_but_admin_cannot_open_disputes(setting):
    for role in ("buyer", "assessor", "moderator", "auditor"):
        client = client_with_key(setting.app, make_key(setting.app, role))
        response = client.post(setting.disputes_url, json={"indicator": "p2", "statement": "x"})
        assert_problem(response, 403)
    assert setting.count() == 0


# --- flags ---------------------------------------------------------------------------------------


def test_open_disputes_are_flagged_on_scorecards_and_the_ranking(setting):
    for card in (setting.scorecard(), setting.scorecard(procurement=True)):  # now stored
        assert card["disputed_indicators"] == []
    standalone = setting.open("p2")
    scoped = setting.open("t1", procurement_id=setting.procurement_id)

    card = setting.scorecard()
    assert card["disputed_indicators"] == ["p2"]
    assert card["disputes"] == [
        {
            "id": standalone["id"],
            "indicator": "p2",
            "filed_at": standalone["filed_at"],
            "statement": STATEMENT,
        }
    ]
    # A standalone dispute bears on the procurement's scorecard too; the procurement's own
    # dispute only there.
    card = setting.scorecard(procurement=True)
    assert card["disputed_indicators"] == ["p2", "t1"]
    assert [d["id"] for d in card["disputes"]] == [standalone["id"], scoped["id"]]
    rows = setting.ranking_rows()
    assert rows[setting.vendor_id]["disputed_indicators"] == ["p2", "t1"]
    assert rows[setting.rival_id]["disputed_indicators"] == []

    # The vendor's own key sees the flags on its scorecard too.
    own = ok(setting.vendor_key.get(f"/v1/vendors/{setting.vendor_id}/scorecard"))
    assert own["disputed_indicators"] == ["p2"]


def test_two_disputes_on_one_indicator_flag_it_once(setting):
    # A standalone dispute bears on the procurement's scorecard too, beside the procurement's.
    first = setting.open("p2")
    second = setting.open("p2", procurement_id=setting.procurement_id)
    card = setting.scorecard(procurement=True)
    assert card["disputed_indicators"] == ["p2"]
    assert [d["id"] for d in card["disputes"]] == [first["id"], second["id"]]


# --- resolution ----------------------------------------------------------------------------------


def test_a_moderator_rejects_a_dispute_with_reasons(setting):
    dispute = setting.open("p2", evidence=[EVIDENCE])
    for card in (setting.scorecard(), setting.scorecard(procurement=True)):  # now stored
        assert card["disputed_indicators"] == ["p2"]
    resolved = ok(setting.resolve(dispute["id"], outcome="rejected", reasons=REASONS))
    assert resolved["status"] == "rejected"
    assert resolved["statement"] == STATEMENT
    assert resolved["evidence"] == [EVIDENCE]
    assert resolved["resolution"] == REASONS
    assert resolved["resolved_by"] == "Morgan Moderator"
    assert resolved["resolved_at"] >= resolved["filed_at"]
    assert resolved["moderated_assessment_id"] is None
    assert {k: v for k, v in resolved.items() if k not in CHANGED} == {
        k: v for k, v in dispute.items() if k not in CHANGED
    }
    assert setting.dispute(dispute["id"]) == resolved
    # The vendor reads it all but who resolved it: evaluators stay anonymous to bidders.
    assert ok(setting.vendor_key.get(f"/v1/disputes/{dispute['id']}")) == {
        **resolved,
        "resolved_by": "a moderator",
    }

    for card in (setting.scorecard(), setting.scorecard(procurement=True)):
        assert card["disputed_indicators"] == []
        assert card["disputes"] == []
    assert setting.ranking_rows()[setting.vendor_id]["disputed_indicators"] == []


def test_a_rejection_names_no_assessment_and_needs_reasons(setting):
    dispute = setting.open()
    moderated = created(submit(setting.moderator, setting.vendor_id, moderated=True))
    response = setting.resolve(
        dispute["id"], outcome="rejected", reasons=REASONS, assessment_id=moderated["id"]
    )
    assert "/assessment_id" in [e["pointer"] for e in assert_problem(response, 422)["errors"]]
    assert_problem(setting.resolve(dispute["id"], outcome="rejected"), 422)
    assert_problem(setting.resolve(dispute["id"], outcome="rejected", reasons=""), 422)
    assert_problem(setting.resolve(dispute["id"], outcome="rejected", reasons=" \n\t "), 422)
    assert_problem(setting.resolve(dispute["id"], outcome="withdrawn", reasons=REASONS), 422)
    assert setting.dispute(dispute["id"])["status"] == "open"


def test_upholding_needs_a_fitting_moderated_assessment_submitted_after_filing(setting):
    moderator, vendor_id = setting.moderator, setting.vendor_id
    too_early = created(submit(moderator, vendor_id, moderated=True))
    dispute = setting.open("p2")
    plain = created(submit(moderator, vendor_id))
    in_procurement = created(
        submit(moderator, vendor_id, moderated=True, procurement_id=setting.procurement_id)
    )
    of_rival = created(submit(moderator, setting.rival_id, moderated=True))
    unfitting = {
        "no assessment": None,
        "not moderated": plain["id"],
        "submitted before filing": too_early["id"],
        "another scope": in_procurement["id"],
        "another vendor": of_rival["id"],
        "no such assessment": str(uuid.uuid4()),
    }
    for why, assessment_id in unfitting.items():
        body = {"outcome": "upheld", "reasons": "Corrected."}
        if assessment_id is not None:
            body["assessment_id"] = assessment_id
        response = setting.resolve(dispute["id"], **body)
        problem = assert_problem(response, 422)
        assert "/assessment_id" in [e["pointer"] for e in problem["errors"]], why
        assert setting.dispute(dispute["id"])["status"] == "open", why
    assert setting.scorecard()["disputed_indicators"] == ["p2"]

    settling = created(submit(moderator, vendor_id, moderated=True, answers=answers(p2=4)))
    resolved = ok(
        setting.resolve(
            dispute["id"], outcome="upheld", reasons="Re-assessed.", assessment_id=settling["id"]
        )
    )
    assert resolved["status"] == "upheld"
    assert resolved["moderated_assessment_id"] == settling["id"]
    assert resolved["resolution"] == "Re-assessed."
    assert resolved["resolved_by"] == "Morgan Moderator"
    assert resolved["statement"] == STATEMENT

    card = setting.scorecard()
    assert card["disputed_indicators"] == []
    assert card["moderated"] is True
    assert [m["id"] for m in card["moderations"]] == [settling["id"]]
    # The assessors' assessments stay in use beside the moderation (the plain one included).
    assert card["assessors"] == ["Morgan Moderator", "alice"]


def test_a_procurement_dispute_is_upheld_by_a_moderated_assessment_in_that_procurement(setting):
    moderator, vendor_id = setting.moderator, setting.vendor_id
    dispute = setting.open("t1", procurement_id=setting.procurement_id)
    standalone = created(submit(moderator, vendor_id, moderated=True))
    response = setting.resolve(
        dispute["id"], outcome="upheld", reasons="x", assessment_id=standalone["id"]
    )
    assert_problem(response, 422)
    settling = created(
        submit(moderator, vendor_id, moderated=True, procurement_id=setting.procurement_id)
    )
    resolved = ok(
        setting.resolve(dispute["id"], outcome="upheld", reasons="x", assessment_id=settling["id"])
    )
    assert resolved["moderated_assessment_id"] == settling["id"]
    card = setting.scorecard(procurement=True)
    assert card["disputed_indicators"] == []
    assert [m["id"] for m in card["moderations"]] == [settling["id"]]
    assert setting.ranking_rows()[vendor_id]["disputed_indicators"] == []


def test_a_dispute_is_resolved_once(setting):
    dispute = setting.open()
    ok(setting.resolve(dispute["id"], outcome="rejected", reasons=REASONS))
    after_first = setting.dispute(dispute["id"])
    assert_problem(setting.resolve(dispute["id"], outcome="rejected", reasons="Again."), 409)
    settling = created(submit(setting.moderator, setting.vendor_id, moderated=True))
    response = setting.resolve(
        dispute["id"], outcome="upheld", reasons="Changed mind.", assessment_id=settling["id"]
    )
    assert_problem(response, 409)
    assert_problem(
        setting.resolve(dispute["id"], setting.admin, outcome="rejected", reasons="x"), 409
    )
    assert setting.dispute(dispute["id"]) == after_first


def test_only_moderators_resolve_disputes(setting):
    dispute = setting.open()
    clients = {
        "buyer": client_with_key(setting.app, make_key(setting.app, "buyer")),
        "assessor": client_with_key(setting.app, make_key(setting.app, "assessor")),
        "auditor": client_with_key(setting.app, make_key(setting.app, "auditor")),
        "vendor": setting.vendor_key,
    }
    for role, client in clients.items():
        response = setting.resolve(dispute["id"], client, outcome="rejected", reasons=REASONS)
        assert role in assert_problem(response, 403)["detail"]
    assert setting.dispute(dispute["id"])["status"] == "open"
    # An admin may, as for everything.
    resolved = ok(setting.resolve(dispute["id"], setting.admin, outcome="rejected", reasons="x"))
    assert resolved["resolved_by"] == "first admin"


def test_unknown_or_foreign_disputes_are_404(setting):
    dispute = setting.open()
    assert_problem(setting.resolve(str(uuid.uuid4()), outcome="rejected", reasons="x"), 404)
    organisation_id = make_organisation(setting.app, "Second Council")
    stranger = client_with_key(
        setting.app, make_key(setting.app, "moderator", organisation_id=organisation_id)
    )
    assert_problem(stranger.get(f"/v1/disputes/{dispute['id']}"), 404)
    assert_problem(setting.resolve(dispute["id"], stranger, outcome="rejected", reasons="x"), 404)
    assert setting.dispute(dispute["id"])["status"] == "open"


# --- webhooks ------------------------------------------------------------------------------------


def subscribe(app, organisation_id: str | None, events: list[str]) -> str:
    with app.extensions["database"].transaction() as session:
        if organisation_id is None:
            organisation_id = session.scalar(
                select(Organisation.id).order_by(Organisation.created_at)
            )
        webhook = Webhook(
            organisation_id=organisation_id,
            url="https://buyer.example/hooks",
            events=events,
            secret=f"whsec_{base64.b64encode(bytes(32)).decode()}",
        )
        session.add(webhook)
        session.flush()
        return webhook.id


def deliveries(app) -> list[WebhookDelivery]:
    with app.extensions["database"].transaction() as session:
        return list(
            session.scalars(
                select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.event)
            )
        )


def test_opening_and_resolving_write_webhook_messages(setting):
    app = setting.app
    webhook_id = subscribe(app, None, ["dispute.opened", "dispute.resolved"])
    subscribe(app, None, ["procurement.closed"])  # wants neither event
    subscribe(app, make_organisation(app, "Second Council"), ["dispute.opened"])

    dispute = setting.open("p2")
    failed = setting.vendor_key.post(
        setting.disputes_url, json={"indicator": "zz", "statement": "x"}
    )
    assert_problem(failed, 422)
    ok(setting.resolve(dispute["id"], outcome="rejected", reasons=REASONS))
    assert_problem(setting.resolve(dispute["id"], outcome="rejected", reasons=REASONS), 409)

    found = deliveries(app)
    assert [(d.event, d.webhook_id) for d in found] == [
        ("dispute.opened", webhook_id),
        ("dispute.resolved", webhook_id),
    ]
    opened, resolved = found
    assert opened.status == resolved.status == "pending"
    assert opened.message_id != resolved.message_id
    assert opened.payload["type"] == "dispute.opened"
    assert opened.payload["data"] == {
        "dispute_id": dispute["id"],
        "vendor_id": setting.vendor_id,
        "criteria_set": "mini@1",
        "procurement_id": None,
        "indicator": "p2",
        "status": "open",
    }
    assert resolved.payload["type"] == "dispute.resolved"
    assert resolved.payload["data"] == {**opened.payload["data"], "status": "rejected"}


def test_upholding_writes_a_resolved_message(setting):
    webhook_id = subscribe(setting.app, None, ["dispute.resolved"])
    dispute = setting.open("o1", procurement_id=setting.procurement_id)
    settling = created(
        submit(
            setting.moderator,
            setting.vendor_id,
            moderated=True,
            procurement_id=setting.procurement_id,
        )
    )
    ok(setting.resolve(dispute["id"], outcome="upheld", reasons="x", assessment_id=settling["id"]))
    found = [d for d in deliveries(setting.app) if d.webhook_id == webhook_id]
    assert [d.event for d in found] == ["dispute.resolved"]
    assert found[0].payload["data"]["status"] == "upheld"
    assert found[0].payload["data"]["procurement_id"] == setting.procurement_id


# --- the moderators' queue -----------------------------------------------------------------------


def test_one_open_dispute_per_indicator_and_scope(setting):
    first = setting.open("p2")
    again = setting.vendor_key.post(
        setting.disputes_url, json={"indicator": "p2", "statement": STATEMENT}
    )
    problem = assert_problem(again, 409)
    assert first["id"] in problem["detail"] and "still open" in problem["detail"]
    # Another indicator, or the same one within the procurement, is another question.
    setting.open("p3")
    setting.open("p2", procurement_id=setting.procurement_id)
    assert setting.count() == 3
    # Once resolved, the vendor may dispute the indicator again.
    ok(setting.resolve(first["id"], outcome="rejected", reasons=REASONS))
    setting.open("p2")
    assert setting.count() == 4


def test_the_organisations_disputes_filter_by_state_and_vendor(app, setting):
    rejected = setting.open("p2")
    waiting = setting.open("p3")
    rivals = created(
        setting.rival_key.post(
            f"/v1/vendors/{setting.rival_id}/disputes", json={"indicator": "p2", "statement": "No."}
        )
    )
    ok(setting.resolve(rejected["id"], outcome="rejected", reasons=REASONS))

    def ids(url: str, client=None) -> list[str]:
        return [d["id"] for d in ok((client or setting.moderator).get(url))]

    assert ids("/v1/disputes") == [rivals["id"], waiting["id"], rejected["id"]]  # newest first
    assert ids("/v1/disputes?status=open") == [rivals["id"], waiting["id"]]
    assert ids("/v1/disputes?status=rejected") == [rejected["id"]]
    assert ids(f"/v1/disputes?status=open&vendor_id={setting.vendor_id}") == [waiting["id"]]
    assert ids(f"{setting.disputes_url}?status=open") == [waiting["id"]]
    assert_problem(setting.moderator.get("/v1/disputes?status=pending"), 422)
    # Vendor keys read their own vendor's disputes, not the organisation's.
    assert_problem(setting.vendor_key.get("/v1/disputes"), 403)
    # Another organisation sees none of them.
    stranger = client_with_key(
        app, make_key(app, "moderator", organisation_id=make_organisation(app, "Elsewhere"))
    )
    assert ids("/v1/disputes", stranger) == []


def test_a_dispute_within_a_procurement_that_reuses_standalone_assessments_says_where_to_go(
    setting,
):
    body = {
        "ocid": "ocds-abc123-2",
        "title": "Reuse",
        "buyer": {"name": "Council"},
        "reuse_standalone": True,
    }
    reusing = created(setting.admin.post("/v1/procurements", json=body))["id"]
    created(
        setting.admin.post(
            f"/v1/procurements/{reusing}/bidders", json={"vendor_id": setting.vendor_id}
        )
    )
    move(setting.admin, reusing, "evaluating")
    response = setting.vendor_key.post(
        setting.disputes_url,
        json={"indicator": "p2", "statement": STATEMENT, "procurement_id": reusing},
    )
    detail = assert_problem(response, 409)["detail"]
    assert "no assessment against mini@1 in this procurement" in detail
    assert "dispute those, without procurement_id" in detail
    assert setting.count() == 0
    setting.open("p2")  # standalone, as the message says
