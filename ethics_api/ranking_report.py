"""A procurement's ranking as one value with plain-language explanations.

Built once from `ranking.place` and `ranking.sensitivity`; the JSON response, the CSV, the OCDS
release and the bidders' summaries are all renderings of what this returns.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from .criteria import CriteriaSet
from .ranking import Bidder, Sensitivity, place, sensitivity

PERCENT_CHANGE = {Fraction(4, 5): "20% less", Fraction(6, 5): "20% more"}


def ranking_report(
    criteria_set: CriteriaSet,
    weights: dict[str, Fraction],
    bidders: list[Bidder],
    as_of: dt.datetime,
    disputed: dict[str, list[str]] | None = None,
) -> dict:
    """`disputed`: by vendor id, the indicators under an open dispute."""
    disputed = disputed or {}
    placed = place(bidders)
    analysis = sensitivity(bidders, weights)
    names = {b.vendor_id: b.vendor_name for b in bidders}
    criterion_names = {c.key: c.name for c in criteria_set.criteria}
    return {
        "as_of": as_of,
        "criteria_set": {"ref": criteria_set.ref, "sha256": criteria_set.sha256},
        "weights": [
            {"criterion": key, "weight": weight, "effective_weight": weight / sum(weights.values())}
            for key, weight in weights.items()
        ],
        "ranking": [_row(p, disputed.get(p.bidder.vendor_id, [])) for p in placed],
        "sensitivity": _sensitivity(
            analysis,
            names,
            criterion_names,
            any(b.scorecard is not None and b.scorecard.eligible for b in bidders),
        ),
    }


def _row(placed, disputed: list[str]) -> dict:
    bidder, scorecard = placed.bidder, placed.bidder.scorecard
    row = {
        "rank": placed.rank,
        "vendor_id": bidder.vendor_id,
        "vendor_name": bidder.vendor_name,
        "assessed": scorecard is not None,
        "reused_standalone": bidder.reused_standalone,
    }
    if scorecard is None:
        return row
    return {
        **row,
        "total": scorecard.total,
        "grade": scorecard.grade,
        "eligible": scorecard.eligible,
        "knockouts": scorecard.knockouts,
        "confidence": scorecard.confidence.score,
        "confidence_band": scorecard.confidence.band,
        "needs_moderation": scorecard.needs_moderation,
        "criteria": [
            {"criterion": c.key, "score": c.score, "contribution": c.contribution}
            for c in scorecard.criteria
        ],
        "assessors": scorecard.assessors,
        "disputed_indicators": sorted(set(disputed)),
    }


def _names(vendor_ids, names) -> str:
    return " and ".join(names[v] for v in vendor_ids) or "no bidder"


def _factor(value: Decimal) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _sensitivity(analysis: Sensitivity, names: dict, criteria: dict, any_eligible: bool) -> dict:
    leader = _names(analysis.winners, names)
    changes = [v for v in analysis.one_at_a_time if set(analysis.winners) - set(v.winners)]
    if not analysis.winners:
        summary = "No bidder is assessed yet: there is no ranking to test."
    elif not any_eligible:
        summary = "No bidder is eligible: the ranking only orders bids that cannot win."
    elif not changes:
        summary = (
            f"{leader} ranks first whichever criterion weighs 20% more or 20% less "
            "(one criterion at a time)."
        )
    else:
        summary = " ".join(
            f"If {criteria[v.criterion]} weighed {PERCENT_CHANGE[v.factor]}, "
            f"{_names(v.winners, names)} would rank first instead of {leader}."
            for v in changes
        )
    return {
        "winner_vendor_ids": list(analysis.winners),
        "winner_stable": analysis.winner_stable,
        "summary": summary,
        "one_at_a_time": [
            {"vendor_id": vendor_id, "vendor_name": names[vendor_id], "worst_rank": worst}
            for vendor_id, worst in analysis.worst_ranks
        ],
        "variations": [
            {
                "criterion": v.criterion,
                "factor": v.factor,
                "winner_vendor_ids": list(v.winners),
            }
            for v in analysis.one_at_a_time
        ],
        "leave_one_out": [
            {
                "criterion": left.criterion,
                "winner_vendor_id": left.winners[0] if left.winners else None,
                "winner_vendor_ids": list(left.winners),
                "sentence": _left_out_sentence(left, analysis, names, criteria),
            }
            for left in analysis.leave_one_out
        ],
        "first_vendor_id": analysis.first,
        "second_vendor_id": analysis.second,
        "tipping_points": [
            {
                "criterion": point.criterion,
                "factor": point.factor,
                "sentence": _tipping_sentence(point, names, criteria, analysis),
            }
            for point in analysis.tipping_points
        ],
    }


def _left_out_sentence(left, analysis, names, criteria) -> str:
    without = f"Without {criteria[left.criterion]}"
    if not left.winners:
        return f"{without}, no bidder would be ranked."
    still = " still" if left.winners == analysis.winners else ""
    return f"{without}, {_names(left.winners, names)} would{still} rank first."


def _tipping_sentence(point, names, criteria, analysis) -> str:
    first, second = names[analysis.first], names[analysis.second]
    criterion = criteria[point.criterion]
    if point.factor is None:
        return f"No change to the weight of {criterion} alone would let {second} overtake {first}."
    if point.overtakes_above is None:
        return (
            f"{second} would draw level with {first}, without overtaking, if {criterion} "
            f"weighed {_factor(point.factor)} times its current weight."
        )
    if point.leads_until is not None:
        span = f"between {_factor(point.factor)} and {_factor(point.leads_until)} times"
    else:
        side = "more" if point.overtakes_above else "less"
        span = f"{side} than {_factor(point.factor)} times"
    return f"{second} would overtake {first} if {criterion} weighed {span} its current weight."
