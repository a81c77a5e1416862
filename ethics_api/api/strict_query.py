"""Refuse query parameters that an operation does not document (422), rather than ignore them.

A misspelt `?as_off=` silently ignored would give a scorecard for the wrong day. The known names
come from the OpenAPI document itself, so the rule and the documentation cannot disagree.
"""

import re

from flask import Flask, request
from flask_smorest import abort

from ..errors import ProblemApi

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def documented_query_parameters(app: Flask, api: ProblemApi) -> dict[tuple[str, str], set[str]]:
    """(endpoint, method) -> the query parameter names the document gives it."""
    paths = api.spec.to_dict()["paths"]
    known = {}
    for rule in app.url_map.iter_rules():
        operations = paths.get(_CONVERTER.sub(r"{\1}", rule.rule), {})
        for method, operation in operations.items():
            if method == "parameters":  # path-level parameters: in the path, not the query
                continue
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            known[(rule.endpoint, method.upper())] = names
    return known


def install(app: Flask, api: ProblemApi) -> None:
    known: dict[tuple[str, str], set[str]] = {}

    @app.before_request
    def refuse_unknown_query_parameters():
        if not known:
            known.update(documented_query_parameters(app, api))
        method = "GET" if request.method == "HEAD" else request.method
        allowed = known.get((request.endpoint, method))
        if allowed is None:
            return  # not an API operation (docs, assets) or not routed
        unknown = sorted(set(request.args) - allowed)
        if unknown:
            abort(
                422,
                message=f"Unknown query parameter: {', '.join(unknown)}.",
                errors=[
                    {"pointer": f"/{name}", "location": "query", "messages": ["Unknown parameter."]}
                    for name in unknown
                ],
            )
