"""Procurements: a tender's criteria set and weights, its lifecycle and its bidders.

A procurement moves forward one step at a time, draft -> evaluating -> closed. Weights are
fixed once evaluation starts; at closing, the ranking is stored as it was served and never
changes afterwards.
"""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..criteria import CriteriaSet
from ..enums import Action, ObjectType, ProcurementStatus, WebhookEvent
from ..exact import as_json
from ..models import Bidder, Procurement, Vendor
from . import changes, lookup
from .changes import Message
from .context import Context
from .errors import Conflict, FieldError, Invalid
from .pages import Page, Paged, page_of
from .rankings import live_ranking, served
from .readiness import check_can_close
from .revisions import Expected, check, update_if_expected

STATUSES = tuple(ProcurementStatus)

# Weights are relative (30:20 is 3:2), so a ratio of a million between two covers any profile;
# beyond it lie values such as 1e308 that only make every other weight vanish.
MIN_WEIGHT, MAX_WEIGHT = Decimal("0.001"), 1000


def weight_errors(criteria_set: CriteriaSet, weights: dict) -> list[FieldError]:
    """One error per criterion: a weight for every criterion of the set, each from MIN_WEIGHT
    to MAX_WEIGHT, no others."""
    errors = []
    keys = [c.key for c in criteria_set.criteria]

    def error(key: str, message: str) -> None:
        errors.append(FieldError(f"/weights/{key}", (message,)))

    for key, value in weights.items():
        if key not in keys:
            error(key, f"{criteria_set.ref} has no criterion {key!r}.")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            error(key, "Must be a number.")
        elif not MIN_WEIGHT <= value <= MAX_WEIGHT:
            error(key, f"Must be from {MIN_WEIGHT} to {MAX_WEIGHT}: weights are relative.")
    for key in keys:
        if key not in weights:
            error(key, "Missing: give a weight for every criterion of the set.")
    return errors


def _check_weights(criteria_set: CriteriaSet, weights: dict | None) -> None:
    if weights is None:
        return
    errors = weight_errors(criteria_set, weights)
    if errors:
        raise Invalid(f"The weights do not fit {criteria_set.ref}.", errors)


def profile_errors(criteria_set: CriteriaSet, profile: dict) -> list[FieldError]:
    """One error per question: every question of the set's profile answered, no others; and
    at least one indicator left to ask."""
    questions = [q.key for q in criteria_set.profile]
    if not questions:
        return [
            FieldError(
                "/profile", (f"{criteria_set.ref} has no profile questions: leave profile out.",)
            )
        ]
    errors = [
        FieldError(f"/profile/{key}", (f"{criteria_set.ref} has no profile question {key!r}.",))
        if key not in questions
        else FieldError(f"/profile/{key}", ("Must be true or false.",))
        for key, answer in profile.items()
        if key not in questions or not isinstance(answer, bool)
    ]
    errors += [
        FieldError(f"/profile/{key}", ("Missing: answer every profile question, true or false.",))
        for key in questions
        if key not in profile
    ]
    if not errors and not criteria_set.applicability(profile).indicators:
        errors.append(
            FieldError("/profile", ("No indicator applies to a system with this profile.",))
        )
    return errors


def _check_profile(criteria_set: CriteriaSet, profile: dict | None) -> None:
    if profile is None:
        return
    errors = profile_errors(criteria_set, profile)
    if errors:
        raise Invalid(f"The profile does not fit {criteria_set.ref}.", errors)


def create_procurement(context: Context, data: dict) -> Procurement:
    """Open a procurement in draft. `data`: ocid (unique in the organisation), title, buyer
    ({name, identifier}), and optional criteria_set, weights (as sent), profile (answers to
    the set's profile questions), reuse_standalone, min_evaluators, award_share and
    award_notice_date."""
    criteria_set = lookup.criteria_set(context, data.get("criteria_set"))
    _check_weights(criteria_set, data.get("weights"))
    _check_profile(criteria_set, data.get("profile"))
    buyer = data["buyer"]
    identifier = buyer.get("identifier") or {}
    procurement = Procurement(
        organisation_id=context.caller.organisation_id,
        ocid=data["ocid"],
        title=data["title"],
        buyer_name=buyer["name"],
        buyer_identifier_scheme=identifier.get("scheme"),
        buyer_identifier_id=identifier.get("id"),
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        weights=data.get("weights"),
        profile=data.get("profile"),
        reuse_standalone=data.get("reuse_standalone", False),
        min_evaluators=data.get("min_evaluators", 2),
        award_share=None if "award_share" not in data else as_json(data["award_share"]),
        award_notice_date=data.get("award_notice_date"),
        status=ProcurementStatus.DRAFT,
    )
    session = context.session
    try:
        with session.begin_nested():
            session.add(procurement)
    except IntegrityError:
        raise Conflict(f"A procurement with ocid {data['ocid']} exists.") from None
    changes.record(
        context, Action.PROCUREMENT_CREATED, ObjectType.PROCUREMENT, procurement.id, data
    )
    return procurement


def find_by_ocid(context: Context, ocid: str) -> Procurement | None:
    return context.session.scalar(
        select(Procurement).where(
            Procurement.organisation_id == context.caller.organisation_id,
            Procurement.ocid == ocid,
        )
    )


def get_procurement(context: Context, procurement_id) -> Procurement:
    return lookup.get(context, Procurement, procurement_id)


def list_procurements(context: Context, page: Page, status: str | None = None) -> Paged:
    """The organisation's procurements, newest first, optionally in one status."""
    statement = (
        select(Procurement)
        .where(Procurement.organisation_id == context.caller.organisation_id)
        .order_by(Procurement.created_at.desc(), Procurement.id)
    )
    if status is not None:
        statement = statement.where(Procurement.status == status)
    return page_of(context.session, statement, page)


# What is settled before any score is seen, and frozen when evaluation starts.
FIXED_AT_EVALUATION = (
    "weights",
    "profile",
    "min_evaluators",
    "reuse_standalone",
    "award_share",
)
# Facts about the award's publication, not the evaluation: recorded whenever they are known.
CHANGEABLE_WHEN_CLOSED = ("award_notice_date", "buyer")


def _check_changeable(procurement: Procurement, data: dict) -> None:
    if procurement.status == ProcurementStatus.CLOSED and set(data) - set(CHANGEABLE_WHEN_CLOSED):
        raise Conflict(
            "The procurement is closed: it no longer changes, but for what its notices need "
            "(award_notice_date, buyer)."
        )
    fixed = [name for name in FIXED_AT_EVALUATION if name in data]
    if fixed and procurement.status != ProcurementStatus.DRAFT:
        raise Conflict(
            f"{', '.join(fixed).capitalize()}: fixed once evaluation starts (they must be set "
            f"before any score is seen); the procurement is {procurement.status}."
        )
    if "tie_break" in data and procurement.status != ProcurementStatus.EVALUATING:
        raise Conflict(
            "A tie-break is recorded while the procurement is evaluating, once its ranking shows "
            f"a tie for first; the procurement is {procurement.status}."
        )
    if "status" in data and STATUSES.index(data["status"]) != (
        STATUSES.index(procurement.status) + 1
    ):
        raise Conflict(
            f"The procurement is {procurement.status}: it can only move forward one step "
            f"({' -> '.join(STATUSES)})."
        )


def update_procurement(
    context: Context, procurement_id, data: dict, expected: Expected | None
) -> Procurement:
    """Change the title, what is fixed at evaluation (in draft), record a tie-break (while
    evaluating), or move the status forward one step, on the version last read. Entering
    evaluation fixes the weights; closing, once nothing blocks it, stores the ranking."""
    # Locked, so that no assessment or bidder slips in while the ranking is frozen.
    procurement = lookup.get(context, Procurement, procurement_id, lock=True)
    check(procurement, expected)  # a stale version is refused whatever else the change meets
    _check_changeable(procurement, data)
    criteria_set = lookup.set_of(context, procurement)
    if "weights" in data:
        _check_weights(criteria_set, data["weights"])
    if "profile" in data:
        _check_profile(criteria_set, data["profile"])
    values = dict(data)
    if "award_share" in data:
        values["award_share"] = as_json(data["award_share"])
    if "buyer" in data:
        buyer = values.pop("buyer")
        identifier = buyer.get("identifier") or {}
        values.update(
            buyer_name=buyer["name"],
            buyer_identifier_scheme=identifier.get("scheme"),
            buyer_identifier_id=identifier.get("id"),
        )
    if "tie_break" in data:
        values["tie_break"] = _tie_break(context, procurement, data["tie_break"])
    messages = []
    if data.get("status") == ProcurementStatus.EVALUATING:
        if criteria_set.profile and data.get("profile", procurement.profile) is None:
            raise Conflict(
                f"Answer the profile first: {criteria_set.ref} asks what the system does "
                "(profile), which decides the questions and the minimum levels; it is fixed "
                "when evaluation starts."
            )
        values["weights_fixed_at"] = context.now()
    if data.get("status") == ProcurementStatus.CLOSED:
        check_can_close(context, procurement)
        closed_at = context.now()
        final = served(live_ranking(context, procurement, closed_at, final=True))
        values.update(closed_at=closed_at, final_ranking=final)
        winners = final["sensitivity"]["winner_vendor_ids"]
        messages.append(
            Message(
                WebhookEvent.PROCUREMENT_CLOSED,
                {"procurement_id": procurement.id, "ocid": procurement.ocid, "winners": winners},
            )
        )
    update_if_expected(
        context, procurement, values, expected, Procurement.status == procurement.status
    )
    change = {**data, "revision": procurement.revision}
    if "final_ranking" in values:
        change["final_ranking_sha256"] = audit.sha256(audit.canonical(values["final_ranking"]))
    changes.record(
        context,
        Action.PROCUREMENT_UPDATED,
        ObjectType.PROCUREMENT,
        procurement.id,
        change,
        messages,
    )
    return procurement


def _tie_break(context: Context, procurement: Procurement, data: dict) -> dict:
    """The tie-break as recorded: the bidder the tender's tie-break method chose among those
    tied for first, the reason, when and by whom."""
    award = live_ranking(context, procurement, context.now())["award"]
    tied = award["first_vendor_ids"]
    if not award["tie_for_first"]:
        ranking = "overall ranking" if award["basis"] == "overall" else "ranking"
        raise Conflict(f"The {ranking} shows no tie for first: there is nothing to break.")
    vendor_id = str(data["vendor_id"])
    if vendor_id not in tied:
        raise Invalid.at(
            "The tie-break names a bidder that is not tied for first.",
            "/tie_break/vendor_id",
            f"Must be one of the bidders tied for first: {', '.join(tied)}.",
        )
    return {
        "vendor_id": vendor_id,
        "reason": data["reason"],
        "recorded_at": context.now().isoformat(),
        "recorded_by": context.caller.name,
    }


def add_bidder(context: Context, procurement_id, vendor_id) -> Bidder:
    """Add a vendor as a bidder, in draft or evaluating."""
    procurement = lookup.get(context, Procurement, procurement_id, lock=True)
    if procurement.status == ProcurementStatus.CLOSED:
        raise Conflict("The procurement is closed: no bidder can be added.")
    vendor = lookup.named_row(context, Vendor, vendor_id, "vendor_id")
    bidder = Bidder(procurement_id=procurement.id, vendor_id=vendor.id, added_at=context.now())
    session = context.session
    try:
        with session.begin_nested():
            session.add(bidder)
    except IntegrityError:
        raise Conflict("The vendor is already a bidder in this procurement.") from None
    changes.record(
        context,
        Action.BIDDER_ADDED,
        ObjectType.PROCUREMENT,
        procurement.id,
        {"vendor_id": vendor.id},
    )
    return bidder


def list_bidders(context: Context, procurement_id, page: Page) -> Paged:
    """The procurement's bidders, in the order they were added."""
    procurement = lookup.get(context, Procurement, procurement_id)
    statement = (
        select(Bidder)
        .where(Bidder.procurement_id == procurement.id)
        .order_by(Bidder.added_at, Bidder.vendor_id)
    )
    return page_of(context.session, statement, page)
