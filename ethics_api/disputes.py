"""Open disputes: the indicators of a scorecard a vendor has replied to, still unresolved."""

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .criteria import CriteriaSet
from .models import Dispute


def open_disputes(
    session: Session,
    vendor_ids: list[str],
    criteria_set: CriteriaSet,
    procurement_id: str | None,
) -> dict[str, list[Dispute]]:
    """By vendor: the open disputes bearing on its scorecard in this scope (one query).

    A standalone dispute bears on a procurement's scorecard too: the vendor disputes how an
    indicator was judged, wherever the judgement is used.
    """
    scope = Dispute.procurement_id.is_(None)
    if procurement_id is not None:
        scope = or_(scope, Dispute.procurement_id == procurement_id)
    found = session.scalars(
        select(Dispute)
        .where(
            Dispute.vendor_id.in_(vendor_ids),
            Dispute.criteria_key == criteria_set.key,
            Dispute.criteria_version == criteria_set.version,
            Dispute.status == "open",
            scope,
        )
        .order_by(Dispute.filed_at)
    )
    by_vendor: dict[str, list[Dispute]] = defaultdict(list)
    for dispute in found:
        by_vendor[dispute.vendor_id].append(dispute)
    return by_vendor
