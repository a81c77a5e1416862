"""The scoring contract as pure functions.

Assessments and a criteria set go in; one `Scorecard` value comes out, and every format the
service offers (JSON, CSV, HTML) renders that same value. Arithmetic is exact (`Fraction`)
throughout: numbers are rounded only when written out (`round_half_away`), and every comparison
(grade bands, minimums) uses the exact value. Nothing here knows about Flask or the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, partial

from .criteria import CriteriaSet, Criterion, Indicator

MAX_LEVEL = 4

EVIDENCE_FACTORS: dict[str, Fraction] = {
    "independently_verified": Fraction(1),
    "documented": Fraction(7, 10),
    "self_declared": Fraction(3, 10),
}

CONFIDENCE_BANDS = ((Fraction(75), "high"), (Fraction(40), "medium"), (Fraction(0), "low"))


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    title: str
    kind: str
    url: str | None = None
    sha256: str | None = None
    effective_date: dt.date | None = None
    valid_until: dt.date | None = None

    def stale_reason(self, day: dt.date) -> str | None:
        """Why the item does not count on `day` (None when it is current)."""
        if self.valid_until is not None and self.valid_until < day:
            return "expired"
        if self.effective_date is not None and self.effective_date > day:
            return "not_yet_effective"
        return None


@dataclass(frozen=True)
class Answer:
    indicator: str
    level: int | None  # None means not applicable
    rationale: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Assessment:
    id: str
    criteria_ref: str
    assessor: str
    submitted_at: dt.datetime
    answers: tuple[Answer, ...]
    moderated: bool = False
    supersedes: str | None = None  # the id of the assessment this one corrects

    def expires_at(self, criteria_set: CriteriaSet) -> dt.datetime:
        return self.submitted_at + dt.timedelta(days=criteria_set.validity_days)


# --- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Knockout:
    kind: str  # "indicator" or "criterion_minimum"
    key: str
    value: Fraction  # the level, or the criterion score
    threshold: Fraction  # 1, or the criterion minimum


@dataclass(frozen=True)
class IndicatorScore:
    key: str
    weight: Fraction
    level: int | None  # the combined level; None when not applicable
    assessor_levels: tuple[tuple[str, int | None], ...]
    evidence_factor: Fraction | None  # None when not applicable
    knockout: bool

    @property
    def not_applicable(self) -> bool:
        return self.level is None


@dataclass(frozen=True)
class CriterionScore:
    key: str
    name: str
    weight: Fraction  # as given by the set or the procurement
    effective_weight: Fraction | None  # E_c in 0..1; None when not scored
    score: Fraction | None  # S_c in 0..100; None when not scored
    contribution: Fraction | None  # E_c * S_c
    minimum: Fraction | None
    indicators: tuple[IndicatorScore, ...]

    @property
    def scored(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class StaleEvidence:
    indicator: str
    assessor: str
    evidence: Evidence
    reason: str  # "expired" or "not_yet_effective"


@dataclass(frozen=True)
class Confidence:
    score: Fraction
    band: str
    stale_evidence: tuple[StaleEvidence, ...]


@dataclass(frozen=True)
class Disagreement:
    indicator: str
    assessor_levels: tuple[tuple[str, int | None], ...]
    spread: int


@dataclass(frozen=True)
class Step:
    indicator: str
    criterion: str
    from_level: int
    to_level: int
    gain: Fraction
    clears_knockout: bool


@dataclass(frozen=True)
class AssessmentUsed:
    id: str
    assessor: str
    submitted_at: dt.datetime
    moderated: bool
    expires_at: dt.datetime


@dataclass(frozen=True)
class Scorecard:
    criteria_ref: str
    criteria_sha256: str
    as_of: dt.datetime
    total: Fraction
    grade: str
    eligible: bool
    knockouts: tuple[Knockout, ...]
    criteria: tuple[CriterionScore, ...]
    confidence: Confidence
    assessments: tuple[AssessmentUsed, ...]
    needs_moderation: bool
    disagreements: tuple[Disagreement, ...]
    valid_until: dt.datetime
    # The plan is worked out when first read: a ranking scores every bidder but shows no plan,
    # and the plan is a good part of the work of a scorecard.
    plan: Callable[[], tuple[Step, ...]] = field(repr=False, compare=False, kw_only=True)
    moderated: bool = False
    assessors: tuple[str, ...] = field(default=())

    @cached_property
    def improvement_plan(self) -> tuple[Step, ...]:
        return self.plan()

    @cached_property
    def scores(self) -> dict[str, Fraction]:
        """S_c of each scored criterion, by key."""
        return {c.key: c.score for c in self.criteria if c.score is not None}


class NoCurrentAssessment(LookupError):
    """There is nothing to score: the message says why, for the 404 a client receives."""


# --- section 7: which assessments count, and how they combine ----------------------------------


def current_assessments(
    assessments: Iterable[Assessment], criteria_set: CriteriaSet, as_of: dt.datetime
) -> tuple[Assessment, ...]:
    """The assessments a scorecard on `as_of` rests on.

    Only those made against this very set version, submitted at or before `as_of`, not
    expired and not superseded by a correction submitted by then count. The latest moderated
    one, if any, is used alone; otherwise each assessor's latest one.
    """
    assessments = list(assessments)
    corrected = {a.supersedes for a in assessments if a.supersedes and a.submitted_at <= as_of}
    candidates = sorted(
        (
            a
            for a in assessments
            if a.criteria_ref == criteria_set.ref
            and a.submitted_at <= as_of
            and a.expires_at(criteria_set) >= as_of
            and a.id not in corrected
        ),
        key=lambda a: (a.submitted_at, a.id),
    )
    moderated = [a for a in candidates if a.moderated]
    if moderated:
        return (moderated[-1],)
    latest: dict[str, Assessment] = {}
    for assessment in candidates:
        latest[assessment.assessor] = assessment
    return tuple(latest[assessor] for assessor in sorted(latest))


def explain_missing(
    assessments: Sequence[Assessment], criteria_set: CriteriaSet, as_of: dt.datetime
) -> str:
    """Why there is no current assessment, in words a client can act on."""
    same_set = [a for a in assessments if a.criteria_ref == criteria_set.ref]
    if not same_set:
        return f"The vendor has no assessment against {criteria_set.ref}."
    if all(a.submitted_at > as_of for a in same_set):
        return f"Every assessment against {criteria_set.ref} was submitted after {as_of}."
    return (
        f"Every assessment against {criteria_set.ref} submitted by {as_of} had expired by then "
        f"(assessments stay current for {criteria_set.validity_days} days)."
    )


def lower_median(levels: Sequence[int]) -> int:
    ordered = sorted(levels)
    return ordered[(len(ordered) - 1) // 2]


@dataclass(frozen=True)
class _Combined:
    level: int | None
    assessor_levels: tuple[tuple[str, int | None], ...]
    evidence: tuple[tuple[str, Evidence], ...]


def _combine(criteria_set: CriteriaSet, used: Sequence[Assessment]) -> dict[str, _Combined]:
    answers = [(a.assessor, {ans.indicator: ans for ans in a.answers}) for a in used]
    combined: dict[str, _Combined] = {}
    for indicator in criteria_set.indicators:
        given = [(assessor, by_key[indicator.key]) for assessor, by_key in answers]
        levels = [ans.level for _, ans in given if ans.level is not None]
        combined[indicator.key] = _Combined(
            level=lower_median(levels) if levels else None,
            assessor_levels=tuple((assessor, ans.level) for assessor, ans in given),
            evidence=tuple((assessor, item) for assessor, ans in given for item in ans.evidence),
        )
    return combined


# --- section 3: arithmetic ---------------------------------------------------------------------


# `levels` below holds the combined level of each indicator answered with a level: an indicator
# that is not applicable is absent from it, which is how A(c) of the contract is read.


def criterion_score(indicators: Sequence[Indicator], levels: Mapping[str, int]) -> Fraction | None:
    """S_c, or None when no indicator of the criterion is answered with a level."""
    answered = [i for i in indicators if i.key in levels]
    if not answered:
        return None
    weight = sum((i.weight for i in answered), Fraction(0))
    points = sum((i.weight * levels[i.key] for i in answered), Fraction(0))
    return 100 * points / MAX_LEVEL / weight


def effective_weights(
    weights: Mapping[str, Fraction], scored: Iterable[str]
) -> dict[str, Fraction]:
    """E_c: the weights renormalised over the scored criteria."""
    scored = list(scored)
    total = sum((weights[k] for k in scored), Fraction(0))
    return {k: weights[k] / total for k in scored}


def grade_for(criteria_set: CriteriaSet, total: Fraction) -> str:
    return next(g.label for g in criteria_set.grades if total >= g.min)


def confidence_band(score: Fraction) -> str:
    return next(label for threshold, label in CONFIDENCE_BANDS if score >= threshold)


def set_weights(
    criteria_set: CriteriaSet, overrides: Mapping[str, Fraction] | None = None
) -> dict[str, Fraction]:
    """The criterion weights in force: the set's own, or a procurement's overriding ones."""
    if overrides is None:
        return {c.key: c.weight for c in criteria_set.criteria}
    return {c.key: overrides[c.key] for c in criteria_set.criteria}


# --- section 8: improvement plan ---------------------------------------------------------------


def _gains(
    criteria_set: CriteriaSet, levels: Mapping[str, int], effective: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    """The points one level more on each answered indicator adds to the total.

    It depends only on the weights answered in the indicator's criterion, not on the level, so
    it is worked out once per indicator, however many steps the plan then takes on it.
    """
    gains = {}
    for criterion in criteria_set.criteria:
        if criterion.key not in effective:
            continue
        answered = [i for i in criterion.indicators if i.key in levels]
        if not answered:
            continue
        # 100 * e_c * w_i / (sum of answered w * MAX_LEVEL): all but w_i is the criterion's.
        per_weight = 100 * effective[criterion.key] / (sum(i.weight for i in answered) * MAX_LEVEL)
        for indicator in answered:
            gains[indicator.key] = per_weight * indicator.weight
    return gains


def improvement_plan(
    criteria_set: CriteriaSet,
    levels: Mapping[str, int],
    effective: Mapping[str, Fraction],
) -> tuple[Step, ...]:
    """The corrective-action list: knockout-clearing steps first, then one step each by gain."""
    raised = dict(levels)
    gains = _gains(criteria_set, levels, effective)
    steps: list[Step] = []

    def step(criterion: Criterion, indicator: Indicator, clears: bool) -> None:
        current = raised[indicator.key]
        steps.append(
            Step(
                indicator=indicator.key,
                criterion=criterion.key,
                from_level=current,
                to_level=current + 1,
                gain=gains[indicator.key],
                clears_knockout=clears,
            )
        )
        raised[indicator.key] = current + 1

    for criterion in criteria_set.criteria:
        for indicator in criterion.indicators:
            if indicator.knockout and levels.get(indicator.key) == 0:
                step(criterion, indicator, clears=True)

    for criterion in criteria_set.criteria:
        if criterion.minimum is None or criterion.key not in effective:
            continue
        answered = [i for i in criterion.indicators if i.key in levels]
        while (criterion_score(criterion.indicators, raised) or 0) < criterion.minimum:
            below_top = [i for i in answered if raised[i.key] < MAX_LEVEL]
            heaviest = min(below_top, key=lambda i: (-i.weight, i.key))
            step(criterion, heaviest, clears=True)

    planned = {s.indicator for s in steps}
    rest = [
        (criterion, indicator)
        for criterion in criteria_set.criteria
        if criterion.key in effective
        for indicator in criterion.indicators
        if indicator.key not in planned and levels.get(indicator.key, MAX_LEVEL) < MAX_LEVEL
    ]
    # By gain, largest first, ties by key: two stable sorts, cheaper than negated Fractions.
    rest.sort(key=lambda ci: ci[1].key)
    rest.sort(key=lambda ci: gains[ci[1].key], reverse=True)
    for criterion, indicator in rest:
        step(criterion, indicator, clears=False)
    return tuple(steps)


# --- section 4: knockouts ---------------------------------------------------------------------


def knockouts_of(
    criteria_set: CriteriaSet,
    levels: Mapping[str, int],
    scores: Mapping[str, Fraction],
) -> tuple[Knockout, ...]:
    """Every red line crossed: knockout indicators at level 0, then scored criteria under their
    minimum, each in the set's order. `scores`: the scored criteria's."""
    found = [
        Knockout("indicator", i.key, Fraction(0), Fraction(1))
        for i in criteria_set.indicators
        if i.knockout and levels.get(i.key) == 0
    ]
    for c in criteria_set.criteria:
        if c.minimum is not None and c.key in scores and scores[c.key] < c.minimum:
            found.append(Knockout("criterion_minimum", c.key, scores[c.key], c.minimum))
    return tuple(found)


# --- section 6: confidence ---------------------------------------------------------------------


def evidence_factor(entry: _Combined, day: dt.date) -> Fraction:
    """The factor of the strongest evidence current on `day`."""
    return max(
        (
            EVIDENCE_FACTORS[item.kind]
            for _, item in entry.evidence
            if item.stale_reason(day) is None
        ),
        default=Fraction(0),
    )


def stale_evidence(combined: Mapping[str, _Combined], day: dt.date) -> tuple[StaleEvidence, ...]:
    """Evidence items that do not count on `day`, with why, in the set's order."""
    return tuple(
        StaleEvidence(key, assessor, item, reason)
        for key, entry in combined.items()
        for assessor, item in entry.evidence
        if (reason := item.stale_reason(day)) is not None
    )


def confidence_of(
    criteria_set: CriteriaSet,
    factors: Mapping[str, Fraction],
    effective: Mapping[str, Fraction],
) -> Fraction:
    """100 times the weighted mean of the evidence factors (of the answered indicators), over
    the scored criteria."""
    confidence = Fraction(0)
    for criterion in criteria_set.criteria:
        if criterion.key not in effective:
            continue
        answered = [i for i in criterion.indicators if i.key in factors]
        weight = sum((i.weight for i in answered), Fraction(0))
        weighted = sum((i.weight * factors[i.key] for i in answered), Fraction(0))
        confidence += effective[criterion.key] * weighted / weight
    return 100 * confidence


# --- section 7: disagreements ------------------------------------------------------------------


def disagreements_of(combined: Mapping[str, _Combined]) -> tuple[Disagreement, ...]:
    """Indicators whose assessors' levels lie 2 or more apart."""
    found = []
    for key, entry in combined.items():
        given = [level for _, level in entry.assessor_levels if level is not None]
        if given and max(given) - min(given) >= 2:
            found.append(Disagreement(key, entry.assessor_levels, max(given) - min(given)))
    return tuple(found)


# --- the scorecard -----------------------------------------------------------------------------


def _criterion_results(
    criteria_set: CriteriaSet,
    combined: Mapping[str, _Combined],
    factors: Mapping[str, Fraction],
    scores: Mapping[str, Fraction],
    weights: Mapping[str, Fraction],
    effective: Mapping[str, Fraction],
) -> tuple[CriterionScore, ...]:
    """Each criterion's score, weights and contribution, with its indicators' levels."""
    results = []
    for criterion in criteria_set.criteria:
        e_c, s_c = effective.get(criterion.key), scores.get(criterion.key)
        indicators = tuple(
            IndicatorScore(
                key=indicator.key,
                weight=indicator.weight,
                level=combined[indicator.key].level,
                assessor_levels=combined[indicator.key].assessor_levels,
                evidence_factor=factors.get(indicator.key),
                knockout=indicator.knockout,
            )
            for indicator in criterion.indicators
        )
        results.append(
            CriterionScore(
                key=criterion.key,
                name=criterion.name,
                weight=weights[criterion.key],
                effective_weight=e_c,
                score=s_c,
                contribution=None if e_c is None or s_c is None else e_c * s_c,
                minimum=criterion.minimum,
                indicators=indicators,
            )
        )
    return tuple(results)


def score(
    criteria_set: CriteriaSet,
    assessments: Iterable[Assessment],
    as_of: dt.datetime,
    weights: Mapping[str, Fraction] | None = None,
) -> Scorecard:
    """Build the scorecard on `as_of`; NoCurrentAssessment when nothing current to score."""
    assessments = list(assessments)
    used = current_assessments(assessments, criteria_set, as_of)
    if not used:
        raise NoCurrentAssessment(explain_missing(assessments, criteria_set, as_of))
    combined = _combine(criteria_set, used)
    levels = {key: c.level for key, c in combined.items() if c.level is not None}
    day = as_of.date()

    scores = {
        c.key: score
        for c in criteria_set.criteria
        if (score := criterion_score(c.indicators, levels)) is not None
    }
    given_weights = set_weights(criteria_set, weights)
    effective = effective_weights(given_weights, scores)
    total = sum((effective[k] * scores[k] for k in effective), Fraction(0))
    knockouts = knockouts_of(criteria_set, levels, scores)
    factors = {key: evidence_factor(combined[key], day) for key in levels}
    confidence = confidence_of(criteria_set, factors, effective)
    disagreements = disagreements_of(combined)

    return Scorecard(
        criteria_ref=criteria_set.ref,
        criteria_sha256=criteria_set.sha256,
        as_of=as_of,
        total=total,
        grade=grade_for(criteria_set, total),
        eligible=not knockouts,
        knockouts=knockouts,
        criteria=_criterion_results(
            criteria_set, combined, factors, scores, given_weights, effective
        ),
        confidence=Confidence(
            confidence, confidence_band(confidence), stale_evidence(combined, day)
        ),
        assessments=tuple(
            AssessmentUsed(
                a.id, a.assessor, a.submitted_at, a.moderated, a.expires_at(criteria_set)
            )
            for a in used
        ),
        assessors=tuple(a.assessor for a in used),
        needs_moderation=bool(disagreements),
        disagreements=disagreements,
        plan=partial(improvement_plan, criteria_set, levels, effective),
        valid_until=min(a.expires_at(criteria_set) for a in used),
        moderated=used[0].moderated,
    )
