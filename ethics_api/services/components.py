"""The bidders' other award components: what the buyer scored outside the service (price,
other quality criteria), recorded so that documents can state the award as it was made.

The ethics evaluation carries the procurement's `award_share` of the award; the components
carry the rest, with the same names, kinds and weights for every bidder.
"""

from sqlalchemy import select

from ..award import Component
from ..enums import Action, ObjectType, ProcurementStatus
from ..exact import as_json, exact
from ..models import AwardComponents, Bidder, Procurement
from . import changes, lookup
from .context import Context
from .errors import Conflict, FieldError, Invalid, NotFound
from .pages import Page, Paged, page_of


def record_components(
    context: Context, procurement_id, vendor_id, components: list[dict]
) -> AwardComponents:
    """Record (or replace) a bidder's components, until the procurement closes. `components`:
    [{name, kind, weight (exact), score (exact)}]."""
    procurement = lookup.get(context, Procurement, procurement_id, lock=True)
    if procurement.status == ProcurementStatus.CLOSED:
        raise Conflict("The procurement is closed: the award it states no longer changes.")
    if procurement.share == 100:
        raise Conflict(
            "The ethics evaluation is the whole award (award_share 100): there is nothing else "
            "to record. A procurement states its award_share in draft."
        )
    session = context.session
    if session.get(Bidder, (procurement.id, str(vendor_id))) is None:
        raise NotFound(f"The vendor {vendor_id} is not a bidder in this procurement.")
    _check(procurement, components)
    others = session.scalars(
        select(AwardComponents).where(
            AwardComponents.procurement_id == procurement.id,
            AwardComponents.vendor_id != str(vendor_id),
        )
    ).first()
    if others is not None and _model(others.components) != _model(components):
        raise Conflict(
            "Every bidder's components have the same names, kinds and weights; recorded so "
            f"far: {_described(others.components)}."
        )
    stored = [
        {**c, "weight": as_json(c["weight"]), "score": as_json(c["score"])} for c in components
    ]
    record = session.scalar(
        select(AwardComponents).where(
            AwardComponents.procurement_id == procurement.id,
            AwardComponents.vendor_id == str(vendor_id),
        )
    )
    if record is None:
        record = AwardComponents(procurement_id=procurement.id, vendor_id=str(vendor_id))
        session.add(record)
    record.components = stored
    record.person_id = context.caller.person_id
    record.recorded_by = context.caller.name
    record.recorded_at = context.now()
    session.flush()
    changes.record(
        context,
        Action.COMPONENTS_RECORDED,
        ObjectType.PROCUREMENT,
        procurement.id,
        {"vendor_id": str(vendor_id), "components": stored},
    )
    return record


def _check(procurement: Procurement, components: list[dict]) -> None:
    errors = []
    seen: set[str] = set()
    for index, component in enumerate(components):
        if component["name"].casefold() in seen:
            errors.append(FieldError(f"/{index}/name", ("Each component has its own name.",)))
        seen.add(component["name"].casefold())
    if errors:
        raise Invalid("The components repeat a name.", errors)
    rest = 100 - procurement.share
    weights = sum(c["weight"] for c in components)
    if weights != rest:
        raise Invalid.at(
            f"The ethics evaluation carries {as_json(procurement.share)}% of the award, so the "
            f"other components' weights add up to {as_json(rest)}; these add up to "
            f"{as_json(weights)}.",
            "",
            f"The weights must add up to {as_json(rest)}.",
        )


def _model(components: list[dict]) -> list[tuple]:
    """Names, kinds and exact weights (stored ones are JSON numbers, new ones fractions)."""
    return sorted((c["name"], c["kind"], exact(c["weight"])) for c in components)


def _described(components: list[dict]) -> str:
    return ", ".join(f"{c['name']} ({c['kind']}, {as_json(c['weight'])}%)" for c in components)


def components_of(context: Context, procurement: Procurement) -> dict[str, tuple[Component, ...]]:
    """Every bidder's recorded components, exact, by vendor id."""
    records = context.session.scalars(
        select(AwardComponents).where(AwardComponents.procurement_id == procurement.id)
    )
    return {
        record.vendor_id: tuple(
            Component(c["name"], c["kind"], exact(c["weight"]), exact(c["score"]))
            for c in record.components
        )
        for record in records
    }


def list_components(context: Context, procurement_id, page: Page) -> Paged:
    """The bidders' recorded components, in the order they were recorded."""
    procurement = lookup.get(context, Procurement, procurement_id)
    statement = (
        select(AwardComponents)
        .where(AwardComponents.procurement_id == procurement.id)
        .order_by(AwardComponents.recorded_at, AwardComponents.vendor_id)
    )
    return page_of(context.session, statement, page)
