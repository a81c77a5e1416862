"""HTTP resources, one module each. Views are thin: the schema loads the request, one use
case of the application layer (`ethics_api.services`) does the work, the schema dumps."""

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Blueprint as SmorestBlueprint

from ..errors import ProblemApi
from ..schemas.common import StrictSchema


class Blueprint(SmorestBlueprint):
    # The contract: pages of 50 by default, 200 at most.
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 200}

    def arguments(self, schema, **kwargs):
        """flask-smorest's, with one schema made per operation, now: given a class, webargs
        makes a new schema, and its nested ones, for every request (a fifth of a scorecard
        read's own time). Schemas keep no state between loads."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


def register_blueprints(app: Flask, api: ProblemApi) -> None:
    from . import (
        assessments,
        audit,
        criteria_sets,
        declarations,
        disputes,
        health,
        moderations,
        people,
        procurements,
        scorecards,
        strict_query,
        vendors,
        webhooks,
    )

    # Rules across fields that JSON Schema can state go into the document too, so clients
    # (and the contract tests) know them before they send anything. Registered before the
    # views, which would otherwise register the schemas without them.
    registered = api.spec.components.schemas
    for schema in _with_rules_across_fields(StrictSchema):
        name = schema.__name__.removesuffix("Schema")
        if name in registered:  # already in, nested in one registered before it
            registered[name].update(schema.JSON_SCHEMA_EXTRA)
        else:
            api.spec.components.schema(name, component=schema.JSON_SCHEMA_EXTRA, schema=schema)

    for module in (
        health,
        criteria_sets,
        vendors,
        assessments,
        scorecards,
        procurements,
        declarations,
        moderations,
        disputes,
        webhooks,
        audit,
        people,
    ):
        api.register_blueprint(module.blp)
    strict_query.install(app, api)

    # The interactive docs' scripts are served from the installed package, not from a CDN.
    @app.get("/docs/assets/<path:filename>")
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _with_rules_across_fields(base: type) -> list[type]:
    """Every input schema (imported by now, with the views) that states a JSON_SCHEMA_EXTRA."""
    found = []
    for schema in base.__subclasses__():
        if "JSON_SCHEMA_EXTRA" in vars(schema):
            found.append(schema)
        found.extend(_with_rules_across_fields(schema))
    return sorted(found, key=lambda schema: schema.__name__)
