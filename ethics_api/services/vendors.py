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
    """`data`: name, and optional identifier ({scheme, id}, unique in the organisation),
    country and website."""
    identifier = data.get("identifier") or {}
    vendor = Vendor(
        organisation_id=context.caller.organisation_id,
        name=data["name"],
        identifier_scheme=identifier.get("scheme"),
        identifier_id=identifier.get("id"),
        country=data.get("country"),
        website=data.get("website"),
    )
    session = context.session
    try:
        with session.begin_nested():
            session.add(vendor)
    except IntegrityError:
        raise Conflict(
            f"A vendor with identifier {identifier['scheme']}/{identifier['id']} exists."
        ) from None
    changes.record(context, Action.VENDOR_CREATED, ObjectType.VENDOR, vendor.id, data)
    return vendor


def update_vendor(context: Context, vendor_id, data: dict, expected: Expected | None) -> Vendor:
    """Change the name, country or website of the version last read; None clears country or
    website."""
    vendor = lookup.get(context, Vendor, vendor_id)
    update_if_expected(context, vendor, data, expected)
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
