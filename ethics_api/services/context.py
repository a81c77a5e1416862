"""Who acts, on which data, at what time: what every use case is given.

The HTTP views build a Context from the request (its API key, its database session), the
command line and the demo from their own session and a system caller. The use cases read
nothing else: no Flask, no globals.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from ..criteria import Catalog
from ..enums import Role
from ..models import utcnow


@dataclass(frozen=True)
class Caller:
    """Who asks: an API key's holder, or the command line acting for the deployment.

    `person_id` is the identity in records (an assessor's assessments are theirs), `name` that
    person's name; `actor` is how the audit log names whoever acted.
    """

    organisation_id: str
    role: Role
    name: str
    actor: str
    person_id: str | None = None  # None: the command line, acting for no one in particular
    key_id: str | None = None
    key_prefix: str | None = None  # the key's visible part, for logs
    vendor_id: str | None = None  # a vendor key's own vendor

    @classmethod
    def system(cls, organisation_id: str, actor: str = "command line") -> "Caller":
        """The deployment's operator, acting with an admin's rights from the command line."""
        return cls(organisation_id, Role.ADMIN, actor, actor)

    def has(self, *roles: Role) -> bool:
        """Whether the caller holds one of `roles`; an admin holds every role."""
        return self.role == Role.ADMIN or self.role in roles


@dataclass(frozen=True)
class Settings:
    """The deployment's choices the use cases need."""

    # Webhooks may go to loopback, private and link-local addresses (on-premises receivers).
    allow_private_targets: bool = False


@dataclass(frozen=True)
class Context:
    session: Session
    caller: Caller
    # The loaded criteria sets; uses cases about organisations and keys need none.
    catalog: Catalog | None = None
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], dt.datetime] = utcnow
    # A reading request's own connection, in its transaction: Core reads run on it without
    # beginning the ORM session, which joins the same transaction if anything asks for it.
    reading_connection: Connection | None = None

    def now(self) -> dt.datetime:
        return self.clock()

    def connection(self) -> Connection:
        """The connection of the transaction, for reads that need no ORM object: a reading
        request's own, or else the session's (beginning it if it has not begun)."""
        if self.reading_connection is not None:
            return self.reading_connection
        return self.session.connection()

    @property
    def criteria(self) -> Catalog:
        """The criteria catalogue, for the use cases that score."""
        if self.catalog is None:
            raise RuntimeError("this context was made without the criteria catalogue")
        return self.catalog
