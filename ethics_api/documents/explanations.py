"""Why a tender scored what it did on each criterion, in sentences built from the record.

Procurement Regulations 2024 reg 31(2)(e): each criterion's score with "an explanation for that
score by reference to relevant information in the tender" and, where a criterion has
sub-criteria (here its indicators), how the tender was assessed on each. The explanation of an
indicator is its agreed level with the level's description, the evaluators' rationales (what
they found in the tender) or, where a moderation settled it, the moderation's reason, and the
next level the tender did not reach. Evaluators are never named.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from ..criteria import CriteriaSet, Criterion, Indicator
from ..scoring import MAX_LEVEL, CriterionScore, IndicatorScore, Scorecard
from .numbers import percent, points


@dataclass(frozen=True)
class Tender:
    """What the evaluation found in one bidder's tender, as the ranking stored at closing
    rests on it."""

    vendor_id: str
    scorecard: Scorecard
    # Per indicator: the evaluators' rationales in the assessments used, oldest first.
    rationales: Mapping[str, tuple[str, ...]]
    # Per indicator: the reason of the moderation whose agreed level counts.
    reasons: Mapping[str, str]


def explained(criteria_set: CriteriaSet, tender: Tender) -> dict[str, dict]:
    """Per criterion key: {score, sentence, indicators: [{indicator, question, level,
    descriptor, agreed_at_moderation, reasons, sentence}]}."""
    scores = {c.key: c for c in tender.scorecard.criteria}
    return {c.key: _criterion(c, scores[c.key], tender) for c in criteria_set.criteria}


def _criterion(criterion: Criterion, scored: CriterionScore, tender: Tender) -> dict:
    levels = {i.key: i for i in scored.indicators}
    indicators = [
        _indicator(i, levels[i.key], tender) for i in criterion.indicators if levels[i.key].applies
    ]
    if scored.score is None:
        sentence = (
            f"{criterion.name} was not scored: none of its indicators applied to this tender."
        )
    else:
        sentence = (
            f"{criterion.name} scored {points(scored.score)} out of 100, the weighted mean of "
            "the levels below"
        )
        if scored.effective_weight is not None:
            sentence += f", and weighs {percent(scored.effective_weight * 100)} of the evaluation"
        sentence += "."
    return {"score": scored.score, "sentence": sentence, "indicators": indicators}


def _indicator(indicator: Indicator, scored: IndicatorScore, tender: Tender) -> dict:
    settled = scored.settled_by is not None and indicator.key in tender.reasons
    reasons = (
        [tender.reasons[indicator.key]]
        if settled
        else list(dict.fromkeys(tender.rationales.get(indicator.key, ())))
    )
    level = scored.level
    if level is None:
        sentence = f"{indicator.question} Not applicable to this tender."
    else:
        sentence = (
            f"{indicator.question} Level {level} of {MAX_LEVEL}: {_quote(indicator.levels[level])}"
        )
    if settled:
        sentence += f" Agreed at moderation: {_quoted(reasons)}"
    elif reasons:
        sentence += f" The evaluators found: {_quoted(reasons)}"
    else:
        sentence += " The evaluators recorded no further reason."
    if level is not None and level < MAX_LEVEL:
        sentence += f" Level {level + 1} was not reached: {_quote(indicator.levels[level + 1])}"
    return {
        "indicator": indicator.key,
        "question": indicator.question,
        "level": level,
        "descriptor": None if level is None else indicator.levels[level],
        "agreed_at_moderation": settled,
        "reasons": reasons,
        "sentence": sentence,
    }


def _quote(text: str) -> str:
    """A level's description in quotation marks, as one sentence: ends with its own stop."""
    text = " ".join(text.split())
    return f"\u201c{text}\u201d" + ("" if text.endswith((".", "!", "?")) else ".")


def _quoted(reasons: list[str]) -> str:
    """Reasons as written, each on its own, joined so that none runs into the next."""
    return " / ".join(" ".join(r.split()) for r in reasons).rstrip(".") + "."


def advantages(
    criteria_set: CriteriaSet, own: Tender, winner: Tender, winner_label: str
) -> dict[str, str]:
    """Per criterion where the winning tender scored higher: the relative advantage in a
    sentence, by the indicators where its agreed level was higher."""
    own_scores = {c.key: c for c in own.scorecard.criteria}
    winning_scores = {c.key: c for c in winner.scorecard.criteria}
    found = {}
    for criterion in criteria_set.criteria:
        mine, theirs = own_scores[criterion.key], winning_scores[criterion.key]
        if theirs.score is None or (mine.score is not None and theirs.score <= mine.score):
            continue
        yours = "was not scored" if mine.score is None else f"scored {points(mine.score)}"
        sentence = (
            f"On {criterion.name}, {winner_label} scored {points(theirs.score)}; yours {yours}."
        )
        higher = _higher_levels(criterion, mine, theirs)
        if higher:
            sentence += " It was at a higher level on " + "; ".join(higher) + "."
        found[criterion.key] = sentence
    return found


def _higher_levels(criterion: Criterion, mine: CriterionScore, theirs: CriterionScore) -> list:
    own = {i.key: i.level for i in mine.indicators}
    winning = {i.key: i.level for i in theirs.indicators}
    higher = []
    for indicator in criterion.indicators:
        level, yours = winning[indicator.key], own[indicator.key]
        if level is not None and (yours is None or level > yours):
            against = "not applicable to yours" if yours is None else f"against {yours}"
            higher.append(f"\u201c{indicator.question}\u201d ({level} {against})")
    return higher
