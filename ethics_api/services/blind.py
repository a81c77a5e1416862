"""Blind evaluation: an assessor sees other assessors' work on a vendor only after their own.

Evaluators must score independently. Until an assessor has submitted an assessment of a vendor
in a scope (one criteria set, in a procurement or standalone), the other assessments of that
vendor in that scope, and the combined scorecard, are closed to them. Other roles are not
affected.
"""

from sqlalchemy import and_, or_, select

from ..enums import Role
from ..models import Assessment
from .context import Context
from .errors import Forbidden
from .scope import Scope


def is_blind(context: Context) -> bool:
    return context.caller.role == Role.ASSESSOR


def _own(context: Context):
    return Assessment.person_id == context.caller.person_id


def has_assessed(context: Context, scope: Scope) -> bool:
    """Whether the caller has submitted an assessment of the vendor in this scope."""
    statement = select(Assessment.id).where(*scope.rows(Assessment), _own(context)).limit(1)
    return context.session.scalar(statement) is not None


def require_own_first(context: Context, scope: Scope, what: str) -> None:
    """Forbidden unless the calling assessor has assessed the vendor in this scope."""
    if is_blind(context) and not has_assessed(context, scope):
        where = "in this procurement" if scope.procurement_id else "standalone"
        raise Forbidden(
            f"Blind evaluation: submit your own assessment of this vendor ({where}) "
            f"before reading {what}."
        )


def readable(context: Context, vendor_id: str, model=Assessment):
    """A WHERE clause for the assessments (or moderations) of a vendor the caller may read:
    for a blind assessor, their own and those of the scopes they have assessed in."""
    if not is_blind(context):
        return model.vendor_id == vendor_id
    assessed = context.session.execute(
        select(Assessment.criteria_key, Assessment.criteria_version, Assessment.procurement_id)
        .where(Assessment.vendor_id == vendor_id, _own(context))
        .distinct()
    ).all()
    scopes = [
        Scope(vendor_id, context.criteria.sets[f"{key}@{version}"], procurement_id)
        for key, version, procurement_id in assessed
    ]
    return and_(
        model.vendor_id == vendor_id,
        or_(
            model.person_id == context.caller.person_id,
            *(and_(*scope.rows(model)) for scope in scopes),
        ),
    )
