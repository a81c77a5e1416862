"""Timing helpers: the sides of a comparison run in alternation, so drift hits them all."""

import statistics
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, event

Side = TypeVar("Side", bound=Hashable)  # what names a side: a label, a size, a pair


def alternate(
    sides: Mapping[Side, Callable[[], object]], rounds: int, warmup: int
) -> dict[Side, list[float]]:
    """Seconds per call of each side, over `rounds` rounds that call every side once.

    The calling order rotates from round to round, so that no side always runs first (or
    always right after another has warmed or cooled the caches). The warm-up rounds fill the
    caches, connection pools and lazily built objects before anything is measured.
    """
    order = list(sides)
    for _ in range(warmup):
        for name in order:
            sides[name]()
    samples: dict[Side, list[float]] = {name: [] for name in order}
    for index in range(rounds):
        shift = index % len(order)
        for name in order[shift:] + order[:shift]:
            started = time.perf_counter()
            sides[name]()
            samples[name].append(time.perf_counter() - started)
    return samples


def median_ms(samples: list[float]) -> float:
    """The median in milliseconds: robust to the odd sample slowed by a neighbour's job."""
    return statistics.median(samples) * 1000


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs while the block runs (the tests have their own, in
    tests/spying.py: neither package imports the other)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
