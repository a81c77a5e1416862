"""The award criteria and how tenders were assessed against them, in a summary's words.

Procurement Regulations 2024 reg 31(2)(d): each criterion's title, its relative importance, how
it was assessed by reference to scores and what scores were available, and where the full
method can be read. Built from the criteria set and the ranking stored at closing.
"""

from ..criteria import Applicability, CriteriaSet
from ..scoring import MAX_LEVEL
from .numbers import number, percent


def applicability_in(criteria_set: CriteriaSet, ranking: dict) -> Applicability:
    """What applied in the ranked procurement: by the profile the ranking records."""
    return criteria_set.in_procurement(ranking.get("profile"))


def award_criteria(criteria_set: CriteriaSet, ranking: dict) -> list[dict]:
    """Each criterion that applied with its weight within the ethics evaluation and within the
    whole award (both in percent, as the ranking states them), its minimum and the indicators
    that applied, each with its red line in the procurement's impact tier."""
    weights = {w["criterion"]: w for w in ranking["weights"]}
    applicability = applicability_in(criteria_set, ranking)
    return [
        {
            "criterion": c.key,
            "name": c.name,
            "description": c.description,
            "weight": weights[c.key]["effective_weight"],
            "award_weight": weights[c.key]["award_weight"],
            "minimum": c.minimum,
            "indicators": [
                {
                    "indicator": i.key,
                    "question": i.question,
                    "red_line": applicability.red_line(i),
                    "levels": list(i.levels),
                }
                for i in c.indicators
                if applicability.applies(i.key)
            ],
        }
        for c in criteria_set.criteria
        if c.key in weights
    ]


def method_sentences(
    criteria_set: CriteriaSet, ranking: dict, min_evaluators: int, method_url: str
) -> list[str]:
    """How tenders were assessed, in the order a reader needs it."""
    award = ranking["award"]
    sentences = [
        f"Tenders were assessed against the criteria set \u201c{criteria_set.title}\u201d "
        f"({criteria_set.ref}), published in full at {method_url}: "
        f"{len(criteria_set.criteria)} criteria, each assessed through the indicators listed "
        "under it.",
        f"Each indicator was marked on a ladder of levels 0 to {MAX_LEVEL}, each level described "
        "in the criteria set; where the set allows, an indicator could be marked not applicable "
        "and was then left out of its criterion.",
        f"A criterion's score, out of 100, is the weighted mean of its indicators' levels as a "
        f"share of level {MAX_LEVEL}; the ethics evaluation's total, out of 100, is the weighted "
        "mean of the criterion scores at the weights shown. Scores are exact and rounded to two "
        "decimal places only when written.",
        f"Each tender was marked independently by at least {_evaluators(min_evaluators)}. An "
        "indicator's agreed level is the lower median of the evaluators' levels; where their "
        "levels were two or more apart, or fell on both sides of a red line, a moderator who "
        "had not marked the tender settled the level and recorded the reason.",
    ]
    applicability = applicability_in(criteria_set, ranking)
    if applicability.profile is not None:
        sentences.append(_profile_sentence(criteria_set, applicability))
    red_lines = _red_lines(criteria_set, applicability)
    if red_lines:
        sentences.append(
            "A tender is disqualified, whatever its total, when "
            + "; or when ".join(red_lines)
            + "."
        )
    sentences.append(
        "Equal totals share a rank. A tie for first is broken only by the tie-break the tender "
        "documents set out, recorded with its reason before the evaluation closed."
    )
    sentences.append(_share_sentence(award))
    return sentences


def _evaluators(count: int) -> str:
    return "one evaluator" if count == 1 else f"{count} evaluators"


def _profile_sentence(criteria_set: CriteriaSet, applicability: Applicability) -> str:
    """What the buyer said of the system, and what that decided."""
    profile = applicability.profile or {}
    said = [
        f"{'yes' if profile.get(q.key) else 'no'} to \u201c{' '.join(q.question.split())}\u201d"
        for q in criteria_set.profile
    ]
    left_out = len(criteria_set.indicators) - len(applicability.indicators)
    sentence = (
        "Before evaluation began, the buyer described the system being bought by answering the "
        "criteria set's profile questions: " + "; ".join(said) + "."
    )
    if applicability.tier is not None:
        sentence += f" That placed it in the impact tier \u201c{applicability.tier}\u201d."
    if left_out:
        sentence += (
            f" {left_out} indicator{'s' if left_out != 1 else ''} that do not apply to such a "
            "system were neither asked nor scored."
        )
    return sentence


def _red_lines(criteria_set: CriteriaSet, applicability: Applicability) -> list[str]:
    indicators = [
        i for c in criteria_set.criteria for i in c.indicators if applicability.applies(i.key)
    ]
    knockouts = [f"\u201c{i.question}\u201d" for i in indicators if i.knockout]
    minimums = [
        f"\u201c{i.question}\u201d (at least level {line})"
        for i in indicators
        if not i.knockout and (line := applicability.red_line(i)) is not None
    ]
    criteria = [
        f"{c.name} (at least {number(c.minimum)})"
        for c in criteria_set.criteria
        if c.minimum is not None and applicability.covers(c)
    ]
    found = []
    if knockouts:
        found.append("one of these indicators is at level 0: " + ", ".join(knockouts))
    if minimums:
        found.append("one of these indicators is below its minimum level: " + ", ".join(minimums))
    if criteria:
        found.append("one of these criteria scores below its minimum: " + ", ".join(criteria))
    return found


def _share_sentence(award: dict) -> str:
    share = percent(award["ethics_share"])
    if award["ethics_share"] == 100:
        return "The ethics evaluation is the whole of the award."
    if award["components"]:
        parts = ", ".join(
            f"{c['name']} ({percent(c['weight'])}, {c['kind']})" for c in award["components"]
        )
        return (
            f"The ethics evaluation carries {share} of the award, beside {parts}; the overall "
            "result is the sum of each part's score times its weight."
        )
    return (
        f"The ethics evaluation carries {share} of the award; the buyer assessed the other "
        f"{percent(100 - award['ethics_share'])} outside this service."
    )
