"""Refuse query parameters that an operation does not document (422), rather than ignore them,
and those that the parsers would read too kindly.

A misspelt `?as_off=` silently ignored would give a scorecard for the wrong day. The known names
come from the OpenAPI document itself, so the rule and the documentation cannot disagree. A
parameter given twice is refused rather than one of its values picked; an integer must be
spelt with the digits 0-9 alone (Python's int() also reads " 1", "1_0" and other scripts'
digits).
"""

import re

from flask import Flask, request
from flask_smorest import abort

from ..errors import ProblemApi

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_DIGITS = re.compile(r"[0-9]+")


def documented_query_parameters(
    app: Flask, api: ProblemApi
) -> dict[tuple[str, str], dict[str, dict]]:
    """(endpoint, method) -> the query parameters the document gives it, with their schemas."""
    paths = api.spec.to_dict()["paths"]
    known = {}
    for rule in app.url_map.iter_rules():
        operations = paths.get(_CONVERTER.sub(r"{\1}", rule.rule), {})
        for method, operation in operations.items():
            if method == "parameters":  # path-level parameters: in the path, not the query
                continue
            known[(rule.endpoint, method.upper())] = {
                p["name"]: p.get("schema", {})
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
    return known


def _refuse(problems: dict[str, str]) -> None:
    abort(
        422,
        message=f"Query parameters not accepted: {', '.join(sorted(problems))}.",
        errors=[
            {"pointer": f"/{name}", "location": "query", "messages": [problems[name]]}
            for name in sorted(problems)
        ],
    )


def install(app: Flask, api: ProblemApi) -> None:
    known: dict[tuple[str, str], dict[str, dict]] = {}

    @app.before_request
    def refuse_unknown_query_parameters():
        if not known:
            known.update(documented_query_parameters(app, api))
        method = "GET" if request.method == "HEAD" else request.method
        allowed = known.get((request.endpoint, method))
        if allowed is None:
            return  # not an API operation (docs, assets) or not routed
        unknown = sorted(set(request.args) - set(allowed))
        if unknown:
            abort(
                422,
                message=f"Unknown query parameter: {', '.join(unknown)}.",
                errors=[
                    {"pointer": f"/{name}", "location": "query", "messages": ["Unknown parameter."]}
                    for name in unknown
                ],
            )
        problems = {}
        for name, values in request.args.lists():
            if len(values) > 1:
                problems[name] = "Given more than once: give it once."
            elif allowed[name].get("type") == "integer" and not _DIGITS.fullmatch(values[0]):
                problems[name] = "Must be a whole number written with the digits 0-9."
        if problems:
            _refuse(problems)
