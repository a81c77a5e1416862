"""Scorecards: a vendor's combined, explained score in a scope, and how it moved."""

import dataclasses
import datetime as dt
from collections import defaultdict
from fractions import Fraction

from sqlalchemy import ColumnElement, or_, select

from .. import scoring
from ..answers import to_scoring
from ..criteria import CriteriaSet
from ..enums import DisputeStatus, ProcurementStatus, Role
from ..exact import exact
from ..models import Assessment, Bidder, Dispute, Procurement, Vendor
from . import blind, lookup
from .anonymity import anonymous_scorecard, pseudonyms
from .context import Context
from .errors import Conflict, NotFound
from .gates import with_gates
from .scope import InScope, Scope, Work, applicability_of, assessments_in


def weights_of(procurement: Procurement | None, criteria_set: CriteriaSet) -> dict[str, Fraction]:
    """The criterion weights in force: a procurement's own, or the set's, in the set's order
    (a stored document's key order is the database's, not the author's)."""
    if procurement is None or procurement.weights is None:
        return scoring.set_weights(criteria_set)
    return {c.key: exact(procurement.weights[c.key]) for c in criteria_set.criteria}


def scored(
    found: InScope, as_of: dt.datetime, weights: dict[str, Fraction] | None = None
) -> tuple[scoring.Scorecard | None, bool]:
    """The scope's scorecard on `as_of` (None when nothing is current), and whether it rests on
    reused standalone assessments: a procurement's own assessments count first."""
    for work, reused in found.candidates():
        try:
            card = scoring.score(
                found.scope.criteria_set,
                work.assessments,
                as_of,
                weights,
                work.moderations,
                found.scope.applicability,
            )
        except scoring.NoCurrentAssessment:
            continue
        return card, reused
    return None, False


def current(context: Context, scope: Scope, procurement: Procurement | None = None):
    """The scope's scorecard now, on the procurement's weights; None when nothing is current."""
    [found] = assessments_in(context.session, [scope])
    weights = weights_of(procurement, scope.criteria_set)
    return scored(found, context.now(), weights)[0]


def require_weights_fixed(procurement: Procurement) -> None:
    """Conflict while the procurement is in draft: nothing is scored in it before its weights
    are fixed, or they could be tuned to scores already seen."""
    if procurement.status == ProcurementStatus.DRAFT:
        raise Conflict(
            "The procurement is in draft: nothing is scored in it until its weights are fixed, "
            "when it moves to evaluating (weights set after seeing scores could be tuned to "
            "them)."
        )


def open_disputes(
    context: Context, vendor_ids: list[str], criteria_set: CriteriaSet, procurement_id
) -> dict[str, list[Dispute]]:
    """By vendor: the open disputes bearing on its scorecard in this scope (one query).

    A standalone dispute bears on a procurement's scorecard too: the vendor disputes how an
    indicator was judged, wherever the judgement is used.
    """
    made_in: ColumnElement[bool] = Dispute.procurement_id.is_(None)
    if procurement_id is not None:
        made_in = or_(made_in, Dispute.procurement_id == procurement_id)
    found = context.session.scalars(
        select(Dispute)
        .where(
            Dispute.vendor_id.in_(vendor_ids),
            Dispute.criteria_key == criteria_set.key,
            Dispute.criteria_version == criteria_set.version,
            Dispute.status == DisputeStatus.OPEN,
            made_in,
        )
        .order_by(Dispute.filed_at)
    )
    by_vendor: dict[str, list[Dispute]] = defaultdict(list)
    for dispute in found:
        by_vendor[dispute.vendor_id].append(dispute)
    return by_vendor


def presented(
    vendor: Vendor, criteria_set: CriteriaSet, scorecard: scoring.Scorecard, disputes=()
) -> dict:
    """The scorecard with the vendor, the set it names and the vendor's open disputes, ready
    for any renderer."""
    return {
        "disputes": list(disputes),
        "disputed_indicators": sorted({d.indicator for d in disputes}),
        "vendor": vendor,
        "criteria_set": set_reference(criteria_set),
        **{
            f.name: getattr(scorecard, f.name)
            for f in dataclasses.fields(scorecard)
            if f.name != "plan"
        },
        "improvement_plan": scorecard.improvement_plan,
    }


def set_reference(criteria_set: CriteriaSet) -> dict:
    return {"ref": criteria_set.ref, "sha256": criteria_set.sha256, "title": criteria_set.title}


def _procurement_scope(
    context: Context, vendor: Vendor, criteria_ref: str | None, procurement_id, what: str
) -> tuple[Scope, Procurement | None]:
    """The scope a query names: standalone on a set (the default set when none), or a
    procurement on its own set; a blind assessor must have assessed the vendor there first."""
    if procurement_id is None:
        criteria_set = lookup.criteria_set(context, criteria_ref, location="query")
        scope, procurement = Scope(vendor.id, criteria_set), None
    else:
        procurement = lookup.named_row(
            context, Procurement, procurement_id, "procurement_id", location="query"
        )
        require_weights_fixed(procurement)
        if context.caller.role == Role.VENDOR and procurement.status != ProcurementStatus.CLOSED:
            raise Conflict(
                f"The procurement is {procurement.status}: its results reach the bidders when "
                "it closes."
            )
        criteria_set = lookup.procurement_set(context, procurement, criteria_ref, location="query")
        scope = Scope.of_procurement(vendor.id, procurement, criteria_set)
    blind.require_own_first(context, scope, what)
    return scope, procurement


def vendor_scorecard(
    context: Context,
    vendor_id,
    criteria_ref: str | None = None,
    procurement_id=None,
    as_of: dt.datetime | None = None,
) -> dict:
    """The vendor's scorecard on `as_of` (now by default), standalone or in a procurement,
    presented with its open disputes."""
    vendor = lookup.get(context, Vendor, vendor_id)
    as_of = as_of or context.now()
    scope, procurement = _procurement_scope(
        context, vendor, criteria_ref, procurement_id, "the combined scorecard"
    )
    bidder = None
    if procurement is not None:
        bidder = context.session.get(Bidder, (procurement.id, vendor.id))
        if bidder is None:
            raise NotFound("No scorecard: the vendor is not a bidder in this procurement.")
    [found] = assessments_in(context.session, [scope])
    scorecard: scoring.Scorecard | None
    if procurement is None:
        try:
            scorecard = scoring.score(
                scope.criteria_set, found.own.assessments, as_of, None, found.own.moderations
            )
        except scoring.NoCurrentAssessment as exc:
            raise NotFound(f"No scorecard: {exc}") from None
    else:
        scorecard, _ = scored(found, as_of, weights_of(procurement, scope.criteria_set))
        if scorecard is None:
            raise NotFound(
                "No scorecard: the bidder has no current assessment in this procurement."
            )
        assert bidder is not None
        scorecard = with_gates(
            scorecard, scope.criteria_set, scope.applicability, bidder.gates or {}
        )
    disputes = open_disputes(context, [vendor.id], scope.criteria_set, scope.procurement_id)
    if context.caller.role == Role.VENDOR:
        scorecard = anonymous_scorecard(scorecard)
    return presented(vendor, scope.criteria_set, scorecard, disputes[vendor.id])


def vendor_history(
    context: Context, vendor_id, criteria_ref: str | None = None, procurement_id=None
) -> dict:
    """How the vendor's total, grade and eligibility moved, assessment by assessment."""
    vendor = lookup.get(context, Vendor, vendor_id)
    scope, procurement = _procurement_scope(
        context, vendor, criteria_ref, procurement_id, "the history"
    )
    [found] = assessments_in(context.session, [scope])
    work = found.all()
    weights = weights_of(procurement, scope.criteria_set) if procurement else None
    return {
        "vendor": vendor,
        "criteria_set": set_reference(scope.criteria_set),
        "procurement_id": scope.procurement_id,
        "history": history(
            scope.criteria_set,
            work,
            weights,
            _history_names(work) if context.caller.role == Role.VENDOR else None,
            scope.applicability,
        ),
    }


def _history_names(work: Work):
    """Pseudonyms for everyone in a history, in the order they first submitted."""
    assessors = [a for a in sorted(work.assessments, key=lambda a: a.submitted_at)]
    return pseudonyms(
        [a.assessor for a in assessors if not a.moderated],
        [
            *(a.assessor for a in assessors if a.moderated),
            *(m.moderator for m in sorted(work.moderations, key=lambda m: m.submitted_at)),
        ],
    )


def history(
    criteria_set: CriteriaSet, work: Work, weights=None, rename=None, applicability=None
) -> list[dict]:
    """After each assessment and moderation, in order of submission, the scorecard's total,
    grade and eligibility, kept where they moved, with the record that moved them (its author
    renamed by `rename`, for readers who may not see names)."""
    rename = rename or (lambda name: name)
    entries: list[dict] = []
    last = None
    records: list[scoring.Assessment | scoring.Moderation] = [
        *work.assessments,
        *work.moderations,
    ]
    records.sort(key=lambda r: (r.submitted_at, r.id))
    for record in records:
        try:
            card = scoring.score(
                criteria_set,
                work.assessments,
                record.submitted_at,
                weights,
                work.moderations,
                applicability,
            )
        except scoring.NoCurrentAssessment:
            continue
        state = (card.total, card.grade, card.eligible)
        if state == last:
            continue
        entries.append(
            {
                "as_of": record.submitted_at,
                "assessment_id": record.id,
                "reason": _why(record, rename),
                "total": card.total,
                "change": None if last is None else card.total - last[0],
                "grade": card.grade,
                "eligible": card.eligible,
                "knockouts": tuple(
                    dataclasses.replace(k, assessors=tuple(map(rename, k.assessors)))
                    for k in card.knockouts
                ),
            }
        )
        last = state
    return entries


def _why(record: scoring.Assessment | scoring.Moderation, rename) -> str:
    if isinstance(record, scoring.Moderation):
        count = len(record.settlements)
        settled = f"{count} indicator" + ("" if count == 1 else "s")
        return f"{rename(record.moderator)} settled {settled} by moderation"
    who = rename(record.assessor)
    if record.supersedes:
        return f"{who} corrected assessment {record.supersedes}"
    if record.moderated:
        return f"{who} submitted a moderated assessment, settling every indicator"
    return f"{who} submitted an assessment"


def own_score(context: Context, record: Assessment) -> scoring.Scorecard:
    """An assessment scored alone, as of its submission, by what applies where it was made."""
    criteria_set = context.criteria.sets[record.criteria_set]
    procurement = (
        context.session.get(Procurement, record.procurement_id) if record.procurement_id else None
    )
    applicability = applicability_of(procurement, criteria_set) if procurement is not None else None
    return scoring.score(
        criteria_set, [to_scoring(record)], record.submitted_at, applicability=applicability
    )
