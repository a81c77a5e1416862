"""A procurement's evaluation at one instant: its bidders' scorecards, and the ranking report
made of them (with exact values: one computation for every rendering)."""

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from sqlalchemy import Select, bindparam, select

from .. import ranking
from ..criteria import CriteriaSet
from ..enums import ProcurementStatus
from ..models import Bidder, Procurement, Vendor
from ..ranking_report import ranking_report
from ..scoring import Scorecard
from . import lookup, scorecard_store
from .components import components_of
from .context import Context
from .gates import gates_of, with_gates
from .scope import InScope, Scope, assessments_in
from .scorecards import open_disputes, scored, weights_of

Span = tuple[dt.datetime, dt.datetime]
T = TypeVar("T")


def bidders_with_scorecards(
    context: Context,
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    vendor_id: str | None = None,
) -> list[ranking.Bidder]:
    """Every bidder (or the one named) with its scorecard, None when nothing is current.

    A constant number of queries whatever the number of bidders and assessments.
    """
    vendors, fingerprints, gates = _bidders_and_records(
        context, procurement, criteria_set, vendor_id
    )
    found = _scored_bidders(context, procurement, criteria_set, as_of, vendors, fingerprints, gates)
    return found[0]


def bidder_vendors(
    context: Context, procurement: Procurement, vendor_id: str | None = None
) -> list[Vendor]:
    """The vendor records of the procurement's bidders (or of the one named)."""
    statement = (
        select(Vendor)
        .join(Bidder, Bidder.vendor_id == Vendor.id)
        .where(Bidder.procurement_id == procurement.id)
    )
    if vendor_id is not None:
        statement = statement.where(Vendor.id == vendor_id)
    return list(context.session.scalars(statement))


def _bidders_statement(reach: str, one: bool) -> Select:
    """The bidders' vendor records, each with its recorded gates and the fingerprint of the
    records its scorecard draws on (scorecard_store.fingerprint_columns), in one statement;
    in one order whatever the database's plan (a kept report's key lists them in it)."""
    statement = (
        select(Vendor, Bidder.gates, *scorecard_store.fingerprint_columns(reach, Bidder.vendor_id))
        .join(Bidder, Bidder.vendor_id == Vendor.id)
        .where(Bidder.procurement_id == bindparam("procurement_id"))
        .order_by(Vendor.id)
    )
    return statement.where(Vendor.id == bindparam("vendor_id")) if one else statement


# Built once, as the scorecard store's statements are: every ranking request runs one.
_BIDDERS = {
    (reach, one): _bidders_statement(reach, one)
    for reach in ("own", "reusing")
    for one in (False, True)
}


def _bidders_and_records(
    context: Context, procurement: Procurement, criteria_set: CriteriaSet, vendor_id=None
) -> tuple[list[Vendor], dict[str, list], dict[str, dict]]:
    """`bidder_vendors`, with the fingerprint of each bidder's records and its recorded
    gates (`gates.gates_of`), by vendor id."""
    scope = Scope.of_procurement("", procurement, criteria_set)
    parameters = scorecard_store.reach_parameters(scope)
    if vendor_id is not None:
        parameters["vendor_id"] = vendor_id
    statement = _BIDDERS[scorecard_store.reach_of(scope), vendor_id is not None]
    vendors, fingerprints, gates = [], {}, {}
    for vendor, recorded, *fingerprint in context.session.execute(statement, parameters):
        vendors.append(vendor)
        fingerprints[vendor.id] = scorecard_store.written(fingerprint)
        gates[vendor.id] = recorded or {}
    return vendors, fingerprints, gates


def scored_bidders(
    context: Context,
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    vendors: list[Vendor],
    fingerprints: dict[str, list] | None = None,
) -> list[ranking.Bidder]:
    """The vendors as bidders with their scorecards on `as_of`, a failed gate a knockout."""
    return _scored_bidders(context, procurement, criteria_set, as_of, vendors, fingerprints)[0]


def _scored_bidders(
    context: Context,
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    vendors: list[Vendor],
    fingerprints: dict[str, list] | None = None,
    gates: dict[str, dict] | None = None,
) -> tuple[list[ranking.Bidder], dict[str, str] | None, Span | None]:
    """`scored_bidders`, with each bidder's inputs key and the stretch of time over which
    all their scorecards hold (both None unless every bidder's inputs are known).

    Given the fingerprints of the bidders' records (`_bidders_and_records`), each scorecard
    is the one kept for its inputs (scorecard_store.RANKED) when there is one, else scored
    from the records and kept: the records are read (two queries, whatever the number of
    bidders) only when some scorecard is not kept. `gates`: the bidders' recorded gates, when
    read already.
    """
    scopes = Scope.of_bidders([v.id for v in vendors], procurement, criteria_set)
    recorded: dict = {}
    if criteria_set.gates:
        recorded = gates_of(context, procurement) if gates is None else gates
    fingerprints = fingerprints or {}
    # A writing transaction's records may still be rolled back: nothing it reads is kept.
    if scorecard_store.writing(context.session):
        fingerprints = {}
    keys = _keys(procurement, criteria_set, scopes, recorded, as_of, fingerprints)
    cards, spans = _kept(keys, as_of)
    missing = [scope for scope in scopes if scope.vendor_id not in cards]
    for scope, found in zip(missing, assessments_in(context.session, missing), strict=True):
        card = cards[scope.vendor_id] = _scored(procurement, criteria_set, as_of, found, recorded)
        # Kept only when the records read are those fingerprinted: a record committed in
        # between (PostgreSQL reads each statement afresh) would not match its key.
        fingerprinted = fingerprints.get(scope.vendor_id)
        if fingerprinted is not None and scorecard_store.fingerprint_of(found) == fingerprinted:
            span = spans[scope.vendor_id] = scorecard_store.stretch(found, criteria_set, as_of)
            scorecard_store.RANKED.put(keys[scope.vendor_id], span, (*card, span))
    bidders = [ranking.Bidder(vendor.id, vendor.name, *cards[vendor.id]) for vendor in vendors]
    if len(spans) < len(vendors):
        return bidders, None, None
    common = (
        max((start for start, _ in spans.values()), default=scorecard_store.EARLIEST),
        min((end for _, end in spans.values()), default=scorecard_store.LATEST),
    )
    return bidders, keys, common


def _kept(
    keys: dict[str, str], as_of: dt.datetime
) -> tuple[dict[str, tuple[Scorecard | None, bool]], dict[str, Span]]:
    """The scorecards kept for these inputs on `as_of` (with whether they reuse standalone
    work), and the stretch each holds over, by vendor id; those not kept are left out."""
    cards, spans = {}, {}
    for vendor_id, key in keys.items():
        hit, value = scorecard_store.RANKED.get(key, as_of)
        if hit:
            scorecard, reused, span = cast(tuple[Scorecard | None, bool, Span], value)
            # Within the stretch it was kept for, only the scorecard's `as_of` differs.
            if scorecard is not None:
                scorecard = dataclasses.replace(scorecard, as_of=as_of)
            cards[vendor_id], spans[vendor_id] = (scorecard, reused), span
    return cards, spans


def _keys(
    procurement: Procurement,
    criteria_set: CriteriaSet,
    scopes: list[Scope],
    recorded: dict,
    as_of: dt.datetime,
    fingerprints: dict[str, list],
) -> dict[str, str]:
    """The key of each bidder's scorecard whose records are fingerprinted, by vendor id:
    everything it depends on but the instant. What all the bidders share (the set, the
    procurement's weights and profile, the offset the instant's day is counted in) is
    fingerprinted once; each bidder's key adds its scope's reuse of standalone work, its gates
    and its records to that."""
    shared = scorecard_store.inputs_sha256(
        {
            "use": "ranking",
            "criteria_set": [criteria_set.ref, criteria_set.sha256],
            "procurement": [procurement.id, procurement.weights, procurement.profile],
            "utc_offset": str(as_of.utcoffset()),
        }
    )
    return {
        scope.vendor_id: scorecard_store.inputs_sha256(
            {
                "shared": shared,
                "vendor": scope.vendor_id,
                "reuse": scope.reuse_standalone,
                "gates": recorded.get(scope.vendor_id, {}),
                "records": fingerprints[scope.vendor_id],
            }
        )
        for scope in scopes
        if scope.vendor_id in fingerprints
    }


def _scored(
    procurement: Procurement,
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
    found: InScope,
    recorded: dict,
) -> tuple[Scorecard | None, bool]:
    """A bidder's scorecard scored from its records, with whether it reuses standalone work."""
    scorecard, reused = scored(found, as_of, weights_of(procurement, criteria_set))
    if scorecard is not None:
        applicability = criteria_set.in_procurement(procurement.profile)
        recorded_here = recorded.get(found.scope.vendor_id, {})
        scorecard = with_gates(scorecard, criteria_set, applicability, recorded_here)
    return scorecard, reused


class KeptReport:
    """A ranking report kept for its inputs, with what readers derived from it alone (its
    rendering, readiness warnings that rest on the scorecards only): all the same for every
    instant of its stretch but the report's `as_of` value, which readers put back in."""

    def __init__(self, report: dict):
        self.report = report
        self.derived: dict[str, object] = {}


# A report of 50 bidders with its rendering took about 320 KB (tracemalloc): the reports of
# a few dozen procurements being evaluated at once take some 10 MB of a worker's memory.
REPORTS = scorecard_store.Kept(capacity=32)


@dataclass(frozen=True)
class Evaluation:
    """The bidders' scorecards on one instant, and the ranking report made of them."""

    bidders: list[ranking.Bidder]
    report: dict
    vendors: dict[str, Vendor]  # the bidders' vendor records, by id
    gates: dict[str, dict]  # the bidders' recorded gates, by vendor id
    kept: KeptReport | None = None  # the report as kept for its inputs, when it may be

    @property
    def scorecards(self) -> dict[str, Scorecard]:
        """The assessed bidders' scorecards, by vendor id."""
        return {b.vendor_id: b.scorecard for b in self.bidders if b.scorecard is not None}

    def derived(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()`, a function of the report and scorecards alone (never of the instant):
        worked out once per kept report, on every call when the report is not kept."""
        if self.kept is None:
            return compute()
        if name not in self.kept.derived:
            self.kept.derived[name] = compute()
        return cast(T, self.kept.derived[name])


def evaluation(
    context: Context, procurement: Procurement, as_of: dt.datetime, final: bool = False
) -> Evaluation:
    """The procurement's evaluation on `as_of`, with exact values: one computation for every
    rendering.

    The report is a function of its inputs (the bidders' kept scorecards, by their keys, the
    procurement's state, open disputes, award components) and of `as_of`, which it only
    states: so it is kept under the fingerprint of those inputs for the stretch of time the
    bidders' scorecards all hold over, and read back while nothing changes.
    """
    criteria_set = lookup.set_of(context, procurement)
    vendors, fingerprints, gates = _bidders_and_records(context, procurement, criteria_set)
    bidders, keys, span = _scored_bidders(
        context, procurement, criteria_set, as_of, vendors, fingerprints, gates
    )
    disputes = open_disputes(context, [b.vendor_id for b in bidders], criteria_set, procurement.id)
    disputed = {vendor: [d.indicator for d in found] for vendor, found in disputes.items()}
    applicability = criteria_set.in_procurement(procurement.profile)
    # A criterion the profile leaves out is scored for no bidder: it takes no share of the weight.
    covered = {c.key for c in criteria_set.criteria if applicability.covers(c)}
    weights = {k: w for k, w in weights_of(procurement, criteria_set).items() if k in covered}
    components = components_of(context, procurement)
    status = ProcurementStatus.CLOSED if final else procurement.status
    key = None
    if keys is not None and span is not None:
        key = scorecard_store.inputs_sha256(
            {
                "use": "ranking report",
                "bidders": [[v.id, v.name, keys[v.id]] for v in vendors],
                "procurement": [
                    procurement.id,
                    procurement.ocid,
                    status,
                    final,
                    procurement.profile,
                    procurement.weights_fixed_at,
                    procurement.tie_break,
                    procurement.share,
                ],
                "criteria_set": [criteria_set.ref, criteria_set.sha256],
                "weights": weights,
                "disputed": disputed,
                "components": {v: [repr(c) for c in found] for v, found in components.items()},
                "tier": applicability.tier,
                "utc_offset": str(as_of.utcoffset()),
            }
        )
        hit, value = REPORTS.get(key, as_of)
        if hit:
            found = cast(KeptReport, value)
            report = {**found.report, "as_of": as_of}
            return Evaluation(bidders, report, {v.id: v for v in vendors}, gates, found)
    report = {
        "procurement_id": procurement.id,
        "ocid": procurement.ocid,
        "status": status,
        "final": final,
        "profile": procurement.profile,
        "tier": applicability.tier,
        **ranking_report(
            criteria_set,
            weights,
            bidders,
            as_of,
            disputed,
            procurement.weights_fixed_at,
            procurement.tie_break,
            procurement.share,
            components,
        ),
    }
    kept: KeptReport | None = None
    if key is not None and span is not None:
        kept = KeptReport(report)
        REPORTS.put(key, span, kept)
    return Evaluation(bidders, report, {v.id: v for v in vendors}, gates, kept)
