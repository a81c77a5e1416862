"""What several resources share: lookups, pages, ETags and their documentation."""

import re
import uuid

from flask import current_app, request
from flask_smorest import abort
from sqlalchemy import Select, func, select, update
from werkzeug.datastructures import ETags

from .. import audit
from ..auth import principal
from ..criteria import CriteriaSet
from ..db import session
from ..models import Procurement, Vendor, utcnow

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


def visible(row) -> bool:
    """Whether the caller may know the row exists: its organisation's, and for a vendor key
    only what concerns its own vendor. Anything else is answered as if it did not exist."""
    caller = principal()
    if getattr(row, "organisation_id", caller.organisation_id) != caller.organisation_id:
        return False
    if caller.role == "vendor":
        vendor_id = row.id if isinstance(row, Vendor) else getattr(row, "vendor_id", None)
        return vendor_id is None or vendor_id == caller.vendor_id
    return True


def get_or_404(model, object_id, lock: bool = False):
    """The row, or a 404. `lock` holds it (FOR UPDATE) until the transaction ends."""
    found = session().get(model, str(object_id), with_for_update=lock)
    if found is None or not visible(found):
        abort(404, message=f"No {model.__name__.lower()} has the id {object_id}.")
    return found


def criteria_set_named(ref: str | None, field: str = "criteria_set") -> CriteriaSet:
    """The set a request names (the default when it names none); 422 when none is loaded."""
    catalog = current_app.extensions["catalog"]
    if ref is None:
        return catalog.default
    criteria_set = catalog.get(ref)
    if criteria_set is None:
        abort(
            422,
            message=f"No criteria set {ref} is loaded.",
            errors=[
                {
                    "pointer": f"/{field}",
                    "location": "json" if request.method == "POST" else "query",
                    "messages": [
                        f"Unknown criteria set; loaded: {', '.join(sorted(catalog.sets))}."
                    ],
                }
            ],
        )
    return criteria_set


def procurement_named(procurement_id: uuid.UUID, location: str, lock: bool = False) -> Procurement:
    """The procurement a request names; 422 when there is none (it is a field, not the path)."""
    procurement = session().get(Procurement, str(procurement_id), with_for_update=lock)
    if procurement is None or not visible(procurement):
        abort(
            422,
            message=f"No procurement has the id {procurement_id}.",
            errors=[{"pointer": "/procurement_id", "location": location, "messages": ["Unknown."]}],
        )
    return procurement


def page_of(statement: Select, pagination_parameters) -> list:
    """One page of a select, with its total for the X-Pagination header."""
    db = session()
    total = db.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pagination_parameters.item_count = total
    if pagination_parameters.first_item >= total:
        return []  # past the end; also keeps absurd pages out of the SQL OFFSET
    return db.scalars(
        statement.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    ).all()


def log_change(action: str, object_type: str, object_id: str, change: dict) -> None:
    """Record the request's change in the event log, in the request's transaction."""
    caller = principal()
    audit.record(
        session(),
        action,
        object_type,
        object_id,
        change,
        actor=f"key {caller.key_prefix} ({caller.role}: {caller.name})",
        organisation_id=caller.organisation_id,
    )


def etag_of(row) -> str:
    return f'"v{row.revision}"'


def update_if_match(row, values: dict, *conditions) -> None:
    """UPDATE the row with `values` if its revision matches the request's If-Match; commit.

    The check is part of the UPDATE's WHERE clause, not a read before it, so of two writers
    holding the same ETag exactly one wins (a check in Python loses updates under Read
    Committed). 428 without If-Match, 412 when the row changed since.
    """
    model = type(row)
    revisions = revisions_matched(request.if_match)
    statement = update(model).where(model.id == row.id, *conditions)
    if revisions is not None:
        statement = statement.where(model.revision.in_(revisions))
    values = {**values, "revision": model.revision + 1, "updated_at": utcnow()}
    db = session()
    if db.execute(statement.values(**values)).rowcount != 1:
        db.rollback()
        name = model.__name__.lower()
        abort(412, message=f"The {name} changed since that ETag: GET it again and retry.")
    db.flush()
    db.refresh(row)


def revisions_matched(if_match: ETags) -> list[int] | None:
    """The revisions an If-Match header accepts; None for `*`. 428 when it is absent or empty."""
    if not request.headers.get("If-Match", "").strip():
        abort(428, message="Send If-Match with the ETag from your last GET of this resource.")
    if if_match.star_tag:
        return None
    # If-Match compares strongly: weak or foreign tags match no revision (412).
    return [int(match[1]) for tag in if_match if tag and (match := _ETAG.match(tag))]
