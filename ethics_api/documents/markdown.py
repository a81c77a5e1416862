"""An assessment summary as a Markdown document the buyer can send to the bidder.

Names, titles, rationales and reasons are users' text: each is kept on its line, stripped of
control and invisible characters, and every character that could open or close Markdown
structure is escaped, so none can add a heading, a list, a link, a table column or a code
block (a vendor named ``` or ~~~ stays a name).
"""

import datetime as dt
import re

from ..fields import without_hidden_characters

# CommonMark lets any ASCII punctuation be escaped with a backslash. These are the characters
# that can start or end structure anywhere in a line: emphasis, code spans and fences, links,
# images, HTML and entities, table cells, headings, strikethrough.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")
# And these only at the start of a line, where a sentence may be: a list item (-, +, 1. or 1)),
# a thematic break or a setext underline (---, ===), a block quote (> is escaped above).
_LINE_START = re.compile(r"^(?:([-+=])|([0-9]+)([.)]))")


def to_markdown(summary: dict) -> str:
    procurement, supplier, outcome = summary["procurement"], summary["supplier"], summary["outcome"]
    compared = outcome["compared_with"]
    lines = [
        f"# Assessment summary: {_text(supplier['name'])}",
        "",
        f"{_text(procurement['title'])} ({_text(procurement['ocid'])}). Buyer: "
        f"{_text(procurement['buyer']['name'])}. Evaluation closed "
        f"{readable_time(procurement['closed_at'])}.",
        "",
        "## The supplier",
        "",
        *_supplier(supplier),
        "",
        "## Outcome",
        "",
    ]
    for sentence in outcome["sentences"]:
        lines += [_text(sentence), ""]
    lines += [_text(summary["award"]["sentence"]), ""]
    lines += ["## Award criteria and how tenders were assessed", ""]
    lines += [f"- {_text(sentence)}" for sentence in summary["method"]["sentences"]]
    lines += ["", _scores_table(summary, compared), ""]
    lines += ["## Your tender's scores explained", ""]
    lines += _explained(summary["criteria"], "explanation", "assessed")
    if compared:
        lines += [f"## The scores of {_text(compared['label'])} explained", ""]
        lines += _explained(summary["criteria"], "winning_explanation", "winning_assessed")
        advantages = [c["advantage"] for c in summary["criteria"] if c["advantage"]]
        if advantages:
            lines += [f"## Where {_text(compared['label'])} scored higher", ""]
            lines += [f"- {_text(sentence)}" for sentence in advantages] + [""]
    if summary["not_covered"]:
        lines += ["## What this summary does not cover", ""]
        lines += [_text(sentence) for sentence in summary["not_covered"]] + [""]
    lines += ["## Declarations of interest", ""]
    declared = [f"- {_text(d['sentence'])}" for d in summary["declarations"]]
    lines += (declared or ["No declaration of interest is on record."]) + [""]
    lines += ["## Standstill period", "", _text(summary["standstill"]["sentence"])]
    return "\n".join(lines) + "\n"


def written_address(address: dict | None) -> str | None:
    """A postal address on one line, its parts in the order a letter has them."""
    parts = [
        (address or {}).get(key)
        for key in ("street_address", "locality", "region", "postal_code", "country_name")
    ]
    return ", ".join(p for p in parts if p) or None


def _supplier(supplier: dict) -> list[str]:
    identifier = supplier["identifier"]
    lines = [
        f"- Name: {_text(supplier['name'])}",
        f"- Postal address: {_text(written_address(supplier['address']) or 'not recorded')}",
        f"- Email: {_text(supplier['email'] or 'not recorded')}",
        f"- Unique identifier (PPON): {_text(supplier['ppon'] or 'not recorded')}",
    ]
    if identifier:
        lines.append(f"- Other identifier: {_text(identifier['scheme'])} {_text(identifier['id'])}")
    return lines


def _scores_table(summary: dict, compared: dict | None) -> str:
    rows = [
        "| criterion | weight in the ethics evaluation | weight in the award | minimum "
        "| your score |" + (" winning tender |" if compared else ""),
        "|---|---:|---:|---:|---:|" + ("---:|" if compared else ""),
    ]
    for c in summary["criteria"]:
        row = (
            f"| {_text(c['name'])} | {c['weight']:.2f}% | {c['award_weight']:.2f}% "
            f"| {_cell(c['minimum'])} | {_cell(c['score'])} |"
        )
        rows.append(row + (f" {_cell(c['winning_score'])} |" if compared else ""))
    total = f"| **Total** | | | | **{_cell(summary['ethics_total'])}** |" + (
        f" **{_cell(summary['winning_ethics_total'])}** |" if compared else ""
    )
    rows.append(total)
    return "\n".join(rows)


def _explained(criteria: list[dict], explanation: str, assessed: str) -> list[str]:
    lines = []
    for c in criteria:
        if c[explanation] is None:
            continue
        lines += [f"### {_text(c['name'])}", "", _text(c[explanation]), ""]
        lines += [f"- {_text(i['sentence'])}" for i in c[assessed]] + [""]
    return lines


def readable_time(instant: str) -> str:
    """An RFC 3339 instant as a reader of a letter expects it: 2 March 2026, 10:15 UTC."""
    moment = dt.datetime.fromisoformat(instant).astimezone(dt.UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _text(value: str) -> str:
    """Users' text on one line, without hidden characters, its Markdown characters escaped
    (wherever it lands in a line, so the start of a line counts too)."""
    line = " ".join(without_hidden_characters(str(value)).split())
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", line)
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(opening: re.Match) -> str:
    # "2026. " opens an ordered list: the escape goes before its full stop (2026\.), as
    # CommonMark's own examples do; -, + and = are escaped themselves.
    sign, digits, stop = opening.groups()
    return "\\" + sign if sign else f"{digits}\\{stop}"


def _cell(value) -> str:
    return "-" if value is None else f"{float(value):.2f}"
