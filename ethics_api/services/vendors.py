"""Vendors: the companies whose AI systems are assessed."""

import dataclasses
import datetime as dt
import json
from functools import cache, lru_cache

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from ..database import read_while_unchanged
from ..enums import Action, ObjectType, Role
from ..models import Vendor
from ..schemas.vendors import VendorSchema
from . import changes, lookup
from .context import Context
from .errors import Conflict
from .pages import Listing, Page, Paged, page_of, page_of_rows
from .revisions import Expected, update_if_expected


def create_vendor(context: Context, data: dict) -> Vendor:
    """`data`: name, and optional identifier ({scheme, id}) and PPON (each unique in the
    organisation), country, website, address and email."""
    identifier = data.get("identifier") or {}
    vendor = Vendor(
        organisation_id=context.caller.organisation_id,
        name=data["name"],
        identifier_scheme=identifier.get("scheme"),
        identifier_id=identifier.get("id"),
        ppon=data.get("ppon"),
        country=data.get("country"),
        website=data.get("website"),
        address=data.get("address"),
        email=data.get("email"),
    )
    session = context.session
    try:
        with session.begin_nested():
            session.add(vendor)
    except IntegrityError:
        raise _taken(context, data) from None
    changes.record(context, Action.VENDOR_CREATED, ObjectType.VENDOR, vendor.id, data)
    return vendor


def _taken(context: Context, data: dict) -> Conflict:
    """Which of the vendor's unique identifiers another vendor of the organisation holds."""
    identifier = data.get("identifier")
    if identifier and find_by_identifier(context, identifier["scheme"], identifier["id"]):
        return Conflict(
            f"A vendor with identifier {identifier['scheme']}/{identifier['id']} exists."
        )
    return Conflict(f"A vendor with PPON {data.get('ppon')} exists.")


def update_vendor(context: Context, vendor_id, data: dict, expected: Expected | None) -> Vendor:
    """Change the name, PPON, country, website, address or email of the version last read;
    None clears any but the name."""
    vendor = lookup.get(context, Vendor, vendor_id)
    try:
        with context.session.begin_nested():
            update_if_expected(context, vendor, data, expected)
    except IntegrityError:
        raise _taken(context, data) from None
    changes.record(
        context,
        Action.VENDOR_UPDATED,
        ObjectType.VENDOR,
        vendor.id,
        {**data, "revision": vendor.revision},
    )
    return vendor


def get_vendor(context: Context, vendor_id) -> Vendor:
    return lookup.get(context, Vendor, vendor_id)


def find_by_identifier(context: Context, scheme: str, identifier: str) -> Vendor | None:
    return context.session.scalar(
        select(Vendor).where(
            Vendor.organisation_id == context.caller.organisation_id,
            Vendor.identifier_scheme == scheme,
            Vendor.identifier_id == identifier,
        )
    )


# Every column of a vendor, for reads that need no ORM object.
_COLUMNS = tuple(Vendor.__table__.c)


def list_vendors(context: Context, page: Page, name_contains: str | None = None) -> Paged:
    """The vendors the caller may see, by name; optionally those whose name contains a text
    (any case)."""
    listing, parameters = _listed(context, False, name_contains)
    return page_of(context.session, listing, page, parameters)


@cache
def _listing(as_rows: bool, vendor_key: bool, searching: bool) -> Listing:
    """The vendor list's statements, as ORM objects or as rows, for a vendor key or not, and
    searching names or not; `_listed` gives their parameters."""
    statement = select(*_COLUMNS) if as_rows else select(Vendor)
    statement = statement.where(Vendor.organisation_id == bindparam("organisation_id"))
    if vendor_key:
        statement = statement.where(Vendor.id == bindparam("vendor_id"))
    if searching:
        statement = statement.where(
            func.lower(Vendor.name).contains(bindparam("pattern"), escape="\\")
        )
    return Listing.of(statement.order_by(Vendor.name, Vendor.id))


def _listed(context: Context, as_rows: bool, name_contains: str | None) -> tuple[Listing, dict]:
    """The vendor list's statements for the caller and the text searched for, and their
    parameters."""
    caller = context.caller
    parameters = {"organisation_id": caller.organisation_id, "vendor_id": caller.vendor_id}
    if name_contains is not None:
        # Matched literally: LIKE's wildcards and its escape character escaped.
        escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parameters["pattern"] = escaped.lower()
    listing = _listing(as_rows, caller.role == Role.VENDOR, name_contains is not None)
    return listing, parameters


# --- vendors as the API writes them --------------------------------------------------------
#
# A vendor's document depends on its row alone, and an update moves the row's revision and
# updated_at: the two name one document. So reads take the row's columns on the connection (no
# ORM object to build and track) and each version is written out once per worker, then kept:
# together these were most of what reading a vendor cost beyond authenticating.


@dataclasses.dataclass(frozen=True)
class Written:
    """A vendor's document, as JSON text, and the revision its ETag names."""

    text: str
    revision: int


_BY_ID = select(*_COLUMNS).where(Vendor.id == bindparam("id"))
_SCHEMA = VendorSchema()


@dataclasses.dataclass(frozen=True)
class _Version:
    id: str
    revision: int
    updated_at: dt.datetime
    row: Row = dataclasses.field(compare=False, repr=False)  # what it is written from


@lru_cache(maxsize=4096)
def _written(version: _Version) -> str:
    # A transient Vendor, never added to a session: the schema reads its properties too.
    document = _SCHEMA.dump(Vendor(**version.row._mapping))
    return json.dumps(document, separators=(",", ":"))


def _text(row: Row) -> str:
    return _written(_Version(row.id, row.revision, row.updated_at, row))


def written_vendor(context: Context, vendor_id) -> Written:
    """The vendor named in a path, written out, as the caller may see it; NotFound otherwise.
    The same document as VendorSchema gives of `get_vendor`."""
    connection = context.connection()
    row = read_while_unchanged(
        connection,
        ("vendor", str(vendor_id)),
        lambda: connection.execute(_BY_ID, {"id": str(vendor_id)}).first(),
    )
    if row is None or not lookup.vendor_visible(context.caller, row.organisation_id, row.id):
        raise lookup.not_found(Vendor, vendor_id)
    return Written(_text(row), row.revision)


def written_vendors(context: Context, page: Page, name_contains: str | None = None) -> Paged[str]:
    """`list_vendors`, each vendor written out."""
    listing, parameters = _listed(context, True, name_contains)
    connection = context.connection()

    def read() -> Paged[str]:
        found = page_of_rows(connection, listing, page, parameters)
        return Paged(tuple(_text(row) for row in found.items), found.total)

    asked = (listing, tuple(sorted(parameters.items())), page.first, page.size)
    return read_while_unchanged(connection, ("vendor page", *asked), read)
