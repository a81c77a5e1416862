"""Benchmark a: a ranking costs time in proportion to its bidders, in a constant number of
SQL statements.

GET /v1/procurements/{id}/ranking for a few and for many bidders (each assessed by the same
number of evaluators, procurement in `evaluating`, so the ranking is computed on every request
rather than served as stored at closing). Time per bidder at both sizes: a ratio near 1, or
below it as the fixed cost of a request spreads over more bidders, means linear; well above 1
means worse than linear. The statement count must not grow with the bidders: the bidders and
their assessments are read in one pass (procurements.bidders_with_scorecards), never one query
per bidder.

The bidders' scorecards and the ranking report are kept in the process between requests
(scorecard_store.RANKED, evaluation.REPORTS), so the timed requests read them; the many-bidder
ranking is also timed with nothing kept, every bidder scored from its records and the report
worked out, and given in the note (the first request after a change pays that).
"""

from functools import partial

from ethics_api.services import evaluation, scorecard_store

from .data import evaluated_procurement
from .report import Row, progress
from .service import Service, UnexpectedResponse
from .sizes import Sizes
from .timing import alternate, median_ms, statements


def run(service: Service, sizes: Sizes) -> list[Row]:
    few, many = sizes.few_bidders, sizes.many_bidders
    urls = {}
    for bidders in (few, many):
        progress(
            f"{service.database}: ranking: {bidders} bidders, {sizes.assessors} assessments each"
        )
        procurement_id = evaluated_procurement(service, bidders, sizes.assessors)
        urls[bidders] = f"/v1/procurements/{procurement_id}/ranking"
    counts = {
        bidders: _checked_statement_count(service, url, bidders) for bidders, url in urls.items()
    }
    progress(f"{service.database}: ranking: timing {sizes.ranking_rounds} rounds")
    sides: dict = {bidders: partial(service.call, "GET", url) for bidders, url in urls.items()}
    sides["recomputed"] = partial(_forgetting, service, urls[many])
    samples = alternate(sides, sizes.ranking_rounds, sizes.warmup)
    whole = {bidders: median_ms(samples[bidders]) for bidders in urls}
    recomputed = median_ms(samples["recomputed"])
    extra = (whole[many] - whole[few]) / (many - few)
    return [
        Row(
            benchmark="ranking: time per bidder",
            database=service.database,
            baseline=f"{few} bidders",
            baseline_value=whole[few] / few,
            subject=f"{many} bidders",
            subject_value=whole[many] / many,
            unit="ms/bidder",
            note=(
                f"whole request {whole[few]:.3g} vs {whole[many]:.3g} ms; "
                f"each extra bidder {extra:.3g} ms; {many} bidders with nothing kept "
                f"(every scorecard and the report worked out) {recomputed:.3g} ms"
            ),
        ),
        Row(
            benchmark="ranking: SQL statements",
            database=service.database,
            baseline=f"{few} bidders",
            baseline_value=counts[few],
            subject=f"{many} bidders",
            subject_value=counts[many],
            unit="statements",
            note="per request, the key's read left out; 1.00 means constant",
        ),
    ]


def _forgetting(service: Service, url: str) -> object:
    """The ranking with nothing kept: every bidder scored from its records and the report
    worked out again. What the other sides kept stays kept for them."""
    kept = scorecard_store.RANKED, evaluation.REPORTS
    scorecard_store.RANKED = evaluation.REPORTS = scorecard_store.Kept(capacity=0)
    try:
        return service.call("GET", url)
    finally:
        scorecard_store.RANKED, evaluation.REPORTS = kept


def _checked_statement_count(service: Service, url: str, bidders: int) -> int:
    """The statements of one ranking request, which must rank every bidder: a benchmark of a
    ranking that left bidders out would measure the wrong thing. The read of the caller's key
    is authentication's, not the ranking's (SQLite skips it while nothing was committed since
    the connection last read it), so it is not counted."""
    with statements(service.engine) as seen:
        ranked = service.call("GET", url).json["ranking"]
    if len(ranked) != bidders or not all(row["assessed"] for row in ranked):
        assessed = sum(row["assessed"] for row in ranked)
        raise UnexpectedResponse(
            f"GET {url}: expected {bidders} assessed bidders, got {assessed} of {len(ranked)}"
        )
    return len([statement for statement in seen if "FROM api_keys" not in statement])
