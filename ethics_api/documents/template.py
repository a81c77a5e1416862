"""An assessment body to fill in, for one criteria set: what `ethics-api criteria template`
prints.

Each answer's `level` holds a hint, not a level: the indicator's question and what each level
means. A hint is text, which the API refuses as a level, so a template sent before every level
is filled in is refused (422, pointing at each level still to fill) rather than scored.
"""

from ..criteria import CriteriaSet, Indicator


def assessment_template(criteria_set: CriteriaSet) -> dict:
    """A body for POST /v1/vendors/{id}/assessments answering every indicator of the set."""
    return {
        "criteria_set": criteria_set.ref,
        "answers": [
            {"indicator": indicator.key, "level": level_hint(indicator)}
            for indicator in criteria_set.indicators
        ],
    }


def level_hint(indicator: Indicator) -> str:
    """e.g. Fill in 0-4. Was a DPIA completed? 0: none | 1: intent | ... | 4: verified"""
    question = " ".join(indicator.question.split())
    levels = " | ".join(
        f"{level}: {' '.join(descriptor.split())}"
        for level, descriptor in enumerate(indicator.levels)
    )
    hint = f"Fill in 0-{len(indicator.levels) - 1}. {question} {levels}"
    if indicator.allow_not_applicable:
        hint += (
            ' | or, if it does not apply, replace "level" with "not_applicable": true and a '
            '"rationale"'
        )
    return hint
