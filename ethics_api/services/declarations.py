"""Declarations of interest: before a person evaluates in a procurement, they declare any
conflict of interest, and a declared conflict stops them until the buyer records how it is
mitigated (Procurement Act 2023 ss.81-83: the buyer identifies conflicts and takes steps to
mitigate them). Declarations are records of the procurement and appear in its documents."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..enums import Action, ObjectType, ProcurementStatus
from ..models import Declaration, Person, Procurement
from . import changes, lookup
from .context import Context
from .errors import Conflict, Invalid
from .pages import Page, Paged, page_of
from .people import acting_person


def declare(context: Context, procurement_id, data: dict) -> Declaration:
    """The caller's declaration (or, from an admin, the named person's). `data`: conflict
    (true or false), description (what the conflict is; required with one)."""
    procurement = lookup.get(context, Procurement, procurement_id, lock=True)
    if procurement.status == ProcurementStatus.CLOSED:
        raise Conflict("The procurement is closed: declarations are made before evaluating.")
    if data["conflict"] and not data.get("description"):
        raise Invalid.at(
            "Describe the conflict, so the buyer can decide how to mitigate it.",
            "/description",
            "Required when conflict is true.",
        )
    person = acting_person(context, data.get("person"), "person")
    declaration = Declaration(
        organisation_id=procurement.organisation_id,
        procurement_id=procurement.id,
        person_id=person.id,
        person_name=person.name,
        conflict=data["conflict"],
        description=data.get("description"),
        declared_at=context.now(),
        updated_at=context.now(),
    )
    session = context.session
    try:
        with session.begin_nested():
            session.add(declaration)
    except IntegrityError:
        raise Conflict(
            f"{person.name} has declared in this procurement already; the declaration stands "
            "on the record."
        ) from None
    changes.record(
        context,
        Action.DECLARATION_MADE,
        ObjectType.DECLARATION,
        declaration.id,
        {**data, "procurement_id": procurement.id, "person_id": person.id},
    )
    return declaration


def mitigate(context: Context, procurement_id, declaration_id, data: dict) -> Declaration:
    """The buyer's mitigation of a declared conflict (e.g. the person evaluates no bidder they
    are connected to). `data`: mitigation."""
    procurement = lookup.get(context, Procurement, procurement_id)
    declaration = lookup.get(context, Declaration, declaration_id, lock=True)
    if declaration.procurement_id != procurement.id:
        raise lookup.not_found(Declaration, declaration_id)
    if not declaration.conflict:
        raise Conflict("The declaration states no conflict: there is nothing to mitigate.")
    if declaration.mitigation is not None:
        raise Conflict("The conflict was mitigated already; the mitigation stands on the record.")
    declaration.mitigation = data["mitigation"]
    declaration.mitigated_by = context.caller.person_id
    declaration.mitigated_at = declaration.updated_at = context.now()
    declaration.revision += 1
    context.session.flush()
    changes.record(
        context,
        Action.CONFLICT_MITIGATED,
        ObjectType.DECLARATION,
        declaration.id,
        {**data, "procurement_id": procurement.id, "person_id": declaration.person_id},
    )
    return declaration


def declarations_of(context: Context, procurement_id, page: Page) -> Paged:
    """The procurement's declarations, in the order they were made."""
    procurement = lookup.get(context, Procurement, procurement_id)
    statement = (
        select(Declaration)
        .where(Declaration.procurement_id == procurement.id)
        .order_by(Declaration.declared_at, Declaration.id)
    )
    return page_of(context.session, statement, page)


def all_of(context: Context, procurement: Procurement) -> dict[str, Declaration]:
    """Every declaration of the procurement, by person."""
    found = context.session.scalars(
        select(Declaration).where(Declaration.procurement_id == procurement.id)
    )
    return {d.person_id: d for d in found}


def require_cleared(context: Context, procurement: Procurement, person: Person) -> None:
    """Conflict unless the person has declared in the procurement, with no conflict or one the
    buyer has mitigated."""
    declaration = context.session.scalar(
        select(Declaration).where(
            Declaration.procurement_id == procurement.id, Declaration.person_id == person.id
        )
    )
    if declaration is None:
        raise Conflict(
            f"{person.name} has not declared their interests in this procurement: declare "
            f"(POST /v1/procurements/{procurement.id}/declarations) before evaluating."
        )
    if not declaration.settled:
        raise Conflict(
            f"{person.name} declared a conflict of interest in this procurement: they evaluate "
            "once the buyer has recorded how it is mitigated."
        )
