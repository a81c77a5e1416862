"""What several resources' views share: the request's context, pages, ETags and their
documentation."""

import re

from flask import current_app, request

from ..documents.links import Links
from ..per_request import context
from ..services.pages import Page, Paged
from ..services.revisions import Expected

__all__ = ["context"]

LOCATION_HEADER = {"description": "URL of the created resource", "schema": {"type": "string"}}
ETAG_HEADER = {"description": "Version of the resource, for If-Match", "schema": {"type": "string"}}
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The ETag last read; 412 when the resource changed since, 428 when absent",
    "schema": {"type": "string", "minLength": 1},
}
_ETAG = re.compile(r"^v([1-9][0-9]{0,17})$")


def links() -> Links:
    """Where documents point their readers: the configured public address, else the one the
    request came to."""
    return Links(current_app.config["PUBLIC_URL"] or request.url_root)


def page(pagination_parameters) -> Page:
    """The page flask-smorest's `paginate` parsed from the query."""
    return Page(pagination_parameters.first_item, pagination_parameters.page_size)


def items(paged: Paged, pagination_parameters) -> list:
    """The page's items, its total handed to flask-smorest for the X-Pagination header."""
    pagination_parameters.item_count = paged.total
    return paged.items


def etag_of(row) -> str:
    return f'"v{row.revision}"'


def expected() -> Expected | None:
    """The versions If-Match accepts: None when it is absent or empty, any for `*`. It
    compares strongly: weak or foreign tags match no version."""
    if not request.headers.get("If-Match", "").strip():
        return None
    if request.if_match.star_tag:
        return Expected(None)
    return Expected(
        frozenset(int(match[1]) for tag in request.if_match if tag and (match := _ETAG.match(tag)))
    )
