"""Results: one row per comparison, printed as a table or written as JSON."""

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

COLUMNS = ("benchmark", "database", "baseline", "subject", "ratio", "note")


@dataclass(frozen=True)
class Row:
    """Two things measured in one run, and how they compare: ratio = subject / baseline."""

    benchmark: str
    database: str
    baseline: str
    baseline_value: float
    subject: str
    subject_value: float
    unit: str  # "ms", "ms/bidder" or "statements"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.subject_value / self.baseline_value


def _value(value: float, unit: str) -> str:
    if unit == "statements":
        return f"{value:.0f} {unit}"
    return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.benchmark,
        row.database,
        f"{row.baseline}: {_value(row.baseline_value, row.unit)}",
        f"{row.subject}: {_value(row.subject_value, row.unit)}",
        f"{row.ratio:.2f}",
        row.note,
    )


def table(rows: list[Row]) -> str:
    """An aligned plain-text table, readable in a terminal and pasteable into Markdown."""
    lines = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(COLUMNS))]

    def render(cells) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def write_json(path: Path, rows: list[Row], settings: dict) -> None:
    """The rows with their ratios, for tools and tests that check the results' structure."""
    document = {
        "settings": settings,
        "rows": [{**asdict(row), "ratio": row.ratio} for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def progress(message: str) -> None:
    """What the run is doing, on stderr: stdout carries only the results."""
    print(f"[benchmarks] {message}", file=sys.stderr, flush=True)
