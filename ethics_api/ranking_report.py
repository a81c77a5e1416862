"""A procurement's ranking as one value with plain-language explanations.

Built once from `ranking.place` and `ranking.sensitivity`; the JSON response, the CSV, the OCDS
release and the bidders' summaries are all renderings of what this returns.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from .award import WHOLE, Award, Component, OverallMargin, decide, points
from .criteria import CriteriaSet
from .documents.numbers import percent
from .exact import round_half_away
from .ranking import Bidder, Margin, Sensitivity, place, sensitivity
from .scoring import in_words

PERCENT_CHANGE = {Fraction(4, 5): "20% less", Fraction(6, 5): "20% more"}


def ranking_report(
    criteria_set: CriteriaSet,
    weights: dict[str, Fraction],
    bidders: list[Bidder],
    as_of: dt.datetime,
    disputed: dict[str, list[str]] | None = None,
    weights_fixed_at: dt.datetime | None = None,
    tie_break: dict | None = None,
    share: Fraction = WHOLE,
    components: Mapping[str, Sequence[Component]] | None = None,
) -> dict:
    """`disputed`: by vendor id, the indicators under an open dispute; `tie_break`: the
    tie-break recorded for a tie for first ({vendor_id, reason, ...}); `share`: the ethics
    evaluation's share of the award in percent; `components`: by vendor id, the other parts
    of the award as the buyer scored them."""
    disputed = disputed or {}
    placed = place(bidders)
    analysis = sensitivity(bidders, weights)
    names = {b.vendor_id: b.vendor_name for b in bidders}
    criterion_names = {c.key: c.name for c in criteria_set.criteria}
    decided = decide(placed, share, components or {}, tie_break)
    first = [
        p.bidder.vendor_id
        for p in placed
        if p.rank == 1 and p.bidder.scorecard is not None and p.bidder.scorecard.eligible
    ]
    tied = len(first) > 1
    # A tie-break settles the ranking the award is decided on: this one, unless the other
    # components decide it.
    applies = decided.tie_break if decided.decided_on_ethics else None
    return {
        "tie_for_first": tied,
        "tie_break": applies,
        "winner_vendor_id": applies["vendor_id"]
        if applies
        else (first[0] if len(first) == 1 else None),
        "award": _award(decided, names),
        "as_of": as_of,
        "criteria_set": {"ref": criteria_set.ref, "sha256": criteria_set.sha256},
        "weights": [
            {
                "criterion": key,
                "name": criterion_names[key],
                "weight": weight,
                "effective_weight": weight / sum(weights.values()),
                "award_weight": weight / sum(weights.values()) * share / WHOLE,
            }
            for key, weight in weights.items()
        ],
        "ranking": [
            _row(p, disputed.get(p.bidder.vendor_id, []), weights_fixed_at) for p in placed
        ],
        "sensitivity": {
            **_sensitivity(
                analysis,
                names,
                criterion_names,
                any(b.scorecard is not None and b.scorecard.eligible for b in bidders),
            ),
            "margin": _margin(analysis.margin, names, criteria_set, share),
        },
    }


def _row(placed, disputed: list[str], weights_fixed_at: dt.datetime | None) -> dict:
    bidder, scorecard = placed.bidder, placed.bidder.scorecard
    row = {
        "rank": placed.rank,
        "vendor_id": bidder.vendor_id,
        "vendor_name": bidder.vendor_name,
        "assessed": scorecard is not None,
        "reused_standalone": bidder.reused_standalone,
        # Scored on work that could have been seen before the weights were set.
        "reused_before_weights_fixed": bidder.reused_standalone
        and weights_fixed_at is not None
        and scorecard is not None
        and any(a.submitted_at < weights_fixed_at for a in scorecard.assessments),
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
            {"criterion": c.key, "name": c.name, "score": c.score, "contribution": c.contribution}
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


def criterion_of(criteria_set: CriteriaSet) -> dict[str, str]:
    """Each indicator's criterion name, by indicator key."""
    return {i.key: c.name for c in criteria_set.criteria for i in c.indicators}


def _points(value: Fraction) -> str:
    return f"{round_half_away(value)} point" + ("" if value == 1 else "s")


def _margin(
    margin: Margin | None, names: dict, criteria_set: CriteriaSet, share: Fraction
) -> dict | None:
    """The margin between the first two eligible bidders, in evaluators' marks, in words."""
    if margin is None:
        return None
    criteria = criterion_of(criteria_set)
    questions = {i.key: in_words(i.question) for i in criteria_set.indicators}
    first, second = names[margin.first], names[margin.second]
    if margin.points == 0:
        sentence = (
            f"{first} and {second} have equal totals: the tie-break the tender set out decides."
        )
    elif margin.steps_to_overtake is None or margin.largest_step is None:
        sentence = (
            f"{first} leads {second} by {_points(margin.points)}: no raise of {second}'s levels "
            f"alone, up to the top level of every indicator, would make up the difference."
        )
    else:
        count = margin.steps_to_overtake
        raises = f"{count} one-level raise" + ("" if count == 1 else "s")
        sentence = (
            f"{first} leads {second} by {_points(margin.points)}; one level more on one indicator"
            f" of {second}'s is worth up to {_points(margin.largest_step)}, and {raises} of "
            f"{second}'s levels would draw level with or overtake {first}"
        )
        decides = "the award" if share == WHOLE else "the ethics evaluation's ranking"
        sentence += f": a single evaluator's single mark decides {decides}." if count <= 1 else "."
    return {
        "first_vendor_id": margin.first,
        "second_vendor_id": margin.second,
        "points": margin.points,
        "largest_step": margin.largest_step,
        "steps_to_overtake": margin.steps_to_overtake,
        "steps": [
            {
                "indicator": step.indicator,
                "name": questions[step.indicator],
                "criterion": criteria[step.indicator],
                "from_level": step.from_level,
                "to_level": step.to_level,
                "gain": step.gain,
            }
            for step in margin.steps
        ],
        "sentence": sentence,
    }


def _award(decided: Award, names: dict) -> dict:
    """The award the ranking is part of, and who it goes to, in numbers and in words."""
    return {
        "ethics_share": decided.share,
        "basis": decided.basis,
        "components": [
            {"name": name, "kind": kind, "weight": weight} for name, kind, weight in decided.model
        ],
        "overall": [
            {
                "rank": o.rank,
                "vendor_id": o.vendor_id,
                "vendor_name": o.vendor_name,
                "ethics_total": o.ethics_total,
                "ethics_points": points(decided.share, o.ethics_total),
                "components": [
                    {**_part(c), "points": points(c.weight, c.score)} for c in o.components
                ],
                "total": o.total,
            }
            for o in decided.overall
        ],
        "components_recorded_for": list(decided.recorded),
        "first_vendor_ids": list(decided.first),
        "tie_for_first": decided.tie_for_first,
        "tie_break": decided.tie_break,
        "winner_vendor_id": decided.winner_vendor_id,
        "margin": _overall_margin(decided.margin, names),
        "summary": _award_sentence(decided, names),
    }


def _overall_margin(margin: OverallMargin | None, names: dict) -> dict | None:
    """The overall lead against one evaluator's one mark, in numbers and in words."""
    if margin is None:
        return None
    first, second = names[margin.first], names[margin.second]
    sentence = f"Overall, {first} leads {second} by {_points(margin.points)}"
    if margin.largest_step is None:
        sentence += f"; every answered indicator of {second}'s is at the top level already."
    else:
        sentence += (
            f"; one level more on one indicator of {second}'s ethics evaluation is worth up to "
            f"{_points(margin.largest_step)} overall"
        )
        sentence += (
            ": a single evaluator's single mark decides the award."
            if margin.one_mark_decides
            else "."
        )
    return {
        "first_vendor_id": margin.first,
        "second_vendor_id": margin.second,
        "points": margin.points,
        "largest_step": margin.largest_step,
        "one_mark_decides": margin.one_mark_decides,
        "sentence": sentence,
    }


def _part(component: Component) -> dict:
    return {
        "name": component.name,
        "kind": component.kind,
        "weight": component.weight,
        "score": component.score,
    }


def _award_sentence(decided: Award, names: dict) -> str:
    share = percent(decided.share)
    if decided.basis == "incomplete":
        if not decided.model:
            return (
                f"The ethics evaluation carries {share} of the award; the other "
                f"{percent(WHOLE - decided.share)} is scored outside this service and not "
                "recorded in it, so this ranking is the ethics evaluation's, not the award's."
            )
        return (
            f"The ethics evaluation carries {share} of the award, and the other components are "
            "not recorded for every eligible bidder yet: the award cannot be stated until "
            "they are."
        )
    if decided.basis == "ethics":
        opening = "The ethics evaluation is the whole award"
    else:
        parts = ", ".join(
            f"{name} ({percent(weight)}, {kind})" for name, kind, weight in decided.model
        )
        opening = (
            f"The ethics evaluation carries {share} of the award, beside {parts}; the overall "
            "result is the sum of the weighted parts"
        )
    if not decided.first:
        return f"{opening}. No bidder is eligible: there is no award to make on these scores."
    tied = " and ".join(names[v] for v in decided.first)
    if decided.tie_break is not None:
        return (
            f"{opening}. {tied} tie for first; the tie-break the tender set out chose "
            f"{names[decided.tie_break['vendor_id']]}."
        )
    if decided.tie_for_first:
        return (
            f"{opening}. {tied} tie for first: no one is the winner until the buyer records "
            "the tie-break the tender set out."
        )
    return f"{opening}. {names[decided.first[0]]} ranks first."
