"""Pages of lists: a window on a query, and the total a client needs to page through it."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Connection, Row, Select, func, select
from sqlalchemy.orm import Session

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page:
    """Which items to return: `size` of them from the `first` (counted from 0)."""

    first: int = 0
    size: int = 50


@dataclass(frozen=True)
class Paged(Generic[Item]):
    items: list[Item]
    total: int


def page_of(session: Session, statement: Select, page: Page) -> Paged:
    """One page of a select of ORM objects, with the total of the whole list."""
    total = _total(session, statement)
    if page.first >= total:
        return Paged([], total)  # past the end; also keeps absurd pages out of the SQL OFFSET
    items = session.scalars(statement.offset(page.first).limit(page.size)).all()
    return Paged(list(items), total)


def page_of_rows(session: Session, statement: Select, page: Page) -> Paged[Row]:
    """One page of a select of columns, read on the connection (no ORM objects), with the
    total of the whole list."""
    connection = session.connection()
    total = _total(connection, statement)
    if page.first >= total:
        return Paged([], total)
    rows = connection.execute(statement.offset(page.first).limit(page.size)).all()
    return Paged(list(rows), total)


def _total(runner: Session | Connection, statement: Select) -> int:
    return runner.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def page_of_list(items: list[Item], page: Page) -> Paged[Item]:
    """One page of a list already in memory."""
    return Paged(items[page.first : page.first + page.size], len(items))
