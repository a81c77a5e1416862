"""Scorecards: a vendor's combined, explained score in a scope, and how it moved."""

import dataclasses
import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from fractions import Fraction

from sqlalchemy import ColumnElement, bindparam, or_, select

from .. import scoring
from ..answers import to_scoring
from ..criteria import CriteriaSet
from ..database import read_while_unchanged
from ..enums import DisputeStatus, ProcurementStatus, Role
from ..exact import exact
from ..models import Assessment, Bidder, Dispute, Procurement
from ..schemas.scorecards import ScorecardSchema
from . import blind, lookup, scorecard_store
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


def _open_disputes_statement(in_procurement: bool):
    made_in: ColumnElement[bool] = Dispute.procurement_id.is_(None)
    if in_procurement:
        made_in = or_(made_in, Dispute.procurement_id == bindparam("procurement_id"))
    return (
        select(Dispute)
        .where(
            Dispute.vendor_id.in_(bindparam("vendor_ids", expanding=True)),
            Dispute.criteria_key == bindparam("criteria_key"),
            Dispute.criteria_version == bindparam("criteria_version"),
            Dispute.status == DisputeStatus.OPEN,
            made_in,
        )
        .order_by(Dispute.filed_at)
    )


# Built once: every scorecard request asks, and building the statement cost more than running it.
_OPEN_DISPUTES = {False: _open_disputes_statement(False), True: _open_disputes_statement(True)}


def open_disputes(
    context: Context, vendor_ids: list[str], criteria_set: CriteriaSet, procurement_id
) -> dict[str, list[Dispute]]:
    """By vendor: the open disputes bearing on its scorecard in this scope (one query).

    A standalone dispute bears on a procurement's scorecard too: the vendor disputes how an
    indicator was judged, wherever the judgement is used.
    """
    parameters = {
        "vendor_ids": list(vendor_ids),
        "criteria_key": criteria_set.key,
        "criteria_version": criteria_set.version,
    }
    if procurement_id is not None:
        parameters["procurement_id"] = str(procurement_id)
    found = context.session.scalars(_OPEN_DISPUTES[procurement_id is not None], parameters)
    by_vendor: dict[str, list[Dispute]] = defaultdict(list)
    for dispute in found:
        by_vendor[dispute.vendor_id].append(dispute)
    return by_vendor


def presented(
    vendor: lookup.VendorRef, criteria_set: CriteriaSet, scorecard: scoring.Scorecard, disputes=()
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
    context: Context, vendor_id: str, criteria_ref: str | None, procurement_id, what: str
) -> tuple[Scope, Procurement | None]:
    """The scope a query names: standalone on a set (the default set when none), or a
    procurement on its own set; a blind assessor must have assessed the vendor there first."""
    if procurement_id is None:
        criteria_set = lookup.criteria_set(context, criteria_ref, location="query")
        scope, procurement = Scope(vendor_id, criteria_set), None
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
        scope = Scope.of_procurement(vendor_id, procurement, criteria_set)
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
    asked = _asked(context, vendor_id, criteria_ref, procurement_id, as_of)
    return _computed(context, asked, assessments_in(context.session, [asked.scope])[0])


# How a served scorecard is written out, made once (a schema is not cheap to make).
_WRITTEN = ScorecardSchema()


def served_scorecard(
    context: Context,
    vendor_id,
    criteria_ref: str | None = None,
    procurement_id=None,
    as_of: dt.datetime | None = None,
) -> bytes:
    """`vendor_scorecard` as the JSON document a client receives: read from the scorecard
    store when its inputs have not changed since it was computed, else computed once and
    stored. Equal, by construction, to the document of `vendor_scorecard` on `as_of`."""
    as_of = as_of or context.now()

    def asked_now() -> _Asked:
        return _asked(context, vendor_id, criteria_ref, procurement_id, as_of)

    # Who asks, for what and with which offset decide the inputs, together with what is
    # stored: on SQLite they are worked out once while nothing is committed. The caller is
    # part of the question: what one may read, another (a blind assessor) may not.
    question = (context.caller, str(vendor_id), criteria_ref, procurement_id, as_of.utcoffset())
    key = read_while_unchanged(
        context.connection(),
        ("scorecard inputs", *question),
        lambda: scorecard_store.inputs_sha256(_inputs(context, asked_now())),
    )
    stored = scorecard_store.read(context.connection(), key, as_of)
    if stored is not None:
        return stored
    asked = asked_now()
    [found] = assessments_in(context.session, [asked.scope])
    document = _WRITTEN.dump(_computed(context, asked, found))
    parts = scorecard_store.split_document(document, asked.as_of)
    if scorecard_store.still_at(context.session, asked.vendor.id, asked.vendor.records_revision):
        span = scorecard_store.stretch(found, asked.scope.criteria_set, asked.as_of)
        scorecard_store.save(context.session, key, asked.vendor.id, span, parts, context.now())
    return scorecard_store.joined(*parts, asked.as_of)


@dataclasses.dataclass(frozen=True)
class _Asked:
    """A scorecard request, checked: who may read what, in which scope, on which instant."""

    vendor: lookup.VendorRef  # its records revision read with it, before its records
    scope: Scope
    procurement: Procurement | None
    bidder: Bidder | None
    as_of: dt.datetime


def _asked(context: Context, vendor_id, criteria_ref: str | None, procurement_id, as_of) -> _Asked:
    vendor = lookup.vendor_ref(context, vendor_id)
    as_of = as_of or context.now()
    scope, procurement = _procurement_scope(
        context, vendor.id, criteria_ref, procurement_id, "the combined scorecard"
    )
    bidder = None
    if procurement is not None:
        bidder = context.session.get(Bidder, (procurement.id, vendor.id))
        if bidder is None:
            raise NotFound("No scorecard: the vendor is not a bidder in this procurement.")
    return _Asked(vendor, scope, procurement, bidder, as_of)


def _inputs(context: Context, asked: _Asked) -> dict:
    """Everything the served document depends on but the instant (see scorecard_store): the
    records and open disputes by the vendor's revision of them."""
    scope, procurement = asked.scope, asked.procurement
    return {
        "vendor": [asked.vendor.id, asked.vendor.name],
        "criteria_set": [scope.criteria_set.ref, scope.criteria_set.sha256],
        "procurement": None
        if procurement is None
        else [procurement.id, procurement.weights, procurement.profile, scope.reuse_standalone],
        "gates": None if asked.bidder is None else asked.bidder.gates,
        "records": asked.vendor.records_revision,
        "anonymous": context.caller.role == Role.VENDOR,
        "utc_offset": str(asked.as_of.utcoffset()),
    }


def _computed(context: Context, asked: _Asked, found: InScope) -> dict:
    """The scorecard of a checked request, computed from the scope's records."""
    scope, as_of = asked.scope, asked.as_of
    scorecard: scoring.Scorecard | None
    if asked.procurement is None:
        try:
            scorecard = scoring.score(
                scope.criteria_set, found.own.assessments, as_of, None, found.own.moderations
            )
        except scoring.NoCurrentAssessment as exc:
            raise NotFound(f"No scorecard: {exc}") from None
    else:
        scorecard, _ = scored(found, as_of, weights_of(asked.procurement, scope.criteria_set))
        if scorecard is None:
            raise NotFound(
                "No scorecard: the bidder has no current assessment in this procurement."
            )
        assert asked.bidder is not None
        scorecard = with_gates(
            scorecard, scope.criteria_set, scope.applicability, asked.bidder.gates or {}
        )
    if context.caller.role == Role.VENDOR:
        scorecard = anonymous_scorecard(scorecard)
    disputes = open_disputes(context, [asked.vendor.id], scope.criteria_set, scope.procurement_id)
    return presented(asked.vendor, scope.criteria_set, scorecard, disputes[asked.vendor.id])


# A history is read a page of records at a time: each record examined is one scorecard computed.
HISTORY_PAGE = 100
HISTORY_CEILING = 500


def vendor_history(
    context: Context,
    vendor_id,
    criteria_ref: str | None = None,
    procurement_id=None,
    start: int = 0,
    limit: int | None = None,
) -> dict:
    """How the vendor's total, grade and eligibility moved, assessment by assessment: the
    records from `start` (counted from 0, in order of submission), `limit` of them (all when
    None), and `next_start`, where the next page starts (None after the last record)."""
    vendor = lookup.vendor_ref(context, vendor_id)
    scope, procurement = _procurement_scope(
        context, vendor.id, criteria_ref, procurement_id, "the history"
    )
    [found] = assessments_in(context.session, [scope])
    work = found.all()
    weights = weights_of(procurement, scope.criteria_set) if procurement else None
    entries, next_start = history_page(
        scope.criteria_set,
        work,
        weights,
        _history_names(work) if context.caller.role == Role.VENDOR else None,
        scope.applicability,
        start,
        limit,
    )
    return {
        "vendor": vendor,
        "criteria_set": set_reference(scope.criteria_set),
        "procurement_id": scope.procurement_id,
        "history": entries,
        "next_start": next_start,
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
    return history_page(criteria_set, work, weights, rename, applicability)[0]


def history_page(
    criteria_set: CriteriaSet,
    work: Work,
    weights=None,
    rename=None,
    applicability=None,
    start: int = 0,
    limit: int | None = None,
) -> tuple[list[dict], int | None]:
    """`history` over the records from `start`, `limit` of them (all when None), and where the
    next page starts (None after the last record). Each record examined costs one scorecard,
    over the records current at its submission only: linear in the page, whatever the
    length of the whole history."""
    rename = rename or (lambda name: name)
    timeline = _Timeline(criteria_set, work, weights, applicability)
    records = timeline.records
    end = len(records) if limit is None else min(len(records), start + limit)
    entries: list[dict] = []
    last = timeline.state_before(start)
    for record in records[start:end]:
        card = timeline.card_at(record.submitted_at)
        if card is None:
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
    return entries, (end if end < len(records) else None)


class _ByTime:
    """Records in order of submission, and the slice of them submitted in a span of time."""

    def __init__(self, records):
        self.records = sorted(records, key=lambda r: (r.submitted_at, r.id))
        self.times = [r.submitted_at for r in self.records]

    def within(self, since: dt.datetime, until: dt.datetime) -> list:
        """Those submitted from `since` to `until`, both included."""
        return self.records[bisect_left(self.times, since) : bisect_right(self.times, until)]


class _Timeline:
    """A scope's records in order of submission, scored at any instant from the records that
    can be current then: those submitted within the set's validity before it (a record
    expires `validity_days` after its submission, and a correction comes after what it
    corrects). Scoring that window gives the scorecard of all the records."""

    def __init__(self, criteria_set: CriteriaSet, work: Work, weights, applicability):
        self.criteria_set, self.weights, self.applicability = criteria_set, weights, applicability
        self.assessments = _ByTime(work.assessments)
        self.moderations = _ByTime(work.moderations)
        self.records: list[scoring.Assessment | scoring.Moderation] = _ByTime(
            [*work.assessments, *work.moderations]
        ).records
        self.validity = dt.timedelta(days=criteria_set.validity_days)

    def card_at(self, as_of: dt.datetime) -> scoring.Scorecard | None:
        """The scorecard on `as_of`; None when nothing is current."""
        try:
            return scoring.score(
                self.criteria_set,
                self.assessments.within(as_of - self.validity, as_of),
                as_of,
                self.weights,
                self.moderations.within(as_of - self.validity, as_of),
                self.applicability,
            )
        except scoring.NoCurrentAssessment:
            return None

    def state_before(self, start: int) -> tuple | None:
        """The total, grade and eligibility last reported before the record `start`: the
        state after the latest earlier record with something current."""
        for record in reversed(self.records[:start]):
            card = self.card_at(record.submitted_at)
            if card is not None:
                return (card.total, card.grade, card.eligible)
        return None


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
