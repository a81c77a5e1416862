"""Liveness and readiness probes."""

from flask import current_app

from ..errors import problem
from ..schemas.common import StatusSchema
from ..services.health import unready_because
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
    engine = current_app.extensions["database"].engine
    detail = unready_because(engine, current_app.extensions["catalog"])
    if detail is None:
        return {"status": "ready"}
    return current_app.response_class(
        current_app.json.dumps(problem(503, detail)) + "\n",
        status=503,
        mimetype="application/problem+json",
    )
