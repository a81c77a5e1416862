"""Optimistic concurrency: a change applies only to the version its author last read.

The version a client promises (HTTP's If-Match) is checked in the UPDATE's own WHERE clause,
not read before it, so of two writers holding the same version exactly one wins: a check in
Python before the UPDATE loses updates under PostgreSQL's Read Committed.
"""

from dataclasses import dataclass

from sqlalchemy import update

from .context import Context
from .errors import PreconditionFailed, PreconditionRequired

# Revisions are stored as 32-bit integers: no row ever reaches a larger one, and PostgreSQL
# refuses to compare its integer column with a number beyond that range.
LARGEST_REVISION = 2**31 - 1


@dataclass(frozen=True)
class Expected:
    """The versions a change may apply to; None: any ("*")."""

    revisions: frozenset[int] | None

    @classmethod
    def of(cls, revisions) -> "Expected":
        """The versions named, less those no row can have (which match nothing, as any
        version that does not exist)."""
        return cls(frozenset(r for r in revisions if 1 <= r <= LARGEST_REVISION))

    def allows(self, revision: int) -> bool:
        return self.revisions is None or revision in self.revisions


def required(expected: Expected | None) -> Expected:
    if expected is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag from your last GET of this resource."
        )
    return expected


def stale(row) -> PreconditionFailed:
    name = type(row).__name__.lower()
    return PreconditionFailed(f"The {name} changed since that ETag: GET it again and retry.")


def check(row, expected: Expected | None) -> None:
    """Refuse at once a change promised for another version (before other rules are met)."""
    if not required(expected).allows(row.revision):
        raise stale(row)


def update_if_expected(
    context: Context, row, values: dict, expected: Expected | None, *conditions
) -> None:
    """UPDATE the row with `values` (and a new revision) if it is still at an expected
    revision and meets `conditions`; PreconditionFailed otherwise."""
    expected = required(expected)
    model = type(row)
    statement = update(model).where(model.id == row.id, *conditions)
    if expected.revisions is not None:
        statement = statement.where(model.revision.in_(sorted(expected.revisions)))
    values = {**values, "revision": model.revision + 1, "updated_at": context.now()}
    session = context.session
    if session.execute(statement.values(**values).returning(model.id)).first() is None:
        raise stale(row)
    session.flush()
    session.refresh(row)
