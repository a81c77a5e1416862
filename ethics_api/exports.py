"""A procurement's ranking and its bidders' agreed levels as CSV, for people and for machines.

Headings are for people by default (criterion names, "Ethics total"); `header="machine"` gives
the stable machine names instead (`score_privacy`, `total`), and `header="both"` a row of each,
people's first. The figures are those of the served ranking, as the JSON has them.
"""

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HEADERS = ("human", "machine", "both")
# What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    machine: str
    human: str
    value: Callable[[dict], object]


def ranking_csv(ranking: dict, header: str = "human") -> str:
    """One row per bidder: rank, totals, eligibility, red lines, confidence and each
    criterion's score; with the overall rank and result when the award's other components are
    recorded."""
    names = {w["criterion"]: w.get("name", w["criterion"]) for w in ranking["weights"]}
    columns = [
        Column("rank", "Rank", lambda r: r["rank"]),
        Column("vendor_id", "Vendor ID", lambda r: r["vendor_id"]),
        Column("vendor_name", "Vendor", lambda r: _text(r["vendor_name"])),
        Column("assessed", "Assessed", lambda r: _flag(r["assessed"])),
        Column("eligible", "Eligible", lambda r: _flag(r.get("eligible"))),
        Column("total", "Ethics total", lambda r: _number(r.get("total"))),
        Column("grade", "Grade", lambda r: r.get("grade")),
        Column(
            "knockouts",
            "Red lines and minimums not met",
            lambda r: "; ".join(_knockout(k) for k in r.get("knockouts", [])),
        ),
        Column("confidence", "Confidence", lambda r: _number(r.get("confidence"))),
        Column("confidence_band", "Confidence band", lambda r: r.get("confidence_band")),
        Column("needs_moderation", "Needs moderation", lambda r: _flag(r.get("needs_moderation"))),
        Column("reused_standalone", "Reused standalone", lambda r: _flag(r["reused_standalone"])),
    ]
    columns += [Column(f"score_{key}", _text(name), _scored(key)) for key, name in names.items()]
    award = ranking["award"]
    if award["basis"] == "overall":
        overall = {o["vendor_id"]: o for o in award["overall"]}

        def result(row: dict) -> dict:
            return overall.get(row["vendor_id"], {})

        columns += [
            Column("overall_rank", "Overall rank", lambda r: result(r).get("rank")),
            Column("overall_total", "Overall result", lambda r: _number(result(r).get("total"))),
        ]
    return _write(columns, ranking["ranking"], header)


def levels_csv(rows: Sequence[dict], header: str = "human") -> str:
    """One row per bidder and indicator: the agreed level, whether a moderation settled it,
    and the evaluators' own levels (unnamed)."""
    columns = [
        Column("vendor_id", "Vendor ID", lambda r: r["vendor_id"]),
        Column("vendor_name", "Vendor", lambda r: _text(r["vendor_name"])),
        Column("criterion", "Criterion", lambda r: _text(r["criterion_name"])),
        Column("indicator", "Indicator", lambda r: r["indicator"]),
        Column("question", "Question", lambda r: _text(r["question"])),
        Column("level", "Agreed level", lambda r: "N/A" if r["level"] is None else r["level"]),
        Column("settled_by_moderation", "Settled by moderation", lambda r: _flag(r["settled"])),
        Column(
            "evaluators_levels",
            "Evaluators' levels",
            lambda r: "; ".join("N/A" if level is None else str(level) for level in r["levels"]),
        ),
    ]
    return _write(columns, rows, header)


def _write(columns: Sequence[Column], rows: Sequence[dict], header: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header in ("human", "both"):
        writer.writerow([c.human for c in columns])
    if header in ("machine", "both"):
        writer.writerow([c.machine for c in columns])
    for row in rows:
        writer.writerow(["" if (v := c.value(row)) is None else v for c in columns])
    return out.getvalue()


def _scored(key: str) -> Callable[[dict], object]:
    """A bidder row's score on the criterion `key`, written out."""

    def score(row: dict) -> object:
        found = {c["criterion"]: c["score"] for c in row.get("criteria", [])}
        return _number(found.get(key))

    return score


def _number(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _text(value: str) -> str:
    """Users' text as a spreadsheet will show it, never run it: a cell starting with = + - @
    (or a tab or carriage return) is a formula to Excel and LibreOffice, so it gets a leading
    apostrophe, which they show as text."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _knockout(knockout: dict) -> str:
    if knockout["kind"] == "gate":
        return f"gate {knockout['key']} not passed"
    if knockout["kind"] == "indicator":
        return f"{knockout['key']} at level 0"
    if knockout["kind"] == "indicator_minimum":
        return f"{knockout['key']} at level {knockout['value']:.0f} < minimum level " + (
            f"{knockout['threshold']:.0f}"
        )
    return f"{knockout['key']} {knockout['value']:.2f} < minimum {knockout['threshold']:.2f}"
