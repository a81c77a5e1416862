"""The board pack: one printable document per procurement for the board that approves the award.

It gathers what a board needs to sign: the outcome, the method (criteria set, weights, profile
and tier, the ethics evaluation's share of the award), the ranking with its chart and table,
how close it is and how sensitive to the weights, what moderation settled and why, the
declarations of interest, whether the procurement is ready to close, and the sign-off lines.

Every figure is the ranking as the API writes it out (services.rankings.written_ranking: the
one stored at closing, else the ranking as of now), so the pack and the API never differ. It is
for those who may read the ranking through the API: buyers, moderators, auditors and admins.
"""

import contextlib
import datetime as dt
import functools
import mimetypes
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from werkzeug.security import safe_join

from .. import per_request
from ..criteria import CriteriaSet
from ..documents.knockouts import knockout_sentence
from ..documents.numbers import number, percent, points
from ..enums import Role
from ..errors import STATUS_OF
from ..models import Procurement
from ..services.context import Context
from ..services.errors import DomainError, NotFound
from ..services.people import get_person
from ..services.rankings import written_ranking
from ..services.scorecards import vendor_scorecard
from .blueprint import blp, day, error_page, moment
from .charts import Bar, stacked_bars
from .scorecards import settlements_of
from .session import signed_in

# Who signs the award off, in the order they sign; each gets a name, signature and date line.
SIGNATORIES = (
    "Senior responsible owner",
    "Head of procurement",
    "Chair of the approving board",
)


@dataclass(frozen=True)
class RankedRow:
    rank: int | None
    vendor_id: str
    name: str
    total: str
    grade: str
    eligible: bool | None
    knockouts: list[str]
    confidence: str
    contributions: list[str]


@dataclass(frozen=True)
class Settled:
    bidder: str
    indicator: str
    question: str
    level: str
    moderator: str
    reason: str


@blp.route("/procurements/<uuid:procurement_id>/board-pack", endpoint="board_pack")
@signed_in(Role.BUYER, Role.MODERATOR, Role.AUDITOR)
def board_pack_page(procurement_id: uuid.UUID):
    """The pack as a page, printable on A4 from the browser."""
    return _rendered(procurement_id)


@blp.route("/procurements/<uuid:procurement_id>/board-pack.pdf", endpoint="board_pack_pdf")
@signed_in(Role.BUYER, Role.MODERATOR, Role.AUDITOR)
def board_pack_pdf(procurement_id: uuid.UUID):
    """The same pack as a PDF file, where the optional PDF renderer is installed."""
    if not pdf_available():
        return error_page(
            404,
            "This service was installed without its PDF renderer: print the board pack from "
            "its page, or install the service with its pdf extra.",
        )
    page = _rendered(procurement_id, for_pdf=True)
    if isinstance(page, tuple):  # the error page, with its status
        return page
    response = current_app.response_class(pdf_of(page), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="board-pack-{procurement_id}.pdf"'
    )
    return response


def _rendered(procurement_id, for_pdf: bool = False):
    context = per_request.context()
    try:
        procurement, ranking = written_ranking(context, procurement_id)
    except DomainError as exc:
        return error_page(STATUS_OF[type(exc)], exc.message)
    criteria_set = context.criteria.sets[procurement.criteria_set]
    return render_template(
        "pages/board_pack.html",
        procurement=procurement,
        criteria_set=criteria_set,
        ranking=ranking,
        prepared_at=moment(context.now()),
        prepared_by=context.caller.name,
        for_pdf=for_pdf,
        pdf_available=pdf_available(),
        **pack(context, procurement, criteria_set, ranking),
    )


# --- the PDF ------------------------------------------------------------------------------------

# The pack's own address while WeasyPrint lays it out: links resolve against it, and only
# this service's static files (its stylesheets) are ever read from it.
PDF_BASE = "http://board-pack.invalid/"


@functools.cache
def pdf_available() -> bool:
    """Whether WeasyPrint is installed and loads: it needs Pango from the system too, and
    without it the import fails with OSError."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def pdf_of(html: str) -> bytes:
    """The pack laid out on A4 by WeasyPrint, with its print stylesheet."""
    import weasyprint

    fetcher = _static_files_only(Path(current_app.static_folder or ""))
    return weasyprint.HTML(string=html, base_url=PDF_BASE, url_fetcher=fetcher).write_pdf()


def _static_files_only(folder: Path):
    """A fetcher that reads the service's static files from disk and nothing else: no request
    leaves the server while a PDF is made, whatever the pack's links point at."""
    import weasyprint.urls

    class StaticFiles(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            inside = parts.path.removeprefix("/static/")
            found = safe_join(str(folder), inside) if url.startswith(PDF_BASE) else None
            if found is None or not parts.path.startswith("/static/") or not Path(found).is_file():
                raise ValueError(f"the board pack reads no {url}")
            kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(
                url, Path(found).read_bytes(), {"Content-Type": kind}
            )

    return StaticFiles()


def pack(context: Context, procurement: Procurement, criteria_set: CriteriaSet, ranking: dict):
    """What the pack shows beyond the ranking as written: its rows in words, the chart, the
    method, the moderations and the declarations with names."""
    names = {row["vendor_id"]: row["vendor_name"] for row in ranking["ranking"]}
    award = ranking["award"]
    return {
        "winner": names.get(award.get("winner_vendor_id") or ranking.get("winner_vendor_id")),
        "share": percent(_exact(award["ethics_share"])),
        "other_share": percent(100 - _exact(award["ethics_share"])),
        "weights": [
            {
                "name": w["name"],
                "weight": number(_exact(w["weight"])),
                "effective": percent(_exact(w["effective_weight"])),
                "award": percent(_exact(w["award_weight"])),
            }
            for w in ranking["weights"]
        ],
        "profile": [
            (q.question, (ranking.get("profile") or {}).get(q.key))
            for q in criteria_set.profile
            if ranking.get("profile") is not None
        ],
        "rows": [_row(criteria_set, ranking, row) for row in ranking["ranking"]],
        "chart": ranking_chart(ranking),
        "settled": _moderations(context, procurement, criteria_set, ranking),
        "declarations": _declarations(context, ranking["declarations"]),
        "signatories": SIGNATORIES,
    }


def _exact(value) -> Fraction:
    """A number as the ranking writes it (rounded, or exact as the criteria give it)."""
    return Fraction(str(value))


def _row(criteria_set: CriteriaSet, ranking: dict, row: dict) -> RankedRow:
    if not row["assessed"]:
        return RankedRow(None, row["vendor_id"], row["vendor_name"], "", "", None, [], "", [])
    by_key = {c["criterion"]: c for c in row["criteria"]}
    return RankedRow(
        rank=row["rank"],
        vendor_id=row["vendor_id"],
        name=row["vendor_name"],
        total=points(_exact(row["total"])),
        grade=row["grade"],
        eligible=row["eligible"],
        knockouts=[
            knockout_sentence(
                criteria_set,
                k["kind"],
                k["key"],
                _exact(k["value"]),
                _exact(k["threshold"]),
                ranking.get("tier"),
            )
            for k in row["knockouts"]
        ],
        confidence=f"{points(_exact(row['confidence']))} ({row['confidence_band']})",
        contributions=[
            _or_dash(by_key.get(w["criterion"], {}).get("contribution")) for w in ranking["weights"]
        ],
    )


def _or_dash(value) -> str:
    return "Not scored" if value is None else points(_exact(value))


def ranking_chart(ranking: dict):
    """One bar per assessed bidder, stacked from the points each criterion adds to its total."""
    series = [w["name"] for w in ranking["weights"]]
    bars = []
    for row in ranking["ranking"]:
        if not row["assessed"]:
            continue
        by_key = {c["criterion"]: c.get("contribution") for c in row["criteria"]}
        bars.append(
            Bar(
                row["vendor_name"],
                [_exact(by_key.get(w["criterion"]) or 0) for w in ranking["weights"]],
                points(_exact(row["total"])),
                "" if row["eligible"] else "(not eligible)",
            )
        )
    return stacked_bars(
        "The bidders' totals, by criterion",
        "One bar per assessed bidder in ranking order, each stacked from the points every "
        "criterion adds to its total, on a scale from 0 to 100. The table below gives the same "
        "numbers.",
        series,
        bars,
        Fraction(100),
    )


def _moderations(
    context: Context, procurement: Procurement, criteria_set: CriteriaSet, ranking: dict
) -> list[Settled]:
    """Every indicator moderation settled for an assessed bidder, in the scorecards the
    ranking rests on: the agreed level, who agreed it and why."""
    questions = {i.key: i for i in criteria_set.indicators}
    found = []
    for row in ranking["ranking"]:
        if not row["assessed"]:
            continue
        try:
            card = vendor_scorecard(
                context, row["vendor_id"], procurement_id=procurement.id, as_of=_as_of(ranking)
            )
        except DomainError:
            continue  # nothing current to read any more: the ranking still stands as stored
        for moderation in card["moderations"]:
            for settlement in settlements_of(context, moderation.id):
                key = settlement["indicator"]
                if key not in moderation.indicators:
                    continue
                level = settlement.get("level")
                agreed = (
                    "Not applicable"
                    if settlement.get("not_applicable") or level is None
                    else f"{level} of 4: \u201c{questions[key].levels[level]}\u201d"
                )
                found.append(
                    Settled(
                        row["vendor_name"],
                        key,
                        questions[key].question,
                        agreed,
                        moderation.moderator,
                        settlement.get("reason") or settlement.get("rationale") or "None given",
                    )
                )
    return found


def _as_of(ranking: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(ranking["as_of"])


def _declarations(context: Context, declarations: list[dict]) -> list[dict]:
    """The declarations with the name of whoever mitigated a conflict."""
    shown = []
    for declaration in declarations:
        mitigated_by = declaration.get("mitigated_by")
        if mitigated_by:
            # The id stays as it is should the person no longer be on record.
            with contextlib.suppress(NotFound):
                mitigated_by = get_person(context, mitigated_by).name
        mitigated_at = declaration.get("mitigated_at")
        shown.append(
            {
                **declaration,
                "declared_on": day(declaration["declared_at"]),
                "mitigated_by_name": mitigated_by,
                "mitigated_on": day(mitigated_at) if mitigated_at else None,
            }
        )
    return shown
