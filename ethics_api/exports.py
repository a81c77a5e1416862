"""The ranking as CSV: one row per bidder, from the same served ranking as the JSON."""

import csv
import io

# What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _number(value) -> str:
    return "" if value is None else f"{value:.2f}"


def ranking_csv(ranking: dict) -> str:
    """Rank, totals, eligibility, knockouts, confidence and each criterion's score."""
    criteria = [w["criterion"] for w in ranking["weights"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "vendor_id",
            "vendor_name",
            "assessed",
            "eligible",
            "total",
            "grade",
            "knockouts",
            "confidence",
            "confidence_band",
            "needs_moderation",
            "reused_standalone",
            *(f"score_{key}" for key in criteria),
        ]
    )
    for row in ranking["ranking"]:
        scores = {c["criterion"]: c["score"] for c in row.get("criteria", [])}
        writer.writerow(
            [
                "" if row["rank"] is None else row["rank"],
                row["vendor_id"],
                _text(row["vendor_name"]),
                _flag(row["assessed"]),
                _flag(row.get("eligible")),
                _number(row.get("total")),
                row.get("grade", ""),
                "; ".join(_knockout(k) for k in row.get("knockouts", [])),
                _number(row.get("confidence")),
                row.get("confidence_band", ""),
                _flag(row.get("needs_moderation")),
                _flag(row["reused_standalone"]),
                *(_number(scores.get(key)) for key in criteria),
            ]
        )
    return out.getvalue()


def _text(value: str) -> str:
    """Users' text as a spreadsheet will show it, never run it: a cell starting with = + - @
    (or a tab or carriage return) is a formula to Excel and LibreOffice, so it gets a leading
    apostrophe, which they show as text."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _knockout(knockout: dict) -> str:
    if knockout["kind"] == "indicator":
        return f"{knockout['key']} at level 0"
    return f"{knockout['key']} {knockout['value']:.2f} < minimum {knockout['threshold']:.2f}"
