"""Moderation per indicator: a moderator records, for the indicators the evaluators disagree
on, the level agreed at the moderation meeting and why (scoring contract, section 7).

The moderator is someone who has not assessed the vendor in that scope: a moderation settles
others' disagreement, it does not add a mark of one's own. In a procurement, the moderator has
declared their interests first, and the procurement is evaluating.
"""

from collections import Counter

from sqlalchemy import select

from ..enums import Action, ObjectType, ProcurementStatus
from ..fingerprints import record_use
from ..messages import pointer
from ..models import Assessment, Bidder, Moderation, Procurement, Vendor
from . import blind, changes, lookup, scorecard_store
from .context import Context
from .declarations import require_cleared
from .errors import Conflict, FieldError, Forbidden, Invalid
from .pages import Page, Paged, page_of
from .people import acting_person
from .scope import Scope


def settlement_errors(criteria_set, settlements: list[dict], applicability) -> list[FieldError]:
    """One error per settlement that does not fit the set: unknown indicators, indicators the
    procurement's profile leaves out, an indicator settled twice, N/A where the indicator
    allows none."""
    indicators = {i.key: i for i in criteria_set.indicators}
    counts = Counter(s["indicator"] for s in settlements)
    errors = []
    for index, settlement in enumerate(settlements):
        key = settlement["indicator"]
        where = pointer(("settlements", index, "indicator"))
        if key not in indicators:
            errors.append(FieldError(where, (f"Unknown indicator {key!r} in {criteria_set.ref}.",)))
        elif not applicability.applies(key):
            errors.append(
                FieldError(
                    where,
                    (
                        f"Indicator {key!r} does not apply to the system this procurement buys "
                        "(its profile leaves it out).",
                    ),
                )
            )
        elif counts[key] > 1:
            errors.append(
                FieldError(where, (f"Indicator {key!r} is settled {counts[key]} times.",))
            )
        elif settlement.get("not_applicable") and not indicators[key].allow_not_applicable:
            errors.append(
                FieldError(
                    pointer(("settlements", index, "not_applicable")),
                    (f"Indicator {key!r} does not allow N/A.",),
                )
            )
    return errors


def record_moderation(context: Context, vendor_id, data: dict) -> Moderation:
    """Settle indicators of a vendor's scorecard. `data`: settlements ([{indicator, level or
    not_applicable, reason, evidence}], stored as sent), and optional criteria_set,
    procurement_id and (from an admin) moderator."""
    vendor = lookup.get(context, Vendor, vendor_id)
    moderator = acting_person(context, data.get("moderator"), "moderator")
    procurement = None
    if data.get("procurement_id") is not None:
        # Locked: no moderation slips in while the procurement closes.
        procurement = lookup.named_row(
            context, Procurement, data["procurement_id"], "procurement_id", lock=True
        )
        if procurement.status != ProcurementStatus.EVALUATING:
            raise Conflict(
                f"The procurement is {procurement.status}: moderations are recorded only while "
                "it is evaluating."
            )
        if context.session.get(Bidder, (procurement.id, vendor.id)) is None:
            raise Conflict("The vendor is not a bidder in this procurement.")
        criteria_set = lookup.procurement_set(context, procurement, data.get("criteria_set"))
        scope = Scope.of_procurement(vendor.id, procurement, criteria_set)
    else:
        criteria_set = lookup.criteria_set(context, data.get("criteria_set"))
        scope = Scope(vendor.id, criteria_set)
    errors = settlement_errors(criteria_set, data["settlements"], scope.applicability)
    if errors:
        raise Invalid(f"The settlements do not fit {criteria_set.ref}.", errors)
    # Whose marks there are to moderate (a moderated assessment is a moderation, not a mark).
    assessors = set(
        context.session.scalars(
            select(Assessment.person_id).where(*scope.rows(Assessment), ~Assessment.moderated)
        )
    )
    if not assessors:
        hint = ""
        if procurement is not None and procurement.reuse_standalone:
            hint = " Its bidders may be ranked on standalone work: moderate that, standalone."
        raise Conflict(f"There is no assessment of the vendor in this scope to moderate.{hint}")
    if moderator.id in assessors:
        raise Forbidden(
            f"{moderator.name} assessed this vendor in this scope: a moderator settles others' "
            "marks, never their own."
        )
    if procurement is not None:
        require_cleared(context, procurement, moderator)
    record = Moderation(
        organisation_id=vendor.organisation_id,
        vendor_id=vendor.id,
        criteria_key=criteria_set.key,
        criteria_version=criteria_set.version,
        criteria_sha256=criteria_set.sha256,
        procurement_id=scope.procurement_id,
        person_id=moderator.id,
        moderator=moderator.name,
        settlements=data["settlements"],
        submitted_at=context.now(),
    )
    context.session.add(record)
    scorecard_store.records_changed(vendor)
    record_use(context.session, criteria_set)
    context.session.flush()
    changes.record(
        context,
        Action.MODERATION_RECORDED,
        ObjectType.MODERATION,
        record.id,
        {
            **data,
            "vendor_id": vendor.id,
            "moderator": moderator.name,
            "person_id": moderator.id,
            "criteria_set": criteria_set.ref,
        },
    )
    return record


def list_moderations(context: Context, vendor_id, page: Page) -> Paged:
    """The vendor's moderations, newest first."""
    vendor = lookup.get(context, Vendor, vendor_id)
    statement = (
        select(Moderation)
        .where(Moderation.vendor_id == vendor.id, blind.readable(context, vendor.id, Moderation))
        .order_by(Moderation.submitted_at.desc(), Moderation.id)
    )
    return page_of(context.session, statement, page)


def get_moderation(context: Context, moderation_id) -> Moderation:
    """One moderation; a blind assessor reads it only where they have assessed."""
    record = lookup.get(context, Moderation, moderation_id)
    scope = Scope(
        record.vendor_id, context.criteria.sets[record.criteria_set], record.procurement_id
    )
    blind.require_own_first(context, scope, "its moderations")
    return record
