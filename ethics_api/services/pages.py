"""Pages of lists: a window on a query, and the total a client needs to page through it."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Connection, Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page:
    """Which items to return: `size` of them from the `first` (counted from 0)."""

    first: int = 0
    size: int = 50


@dataclass(frozen=True)
class Paged(Generic[Item]):
    items: Sequence[Item]  # may be shared with other requests (kept): read, never changed
    total: int


@dataclass(frozen=True)
class Listing:
    """A select's count and its window (`first` and `size` as parameters). Built once for a
    list read on every request: building the two again for each page, and their cache keys,
    cost more than running them."""

    count: Select
    window: Select

    @classmethod
    def of(cls, statement: Select) -> "Listing":
        return cls(
            select(func.count()).select_from(statement.order_by(None).subquery()),
            statement.offset(bindparam("first")).limit(bindparam("size")),
        )


def page_of(
    session: Session, statement: Select | Listing, page: Page, parameters: dict | None = None
) -> Paged:
    """One page of a select of ORM objects, with the total of the whole list."""
    listing = statement if isinstance(statement, Listing) else Listing.of(statement)
    total = session.scalar(listing.count, parameters) or 0
    if page.first >= total:
        return Paged([], total)  # past the end; also keeps absurd pages out of the SQL OFFSET
    window = {**(parameters or {}), "first": page.first, "size": page.size}
    return Paged(list(session.scalars(listing.window, window).all()), total)


def page_of_rows(
    connection: Connection, listing: Listing, page: Page, parameters: dict
) -> Paged[Row]:
    """One page of a select of columns, read on the connection (no ORM objects), with the
    total of the whole list."""
    total = connection.execute(listing.count, parameters).scalar() or 0
    if page.first >= total:
        return Paged([], total)
    window = {**parameters, "first": page.first, "size": page.size}
    return Paged(list(connection.execute(listing.window, window).all()), total)


def page_of_list(items: list[Item], page: Page) -> Paged[Item]:
    """One page of a list already in memory."""
    return Paged(items[page.first : page.first + page.size], len(items))
