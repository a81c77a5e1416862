"""How much each benchmark builds and measures: the full run, and a quick smoke run."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    few_bidders: int
    many_bidders: int
    assessors: int  # assessments per bidder in the ranking, and per vendor in the scorecard
    ranking_rounds: int
    read_rounds: int  # scorecard against the bare requests
    write_rounds: int
    warmup: int  # rounds run before measuring, not counted
    writer_seconds: float  # of two SQLite writers at once, per round and side
    writer_rounds: int


FULL = Sizes(
    few_bidders=5,
    many_bidders=50,
    assessors=3,
    ranking_rounds=21,
    read_rounds=201,
    write_rounds=61,
    warmup=3,
    writer_seconds=5,
    writer_rounds=3,
)
# Enough to go through every code path and print every row, in a few seconds.
QUICK = Sizes(
    few_bidders=2,
    many_bidders=8,
    assessors=3,
    ranking_rounds=3,
    read_rounds=5,
    write_rounds=3,
    warmup=1,
    writer_seconds=0.5,
    writer_rounds=1,
)
