"""A procurement's ranking: worked out while it is open, stored at closing.

While a procurement is open its ranking is worked out from the bidders' current assessments,
through what is kept for its inputs (each bidder's scorecard, the report and its rendering:
services/evaluation.py), so a read while nothing changes scores and ranks nothing; its
readiness and declarations are worked out on every read. At closing it is stored as it was
served, and every document of a closed procurement (CSV, summaries, OCDS) is rendered from
that stored ranking, never recomputed.
"""

import datetime as dt
import functools
import json

from ..models import Procurement
from ..schemas.declarations import ReadinessSchema
from ..schemas.procurements import RankingSchema
from . import lookup, scorecard_store
from .context import Context
from .declarations import all_of
from .evaluation import bidders_with_scorecards, evaluation
from .readiness import Item, Readiness, readiness_of
from .scorecards import require_weights_fixed


def live_ranking(
    context: Context, procurement: Procurement, as_of: dt.datetime, final: bool = False
) -> dict:
    """The ranking on `as_of`, with exact values, the procurement's readiness to close and its
    declarations of interest beside it (stored with it at closing: the record of both)."""
    evaluated = evaluation(context, procurement, as_of, final)
    declared = all_of(context, procurement)
    return {
        **evaluated.report,
        "readiness": readiness_of(context, procurement, evaluated, declared),
        "declarations": sorted(declared.values(), key=lambda d: (d.declared_at, d.id)),
    }


def served(exact_ranking: dict) -> dict:
    """The ranking as it is written out (rounded), as stored at closing."""
    return RankingSchema().dump(exact_ranking)


# What differs from one read of a live ranking to the next while its report is kept: the
# instant, and the readiness and declarations, which are worked out on every read.
_PER_READ = ("as_of", "readiness", "declarations")
_KEPT_PART = RankingSchema(exclude=_PER_READ)
_READ_PART = RankingSchema(only=_PER_READ)
_ORDER = tuple(RankingSchema().dump_fields)
_READINESS = ReadinessSchema()  # as RankingSchema nests it
# The JSON text is the kept part with the instant spliced in and these two appended.
_LAST = ("readiness", "declarations")
assert _ORDER[-len(_LAST) :] == _LAST, "readiness and declarations must end a ranking"


def _live(context: Context, procurement: Procurement):
    """The evaluation as of now, and the ranking with its readiness and declarations (exact)."""
    evaluated = evaluation(context, procurement, context.now())
    declared = all_of(context, procurement)
    exact = {
        **evaluated.report,
        "readiness": readiness_of(context, procurement, evaluated, declared),
        "declarations": sorted(declared.values(), key=lambda d: (d.declared_at, d.id)),
    }
    return evaluated, exact


def _in_order(parts: dict) -> dict:
    return {name: parts[name] for name in _ORDER if name in parts}


def written_live_ranking(context: Context, procurement: Procurement) -> dict:
    """`served(live_ranking(...))` as of now, the report's part written out once per kept
    report rather than on every read (it is most of a ranking's writing)."""
    evaluated, exact = _live(context, procurement)
    report_part = evaluated.derived("written", lambda: _KEPT_PART.dump(exact))
    return _in_order({**report_part, **_READ_PART.dump(exact)})


def live_ranking_json(context: Context, procurement: Procurement) -> bytes:
    """`written_live_ranking` as the JSON text sent: the report's part encoded once per kept
    report too, either side of its instant (a 50-bidder ranking is some 100 KB of it)."""
    evaluated, exact = _live(context, procurement)
    report_part = evaluated.derived("written", lambda: _KEPT_PART.dump(exact))
    head, tail = evaluated.derived(
        "text",
        lambda: scorecard_store.split_document(
            _in_order({**report_part, "as_of": None}), context.now()
        ),
    )
    read = _READ_PART.dump({"as_of": exact["as_of"], "declarations": exact["declarations"]})
    readiness = exact["readiness"]
    written = {
        "readiness": _readiness_json(tuple(readiness.blocking), tuple(readiness.warnings)),
        "declarations": _json(read["declarations"]),
    }
    last = "".join(f",{json.dumps(name)}:{written[name]}" for name in _LAST)
    # The tail closes the document: what is read each time goes before its brace.
    return f"{head}{_json(read['as_of'])}{tail[:-1]}{last}}}".encode()


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


@functools.lru_cache(maxsize=64)
def _readiness_json(blocking: tuple[Item, ...], warnings: tuple[Item, ...]) -> str:
    """A readiness as a ranking writes it (its items are values: the same items, the same
    text). Worked out on every read, it is most often what the last read found, and a
    procurement far from closing has an item or two per bidder."""
    return _json(_READINESS.dump(Readiness(list(blocking), list(warnings))))


def procurement_ranking(context: Context, procurement_id) -> tuple[Procurement, dict, bool]:
    """The procurement, its ranking and whether that ranking is the stored final one (already
    written out) rather than computed now (exact values)."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    if procurement.final_ranking is not None:
        return procurement, procurement.final_ranking, True
    return procurement, live_ranking(context, procurement, context.now()), False


def ranking_json(context: Context, procurement_id) -> bytes:
    """The ranking as the API sends it: the one stored at closing, else the ranking as of
    now, as JSON text."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    if procurement.final_ranking is not None:
        return _json(procurement.final_ranking).encode()
    return live_ranking_json(context, procurement)


def written_ranking(context: Context, procurement_id) -> tuple[Procurement, dict]:
    """The ranking as written out: the one stored at closing, else the ranking as of now."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    if procurement.final_ranking is not None:
        return procurement, procurement.final_ranking
    return procurement, written_live_ranking(context, procurement)


def agreed_levels(context: Context, procurement_id) -> tuple[Procurement, list[dict]]:
    """Every assessed bidder's agreed level per indicator, with the evaluators' own levels
    (unnamed) and whether a moderation settled it: on the closing instant once closed, now
    while evaluating."""
    procurement = lookup.get(context, Procurement, procurement_id)
    require_weights_fixed(procurement)
    criteria_set = lookup.set_of(context, procurement)
    as_of = procurement.closed_at or context.now()
    bidders = bidders_with_scorecards(context, procurement, criteria_set, as_of)
    rows = []
    for bidder in sorted(bidders, key=lambda b: (b.vendor_name, b.vendor_id)):
        if bidder.scorecard is None:
            continue
        scored = {i.key: i for c in bidder.scorecard.criteria for i in c.indicators}
        for criterion in criteria_set.criteria:
            for indicator in criterion.indicators:
                found = scored[indicator.key]
                rows.append(
                    {
                        "vendor_id": bidder.vendor_id,
                        "vendor_name": bidder.vendor_name,
                        "criterion": criterion.key,
                        "criterion_name": criterion.name,
                        "indicator": indicator.key,
                        "question": indicator.question,
                        "level": found.level,
                        "settled": found.settled_by is not None,
                        "levels": [level for _, level in found.assessor_levels],
                    }
                )
    return procurement, rows
