"""Finding what a request names, as the caller may see it.

A row of another organisation, or (for a vendor key) one about another vendor, is answered
exactly as a row that does not exist: a caller never learns what it may not read.
"""

from dataclasses import dataclass
from functools import cache
from typing import TypeVar, cast

from sqlalchemy import Select, bindparam, select

from ..criteria import CriteriaSet
from ..database import read_while_unchanged
from ..enums import Role
from ..models import Procurement, Vendor
from .context import Caller, Context
from .errors import Invalid, NotFound

Row = TypeVar("Row")


@dataclass(frozen=True)
class VendorRef:
    """What a served scorecard needs of its vendor: who it is, whose, and the revision of its
    records."""

    id: str
    organisation_id: str
    name: str
    records_revision: int


def visible(caller: Caller, row) -> bool:
    """Whether the caller may know the row exists: its organisation's, and for a vendor key
    only what concerns its own vendor."""
    if isinstance(row, Vendor | VendorRef):
        return vendor_visible(caller, row.organisation_id, row.id)
    if getattr(row, "organisation_id", caller.organisation_id) != caller.organisation_id:
        return False
    if caller.role == Role.VENDOR:
        vendor_id = getattr(row, "vendor_id", None)
        return vendor_id is None or vendor_id == caller.vendor_id
    return True


def vendor_visible(caller: Caller, organisation_id: str, vendor_id: str) -> bool:
    """Whether the caller may know the vendor exists: one of its organisation's, and for a
    vendor key only its own."""
    if organisation_id != caller.organisation_id:
        return False
    return caller.role != Role.VENDOR or vendor_id == caller.vendor_id


@cache
def _by_id(model: type, lock: bool) -> Select:
    """The statement that reads one row of `model` by its id, built once: `Session.get`
    built it again on every call, which cost more than running it."""
    id_column = model.id  # type: ignore[attr-defined]
    statement: Select = select(model).where(id_column == bindparam("id"))
    return statement.with_for_update() if lock else statement


def find(context: Context, model: type[Row], object_id, lock: bool = False) -> Row | None:
    """The row if the caller may see it; `lock` holds it (FOR UPDATE) until the transaction
    ends."""
    statement = _by_id(cast(type, model), lock)
    row = context.session.scalars(statement, {"id": str(object_id)}).first()
    return row if row is not None and visible(context.caller, row) else None


_VENDOR_REF = select(Vendor.id, Vendor.organisation_id, Vendor.name, Vendor.records_revision).where(
    Vendor.id == bindparam("id")
)


def vendor_ref(context: Context, vendor_id) -> VendorRef:
    """The vendor named in a path, as the caller may see it; NotFound otherwise. Four columns
    read on the connection: no ORM object to build and track, which cost a scorecard served
    from the store a tenth of its time; and on SQLite read once while nothing is committed
    (`database.read_while_unchanged`)."""
    connection = context.connection()

    def read() -> VendorRef | None:
        found = connection.execute(_VENDOR_REF, {"id": str(vendor_id)}).first()
        return None if found is None else VendorRef(*found)

    ref = read_while_unchanged(connection, ("vendor ref", str(vendor_id)), read)
    if ref is None or not visible(context.caller, ref):
        raise not_found(Vendor, vendor_id)
    return ref


def not_found(model: type, object_id) -> NotFound:
    return NotFound(f"No {model.__name__.lower()} has the id {object_id}.")


def get(context: Context, model: type[Row], object_id, lock: bool = False) -> Row:
    """The row named in a path; NotFound otherwise."""
    row = find(context, model, object_id, lock)
    if row is None:
        raise not_found(model, object_id)
    return row


def named_row(
    context: Context,
    model: type[Row],
    object_id,
    field: str,
    location: str = "json",
    lock: bool = False,
) -> Row:
    """The row a field of the request names; Invalid (it is a value, not the path) otherwise."""
    row = find(context, model, object_id, lock)
    if row is None:
        noun = model.__name__.lower()
        raise Invalid.at(
            f"No {noun} has the id {object_id}.",
            f"/{field}",
            f"Unknown {noun}.",
            location=location,
        )
    return row


def criteria_set(
    context: Context, ref: str | None, field: str = "criteria_set", location: str = "json"
) -> CriteriaSet:
    """The set a request names, the default when it names none; Invalid when none is loaded."""
    catalog = context.criteria
    if ref is None:
        return catalog.default
    found = catalog.get(ref)
    if found is None:
        raise Invalid.at(
            f"No criteria set {ref} is loaded.",
            f"/{field}",
            f"Unknown criteria set; loaded: {', '.join(sorted(catalog.sets))}.",
            location=location,
        )
    return found


def procurement_set(
    context: Context, procurement: Procurement, ref: str | None, location: str = "json"
) -> CriteriaSet:
    """The procurement's criteria set; Invalid when the request names another."""
    found = criteria_set(context, ref or procurement.criteria_set, location=location)
    if found.ref != procurement.criteria_set:
        raise Invalid.at(
            f"The procurement is assessed against {procurement.criteria_set}.",
            "/criteria_set",
            f"Must be {procurement.criteria_set}, the procurement's set.",
            location=location,
        )
    return found


def set_of(context: Context, procurement: Procurement) -> CriteriaSet:
    """The criteria set a procurement was created on (always loaded: the service refuses to
    start without a set it has used)."""
    return context.criteria.sets[procurement.criteria_set]
