"""Text that cannot lie: what a reader sees is what the service holds.

A direction override (U+202E) shows "Acme\u202eLtd" as "AcmedtL"; a zero-width space makes two
names that look the same differ; a control character can rewrite a terminal line. Names and
identifiers refuse all of them; free text (rationales, summaries, reasons) keeps its lines and
tabs but refuses control characters and direction overrides. And users' text in the Markdown
summary can never open or close Markdown structure: a vendor named ``` stays a name.
"""

import re

import pytest
from evaluation import assess, declare, move, tender, vendor
from markdown_it import MarkdownIt

from ethics_api.documents.links import Links
from ethics_api.documents.markdown import to_markdown
from ethics_api.enums import ProcurementStatus, Role
from ethics_api.fields import hidden_character
from ethics_api.schemas.summaries import BidderSummarySchema
from ethics_api.services import documents

from payloads import answer, answers, assessment, supplier
from responses import assert_problem

OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
ISOLATE = "\u2066"  # LEFT-TO-RIGHT ISOLATE
ZERO_WIDTH = "\u200b"  # ZERO WIDTH SPACE
BOM = "\ufeff"
BELL = "\x07"
ESCAPE = "\x1b"
NEXT_LINE = "\x85"  # a C1 control character


def evidence(title: str) -> dict:
    return {"title": title, "kind": "documented", "url": "https://vendor.example/dpia.pdf"}


def first_answer(**extra) -> list[dict]:
    """Every mini indicator answered, the first with `extra`."""
    return [answer("p1", 2, **extra), *answers()[1:]]


def vendor_id_of(client) -> str:
    return client.post("/v1/vendors", json=supplier("Plain Ltd")).json["id"]


def procurement_body(**fields) -> dict:
    body = {
        "ocid": "ocds-213czf-0001",
        "title": "Analytics",
        "buyer": {"name": "City Police"},
        **fields,
    }
    return body


# (what is sent, where, the JSON pointer of the field, the character hidden in it)
REFUSED = [
    ("/v1/vendors", lambda c: supplier(f"Acme{OVERRIDE}Ltd"), "/name", OVERRIDE),
    ("/v1/vendors", lambda c: supplier(f"Acme{ZERO_WIDTH}Ltd"), "/name", ZERO_WIDTH),
    ("/v1/vendors", lambda c: supplier(f"Acme{BELL} Ltd"), "/name", BELL),
    ("/v1/vendors", lambda c: supplier(f"Acme{NEXT_LINE}Ltd"), "/name", NEXT_LINE),
    ("/v1/vendors", lambda c: supplier(f"Acme{BOM}Ltd"), "/name", BOM),
    (
        "/v1/vendors",
        lambda c: supplier("Acme", identifier={"scheme": "GB-COH", "id": f"0123{ISOLATE}4567"}),
        "/identifier/id",
        ISOLATE,
    ),
    (
        "/v1/vendors",
        lambda c: supplier("Acme", address={"street_address": f"1 High{ESCAPE}[2K Street"}),
        "/address/street_address",
        ESCAPE,
    ),
    ("/v1/people", lambda c: {"name": f"Eve{OVERRIDE}lyn"}, "/name", OVERRIDE),
    (
        "/v1/procurements",
        lambda c: procurement_body(title=f"Analytics{OVERRIDE} contract"),
        "/title",
        OVERRIDE,
    ),
    (
        "/v1/procurements",
        lambda c: procurement_body(buyer={"name": f"City{ZERO_WIDTH} Police"}),
        "/buyer/name",
        ZERO_WIDTH,
    ),
    (
        "/v1/procurements",
        lambda c: procurement_body(ocid=f"ocds-213czf-00{OVERRIDE}01"),
        "/ocid",
        None,  # the ocid's own pattern refuses it, with its own message
    ),
    (
        "/v1/vendors/{vendor}/assessments",
        lambda c: assessment(assessor=f"alice{ZERO_WIDTH}"),
        "/assessor",
        ZERO_WIDTH,
    ),
    (
        "/v1/vendors/{vendor}/assessments",
        lambda c: assessment(answers=first_answer(evidence=[evidence(f"DPIA{OVERRIDE}fdp.exe")])),
        "/answers/0/evidence/0/title",
        OVERRIDE,
    ),
    # Free text: direction overrides and control characters refused, lines and tabs kept.
    (
        "/v1/vendors/{vendor}/assessments",
        lambda c: assessment(answers=first_answer(rationale=f"Seen {OVERRIDE}kO")),
        "/answers/0/rationale",
        OVERRIDE,
    ),
    (
        "/v1/vendors/{vendor}/assessments",
        lambda c: assessment(summary=f"Fine.{ESCAPE}[1A{ESCAPE}[2KAll clear."),
        "/summary",
        ESCAPE,
    ),
    (
        "/v1/vendors/{vendor}/assessments",
        lambda c: assessment(summary="Nothing\x00more"),
        "/summary",
        "\x00",
    ),
]


@pytest.mark.parametrize(
    ("url", "body", "pointer", "character"),
    REFUSED,
    ids=[f"{pointer}-{i}" for i, (_, _, pointer, _) in enumerate(REFUSED)],
)
def test_hidden_characters_are_refused_with_the_field_named(client, url, body, pointer, character):
    if "{vendor}" in url:
        url = url.format(vendor=vendor_id_of(client))
    problem = assert_problem(client.post(url, json=body(client)), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer], problem
    if character is not None:
        (message,) = problem["errors"][0]["messages"]
        assert f"U+{ord(character):04X}" in message, message


def test_free_text_keeps_its_lines_and_tabs(client):
    vendor_id = vendor_id_of(client)
    rationale = "First point.\n\tSecond point,\r\nindented."
    body = assessment(answers=first_answer(rationale=rationale))
    body["summary"] = (
        "Line one.\nLine two.\tTabbed. Emoji with a joiner: \U0001f469\u200d\U0001f52c."
    )
    response = client.post(f"/v1/vendors/{vendor_id}/assessments", json=body)
    assert response.status_code == 201, response.json
    assert response.json["answers"][0]["rationale"] == rationale
    assert response.json["summary"] == body["summary"]


def test_a_name_may_hold_any_script_and_punctuation(client):
    for name in ("شركة الذكاء", "Ångström & Søn (UK) Ltd", "株式会社テスト", "~~~ Fence Ltd"):
        response = client.post("/v1/vendors", json=supplier(name))
        assert response.status_code == 201, (name, response.json)
        assert response.json["name"] == name


def test_the_documented_patterns_refuse_what_the_service_refuses(client):
    # The rule is stated in the API document too, so a client can check before sending.
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    name = re.compile(schemas["VendorCreate"]["properties"]["name"]["pattern"])
    rationale = re.compile(schemas["Answer"]["properties"]["rationale"]["pattern"])
    for character in (OVERRIDE, ISOLATE, ZERO_WIDTH, BOM, BELL, NEXT_LINE, "\n", "\t"):
        assert name.search(f"Acme{character}Ltd") is None, repr(character)
    for character in (OVERRIDE, ISOLATE, BELL, ESCAPE, NEXT_LINE, "\x00"):
        assert rationale.search(f"Seen{character} here.") is None, repr(character)
    assert rationale.search("Seen\nhere,\tand\r\nthere.") is not None


def test_one_function_says_what_is_wrong():
    assert hidden_character("Acme Ltd") is None
    assert hidden_character("two\nlines", multiline=True) is None
    assert "U+202E, character 5" in hidden_character(f"Acme{OVERRIDE}Ltd", multiline=True)
    assert "line break" in hidden_character("two\nlines")
    assert "zero-width" in hidden_character(f"a{ZERO_WIDTH}b")
    assert hidden_character(f"a{ZERO_WIDTH}b", multiline=True) is None


# --- the documents ------------------------------------------------------------------------------


def closed_with(acting, name: str, rationale: str):
    """A closed procurement whose one bidder has `name`, its p2 answer `rationale`."""
    vendor_id = vendor(acting, name)
    procurement = tender(acting, vendor_id, min_evaluators=1)
    declare(acting, procurement, "Alice Evaluator")
    move(acting, procurement, status=ProcurementStatus.EVALUATING)
    given = answers()
    given[1] = {**given[1], "rationale": rationale}
    assess(acting, vendor_id, "Alice Evaluator", procurement, answers=given)
    move(acting, procurement, status=ProcurementStatus.CLOSED)
    with acting(Role.BUYER, "Bea") as context:
        found = documents.summary(context, procurement.id, vendor_id, Links("https://e.example/"))
    return BidderSummarySchema().dump(found)


def structure(markdown: str) -> list[str]:
    """The block and inline structure a CommonMark reader (with tables and strikethrough, as
    GitHub's) makes of `markdown`: token types, text left out."""
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    found = []
    for token in parser.parse(markdown):
        found.append(token.type)
        found += [child.type for child in token.children or []]
    return found


HOSTILE_NAMES = [
    "```",
    "~~~ Fence Ltd",
    "``` Fence Ltd",
    "- Listed Ltd",
    "2026. Numbered Ltd",
    "=== Underlined",
    "> Quoted Ltd",
    "~~Struck~~ Ltd",
    "&lt;b&gt; Entity Ltd",
    "![x](https://e.example/x.png) Ltd",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_no_name_opens_markdown_structure(acting, name):
    plain = to_markdown(closed_with(acting, "Plain Ltd", "Seen."))
    hostile = to_markdown(closed_with(acting, name, f"{name} as written"))
    # The same document structure, token for token: the name added no block, no code, no
    # list, no strikethrough, no entity, no image.
    assert structure(hostile) == structure(plain)
    assert "fence" not in structure(hostile) and "code_block" not in structure(hostile)


def test_hidden_characters_of_rows_stored_before_never_reach_a_document(acting, client):
    # The application layer takes what it is given: rows stored before the rule held such
    # characters. The summary, and so the Markdown and the page, drop them.
    summary = closed_with(acting, f"Acme{OVERRIDE}{ZERO_WIDTH} Ltd{ESCAPE}[31m", f"Seen{BELL}.")
    markdown = to_markdown(summary)
    assert summary["supplier"]["name"] == "Acme Ltd[31m"
    assert "# Assessment summary: Acme Ltd\\[31m" in markdown
    for character in (OVERRIDE, ZERO_WIDTH, ESCAPE, BELL):
        assert character not in markdown
        assert character not in str(summary)
