"""From stored records to scorecards: the one place that feeds `scoring` from the database."""

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import scoring
from .answers import to_scoring
from .criteria import CriteriaSet
from .models import Assessment, Vendor


def vendor_assessments(session: Session, vendor_id: str, criteria_set: CriteriaSet) -> list:
    """The vendor's standalone assessments against one set version, as scoring inputs."""
    records = session.scalars(
        select(Assessment).where(
            Assessment.vendor_id == vendor_id,
            Assessment.criteria_key == criteria_set.key,
            Assessment.criteria_version == criteria_set.version,
            Assessment.procurement_id.is_(None),
        )
    )
    return [to_scoring(record) for record in records]


def vendor_scorecard(
    session: Session, vendor: Vendor, criteria_set: CriteriaSet, as_of: dt.datetime
) -> scoring.Scorecard:
    """Raises scoring.NoCurrentAssessment when there is nothing current to score."""
    return scoring.score(criteria_set, vendor_assessments(session, vendor.id, criteria_set), as_of)


def history(
    criteria_set: CriteriaSet, assessments: list[scoring.Assessment], weights=None
) -> list[dict]:
    """After each assessment, in order of submission, the scorecard's total, grade and
    eligibility, kept where they moved, with the assessment that moved them."""
    entries: list[dict] = []
    last = None
    for assessment in sorted(assessments, key=lambda a: (a.submitted_at, a.id)):
        try:
            card = scoring.score(criteria_set, assessments, assessment.submitted_at, weights)
        except scoring.NoCurrentAssessment:
            continue
        state = (card.total, card.grade, card.eligible)
        if state == last:
            continue
        if assessment.supersedes:
            why = f"{assessment.assessor} corrected assessment {assessment.supersedes}"
        elif assessment.moderated:
            why = f"{assessment.assessor} submitted a moderated assessment, used alone"
        else:
            why = f"{assessment.assessor} submitted an assessment"
        entries.append(
            {
                "as_of": assessment.submitted_at,
                "assessment_id": assessment.id,
                "reason": why,
                "total": card.total,
                "change": None if last is None else card.total - last[0],
                "grade": card.grade,
                "eligible": card.eligible,
                "knockouts": card.knockouts,
            }
        )
        last = state
    return entries


def own_score(record: Assessment, criteria_set: CriteriaSet) -> scoring.Scorecard:
    """An assessment scored alone, as of its submission."""
    return scoring.score(criteria_set, [to_scoring(record)], record.submitted_at)


def presented(
    vendor: Vendor, criteria_set: CriteriaSet, scorecard: scoring.Scorecard, disputes=()
) -> dict:
    """The scorecard with the vendor, the set it names and the vendor's open disputes, ready
    for any renderer."""
    return {
        "disputes": list(disputes),
        "disputed_indicators": sorted({d.indicator for d in disputes}),
        "vendor": vendor,
        "criteria_set": {
            "ref": criteria_set.ref,
            "sha256": criteria_set.sha256,
            "title": criteria_set.title,
        },
        **{
            f.name: getattr(scorecard, f.name)
            for f in dataclasses.fields(scorecard)
            if f.name != "plan"
        },
        "improvement_plan": scorecard.improvement_plan,
    }
