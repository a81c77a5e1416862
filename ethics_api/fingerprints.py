"""The SHA-256 of every criteria set version the service has scored against.

A published version is immutable: once an assessment was made against it, the file's bytes
must never change, or old scorecards would silently be recomputed against a different rubric.
"""

from sqlalchemy import Engine, Insert, bindparam, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .criteria import Catalog, CriteriaError, CriteriaSet
from .models import CriteriaVersion, utcnow


def _first_use(insert) -> Insert:
    values = {column: bindparam(column) for column in ("key", "version", "sha256")}
    first_used_at = bindparam("first_used_at", type_=CriteriaVersion.first_used_at.type)
    return insert(CriteriaVersion).values(**values, first_used_at=first_used_at)


# Built once: every assessment and moderation records its set's use.
_FIRST_USE = {
    "postgresql": _first_use(postgresql.insert).on_conflict_do_nothing(),
    "sqlite": _first_use(sqlite.insert).on_conflict_do_nothing(),
}


def record_use(session: Session, criteria_set: CriteriaSet) -> None:
    """Record the fingerprint on first use, in the caller's transaction.

    Two first uses may race on PostgreSQL; ON CONFLICT DO NOTHING lets both commit. Run on the
    connection: through the ORM session, a Core insert took its bulk-insert path, which cost
    an assessment's write more than the insert.
    """
    connection = session.connection()
    connection.execute(
        _FIRST_USE[connection.dialect.name],
        {
            "key": criteria_set.key,
            "version": criteria_set.version,
            "sha256": criteria_set.sha256,
            "first_used_at": utcnow(),
        },
    )


def mismatches(engine: Engine, catalog: Catalog) -> list[str]:
    """Every recorded version whose file changed or disappeared, in words; [] when all match."""
    if not inspect(engine).has_table(CriteriaVersion.__tablename__):
        return []
    with Session(engine) as session:
        recorded = session.scalars(select(CriteriaVersion)).all()
    problems = []
    for row in recorded:
        ref = f"{row.key}@{row.version}"
        loaded = catalog.get(ref)
        if loaded is None:
            problems.append(
                f"{ref} was used for scoring (sha256 {row.sha256}) but no criteria file "
                "defines it any more; restore the file."
            )
        elif loaded.sha256 != row.sha256:
            problems.append(
                f"{loaded.path}: {ref} was used for scoring with sha256 {row.sha256}, but the "
                f"file now has sha256 {loaded.sha256}. A published version must not change: "
                "restore the file and publish the change as a new version."
            )
    return problems


def verify(engine: Engine, catalog: Catalog) -> None:
    problems = mismatches(engine, catalog)
    if problems:
        raise CriteriaError("\n".join(problems))
