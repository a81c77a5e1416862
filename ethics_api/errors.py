"""The one place errors become RFC 9457 problem details (`application/problem+json`).

The application layer raises domain errors (`services.errors`); the HTTP layer aborts with a
status for what is its own (authentication, request bodies). Each, and every other failure, from
routing (404, 405), from Werkzeug (413), from schema validation (422), from a database that is
busy or away (503) or from a bug (500), is turned into the same shape here, and documented as
such in the OpenAPI document.
"""

import http
import json
import logging
import math
import sqlite3

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask, current_app, g, request
from flask_smorest import Api, abort
from flask_smorest.utils import prepare_response
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from . import headers as security_headers
from .messages import flatten, pointer
from .redaction import without_secrets
from .services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)

PROBLEM_JSON = "application/problem+json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# The database could not do what was asked, through no fault of the request: SQLite's write
# lock still taken when the wait for it ran out (raised by the write gate as SQLite itself
# raises it), PostgreSQL away or ending the transaction (a deadlock, a serialisation failure),
# no pooled connection free in time. Retried later, the same request may well succeed.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.TimeoutError, sqlite3.OperationalError)
RETRY_AFTER_SECONDS = 2
DATABASE_UNAVAILABLE_RESPONSE = "DATABASE_UNAVAILABLE"
UNAVAILABLE_DETAIL = (
    "The database could not serve this request now: it is busy, or cannot be reached. Try "
    f"again in {RETRY_AFTER_SECONDS} seconds; a write sent with an Idempotency-Key may be sent "
    "again with the same key, and is done once at most."
)
# Blueprints whose requests come from people, with how they show a failure of a status (a
# page in words of their own, say): registered by the blueprint, keyed by its name.
FAILURE_PAGES = "failure pages"

log = logging.getLogger(__name__)


class RedactingFlask(Flask):
    """Flask, whose own line for a failure after the view (a commit, say) names the path
    without the secrets a path can hold, as every other log line of the service does."""

    def log_exception(self, exc_info) -> None:
        self.logger.error(
            "Exception on %s [%s]", without_secrets(request.path), request.method, exc_info=exc_info
        )


class ProblemErrorSchema(ma.Schema):
    pointer = ma.fields.String(
        metadata={"description": "JSON pointer to the offending value, e.g. /answers/3/level"}
    )
    location = ma.fields.String(
        metadata={"description": "Where the value was: json (body), query, headers or path"}
    )
    messages = ma.fields.List(ma.fields.String())


class ProblemSchema(ma.Schema):
    type = ma.fields.String(metadata={"description": "A URI for the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong this time"})
    errors = ma.fields.List(
        ma.fields.Nested(ProblemErrorSchema),
        metadata={"description": "One entry per offending field (validation problems)"},
    )


# The HTTP status of each domain error.
STATUS_OF = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Invalid: 422,
    PreconditionFailed: 412,
    PreconditionRequired: 428,
}


def problem(status: int, detail: str | None = None, errors: list | None = None) -> dict:
    body = {"type": "about:blank", "title": http.HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail or http.HTTPStatus(status).description
    if errors:
        body["errors"] = errors
    return body


def _field_errors(data: dict) -> list[dict] | None:
    if "errors" in data:
        return data["errors"]
    if "messages" not in data:
        return None
    # webargs reports {location: {field: messages}}: keep the location beside the pointer.
    return [
        {"pointer": pointer(path[1:]), "location": str(path[0]), "messages": messages}
        for path, messages in flatten(data["messages"])
    ]


def _plain_detail(error: HTTPException) -> str:
    """What the caller can do about an error raised by the framework rather than a view.

    Werkzeug's own descriptions speak to someone typing URLs into a browser.
    """
    if error.code == 404 and request.routing_exception is error:
        return (
            f"Nothing is at {request.path}. Check the path against /openapi.json; "
            "ids in paths are UUIDs."
        )
    if error.code == 405:
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or []))
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            return f"The request body is larger than the {limit // 1024} KiB this API accepts."
    return error.description


class ProblemApi(Api):
    """flask-smorest's Api, answering and documenting every error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        if error.code == 500:  # Flask's wrapping of a failure after the view, say a commit
            return failed_unexpectedly(error)
        data = getattr(error, "data", None) or {}
        detail = data.get("message")
        errors = _field_errors(data)
        if detail is None:
            detail = "The request has invalid fields." if errors else _plain_detail(error)
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        headers += list((data.get("headers") or {}).items())
        body = problem(error.code, detail, errors)
        return current_app.response_class(
            json.dumps(body) + "\n", status=error.code, headers=headers, mimetype=PROBLEM_JSON
        )

    def _register_responses(self):
        # Every operation needing a key may answer these two: registered up front.
        always = {"UNAUTHORIZED", "FORBIDDEN"}
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
            if status.name == "UNAUTHORIZED":
                response["headers"] = {
                    "WWW-Authenticate": {
                        "description": "How to authenticate: Bearer",
                        "schema": {"type": "string"},
                    }
                }
            self.spec.components.response(status.name, response, lazy=status.name not in always)
        response = {"description": "Error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        self.spec.components.security_scheme(
            "bearerAuth",
            {"type": "http", "scheme": "bearer", "description": "An API key: eth_..."},
        )

    def _register_pagination_header(self):
        # The header carries JSON text; say so, rather than call it an object.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "The list's totals, as JSON: total, total_pages, first_page, "
                "last_page, page, previous_page, next_page",
                "schema": {"type": "string"},
                "example": '{"total": 120, "total_pages": 3, "first_page": 1, '
                '"last_page": 3, "page": 1, "next_page": 2}',
            },
            lazy=True,
        )


def _json_depth(document: object) -> int:
    depth, level = 0, [document]
    while level:
        depth += 1
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
    return depth


def _not_json(constant: str):
    raise ValueError(f"{constant} is not a JSON value")


def _no_repeated_names(pairs: list[tuple[str, object]]) -> dict:
    # JSON leaves repeated names to the reader; Python keeps the last. Which one the sender
    # meant cannot be known, so neither is picked.
    document = dict(pairs)
    if len(document) < len(pairs):
        seen = set()
        repeated = next(name for name, _ in pairs if name in seen or seen.add(name))
        raise ValueError(f"the name {repeated!r} is given twice in one object")
    return document


def _finite(number: str) -> float:
    # JSON has no infinity, but a float parser reads 1e400 as one.
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"{number} is beyond the range of a number")
    return value


def refuse_endless_body() -> None:
    """413 for a body sent without Content-Length (chunked) that runs past the size limit.

    Werkzeug refuses a Content-Length over MAX_CONTENT_LENGTH before reading anything, but
    reads a chunked body only up to the limit and stops there without a word: what follows
    would be dropped and the first MiB taken for the whole. So the body is read here, up to
    the limit (and cached for the view or the form parser), then one byte more is asked of the
    server's own stream: if there is one, the body was longer than the limit.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is None or request.content_length is not None:
        return
    if "wsgi.input_terminated" not in request.environ:
        return  # Werkzeug reads no body of unknown length from such a server: nothing is cut
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def check_request_body() -> None:
    """Refuse bodies too long (413), of the wrong media type (415), not JSON or absurdly deep
    (400).

    Python's JSON parser recurses: a body of 100k nested brackets fits under the size limit and
    raises RecursionError, which must not become a 500.
    """
    if request.method not in BODY_METHODS or request.routing_exception is not None:
        return  # no body to check, or routing will answer 404 / 405 anyway
    refuse_endless_body()
    if request.blueprint == "pages":
        return  # the pages' forms post form data, checked by their forms
    if not request.is_json:
        abort(415, message="Send the request body as application/json.")
    if request.content_encoding not in (None, "", "identity"):
        # Read as it is, a compressed body would be refused as "not JSON", which misleads.
        abort(415, message="Send the request body uncompressed: no Content-Encoding.")
    try:
        document = json.loads(
            request.get_data(cache=True),
            parse_constant=_not_json,
            parse_float=_finite,
            object_pairs_hook=_no_repeated_names,
        )
    except RecursionError:
        abort(400, message="The JSON body is nested too deeply.")
    except ValueError as exc:
        abort(400, message=f"The body is not valid JSON: {exc}.")
    if _json_depth(document) > current_app.config["MAX_JSON_DEPTH"]:
        abort(400, message="The JSON body is nested too deeply.")
    g.document = document
    try:
        # JSON's \ud800-style escapes can spell lone surrogates, which are not Unicode text
        # and which no database will store.
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        abort(
            400, message="The JSON body has a lone surrogate (\\ud800-\\udfff): not Unicode text."
        )


class _RequestChecksPlugin(BasePlugin):
    """Documents, on every operation, the refusals that come before its view: a query
    parameter it does not take or reads too kindly (422, api/strict_query.py), and for those
    with a body, check_request_body's 400, 413 and 415; and on every operation with a key
    (each reads its key from the database), the 503 of a database busy or away."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            refusals = ["422"]
            if "requestBody" in operation:
                refusals = ["400", "413", "415", "422"]
            for code in refusals:
                responses.setdefault(code, http.HTTPStatus(int(code)).name)
            if {"bearerAuth": []} in operation.get("security", []):
                responses.setdefault("503", DATABASE_UNAVAILABLE_RESPONSE)


def document_retry_after(api: ProblemApi, name: str, description: str, wait: str) -> None:
    """A problem response component that says, in Retry-After, how many seconds to `wait`.
    Lazy: in the document only if some operation refers to it."""
    response = {
        "description": description,
        "schema": api.ERROR_SCHEMA,
        "headers": {
            "Retry-After": {
                "description": wait,
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }
    prepare_response(response, api.spec, PROBLEM_JSON)
    api.spec.components.response(name, response, lazy=True)


def register(app: Flask, api: ProblemApi) -> None:
    app.before_request(check_request_body)
    security_headers.install(app)  # on every response, errors included
    document_retry_after(
        api,
        DATABASE_UNAVAILABLE_RESPONSE,
        "Service Unavailable: the database was busy (another write held it longer than the "
        "wait allowed) or could not be reached; try again after Retry-After",
        "Seconds to wait before trying again",
    )
    plugin = _RequestChecksPlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        status = STATUS_OF[type(error)]
        errors = [e.as_dict() for e in error.errors] if isinstance(error, Invalid) else None
        return current_app.response_class(
            json.dumps({**problem(status, error.message, errors), **error.details}) + "\n",
            status=status,
            mimetype=PROBLEM_JSON,
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        return failed_unexpectedly(error)


def failed_unexpectedly(error: Exception):
    """503 for a database busy or away, 500 for anything else: a failure in the view, or one
    after it (a commit, say) that Flask hands over as a 500 holding it."""
    cause = getattr(error, "original_exception", None) or error
    if isinstance(cause, DATABASE_UNAVAILABLE):
        # Not a bug, so no traceback: what the operator needs is which request, and why.
        path = without_secrets(request.path)
        log.warning("database unavailable on %s %s: %s", request.method, path, why(cause))
        return _failed(503, UNAVAILABLE_DETAIL, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    if not isinstance(error, HTTPException):  # Flask logged those it wrapped itself
        log.exception("unexpected error on %s %s", request.method, without_secrets(request.path))
    return _failed(500, InternalServerError.description, {})


def why(error: Exception) -> str:
    """The first line of what the database's driver said (SQLAlchemy wraps it with the
    statement and a link): "database is locked", "connection failed: ...", "canceling
    statement due to lock timeout"."""
    said = str(getattr(error, "orig", None) or error).strip()
    return said.splitlines()[0] if said else type(error).__name__


def _failed(status: int, detail: str, headers: dict):
    """The answer to a request that failed through no fault of its own (500, 503): a
    problem with `detail`, or the page of the blueprint that registered one."""
    page = current_app.extensions.get(FAILURE_PAGES, {}).get(request.blueprint)
    if page is not None:
        body, status = page(status)
        return current_app.response_class(body, status=status, headers=headers)
    return current_app.response_class(
        json.dumps(problem(status, detail)) + "\n",
        status=status,
        headers=headers,
        mimetype=PROBLEM_JSON,
    )
