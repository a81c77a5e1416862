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

from .criteria import Applicability, CriteriaSet, Criterion, Indicator

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


@dataclass(frozen=True)
class Settlement:
    """A moderator's agreed level for one indicator (None: not applicable), and why."""

    indicator: str
    level: int | None
    reason: str | None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Moderation:
    """Indicators of one vendor settled by a moderator; it expires as assessments do."""

    id: str
    criteria_ref: str
    moderator: str
    submitted_at: dt.datetime
    settlements: tuple[Settlement, ...]

    def expires_at(self, criteria_set: CriteriaSet) -> dt.datetime:
        return self.submitted_at + dt.timedelta(days=criteria_set.validity_days)


def as_moderation(assessment: Assessment) -> Moderation:
    """A whole moderated assessment is a moderation of every indicator, its rationales the
    reasons (section 7)."""
    return Moderation(
        id=assessment.id,
        criteria_ref=assessment.criteria_ref,
        moderator=assessment.assessor,
        submitted_at=assessment.submitted_at,
        settlements=tuple(
            Settlement(answer.indicator, answer.level, answer.rationale, answer.evidence)
            for answer in assessment.answers
        ),
    )


# --- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Knockout:
    kind: str  # "indicator", "indicator_minimum" or "criterion_minimum"
    key: str
    value: Fraction  # the level, or the criterion score
    threshold: Fraction  # 1, the indicator's minimum level, or the criterion minimum
    # Whose levels put it there: the assessors below the line, or the moderator who settled it.
    assessors: tuple[str, ...] = ()
    # In words: the indicator's question, the criterion's name or the gate's condition.
    name: str = ""


@dataclass(frozen=True)
class IndicatorScore:
    key: str
    weight: Fraction
    level: int | None  # the combined level; None when not applicable
    assessor_levels: tuple[tuple[str, int | None], ...]
    evidence_factor: Fraction | None  # None when not applicable
    knockout: bool
    minimum_level: int | None = None  # the red line in the scope's tier: 1 for a knockout
    settled_by: str | None = None  # the moderator whose agreed level replaced the combined one
    applies: bool = True  # False: the procurement's profile leaves it out (section 12)
    name: str = ""  # in words: the set gives an indicator its question, not a shorter name

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
class Settled:
    """How a moderation settled an indicator."""

    level: int | None
    moderator: str
    reason: str | None
    moderation_id: str
    submitted_at: dt.datetime


@dataclass(frozen=True)
class Disagreement:
    indicator: str
    assessor_levels: tuple[tuple[str, int | None], ...]
    spread: int
    # Some assessor below the indicator's red line and some at or above it (section 7, v2).
    splits_red_line: bool = False
    settled: Settled | None = None


@dataclass(frozen=True)
class Step:
    indicator: str
    criterion: str
    from_level: int
    to_level: int
    gain: Fraction
    clears_knockout: bool
    name: str = ""  # the indicator's question, in words


@dataclass(frozen=True)
class AssessmentUsed:
    id: str
    assessor: str
    submitted_at: dt.datetime
    moderated: bool
    expires_at: dt.datetime


@dataclass(frozen=True)
class ModerationUsed:
    id: str
    moderator: str
    submitted_at: dt.datetime
    expires_at: dt.datetime
    indicators: tuple[str, ...]  # those it settles in this scorecard


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
    moderated: bool = False  # some indicator's level was agreed by moderation
    assessors: tuple[str, ...] = field(default=())
    moderations: tuple[ModerationUsed, ...] = field(default=())
    # Section 12: the procurement's profile answers (None when standalone) and impact tier.
    profile: Mapping[str, bool] | None = field(default=None, compare=False)
    tier: str | None = None

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


def _current(records, criteria_set: CriteriaSet, as_of: dt.datetime, corrected: set) -> list:
    """Records against this set version, submitted by `as_of`, not expired then and not
    superseded by a correction submitted by then; oldest first."""
    return sorted(
        (
            r
            for r in records
            if r.criteria_ref == criteria_set.ref
            and r.submitted_at <= as_of
            and r.expires_at(criteria_set) >= as_of
            and r.id not in corrected
        ),
        key=lambda r: (r.submitted_at, r.id),
    )


def _corrected(assessments: Sequence[Assessment], as_of: dt.datetime) -> set[str]:
    return {a.supersedes for a in assessments if a.supersedes and a.submitted_at <= as_of}


def current_assessments(
    assessments: Iterable[Assessment], criteria_set: CriteriaSet, as_of: dt.datetime
) -> tuple[Assessment, ...]:
    """The assessors' assessments a scorecard on `as_of` rests on: each assessor's latest
    current one (moderated assessments are moderations, not assessors' work)."""
    assessments = list(assessments)
    latest: dict[str, Assessment] = {}
    for assessment in _current(assessments, criteria_set, as_of, _corrected(assessments, as_of)):
        if not assessment.moderated:
            latest[assessment.assessor] = assessment
    return tuple(latest[assessor] for assessor in sorted(latest))


def current_moderations(
    assessments: Iterable[Assessment],
    moderations: Iterable[Moderation],
    criteria_set: CriteriaSet,
    as_of: dt.datetime,
) -> tuple[Moderation, ...]:
    """The moderations current on `as_of`, whole moderated assessments among them, oldest
    first: for each indicator, the latest that settles it is the one that counts."""
    assessments = list(assessments)
    current = _current(assessments, criteria_set, as_of, _corrected(assessments, as_of))
    whole = [as_moderation(a) for a in current if a.moderated]
    found = [*_current(moderations, criteria_set, as_of, set()), *whole]
    return tuple(sorted(found, key=lambda m: (m.submitted_at, m.id)))


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
    settled: Settled | None = None


def _settlements(moderations: Sequence[Moderation]) -> dict[str, tuple[Settlement, Moderation]]:
    """For each indicator, the settlement of the latest moderation that covers it."""
    latest: dict[str, tuple[Settlement, Moderation]] = {}
    for moderation in moderations:  # oldest first: a later one replaces an earlier one
        for settlement in moderation.settlements:
            latest[settlement.indicator] = (settlement, moderation)
    return latest


_LEFT_OUT = _Combined(level=None, assessor_levels=(), evidence=())


def _combine(
    criteria_set: CriteriaSet,
    used: Sequence[Assessment],
    moderations: Sequence[Moderation],
    applicability: Applicability,
) -> dict[str, _Combined]:
    """Per indicator: the assessors' levels combined by the lower median, ignoring N/A, unless
    a moderation settled it; the evidence of every assessor, and of the settling moderation.
    An indicator that does not apply is left out as N/A is, whatever was answered to it (a
    reused standalone assessment answers every indicator)."""
    answers = [(a.assessor, {ans.indicator: ans for ans in a.answers}) for a in used]
    settlements = _settlements(moderations)
    combined: dict[str, _Combined] = {}
    for indicator in criteria_set.indicators:
        if not applicability.applies(indicator.key):
            combined[indicator.key] = _LEFT_OUT
            continue
        given = [
            (assessor, by_key[indicator.key])
            for assessor, by_key in answers
            if indicator.key in by_key
        ]
        levels = [ans.level for _, ans in given if ans.level is not None]
        entry = _Combined(
            level=lower_median(levels) if levels else None,
            assessor_levels=tuple((assessor, ans.level) for assessor, ans in given),
            evidence=tuple((assessor, item) for assessor, ans in given for item in ans.evidence),
        )
        if indicator.key in settlements:
            settlement, moderation = settlements[indicator.key]
            entry = _Combined(
                level=settlement.level,
                assessor_levels=entry.assessor_levels,
                evidence=entry.evidence
                + tuple((moderation.moderator, item) for item in settlement.evidence),
                settled=Settled(
                    settlement.level,
                    moderation.moderator,
                    settlement.reason,
                    moderation.id,
                    moderation.submitted_at,
                ),
            )
        combined[indicator.key] = entry
    return combined


def disagreements_of(
    criteria_set: CriteriaSet, combined: Mapping[str, _Combined], red_lines: Mapping[str, int]
) -> tuple[Disagreement, ...]:
    """Indicators whose assessors' levels lie 2 or more apart, or fall on both sides of the
    indicator's red line (a red line must never rest on one evaluator's mark); each with its
    settlement, once moderated."""
    found = []
    for indicator in criteria_set.indicators:
        entry = combined[indicator.key]
        given = [level for _, level in entry.assessor_levels if level is not None]
        if not given:
            continue
        spread = max(given) - min(given)
        line = red_lines.get(indicator.key)
        splits = line is not None and min(given) < line <= max(given)
        if spread >= 2 or splits:
            found.append(
                Disagreement(indicator.key, entry.assessor_levels, spread, splits, entry.settled)
            )
    return tuple(found)


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
    red_lines: Mapping[str, int],
) -> tuple[Step, ...]:
    """The corrective-action list: the steps that clear knockouts first (each indicator up to
    its red line, then each criterion up to its minimum), then one step each by gain."""
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
                name=in_words(indicator.question),
            )
        )
        raised[indicator.key] = current + 1

    for criterion in criteria_set.criteria:
        for indicator in criterion.indicators:
            line = red_lines.get(indicator.key)
            while line is not None and indicator.key in raised and raised[indicator.key] < line:
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
    combined: Mapping[str, _Combined],
    scores: Mapping[str, Fraction],
    red_lines: Mapping[str, int],
) -> tuple[Knockout, ...]:
    """Every red line crossed, each naming whose levels put it there: indicators under their
    red line (in the scope's tier), then scored criteria under their minimum, each in the set's
    order. `scores`: the scored criteria's."""
    found = []
    for indicator in criteria_set.indicators:
        entry, line = combined[indicator.key], red_lines.get(indicator.key)
        if line is None or entry.level is None or entry.level >= line:
            continue
        if entry.settled is not None:
            below: tuple[str, ...] = (entry.settled.moderator,)
        else:
            below = tuple(
                a for a, level in entry.assessor_levels if level is not None and level < line
            )
        kind = "indicator" if indicator.knockout else "indicator_minimum"
        found.append(
            Knockout(
                kind,
                indicator.key,
                Fraction(entry.level),
                Fraction(line),
                below,
                in_words(indicator.question),
            )
        )
    for criterion in criteria_set.criteria:
        if criterion.minimum is None or criterion.key not in scores:
            continue
        if scores[criterion.key] < criterion.minimum:
            found.append(
                Knockout(
                    "criterion_minimum",
                    criterion.key,
                    scores[criterion.key],
                    criterion.minimum,
                    _whose_levels(criterion, combined),
                    criterion.name,
                )
            )
    return tuple(found)


def _whose_levels(criterion: Criterion, combined: Mapping[str, _Combined]) -> tuple[str, ...]:
    """Everyone whose levels make up the criterion's score: its assessors, and the moderators
    of the indicators they settled."""
    names: dict[str, None] = {}
    for indicator in criterion.indicators:
        entry = combined[indicator.key]
        if entry.settled is not None:
            names[entry.settled.moderator] = None
        else:
            names.update((a, None) for a, level in entry.assessor_levels if level is not None)
    return tuple(names)


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


# --- the scorecard -----------------------------------------------------------------------------


def _criterion_results(
    criteria_set: CriteriaSet,
    combined: Mapping[str, _Combined],
    factors: Mapping[str, Fraction],
    scores: Mapping[str, Fraction],
    weights: Mapping[str, Fraction],
    effective: Mapping[str, Fraction],
    applicability: Applicability,
) -> tuple[CriterionScore, ...]:
    """Each criterion's score, weights and contribution, with its indicators' levels."""
    results = []
    for criterion in criteria_set.criteria:
        e_c, s_c = effective.get(criterion.key), scores.get(criterion.key)
        indicators = tuple(
            _indicator_result(
                indicator, combined[indicator.key], factors.get(indicator.key), applicability
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


def _indicator_result(
    indicator: Indicator, entry: _Combined, factor, applicability: Applicability
) -> IndicatorScore:
    return IndicatorScore(
        key=indicator.key,
        weight=indicator.weight,
        level=entry.level,
        assessor_levels=entry.assessor_levels,
        evidence_factor=factor,
        knockout=indicator.knockout,
        minimum_level=applicability.red_line(indicator),
        settled_by=entry.settled.moderator if entry.settled else None,
        applies=applicability.applies(indicator.key),
        name=in_words(indicator.question),
    )


def in_words(text: str) -> str:
    """A criteria file's text on one line, as a name is shown (questions may span lines)."""
    return " ".join(text.split())


def score(
    criteria_set: CriteriaSet,
    assessments: Iterable[Assessment],
    as_of: dt.datetime,
    weights: Mapping[str, Fraction] | None = None,
    moderations: Iterable[Moderation] = (),
    applicability: Applicability | None = None,
) -> Scorecard:
    """Build the scorecard on `as_of`; NoCurrentAssessment when nothing current to score.
    `applicability`: what applies in the scope (section 12); every indicator, in the highest
    tier, when not given."""
    if applicability is None:
        applicability = criteria_set.applicability(None)
    assessments = list(assessments)
    used = current_assessments(assessments, criteria_set, as_of)
    settling = current_moderations(assessments, moderations, criteria_set, as_of)
    whole = [
        m for m in settling if applicability.indicators <= {s.indicator for s in m.settlements}
    ]
    if not used and not whole:
        raise NoCurrentAssessment(explain_missing(assessments, criteria_set, as_of))
    combined = _combine(criteria_set, used, settling, applicability)
    red_lines = {
        i.key: line
        for i in criteria_set.indicators
        if applicability.applies(i.key) and (line := applicability.red_line(i)) is not None
    }
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
    knockouts = knockouts_of(criteria_set, combined, scores, red_lines)
    factors = {key: evidence_factor(combined[key], day) for key in levels}
    confidence = confidence_of(criteria_set, factors, effective)
    disagreements = disagreements_of(criteria_set, combined, red_lines)
    applied = _applied(settling, combined)

    return Scorecard(
        criteria_ref=criteria_set.ref,
        criteria_sha256=criteria_set.sha256,
        as_of=as_of,
        total=total,
        grade=grade_for(criteria_set, total),
        eligible=not knockouts,
        knockouts=knockouts,
        criteria=_criterion_results(
            criteria_set, combined, factors, scores, given_weights, effective, applicability
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
        needs_moderation=any(d.settled is None for d in disagreements),
        disagreements=disagreements,
        plan=partial(improvement_plan, criteria_set, levels, effective, red_lines),
        valid_until=min(r.expires_at(criteria_set) for r in (*used, *applied)),
        moderated=bool(applied),
        moderations=tuple(
            ModerationUsed(
                m.id,
                m.moderator,
                m.submitted_at,
                m.expires_at(criteria_set),
                tuple(
                    k for k, c in combined.items() if c.settled and c.settled.moderation_id == m.id
                ),
            )
            for m in applied
        ),
        profile=applicability.profile,
        tier=applicability.tier,
    )


def _applied(settling: Sequence[Moderation], combined: Mapping[str, _Combined]) -> list:
    """The moderations whose settlements a scorecard uses (a later one may replace all of an
    earlier one's)."""
    ids = {c.settled.moderation_id for c in combined.values() if c.settled is not None}
    return [m for m in settling if m.id in ids]
