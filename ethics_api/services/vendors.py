"""Vendors: the companies whose AI systems are assessed."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..enums import Action, ObjectType, Role
from ..models import Vendor
from . import changes, lookup
from .context import Context
from .errors import Conflict
from .pages import Page, Paged, page_of
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


def list_vendors(context: Context, page: Page, name_contains: str | None = None) -> Paged:
    """The vendors the caller may see, by name; optionally those whose name contains a text
    (any case)."""
    caller = context.caller
    statement = (
        select(Vendor)
        .where(Vendor.organisation_id == caller.organisation_id)
        .order_by(Vendor.name, Vendor.id)
    )
    if caller.role == Role.VENDOR:
        statement = statement.where(Vendor.id == caller.vendor_id)
    if name_contains is not None:
        pattern = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(Vendor.name).contains(pattern.lower(), escape="\\"))
    return page_of(context.session, statement, page)
