"""Answers against a criteria set (scoring contract, section 2), and records -> scoring inputs.

The request schema has already checked each answer's shape; what needs the criteria set is
checked here: every indicator that applies answered exactly once, N/A only where allowed, not
all N/A.
"""

import datetime as dt
from collections import Counter

from .criteria import Applicability, CriteriaSet
from .messages import pointer
from .scoring import Answer, Assessment, Evidence, Moderation, Settlement
from .services.errors import FieldError


def answer_errors(
    criteria_set: CriteriaSet, answers: list[dict], applicability: Applicability | None = None
) -> list[FieldError]:
    """One problem+json error entry per offending answer (and per unanswered indicator).
    `applicability`: a procurement's, whose assessments answer exactly what applies to the
    system it buys; every indicator when not given."""
    applicability = applicability or criteria_set.applicability(None)
    known = {i.key for i in criteria_set.indicators}
    indicators = {i.key: i for i in criteria_set.indicators if applicability.applies(i.key)}
    counts = Counter(a["indicator"] for a in answers)
    errors = []

    def error(path: tuple, message: str) -> None:
        errors.append(FieldError(pointer(path), (message,)))

    seen: set[str] = set()
    for index, answer in enumerate(answers):
        key = answer["indicator"]
        indicator = indicators.get(key)
        if key in known and indicator is None:
            error(
                ("answers", index, "indicator"),
                f"Indicator {key!r} does not apply to the system this procurement buys "
                "(its profile leaves it out): leave it unanswered.",
            )
        elif indicator is None:
            error(
                ("answers", index, "indicator"), f"Unknown indicator {key!r} in {criteria_set.ref}."
            )
        elif key in seen:
            error(
                ("answers", index, "indicator"),
                f"Indicator {key!r} is answered {counts[key]} times.",
            )
        elif answer.get("not_applicable") and not indicator.allow_not_applicable:
            error(("answers", index, "not_applicable"), f"Indicator {key!r} does not allow N/A.")
        seen.add(key)
    for key in indicators:
        if key not in counts:
            error(("answers",), f"Indicator {key!r} is not answered.")
    if not errors and all(a.get("not_applicable") for a in answers):
        error(("answers",), "Every indicator is N/A: there is nothing to score.")
    return errors


def to_evidence(item: dict) -> Evidence:
    return Evidence(
        title=item["title"],
        kind=item["kind"],
        url=item.get("url"),
        sha256=item.get("sha256"),
        effective_date=_date(item.get("effective_date")),
        valid_until=_date(item.get("valid_until")),
    )


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def moderation_to_scoring(record) -> Moderation:
    """A stored moderation (models.Moderation) as the scoring contract's input value."""
    return Moderation(
        id=record.id,
        criteria_ref=record.criteria_set,
        moderator=record.moderator,
        submitted_at=record.submitted_at,
        settlements=tuple(
            Settlement(
                indicator=s["indicator"],
                level=None if s.get("not_applicable") else s["level"],
                reason=s["reason"],
                evidence=tuple(to_evidence(e) for e in s.get("evidence", ())),
            )
            for s in record.settlements
        ),
    )


def to_scoring(record) -> Assessment:
    """A stored assessment (models.Assessment) as the scoring contract's input value."""
    return Assessment(
        id=record.id,
        criteria_ref=record.criteria_set,
        assessor=record.assessor,
        submitted_at=record.submitted_at,
        moderated=record.moderated,
        supersedes=record.supersedes,
        answers=tuple(
            Answer(
                indicator=a["indicator"],
                level=None if a.get("not_applicable") else a["level"],
                rationale=a.get("rationale"),
                evidence=tuple(to_evidence(e) for e in a.get("evidence", ())),
            )
            for a in record.answers
        ),
    )
