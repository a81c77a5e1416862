"""Counting what the code under test does (the calls of a function, the SQL an engine sends)
without changing what it does."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


def recorded_calls(monkeypatch, owner, name: str, argument: int) -> list:
    """Wrap `owner.name` for the test: each call still runs it, and appends its positional
    argument number `argument` to the list returned (so the list grows by one per call)."""
    calls = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args[argument])
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
