"""Blind evaluation: an assessor sees other assessors' work on a bidder only after their own.

Evaluators must score independently. Until an assessor has submitted an assessment of a vendor
in a scope (a procurement, or standalone), the other assessments of that vendor in that scope,
and the combined scorecard, are closed to them. Other roles are not affected.
"""

from flask_smorest import abort
from sqlalchemy import or_, select

from ..auth import principal
from ..db import session
from ..models import Assessment


def submitted_scopes(vendor_id: str) -> set[str | None]:
    """The procurement ids (None: standalone) in which the calling assessor assessed the vendor."""
    caller = principal()
    return set(
        session().scalars(
            select(Assessment.procurement_id)
            .where(
                Assessment.organisation_id == caller.organisation_id,
                Assessment.vendor_id == vendor_id,
                Assessment.assessor == caller.name,
            )
            .distinct()
        )
    )


def is_blind() -> bool:
    return principal().role == "assessor"


def readable_filter(vendor_id: str):
    """A WHERE clause for the assessments of a vendor the calling assessor may read."""
    scopes = submitted_scopes(vendor_id)
    conditions = [Assessment.assessor == principal().name]
    ids = [s for s in scopes if s is not None]
    if ids:
        conditions.append(Assessment.procurement_id.in_(ids))
    if None in scopes:
        conditions.append(Assessment.procurement_id.is_(None))
    return or_(*conditions)


def require_own_first(vendor_id: str, procurement_id: str | None, what: str) -> None:
    """403 unless the calling assessor has assessed the vendor in this scope."""
    if is_blind() and procurement_id not in submitted_scopes(vendor_id):
        scope = "in this procurement" if procurement_id else "standalone"
        abort(
            403,
            message=f"Blind evaluation: submit your own assessment of this vendor ({scope}) "
            f"before reading {what}.",
        )
