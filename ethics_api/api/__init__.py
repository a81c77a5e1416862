"""HTTP resources, one module each. Views are thin: the schema loads the request, one use
case of the application layer (`ethics_api.services`) does the work, the schema dumps."""

import copy
import json
from functools import cache, lru_cache

import marshmallow as ma
import swagger_ui_bundle
from flask import Flask, Response, request, send_from_directory
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from ..errors import ProblemApi
from ..schemas.common import StrictSchema


class _OneSchemaParser(FlaskParser):
    """webargs' parser, making one schema per schema class rather than one per request (as it
    does when given a class, as flask-smorest's pagination always gives it): a new schema, and
    its nested ones, cost a fifth of a scorecard read's own time. Schemas keep no state between
    loads, so one serves every request."""

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _schema_of(argmap)
        return super()._get_schema(argmap, req)

    def parse(self, argmap, req=None, *, location=None, **options):
        """A query string loads to the same arguments every time (its schemas read nothing but
        the string): each string's are kept, per schema, and every request given a copy of
        its own. Loading even an empty query took 7% of a scorecard read, in-process.
        What fails to load is never kept: it is refused again, as loudly, each time (so the
        error status and headers asked for need no place in the key)."""
        if location != "query" or options.get("validate") is not None:
            return super().parse(argmap, req, location=location, **options)
        key = (argmap, options.get("unknown"), request.query_string)
        loaded = _LOADED_QUERIES.get(key)
        if loaded is None:
            loaded = super().parse(argmap, req, location=location, **options)
            if len(_LOADED_QUERIES) >= _LOADED_QUERIES_AT_MOST:
                _LOADED_QUERIES.clear()  # any string may come: never grow without end
            _LOADED_QUERIES[key] = loaded
        # A dict of immutable values, or flask-smorest's pagination parameters, which a
        # request's pagination changes: a shallow copy is the request's own.
        return copy.copy(loaded)


_LOADED_QUERIES: dict[tuple, object] = {}
_LOADED_QUERIES_AT_MOST = 1_000


@cache
def _schema_of(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


class Blueprint(SmorestBlueprint):
    # The contract: pages of 50 by default, 200 at most.
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 200}
    ARGUMENTS_PARSER = PAGINATION_ARGUMENTS_PARSER = _OneSchemaParser()

    def _set_pagination_metadata(self, page_params, result, headers):
        """The X-Pagination header; set on the response itself when a view returns its page
        already written out (flask-smorest passes a Response on as it is, headers aside)."""
        value = _pagination_header(page_params.page, page_params.page_size, page_params.item_count)
        if isinstance(result, Response):
            result.headers[self.PAGINATION_HEADER_NAME] = value
            return result, None
        return result, {**(headers or {}), self.PAGINATION_HEADER_NAME: value}


@lru_cache(maxsize=4096)
def _pagination_header(page: int, page_size: int, item_count: int) -> str:
    """flask-smorest's X-Pagination value, made once for each page of each length of list:
    flask-smorest makes a schema to write every one, which cost a page of vendors a tenth of
    its time."""
    return json.dumps(SmorestBlueprint._make_pagination_metadata(page, page_size, item_count))


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
