"""The board pack: one printable page per procurement with the outcome, the method, the ranking
(chart and table) with the API's numbers, margin and sensitivity in sentences, what moderation
settled, the declarations of interest, readiness and the sign-off lines; for those who may read
the ranking. Figures from the mini set (tests/criteria/mini-1.yaml)."""

import contextlib
import os
import re
import zlib
from html import unescape
from pathlib import Path

import pytest
from evaluation import assess, declare, moderate, move, tender, vendor

# `clock` too: the real time, as the pages read it, so that invitations made here are current.
from test_pages_scorecards import signed_in, two
from test_pages_sign_in import clock  # noqa: F401

from ethics_api.enums import ProcurementStatus, Role
from ethics_api.pages.board_pack import PDF_BASE, _static_files_only, pdf_available
from ethics_api.services import declarations

from payloads import answers


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def evaluated(acting):
    """Kestrel (evaluators two apart on p2, settled at 2), Osprey (o1 at 3) and Heron (p1 at 0:
    a red line), each assessed by Alice and Bob; Carl declared a conflict, mitigated."""
    kestrel, osprey, heron = (vendor(acting, n) for n in ("Kestrel", "Osprey", "Heron"))
    procurement = tender(acting, kestrel, osprey, heron)
    for name in ("Alice", "Bob"):
        declare(acting, procurement, name)
    declare(acting, procurement, "Mona", role=Role.MODERATOR)
    carl = declare(
        acting, procurement, "Carl", conflict=True, description="Was a director of Heron"
    )
    with acting(Role.BUYER, "Bea") as context:
        declarations.mitigate(
            context, procurement.id, carl.id, {"mitigation": "Carl does not evaluate Heron."}
        )
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    assess(acting, kestrel, "Alice", procurement, answers=answers(p2=1))
    assess(acting, kestrel, "Bob", procurement, answers=answers(p2=3))
    moderate(acting, kestrel, "Mona", procurement, ("p2", 2, "Documented, not yet operating."))
    for name in ("Alice", "Bob"):
        assess(acting, osprey, name, procurement, answers=answers(o1=3))
        assess(acting, heron, name, procurement, answers=answers(p1=0))
    return procurement


def test_the_pack_shows_the_apis_ranking_in_numbers_and_words(app, acting, client):
    procurement = evaluated(acting)
    api = client.get(f"/v1/procurements/{procurement.id}/ranking").json
    response = signed_in(app, acting).get(f"/procurements/{procurement.id}/board-pack")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    words = text_of(html)

    # Outcome: the award in the API's words, and the bidder it names.
    assert api["award"]["summary"] in words
    winner = next(r for r in api["ranking"] if r["vendor_id"] == api["winner_vendor_id"])
    assert f"Recommended for award: {winner['vendor_name']}" in words
    # Each bidder's row: the API's total.
    for row in api["ranking"]:
        cells = re.search(rf'id="bidder-{row["vendor_id"]}">(.*?)</tr>', html, re.S)[1]
        assert re.findall(r"numeric[^>]*>([\d.]+)<", cells) == [two(row["total"])]
    # The chart's table: per criterion, the points it adds to each bidder, in ranking order.
    table = re.search(r'id="contributions">(.*?)</table>', html, re.S)[1]
    for index, weight in enumerate(api["weights"]):
        cells = re.search(rf">{index + 1}. {weight['name']}</th>(.*?)</tr>", table, re.S)[1]
        assert re.findall(r"numeric[^>]*>([\d.]+)<", cells) == [
            two(
                next(c for c in r["criteria"] if c["criterion"] == weight["criterion"])[
                    "contribution"
                ]
            )
            for r in api["ranking"]
        ]
    # The chart's bars end with the same totals, in ranking order.
    svg = re.search(r"<svg.*?</svg>", html, re.S)[0]
    assert re.findall(r'font-weight="bold" fill="#0b0c0c">([\d.]+)', svg) == [
        two(r["total"]) for r in api["ranking"]
    ]
    # Weights as the API gives them, in percent of the evaluation and of the award.
    for weight in api["weights"]:
        assert f"{weight['name']} {weight['weight']:g} {weight['effective_weight']:g}%" in words
    # Heron's knockout, in words.
    assert "Red line crossed: “Was a DPIA completed before processing?” (p1)" in words
    # Margin and sensitivity: the API's sentences.
    assert api["sensitivity"]["margin"]["sentence"] in words
    assert api["sensitivity"]["summary"] in words
    # Moderation: what was settled, by whom, why.
    assert "Kestrel Is collection limited to the purpose? (p2) 2 of 4: “documented” Mona" in words
    assert "Documented, not yet operating." in words
    # Declarations with their mitigation and who recorded it.
    assert "Was a director of Heron Carl does not evaluate Heron. (recorded by Bea on" in words
    # Readiness as the API states it, and the sign-off lines.
    assert api["readiness"]["ready"] == ("Nothing blocks closing." in words)
    for item in api["readiness"]["blocking"] + api["readiness"]["warnings"]:
        assert text_of(item["message"]) in words
    for role in ("Senior responsible owner", "Head of procurement", "Chair of the approving board"):
        assert role in words
    # Printable: the print stylesheet and the print button's module, no inline script.
    assert "/static/print.css" in html and "/static/print.js" in html
    assert "<script>" not in html and "style=" not in html


def test_the_pack_is_for_those_who_may_read_the_ranking(app, acting):
    procurement = evaluated(acting)
    path = f"/procurements/{procurement.id}/board-pack"
    for role in (Role.MODERATOR, Role.AUDITOR, Role.ADMIN):
        assert signed_in(app, acting, role, f"Reader {role}").get(path).status_code == 200
    refused = signed_in(app, acting, Role.ASSESSOR, "Reader assessor").get(path)
    assert refused.status_code == 403
    assert "Kestrel" not in refused.get_data(as_text=True)


def test_a_draft_has_no_pack_and_an_unknown_procurement_none_either(app, acting):
    draft = tender(acting, vendor(acting, "Kestrel"))
    client = signed_in(app, acting)
    refused = client.get(f"/procurements/{draft.id}/board-pack")
    assert refused.status_code == 409
    assert "The procurement is in draft" in text_of(refused.get_data(as_text=True))
    missing = client.get("/procurements/00000000-0000-4000-8000-000000000000/board-pack")
    assert missing.status_code == 404
    assert client.get("/procurements/not-an-id/board-pack").status_code == 404


# --- the PDF ------------------------------------------------------------------------------------


def unpacked(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated, where its page objects are."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(stream[1]))
    return b"\n".join(parts)


@pytest.fixture
def pdf():
    """The PDF needs WeasyPrint and the system's Pango: CI, which installs chromium (and with
    it Pango), runs these tests; elsewhere without Pango they are skipped."""
    if not pdf_available():
        if os.environ.get("ETHICS_REQUIRE_BROWSER"):
            pytest.fail("ETHICS_REQUIRE_BROWSER is set but WeasyPrint cannot load")
        pytest.skip("WeasyPrint cannot load (is Pango installed?): the PDF is not tested")


def test_the_pack_downloads_as_an_a4_pdf(app, acting, pdf):
    procurement = evaluated(acting)
    client = signed_in(app, acting)
    page = client.get(f"/procurements/{procurement.id}/board-pack").get_data(as_text=True)
    assert f'href="/procurements/{procurement.id}/board-pack.pdf"' in page
    response = client.get(f"/procurements/{procurement.id}/board-pack.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    # Every page A4: 595.28 x 841.89 points (210 x 297 mm).
    sizes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", unpacked(pdf))
    assert sizes and {(round(float(w)), round(float(h))) for w, h in sizes} == {(595, 842)}


def test_the_pdf_is_only_for_those_who_may_read_the_ranking(app, acting, pdf):
    procurement = evaluated(acting)
    client = signed_in(app, acting, Role.ASSESSOR, "Reader assessor")
    assert client.get(f"/procurements/{procurement.id}/board-pack.pdf").status_code == 403


def test_making_the_pdf_reads_only_the_services_own_static_files(app, pdf):
    with app.test_request_context():
        fetcher = _static_files_only(Path(app.static_folder))
        css = fetcher.fetch(f"{PDF_BASE}static/print.css")
        assert b"size: A4" in css.read()
        for elsewhere in (
            "http://example.com/static/print.css",
            f"{PDF_BASE}static/../__init__.py",
            f"{PDF_BASE}etc/passwd",
            "file:///etc/passwd",
        ):
            with pytest.raises(ValueError):
                fetcher.fetch(elsewhere)
