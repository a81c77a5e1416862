"""An open ethics scoring service for AI vendors in public procurement.

Public buyers are asked to make **data privacy, surveillance ethics, human oversight,
transparency and accountability** count beside price when they buy AI and data-analytics
platforms. This API turns that into numbers a buyer can defend:

* **Criteria sets** are versioned data files: weighted criteria, indicators with anchored 0-4
  levels, knockouts and minimums, each indicator citing its legal or standards source.
* **Assessments** are submitted by evaluators, with evidence. They are records: never edited,
  a correction is a new assessment.
* **Scorecards** combine the current assessments of a vendor exactly (rational arithmetic,
  rounded half away from zero only when written out) and explain themselves: per-criterion
  scores and contributions, knockouts, confidence from evidence, disagreements between
  evaluators and an improvement plan.

Every error is an RFC 9457 `application/problem+json` document. Lists are paginated with
`page` and `page_size` (at most 200); the totals are in the `X-Pagination` header.
"""

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth, errors, fingerprints, pages, per_request, ratelimit
from .config import (
    Defaults,
    criteria_folders,
    default_criteria_set,
    flag,
    from_environment,
    proxy_count,
    wait_in_seconds,
)
from .criteria import load_catalog
from .database import Database
from .services.context import Settings


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: configuration, criteria, database, API and its documentation.

    Raises CriteriaError when a criteria file breaks a rule or a file used for scoring changed:
    the service must not start with a rubric it cannot vouch for.
    """
    app = errors.RedactingFlask(__name__, instance_relative_config=True)
    app.json.sort_keys = False  # keep the documents' own order: vendor first, totals before detail
    app.config.from_object(Defaults)
    app.config.update(from_environment())
    app.config.update(config or {})
    proxies = proxy_count(app.config["TRUSTED_PROXIES"])
    if proxies:
        # The client's address and scheme as the proxies saw them, not the last proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'ethics.db'}"
    app.config["API_SPEC_OPTIONS"] = {"info": {"description": __doc__}}

    catalog = load_catalog(criteria_folders(app.config), default_criteria_set(app.config))
    database = Database(
        app.config["DATABASE_URL"],
        wait_in_seconds(
            app.config["DATABASE_BUSY_TIMEOUT_SECONDS"], "DATABASE_BUSY_TIMEOUT_SECONDS"
        ),
    )
    try:
        fingerprints.verify(database.engine, catalog)
        app.extensions["catalog"] = catalog
        app.extensions["database"] = database
        app.extensions["settings"] = Settings(
            allow_private_targets=flag(
                app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"], "WEBHOOK_ALLOW_PRIVATE_TARGETS"
            )
        )
        app.after_request(per_request.finish)
        app.teardown_appcontext(per_request.close)

        from .api import register_blueprints

        api = errors.ProblemApi(app)
        auth.install(app)  # before the body checks: who calls comes first
        ratelimit.install(app, api)  # per key, after the caller is known
        errors.register(app, api)
        register_blueprints(app, api)
        pages.install(app)
    except Exception:
        database.dispose()  # a service that does not start leaves no connection open
        raise
    return app
