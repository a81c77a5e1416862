"""What several resources' views share: the request's context, pages, ETags and their
documentation."""

import re

from flask import current_app, request
from flask_smorest import abort

from ..documents.links import Links
from ..per_request import context
from ..services.pages import Page, Paged
from ..services.revisions import Expected

__all__ = ["context"]

LOCATION_HEADER = {"description": "URL of the created resource", "schema": {"type": "string"}}
ETAG_HEADER = {"description": "Version of the resource, for If-Match", "schema": {"type": "string"}}
# RFC 9110 section 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc being any visible
# character but the double quote, or obs-text. If-Match is "*" or a comma-separated list of them.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
# The same, as the OpenAPI document states it for clients: printable ASCII tags only.
_DOCUMENTED_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
_IF_MATCH_PATTERN = rf"^[ \t]*(\*|{_DOCUMENTED_TAG}([ \t]*,[ \t]*{_DOCUMENTED_TAG})*)[ \t]*$"
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": 'The ETag last read, in double quotes as sent (e.g. "v3"), or *; '
    "400 when it is not entity-tag syntax, 412 when the resource changed since, 428 when absent",
    "schema": {"type": "string", "minLength": 1, "pattern": _IF_MATCH_PATTERN},
}
_SPACE = " \t"
# The tags this service gives: "v" and a revision. Ten digits are past any revision (2**31 - 1);
# longer ones are not read as numbers at all.
_OUR_TAG = re.compile(r"v([1-9][0-9]{0,9})")
BAD_IF_MATCH = (
    "If-Match must be * or a list of entity tags in double quotes, as the ETag header gives "
    'them: If-Match: "v3".'
)


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


def entity_tags(value: str) -> list[tuple[bool, str]] | None:
    """The (weak, opaque tag) pairs of an entity-tag list, in order; None if it is not one.

    Empty elements (",,") are allowed, as RFC 9110 asks of recipients; anything else between
    the tags (an unquoted tag, a stray character) makes the whole value invalid.
    """
    tags, position, end = [], 0, len(value)
    while position < end:
        if value[position] in _SPACE + ",":
            position += 1
            continue
        found = _ENTITY_TAG.match(value, position)
        if found is None:
            return None
        tags.append((found[1] is not None, found[2]))
        position = found.end()
        while position < end and value[position] in _SPACE:
            position += 1
        if position < end and value[position] != ",":
            return None  # a tag is followed by a comma or by nothing
    return tags


def expected() -> Expected | None:
    """The versions If-Match accepts: None when it is absent or empty, any for `*`; a 400
    when it is not entity-tag syntax. It compares strongly: weak or foreign tags match no
    version."""
    value = request.headers.get("If-Match", "").strip(_SPACE)
    if not value:
        return None
    if value == "*":
        return Expected(None)
    tags = entity_tags(value)
    if tags is None:
        abort(400, message=BAD_IF_MATCH)
    return Expected.of(
        int(ours[1])
        for weak, opaque in tags
        if not weak and (ours := _OUR_TAG.fullmatch(opaque)) is not None
    )
