"""Domain errors: why a use case refused, in words the caller can act on.

The application layer raises these; `ethics_api.errors` turns each into a problem details
response in one place (NotFound 404, Forbidden 403, Conflict 409, Invalid 422,
PreconditionFailed 412, PreconditionRequired 428), and the command line prints the message.
"""

from dataclasses import dataclass, field


class DomainError(Exception):
    """A use case refused; `message` says why, and `details` what a client may act on (they
    become members of the problem details, e.g. the items that block a procurement's closing).
    """

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    """No such thing, or none the caller may know of (the two are answered alike)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Conflict(DomainError):
    """The request does not fit the current state of what it changes."""


class PreconditionFailed(DomainError):
    """The resource changed since the version the caller last read."""


class PreconditionRequired(DomainError):
    """The change needs the version the caller last read, and none was given."""


@dataclass(frozen=True)
class FieldError:
    """One offending value: where it is (a JSON pointer, in the body or the query) and why."""

    pointer: str
    messages: tuple[str, ...]
    location: str = "json"

    def as_dict(self) -> dict:
        return {"pointer": self.pointer, "location": self.location, "messages": list(self.messages)}


@dataclass(eq=False)
class Invalid(DomainError):
    """Values that break a rule, one entry per offending value."""

    message: str
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self):
        super().__init__(self.message)

    @classmethod
    def at(cls, message: str, pointer: str, *messages: str, location: str = "json") -> "Invalid":
        """One offending value; its messages default to the overall message."""
        return cls(message, [FieldError(pointer, messages or (message,), location)])
