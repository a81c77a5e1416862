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
        **{f.name: getattr(scorecard, f.name) for f in dataclasses.fields(scorecard)},
    }
