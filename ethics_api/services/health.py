"""Whether the service can serve: its database answers, is migrated, and still holds the
criteria files it has scored against."""

import logging

from sqlalchemy import Engine, text

from .. import fingerprints, migrate
from ..criteria import Catalog

log = logging.getLogger(__name__)


def unready_because(engine: Engine, catalog: Catalog) -> str | None:
    """Why the service is not ready, in words an operator can act on; None when it is."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if migrate.pending(engine):
            return "The database schema is not current: run `ethics-api db upgrade`."
        changed = fingerprints.mismatches(engine, catalog)
        if changed:
            return " ".join(changed)
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness check failed: %s", exc)
        return "The database cannot be reached."
    return None
