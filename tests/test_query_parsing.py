"""Query strings loaded once per schema and string: each request still gets arguments of its
own, and a query that fails to load is refused every time."""

import pytest
from flask import Flask, request
from flask_smorest.pagination import PaginationParameters, _pagination_parameters_schema_factory
from spying import recorded_calls
from werkzeug.exceptions import UnprocessableEntity

from ethics_api import api
from ethics_api.api import Blueprint
from ethics_api.schemas.scorecards import ScorecardQuerySchema

PARSER = Blueprint.ARGUMENTS_PARSER
# Parsing needs a request, not the service: a bare app gives one.
APP = Flask(__name__)


@pytest.fixture
def schema(monkeypatch):
    """A scorecard query schema, its loads counted; nothing kept from other tests."""
    monkeypatch.setattr(api, "_LOADED_QUERIES", {})
    schema = ScorecardQuerySchema()
    schema.loads_counted = recorded_calls(monkeypatch, schema, "load", 0)
    return schema


def _parsed(schema, query: str):
    """The arguments a view given the query gets, through webargs as flask-smorest calls it."""
    with APP.test_request_context(f"/v1/anything?{query}"):
        return PARSER.use_args(schema, location="query")(lambda arguments: arguments)()


def test_a_query_string_is_loaded_once_and_each_request_gets_its_own(schema):
    query = "as_of=2026-01-02T03:04:05Z&procurement_id=7c9e6679-7425-40de-944b-e07fc1f90ae7"
    first = _parsed(schema, query)
    first["as_of"] = "changed by the first request's view"
    second = _parsed(schema, query)
    assert second["as_of"].isoformat() == "2026-01-02T03:04:05+00:00"
    assert str(second["procurement_id"]) == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert len(schema.loads_counted) == 1
    assert _parsed(schema, "") == {}
    assert len(schema.loads_counted) == 2  # another string: loaded


def test_a_query_that_fails_to_load_is_refused_every_time(schema):
    for _ in range(2):
        with pytest.raises(UnprocessableEntity):
            _parsed(schema, "as_of=yesterday")
    assert len(schema.loads_counted) == 2


def test_pagination_parameters_are_each_requests_own(monkeypatch):
    monkeypatch.setattr(api, "_LOADED_QUERIES", {})
    # The schema class flask-smorest's pagination gives the parser.
    schema = _pagination_parameters_schema_factory(1, 50, 200)
    with APP.test_request_context("/v1/vendors?page=2&page_size=5"):
        # As flask-smorest's pagination calls it.
        first = PARSER.parse(schema, request, location="query")
        first.item_count = 7  # what the pagination sets on a request's own
        second = PARSER.parse(schema, request, location="query")
    assert isinstance(second, PaginationParameters)
    assert (second.page, second.page_size, second.item_count) == (2, 5, None)


def test_what_is_kept_is_bounded(schema, monkeypatch):
    monkeypatch.setattr(api, "_LOADED_QUERIES_AT_MOST", 2)
    for day in (1, 2, 1, 3, 1):
        _parsed(schema, f"as_of=2026-01-0{day}T00:00:00Z")
    # 1 and 2 loaded, 1 found kept; 3 loaded after emptying a full store; 1 loaded again.
    assert len(schema.loads_counted) == 4
