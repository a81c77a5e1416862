"""A bidder's assessment summary (Procurement Act 2023 s.50), from the closed ranking.

The buyer must tell every assessed bidder how its tender scored against the winning one and
why it did or did not win. Built from the ranking stored at closing, so the summary repeats the
figures the award was made on.
"""

import datetime as dt
import re

from .criteria import CriteriaSet


def bidder_summary(
    procurement, criteria_set: CriteriaSet, ranking: dict, vendor_id: str, rationales: list[dict]
) -> dict | None:
    """The summary for one bidder; None when the vendor was not a bidder."""
    rows = {row["vendor_id"]: row for row in ranking["ranking"]}
    row = rows.get(vendor_id)
    if row is None:
        return None
    winner = next((r for r in ranking["ranking"] if r["rank"] == 1 and r.get("eligible")), None)
    names = {c.key: c.name for c in criteria_set.criteria}
    effective = {w["criterion"]: w["effective_weight"] for w in ranking["weights"]}
    own = {c["criterion"]: c["score"] for c in row.get("criteria", [])}
    best = {c["criterion"]: c["score"] for c in winner["criteria"]} if winner else {}
    return {
        "procurement": {
            "id": procurement.id,
            "ocid": procurement.ocid,
            "title": procurement.title,
            "buyer": procurement.buyer_name,
            "closed_at": ranking["as_of"],
            "criteria_set": ranking["criteria_set"]["ref"],
        },
        "bidder": {
            key: row.get(key)
            for key in ("vendor_id", "vendor_name", "rank", "total", "grade", "eligible")
        },
        "bidders": len(ranking["ranking"]),
        "winner": None
        if winner is None
        else {k: winner[k] for k in ("vendor_id", "vendor_name", "total", "grade")},
        "won": winner is not None and winner["vendor_id"] == vendor_id,
        "reason": _reason(row, winner, len(ranking["ranking"]), names),
        "knockouts": row.get("knockouts", []),
        "criteria": [
            {
                "criterion": key,
                "name": names[key],
                "effective_weight": effective[key],
                "score": own.get(key),
                "winning_score": best.get(key),
            }
            for key in names
        ],
        "rationales": rationales,
    }


def _reason(row: dict, winner: dict | None, bidders: int, names: dict) -> str:
    name = row["vendor_name"]
    if not row["assessed"]:
        return (
            f"{name} had no current assessment when the procurement closed, so it was not ranked."
        )
    if not row["eligible"]:
        reasons = "; ".join(_knockout(k, names) for k in row["knockouts"])
        return f"{name} was not eligible, whatever its total: {reasons}."
    if winner is not None and winner["vendor_id"] == row["vendor_id"]:
        return (
            f"{name} ranked first of {_count(bidders)} with a total of {row['total']:.2f} "
            f"(grade {row['grade']}) and met every knockout and minimum."
        )
    assert winner is not None, "an eligible bidder means an eligible one ranks first"
    gaps = sorted(
        (
            (w["score"] - o["score"], w["criterion"], o["score"], w["score"])
            for o, w in zip(row["criteria"], winner["criteria"], strict=True)
            if o["score"] is not None and w["score"] is not None
        ),
        reverse=True,
    )
    sentence = (
        f"{name} ranked {row['rank']} of {_count(bidders)}: its total of {row['total']:.2f} was "
        f"{winner['total'] - row['total']:.2f} points below the winning bid's "
        f"{winner['total']:.2f}."
    )
    if gaps and gaps[0][0] > 0:
        _, key, own, best = gaps[0]
        sentence += f" The largest difference was in {names[key]}: {own:.2f} against {best:.2f}."
    return sentence


def _count(bidders: int) -> str:
    return f"{bidders} bidder" + ("" if bidders == 1 else "s")


def _knockout(knockout: dict, names: dict) -> str:
    if knockout["kind"] == "indicator":
        return f"indicator {knockout['key']} was at level 0, a red line of the criteria"
    return (
        f"{names[knockout['key']]} scored {knockout['value']:.2f}, below its minimum of "
        f"{knockout['threshold']:.2f}"
    )


def to_markdown(summary: dict) -> str:
    """The summary as a Markdown document the buyer can send to the bidder.

    Names, titles and rationales are users' text: each is kept on its line and its Markdown
    characters escaped, so none can add a heading, a link or a table column to the document.
    """
    procurement, bidder = summary["procurement"], summary["bidder"]
    lines = [
        f"# Assessment summary: {_text(bidder['vendor_name'])}",
        "",
        f"Procurement: {_text(procurement['title'])} ({_text(procurement['ocid'])}), buyer "
        f"{_text(procurement['buyer'])}, closed {readable_time(procurement['closed_at'])}. "
        f"Criteria: "
        f"{procurement['criteria_set']}.",
        "",
        "## Outcome",
        "",
        _text(summary["reason"]),
        "",
        "## Scores by criterion",
        "",
        "| criterion | weight | your score | winning bid |",
        "|---|---:|---:|---:|",
    ]
    for c in summary["criteria"]:
        lines.append(
            f"| {_text(c['name'])} | {c['effective_weight']:.2f}% | {_cell(c['score'])} "
            f"| {_cell(c['winning_score'])} |"
        )
    if bidder["total"] is not None:
        winning = summary["winner"]["total"] if summary["winner"] else None
        lines.append(f"| **Total** | | **{_cell(bidder['total'])}** | **{_cell(winning)}** |")
    if summary["knockouts"]:
        lines += ["", "## Knockouts", ""]
        lines += [
            f"- {k['kind']}: {k['key']} ({_cell(k['value'])} < {_cell(k['threshold'])})"
            for k in summary["knockouts"]
        ]
    if summary["rationales"]:
        lines += ["", "## Evaluators' rationales", ""]
        lines += [
            f"- {r['indicator']} (level {_level(r['level'])}, {_text(r['assessor'])}): "
            f"{_text(r['rationale'])}"
            for r in summary["rationales"]
        ]
    return "\n".join(lines) + "\n"


def readable_time(instant: str) -> str:
    """An RFC 3339 instant as a reader of a letter expects it: 2 March 2026, 10:15 UTC."""
    moment = dt.datetime.fromisoformat(instant).astimezone(dt.UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _text(value: str) -> str:
    """Users' text on one line with its Markdown characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _cell(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _level(level) -> str:
    return "N/A" if level is None else str(level)
