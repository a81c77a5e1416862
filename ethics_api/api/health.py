"""Liveness and readiness probes."""

from flask import current_app
from sqlalchemy import text

from .. import fingerprints, migrate
from ..db import get_db
from ..errors import problem
from ..schemas import StatusSchema
from . import Blueprint

blp = Blueprint("health", __name__, description="Probes for load balancers and orchestrators")


@blp.route("/healthz")
@blp.response(200, StatusSchema)
def healthz():
    """The process is up (no database work)"""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, StatusSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def readyz():
    """The database answers, its schema is current and the criteria match their fingerprints"""
    database = get_db()
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if migrate.pending(database.engine):
            return _unready("The database schema is not current: run `ethics-api db upgrade`.")
        changed = fingerprints.mismatches(database.engine, current_app.extensions["catalog"])
        if changed:
            return _unready(" ".join(changed))
    except Exception as exc:  # any failure to reach the database means "not ready"
        current_app.logger.warning("readiness check failed: %s", exc)
        return _unready("The database cannot be reached.")
    return {"status": "ready"}


def _unready(detail: str):
    return current_app.response_class(
        current_app.json.dumps(problem(503, detail)),
        status=503,
        mimetype="application/problem+json",
    )
