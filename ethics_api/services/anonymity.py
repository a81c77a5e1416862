"""What a vendor reads of its own evaluation: no evaluator's name.

Evaluators must be free to mark without pressure from the bidders they mark, and a bidder's
challenge is to the evaluation, not to a person. Wherever a vendor key reads, assessors appear
as "Evaluator 1", "Evaluator 2" (numbered in the order they first submitted) and moderators as
"Moderator 1", ... .
"""

import dataclasses
from collections.abc import Callable, Iterable

from ..models import Dispute
from ..scoring import Scorecard

Rename = Callable[[str], str]


def pseudonyms(assessors: Iterable[str], moderators: Iterable[str] = ()) -> Rename:
    """A renaming: each assessor "Evaluator n" and each moderator "Moderator n", in the order
    given; a name given as neither is "an evaluator"."""
    names: dict[str, str] = {}
    for role, people in (("Evaluator", assessors), ("Moderator", moderators)):
        for name in people:
            if name not in names:
                names[name] = f"{role} {sum(v.startswith(role) for v in names.values()) + 1}"
    return lambda name: names.get(name, "an evaluator")


def scorecard_renaming(scorecard: Scorecard) -> Rename:
    by_submission = sorted(scorecard.assessments, key=lambda a: (a.submitted_at, a.id))
    moderators = sorted(scorecard.moderations, key=lambda m: (m.submitted_at, m.id))
    return pseudonyms([a.assessor for a in by_submission], [m.moderator for m in moderators])


def anonymous_scorecard(scorecard: Scorecard) -> Scorecard:
    """The scorecard with every evaluator's name replaced by a pseudonym."""
    rename = scorecard_renaming(scorecard)

    def levels(pairs):
        return tuple((rename(name), level) for name, level in pairs)

    replace = dataclasses.replace
    return replace(
        scorecard,
        knockouts=tuple(
            replace(k, assessors=tuple(map(rename, k.assessors))) for k in scorecard.knockouts
        ),
        criteria=tuple(
            replace(
                c,
                indicators=tuple(
                    replace(
                        i,
                        assessor_levels=levels(i.assessor_levels),
                        settled_by=rename(i.settled_by) if i.settled_by else None,
                    )
                    for i in c.indicators
                ),
            )
            for c in scorecard.criteria
        ),
        confidence=replace(
            scorecard.confidence,
            stale_evidence=tuple(
                replace(s, assessor=rename(s.assessor)) for s in scorecard.confidence.stale_evidence
            ),
        ),
        assessments=tuple(replace(a, assessor=rename(a.assessor)) for a in scorecard.assessments),
        assessors=tuple(map(rename, scorecard.assessors)),
        disagreements=tuple(
            replace(
                d,
                assessor_levels=levels(d.assessor_levels),
                settled=replace(d.settled, moderator=rename(d.settled.moderator))
                if d.settled
                else None,
            )
            for d in scorecard.disagreements
        ),
        moderations=tuple(replace(m, moderator=rename(m.moderator)) for m in scorecard.moderations),
    )


def anonymous_dispute(dispute: Dispute) -> Dispute:
    """A copy of the dispute, never stored, whose resolver is "a moderator"."""
    copy = Dispute(
        **{column.key: getattr(dispute, column.key) for column in Dispute.__mapper__.columns}
    )
    if copy.resolved_by is not None:
        copy.resolved_by = "a moderator"
    return copy
