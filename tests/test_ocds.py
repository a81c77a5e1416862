"""The OCDS export: one release, valid against OCDS 1.1 with the lots, bids and award criteria
breakdown extensions, whose closed codelists it respects.

The schema files in tests/ocds/ are copies of the published ones (README.md there); each
extension is a JSON Merge Patch (RFC 7396) onto the core release schema, JSON Schema draft 4.
"""

import ast
import csv
import datetime as dt
import json
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker

from ethics_api.criteria import load_file
from ethics_api.documents import ocds
from ethics_api.documents.links import Links

from payloads import answers, assessment, vendor

TESTS = Path(__file__).parent
OCDS = TESTS / "ocds"
EXTENSIONS = OCDS / "extensions"
# The lots extension first: the award criteria breakdown patches its Lot.
EXTENSION_NAMES = (
    "ocds_lots_extension",
    "ocds_bid_extension",
    "ocds_awardCriteriaBreakdown_extension",
)

# Open core codelists have no enum in the schema and are not copied here: the codes below are
# those of the OCDS 1.1 codelists (https://standard.open-contracting.org/1.1/en/schema/codelists/,
# "Release tag", "Party role", "Document type"); the release must use documented codes only.
RELEASE_TAGS = {
    "planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate",
    "tenderCancellation", "award", "awardUpdate", "awardCancellation", "contract",
    "contractUpdate", "contractAmendment", "implementation", "implementationUpdate",
    "contractTermination", "compiled",
}  # fmt: skip
PARTY_ROLES = {
    "buyer", "procuringEntity", "supplier", "tenderer", "funder", "enquirer", "payer", "payee",
    "reviewBody", "interestedParty",
}  # fmt: skip
# The document types of the tender section ("Section" column of documentType.csv).
DOCUMENT_TYPES = {
    "tenderNotice", "biddingDocuments", "technicalSpecifications", "evaluationCriteria",
    "evaluationReports", "contractDraft", "contractArrangements", "hearingNotice",
    "eligibilityCriteria", "clarifications", "shortlistedFirms", "billOfQuantity", "bidders",
    "conflictOfInterest", "illustration", "complaints", "cancellationDetails",
}  # fmt: skip
OPEN_CODELISTS = {
    "language.csv": {"en"},  # ISO 639-1 two-letter codes
    "mediaType.csv": {"application/json"},  # IANA media types
    "releaseTag.csv": RELEASE_TAGS,
    "partyRole.csv": PARTY_ROLES,
    "documentType.csv": DOCUMENT_TYPES,
}

AS_OF = "2026-03-02T10:15:00+00:00"
ALPHA, BETA, GAMMA = (
    "0b7e6a52-9a34-4b7a-8f47-2f6a1f4f0a01",
    "1c8f7b63-ab45-4c8b-9058-3a7b2a5a1b02",
    "2d9a8c74-bc56-4d9c-a169-4b8c3b6b2c03",
)


# --- the schema --------------------------------------------------------------------------------


def merge_patch(target, patch):
    """RFC 7396: objects merge member by member, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def codes(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as file:
        return {row["Code"] for row in csv.DictReader(file)}


# Extension codelists, by the name the schema gives in "codelist".
EXTENSION_CODELISTS = {
    path.name: codes(path) for path in sorted(EXTENSIONS.glob("*/codelists/*.csv"))
}


def rfc3339(value) -> bool:
    # jsonschema checks date-time only with the optional rfc3339-validator installed, and
    # passes anything otherwise: the two formats the release uses are checked here instead.
    if not isinstance(value, str):
        return True
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)"
    return re.fullmatch(pattern, value) is not None and bool(dt.datetime.fromisoformat(value))


def uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


FORMATS = FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(rfc3339)
FORMATS.checks("uri", raises=ValueError)(uri)


@pytest.fixture(scope="module")
def schema() -> dict:
    patched = read_json(OCDS / "release-schema.json")
    for name in EXTENSION_NAMES:
        patched = merge_patch(patched, read_json(EXTENSIONS / name / "release-schema.json"))
    return patched


@pytest.fixture(scope="module")
def validator(schema) -> Draft4Validator:
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=FORMATS)


def errors_of(validator: Draft4Validator, instance: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


# --- the inputs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def criteria_set():
    return load_file(TESTS / "criteria" / "mini-1.yaml")


def make_procurement(**changes) -> SimpleNamespace:
    return SimpleNamespace(
        **{
            "id": "5e0b3c1d-7f62-4c1e-9a2b-6d4e8f0a1b2c",
            "ocid": "ocds-213czf-2026-0042",
            "title": "Triage assistant for adult social care",
            "buyer_name": "Example Borough Council",
            "buyer_identifier_scheme": "GB-LAE",
            "buyer_identifier_id": "EXA",
            "status": "evaluating",
            "closed_at": None,
            "created_at": dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC),
            **changes,
        }
    )


def criteria(privacy: float, oversight: float, openness: float) -> list[dict]:
    return [
        {"criterion": "privacy", "score": privacy, "contribution": privacy / 2},
        {"criterion": "oversight", "score": oversight, "contribution": oversight / 4},
        {"criterion": "openness", "score": openness, "contribution": openness / 4},
    ]


WHOLE_AWARD = {
    "ethics_share": 100,
    "basis": "ethics",
    "components": [],
    "overall": [],
    "components_recorded_for": [],
    "first_vendor_ids": ["0b7e6a52-9a34-4b7a-8f47-2f6a1f4f0a01"],
    "tie_for_first": False,
    "tie_break": None,
    "winner_vendor_id": "0b7e6a52-9a34-4b7a-8f47-2f6a1f4f0a01",
    "summary": "The ethics evaluation is the whole award. Alpha Analytics ranks first.",
}


def make_ranking(final: bool = False, status: str = "evaluating", **changes) -> dict:
    """Three bidders: eligible first, ineligible (a knockout) second, one not assessed."""
    return {
        "procurement_id": "5e0b3c1d-7f62-4c1e-9a2b-6d4e8f0a1b2c",
        "ocid": "ocds-213czf-2026-0042",
        "status": status,
        "final": final,
        "as_of": AS_OF,
        "criteria_set": {"ref": "mini@1", "sha256": "ab" * 32},
        "weights": [
            {"criterion": "privacy", "weight": 2, "effective_weight": 50.0},
            {"criterion": "oversight", "weight": 1, "effective_weight": 25.0},
            {"criterion": "openness", "weight": 1, "effective_weight": 25.0},
        ],
        "ranking": [
            {
                "rank": 1,
                "vendor_id": ALPHA,
                "vendor_name": "Alpha Analytics",
                "assessed": True,
                "reused_standalone": False,
                "total": 78.13,
                "grade": "B",
                "eligible": True,
                "knockouts": [],
                "confidence": 0.82,
                "confidence_band": "high",
                "needs_moderation": False,
                "criteria": criteria(81.25, 75.0, 75.0),
                "assessors": ["a.evaluator"],
            },
            {
                "rank": 2,
                "vendor_id": BETA,
                "vendor_name": "Beta Bots",
                "assessed": True,
                "reused_standalone": True,
                "total": 56.25,
                "grade": "C",
                "eligible": False,
                "knockouts": [{"kind": "indicator", "key": "p1", "value": 0.0, "threshold": 1.0}],
                "confidence": 0.6,
                "confidence_band": "medium",
                "needs_moderation": True,
                "criteria": criteria(45.0, 75.0, 60.0),
                "assessors": ["b.evaluator"],
            },
            {
                "rank": None,
                "vendor_id": GAMMA,
                "vendor_name": "Gamma Intelligence",
                "assessed": False,
                "reused_standalone": False,
            },
        ],
        "award": WHOLE_AWARD,
        "sensitivity": {
            "winner_vendor_ids": [ALPHA],
            "winner_stable": True,
            "summary": "Alpha Analytics ranks first whichever criterion weighs 20% more or "
            "20% less (one criterion at a time).",
        },
        **changes,
    }


LINKS = Links("https://ethics.example/")

VENDORS = {
    ALPHA: {
        "name": "Alpha Analytics",
        "identifier": {"scheme": "GB-COH", "id": "01234567"},
        "country": "GB",
    },
    BETA: {"name": "Beta Bots", "identifier": None, "country": "IE"},
    GAMMA: {
        "name": "Gamma Intelligence",
        "identifier": {"scheme": "GB-COH", "id": "07654321"},
        "country": None,
    },
}


@pytest.fixture
def release(criteria_set) -> dict:
    return ocds.release(make_procurement(), criteria_set, make_ranking(), VENDORS)


def lot_of(release: dict) -> dict:
    (lot,) = release["tender"]["lots"]
    return lot


def bids_by_vendor(release: dict) -> dict[str, dict]:
    return {bid["id"]: bid for bid in release["bids"]["details"]}


def party_of(release: dict, reference: dict) -> dict:
    (party,) = [p for p in release["parties"] if p["id"] == reference["id"]]
    return party


# --- the schema and its checker ------------------------------------------------------------------


def test_the_patched_schema_has_the_extensions_fields(schema):
    definitions = schema["definitions"]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert "lots" in definitions["Tender"]["properties"]
    assert "awardCriteria" in definitions["Lot"]["properties"]
    assert {"id", "status", "rank", "hasRank"} <= set(definitions["Bid"]["properties"])
    assert "bids" in schema["properties"]
    # The core's own fields survive the patches.
    assert "tenderers" in definitions["Tender"]["properties"]


def test_merge_patch_follows_rfc_7396():
    # The examples of RFC 7396, appendix A (a selection).
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_the_format_checker_checks_dates(validator, release):
    broken = {**release, "date": "2 March 2026"}
    assert any("date-time" in e for e in errors_of(validator, broken))


def test_the_extension_enums_are_the_closed_codelists(schema):
    # The copied CSVs and the schema's enums agree, so checking either checks both.
    bid_status = schema["definitions"]["Bid"]["properties"]["status"]
    assert set(bid_status["enum"]) - {None} == EXTENSION_CODELISTS["bidStatus.csv"]
    number = schema["definitions"]["CriterionNumber"]["properties"]
    assert set(number["weight"]["enum"]) - {None} == EXTENSION_CODELISTS["criterionWeight.csv"]
    assert (
        set(number["threshold"]["enum"]) - {None} == EXTENSION_CODELISTS["criterionThreshold.csv"]
    )


# --- the release validates -----------------------------------------------------------------------


def test_the_release_validates(validator, release):
    assert errors_of(validator, release) == []


@pytest.mark.parametrize(
    ("status", "final", "tender_status", "tag"),
    [
        ("draft", False, "planning", ["tender"]),
        ("evaluating", False, "active", ["tender"]),
        ("closed", True, "complete", ["tenderUpdate"]),
    ],
)
def test_every_stage_validates(validator, criteria_set, status, final, tender_status, tag):
    procurement = make_procurement(status=status)
    made = ocds.release(procurement, criteria_set, make_ranking(final, status), VENDORS)
    assert errors_of(validator, made) == []
    assert made["tender"]["status"] == tender_status
    assert made["tag"] == tag


def test_a_procurement_without_bidders_validates(validator, criteria_set):
    ranking = make_ranking(ranking=[], sensitivity={"summary": "No bidder is assessed yet."})
    made = ocds.release(make_procurement(), criteria_set, ranking, {})
    assert errors_of(validator, made) == []
    assert made["tender"]["tenderers"] == []
    assert made["bids"]["details"] == []
    assert "0 bidders" in made["tender"]["documents"][0]["description"]


def test_the_top_level_fields(release):
    assert release["ocid"] == "ocds-213czf-2026-0042"
    assert release["id"] == "ocds-213czf-2026-0042-ethics-20260302T101500Z"
    assert release["date"] == AS_OF
    assert release["initiationType"] == "tender"
    assert release["language"] == "en"
    assert release["tender"]["id"] == make_procurement().id
    assert release["tender"]["title"] == "Triage assistant for adult social care"


def test_no_field_of_the_schemas_development_line_is_used(release):
    # The copied schema already has fields added after 1.1.5 (tests/ocds/README.md); a 1.1
    # consumer would not know them, so the export keeps to what 1.1 has.
    assert not {"publisher", "links"} & release.keys()
    newer_tender_fields = {
        "identifiers",
        "submissionTerms",
        "selectionCriteria",
        "exclusionGrounds",
    }
    assert not newer_tender_fields & release["tender"].keys()


def test_release_ids_differ_for_different_instants():
    ocid = "ocds-213czf-2026-0042"
    ids = {
        ocds.release_id(ocid, "2026-03-02T10:15:00+00:00"),
        ocds.release_id(ocid, "2026-03-02T10:15:00.000001+00:00"),
        ocds.release_id(ocid, "2026-03-02T11:15:00+01:00"),  # the first instant again
    }
    assert ids == {
        f"{ocid}-ethics-20260302T101500Z",
        f"{ocid}-ethics-20260302T101500.000001Z",
    }
    assert not any("#" in i for i in ids)  # the one character a release id must not contain


def test_the_closed_codelists_are_respected(schema, release):
    used = codelist_values(schema, schema, release)
    assert {name for name, _, _ in used} >= {
        "releaseTag.csv",
        "initiationType.csv",
        "partyRole.csv",
        "tenderStatus.csv",
        "documentType.csv",
        "awardCriterionType.csv",
        "criterionWeight.csv",
        "criterionThreshold.csv",
        "bidStatus.csv",
    }
    for name, is_open, value in used:
        if name in EXTENSION_CODELISTS:  # the copied CSVs; awardCriterionType is open
            assert value in EXTENSION_CODELISTS[name], (name, value)
        elif is_open:
            assert value in OPEN_CODELISTS[name], (name, value)
        else:
            # A closed core codelist: the schema carries it as an enum (checked by validation
            # too; asserted here so that no closed field can be left unchecked).
            assert "enum" in closed_field(schema, name), name


def codelist_values(schema: dict, node: dict, instance) -> list[tuple[str, bool, str]]:
    """Every (codelist, open?, value) in the instance, walking the schema beside it."""
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].removeprefix("#/definitions/")]
    found = []
    if "codelist" in node and instance is not None:
        values = instance if isinstance(instance, list) else [instance]
        found += [(node["codelist"], node["openCodelist"], value) for value in values]
    elif isinstance(instance, dict):
        for key, value in instance.items():
            if key in node.get("properties", {}):
                found += codelist_values(schema, node["properties"][key], value)
    elif isinstance(instance, list) and "items" in node:
        for item in instance:
            found += codelist_values(schema, node["items"], item)
    return found


def closed_field(schema: dict, codelist: str) -> dict:
    fields = {
        "initiationType.csv": schema["properties"]["initiationType"],
        "tenderStatus.csv": schema["definitions"]["Tender"]["properties"]["status"],
    }
    return fields[codelist]


# --- award criteria ----------------------------------------------------------------------------


def weights_of(release: dict) -> dict[str, Decimal]:
    return {
        criterion["name"]: Decimal(str(number["number"]))
        for criterion in lot_of(release)["awardCriteria"]["criteria"]
        for number in criterion["numbers"]
        if "weight" in number
    }


def test_the_one_lot_is_the_whole_process_with_a_quality_criterion_per_criterion(
    release, criteria_set
):
    """No lot invented as if the ethics evaluation were a part of the contract: a process not
    divided into lots gets one virtual lot standing for all of it (the lots extension's advice),
    so that its award criteria have their place."""
    lot = lot_of(release)
    assert lot["id"] == "1"
    assert lot["title"] == "Triage assistant for adult social care"
    assert "not divided into lots" in lot["description"]
    listed = lot["awardCriteria"]["criteria"]
    assert [(c["type"], c["name"]) for c in listed] == [
        ("quality", c.name) for c in criteria_set.criteria
    ]
    for listed_criterion, criterion in zip(listed, criteria_set.criteria, strict=True):
        assert listed_criterion["description"].startswith(criterion.description)
        assert "Part of the ethics evaluation, scored 0 to 100" in listed_criterion["description"]


def test_red_lines_are_stated_as_minimums_in_the_criteria(release):
    privacy, oversight, openness = lot_of(release)["awardCriteria"]["criteria"]
    assert privacy["description"].endswith(
        "Minimums: a bid is disqualified when \u201cWas a DPIA completed before processing?"
        "\u201d is below level 1; or when the criterion scores below 50."
    )
    assert "Minimums" not in oversight["description"]
    assert openness["description"].endswith("when the criterion scores below 25.")


def test_the_weights_are_the_effective_weights_and_add_up_to_100(release):
    weights = weights_of(release)
    assert weights == {"Privacy": 50, "Human oversight": 25, "Openness": 25}
    assert sum(weights.values()) == 100
    for criterion in lot_of(release)["awardCriteria"]["criteria"]:
        (weight,) = [n for n in criterion["numbers"] if "weight" in n]
        assert weight["weight"] == "percentageExact"


def test_rounded_weights_still_add_up_to_100(validator, criteria_set):
    # 1:1:1 gives 33.33 three times (99.99): the hundredth missing goes to one criterion.
    ranking = make_ranking(
        weights=[
            {"criterion": key, "weight": 1, "effective_weight": 33.33}
            for key in ("privacy", "oversight", "openness")
        ]
    )
    made = ocds.release(make_procurement(), criteria_set, ranking, VENDORS)
    assert errors_of(validator, made) == []
    weights = weights_of(made)
    assert sum(weights.values()) == 100
    assert sorted(weights.values()) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_an_ethics_evaluation_that_is_a_fifth_of_the_award_is_weighted_as_a_fifth(
    validator, criteria_set
):
    """Ethics 20% of the award, nothing else recorded: the ethics criteria weigh 10, 5 and 5,
    and the rest of the award, named as such and not invented, 80."""
    award = {**WHOLE_AWARD, "ethics_share": 20, "basis": "incomplete", "winner_vendor_id": None}
    made = ocds.release(make_procurement(), criteria_set, make_ranking(award=award), VENDORS)
    assert errors_of(validator, made) == []
    assert weights_of(made) == {
        "Privacy": 10,
        "Human oversight": 5,
        "Openness": 5,
        "The rest of the award": 80,
    }
    rest = lot_of(made)["awardCriteria"]["criteria"][-1]
    assert "type" not in rest and "not recorded" in rest["description"]
    assert "(20% of the award)" in lot_of(made)["awardCriteria"]["criteria"][0]["description"]


def test_recorded_components_are_award_criteria_of_their_kind(validator, criteria_set):
    components = [
        {"name": "Price", "kind": "price", "weight": 60},
        {"name": "Delivery plan", "kind": "quality", "weight": 20},
    ]
    overall = [
        {"vendor_id": ALPHA, "vendor_name": "Alpha Analytics", "rank": 1, "total": 71.63},
    ]
    award = {
        **WHOLE_AWARD,
        "ethics_share": 20,
        "basis": "overall",
        "components": components,
        "overall": overall,
    }
    made = ocds.release(make_procurement(), criteria_set, make_ranking(award=award), VENDORS)
    assert errors_of(validator, made) == []
    listed = lot_of(made)["awardCriteria"]["criteria"]
    assert [(c.get("type"), c["name"]) for c in listed[3:]] == [
        ("price", "Price"),
        ("quality", "Delivery plan"),
    ]
    assert weights_of(made) == {
        "Privacy": 10,
        "Human oversight": 5,
        "Openness": 5,
        "Price": 60,
        "Delivery plan": 20,
    }
    assert "Overall: 71.63 of 100." in bids_by_vendor(made)[ALPHA]["description"]


@pytest.mark.parametrize(
    "weights",
    [
        [1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1],
        [2, 1, 1],
        [0.1, 0.2, 0.7],
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5],
        [2.5, 1, 3, 0.125],
    ],
)
def test_percentages_add_up_to_100_and_stay_within_a_hundredth(weights):
    exact = {f"c{i}": Fraction(repr(w)) for i, w in enumerate(weights)}
    shares = ocds.percentages(exact)
    assert sum(shares.values()) == 100
    total = sum(exact.values())
    for key, share in shares.items():
        assert share == round(share, 2)
        assert abs(Fraction(share) - exact[key] * 100 / total) < Fraction(1, 100)


def test_minimums_are_minimum_score_thresholds_where_the_set_has_them(release):
    thresholds = {
        criterion["name"]: [
            (n["number"], n["threshold"]) for n in criterion["numbers"] if "threshold" in n
        ]
        for criterion in lot_of(release)["awardCriteria"]["criteria"]
    }
    assert thresholds == {
        "Privacy": [(50, "minimumScore")],
        "Human oversight": [],
        "Openness": [(25, "minimumScore")],
    }


# --- bids and parties --------------------------------------------------------------------------


def test_bids_have_the_status_and_rank_of_the_ranking(release):
    bids = bids_by_vendor(release)
    assert {v: (b["status"], b["hasRank"], b.get("rank")) for v, b in bids.items()} == {
        ALPHA: ("valid", True, 1),
        BETA: ("disqualified", True, 2),
        GAMMA: ("pending", False, None),
    }
    assert "indicator p1 at level 0, a red line" in bids[BETA]["description"]
    assert all(b["relatedLots"] == ["1"] for b in bids.values())


def test_every_bid_and_tenderer_refers_to_a_tenderer_party(release):
    references = release["tender"]["tenderers"]
    assert release["tender"]["numberOfTenderers"] == 3
    for bid in release["bids"]["details"]:
        (tenderer,) = bid["tenderers"]
        assert tenderer in references
    for reference in references:
        party = party_of(release, reference)
        assert party["roles"] == ["tenderer"]
        assert party["name"] == reference["name"]


def test_parties_and_their_ids(release):
    parties = {p["id"]: p for p in release["parties"]}
    assert release["buyer"] == {"id": "GB-LAE-EXA", "name": "Example Borough Council"}
    assert parties["GB-LAE-EXA"]["roles"] == ["buyer"]
    assert parties["GB-LAE-EXA"]["identifier"] == {"scheme": "GB-LAE", "id": "EXA"}
    assert parties["GB-COH-01234567"]["identifier"] == {"scheme": "GB-COH", "id": "01234567"}
    # No identifier: an id derived from the vendor's own, stable across releases.
    assert parties[f"ethics-api-vendor-{BETA}"]["name"] == "Beta Bots"
    assert "identifier" not in parties[f"ethics-api-vendor-{BETA}"]
    assert len(parties) == 4


def test_a_buyer_without_identifier_is_never_given_a_made_up_one(criteria_set):
    procurement = make_procurement(buyer_identifier_scheme=None, buyer_identifier_id=None)
    with pytest.raises(ValueError, match="buyer by its identifier"):
        ocds.release(procurement, criteria_set, make_ranking(), VENDORS)


def test_a_buyer_that_also_bids_is_one_party_with_both_roles(validator, criteria_set):
    procurement = make_procurement(buyer_identifier_scheme="GB-COH", buyer_identifier_id="01234567")
    made = ocds.release(procurement, criteria_set, make_ranking(), VENDORS)
    assert errors_of(validator, made) == []
    assert party_of(made, made["buyer"])["roles"] == ["buyer", "tenderer"]
    assert len(made["parties"]) == 3


def test_a_bidder_missing_from_vendors_keeps_its_ranking_name(validator, criteria_set):
    vendors = {k: v for k, v in VENDORS.items() if k != GAMMA}
    made = ocds.release(make_procurement(), criteria_set, make_ranking(), vendors)
    assert errors_of(validator, made) == []
    party = party_of(made, bids_by_vendor(made)[GAMMA]["tenderers"][0])
    assert party == {
        "id": f"ethics-api-vendor-{GAMMA}",
        "name": "Gamma Intelligence",
        "roles": ["tenderer"],
    }


# --- the evaluation report ---------------------------------------------------------------------


def test_the_ranking_is_the_evaluation_report(release):
    (document,) = release["tender"]["documents"]
    assert document["documentType"] == "evaluationReports"
    assert document["format"] == "application/json"
    assert document["datePublished"] == AS_OF
    assert document["title"] == "Provisional ranking of the ethics evaluation"
    assert "url" not in document
    description = document["description"]
    assert "3 bidders" in description
    assert "First: Alpha Analytics (total 78.13, grade B)." in description
    assert "Disqualified: 1. Not assessed: 1." in description


def test_a_final_release_links_the_report_and_every_assessed_bidders_summary(
    validator, criteria_set
):
    procurement = make_procurement(status="closed")
    made = ocds.release(
        procurement, criteria_set, make_ranking(final=True, status="closed"), VENDORS, LINKS
    )
    assert errors_of(validator, made) == []
    report, *summaries = made["tender"]["documents"]
    assert report["url"] == f"https://ethics.example/v1/procurements/{procurement.id}/ranking"
    assert report["title"] == "Final ranking of the ethics evaluation"
    # Gamma was never assessed: it has no assessment summary.
    assert [(d["title"], d["url"]) for d in summaries] == [
        (
            f"Assessment summary: {name}",
            f"https://ethics.example/v1/procurements/{procurement.id}/bidders/{vendor_id}/summary",
        )
        for vendor_id, name in ((ALPHA, "Alpha Analytics"), (BETA, "Beta Bots"))
    ]
    assert all(d["documentType"] == "evaluationReports" for d in summaries)


def test_the_report_says_when_no_bidder_is_eligible(criteria_set):
    ranking = make_ranking()
    ranking["ranking"] = [row for row in ranking["ranking"] if row["vendor_id"] != ALPHA]
    ranking["ranking"][0]["rank"] = 1
    made = ocds.release(make_procurement(), criteria_set, ranking, VENDORS)
    assert "No bidder is eligible." in made["tender"]["documents"][0]["description"]


# --- a pure function -----------------------------------------------------------------------------


def test_the_module_needs_no_flask_and_no_database():
    tree = ast.parse(Path(ocds.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert not imported & {"flask", "flask_smorest", "sqlalchemy"}


# --- through the API -----------------------------------------------------------------------------


def test_the_api_serves_a_valid_release_open_and_closed(client, validator):
    def created(url: str, body: dict) -> dict:
        response = client.post(url, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    alpha = created(
        "/v1/vendors",
        vendor("Alpha Analytics", identifier={"scheme": "GB-COH", "id": "01234567"}, country="GB"),
    )
    beta = created("/v1/vendors", vendor("Beta Bots"))
    gamma = created("/v1/vendors", vendor("Gamma Intelligence"))
    procurement = created(
        "/v1/procurements",
        {
            "ocid": "ocds-213czf-2026-0042",
            "title": "Triage assistant for adult social care",
            "buyer": {"name": "Example Borough Council"},
            "criteria_set": "mini@1",
            "min_evaluators": 1,
        },
    )
    url = f"/v1/procurements/{procurement['id']}"
    for bidder in (alpha, beta, gamma):
        created(f"{url}/bidders", {"vendor_id": bidder["id"]})
    created(f"{url}/declarations", {"conflict": False, "person": "alice"})
    response = client.patch(url, json={"status": "evaluating"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 200, response.get_json()
    # The buyer is named by its identifier, never a made-up one: none recorded, no release.
    refused = client.get(f"{url}/ocds")
    assert refused.status_code == 409
    assert "PATCH the procurement's buyer" in refused.get_json()["detail"]
    buyer = {"name": "Example Borough Council", "identifier": {"scheme": "GB-LAE", "id": "EXA"}}
    response = client.patch(url, json={"buyer": buyer}, headers={"If-Match": '"v2"'})
    assert response.status_code == 200, response.get_json()
    for bidder, levels in ((alpha, {}), (beta, {"p1": 0})):
        body = assessment(procurement_id=procurement["id"], answers=answers(**levels))
        created(f"/v1/vendors/{bidder['id']}/assessments", body)

    served = client.get(f"{url}/ocds").get_json()
    assert errors_of(validator, served) == []
    assert served["tag"] == ["tender"]
    assert served["tender"]["status"] == "active"
    assert {b["id"]: (b["status"], b.get("rank")) for b in served["bids"]["details"]} == {
        alpha["id"]: ("valid", 1),
        beta["id"]: ("disqualified", 2),
        gamma["id"]: ("pending", None),
    }

    # Every bidder is assessed before closing.
    body = assessment(procurement_id=procurement["id"], answers=answers(p2=1))
    created(f"/v1/vendors/{gamma['id']}/assessments", body)
    response = client.patch(url, json={"status": "closed"}, headers={"If-Match": '"v3"'})
    assert response.status_code == 200, response.get_json()
    final = client.get(f"{url}/ocds").get_json()
    assert errors_of(validator, final) == []
    assert final["tag"] == ["tenderUpdate"]
    assert final["tender"]["status"] == "complete"
    assert final["date"] == client.get(f"{url}/ranking").get_json()["as_of"]
    assert "GB-COH-01234567" in {p["id"] for p in final["parties"]}
    assert final["buyer"] == {"id": "GB-LAE-EXA", "name": "Example Borough Council"}
    documents = final["tender"]["documents"]
    assert documents[0]["url"] == f"http://localhost{url}/ranking"
    assert [d["url"] for d in documents[1:]] == [
        f"http://localhost{url}/bidders/{bidder['id']}/summary" for bidder in (alpha, beta, gamma)
    ]


def test_the_api_states_the_award_with_its_components_and_validates(client, validator):
    """Ethics 25% of the award beside Price 75%: the release's award criteria are the whole
    award's (the set's weights 2:1:1 give 12.5, 6.25, 6.25), bids ranked overall."""

    def created(url: str, body) -> dict:
        response = client.post(url, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    alpha = created("/v1/vendors", vendor("Alpha Analytics", ppon="PALF-0001-ANLY"))
    beta = created("/v1/vendors", vendor("Beta Bots"))
    buyer = {"name": "Example Borough Council", "identifier": {"scheme": "GB-LAE", "id": "EXA"}}
    procurement = created(
        "/v1/procurements",
        {
            "ocid": "ocds-213czf-2026-0077",
            "title": "Case triage",
            "buyer": buyer,
            "min_evaluators": 1,
            "award_share": 25,
        },
    )
    url = f"/v1/procurements/{procurement['id']}"
    for bidder in (alpha, beta):
        created(f"{url}/bidders", {"vendor_id": bidder["id"]})
    created(f"{url}/declarations", {"conflict": False, "person": "alice"})
    response = client.patch(url, json={"status": "evaluating"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 200, response.get_json()
    # Alpha leads the ethics evaluation, 50 against Beta's 46.875 (o1 at 1: oversight 37.5);
    # Beta leads the award: 0.25 x 46.875 + 0.75 x 90 = 79.22 against 0.25 x 50 + 0.75 x 40.
    for bidder, levels, price in ((alpha, {}, 40), (beta, {"o1": 1}, 90)):
        body = assessment(procurement_id=procurement["id"], answers=answers(**levels))
        created(f"/v1/vendors/{bidder['id']}/assessments", body)
        parts = [{"name": "Price", "kind": "price", "weight": 75, "score": price}]
        created(f"{url}/bidders/{bidder['id']}/components", parts)
    response = client.patch(url, json={"status": "closed"}, headers={"If-Match": '"v2"'})
    assert response.status_code == 200, response.get_json()

    release = client.get(f"{url}/ocds").get_json()
    assert errors_of(validator, release) == []
    assert weights_of(release) == {
        "Privacy": 12.5,
        "Human oversight": 6.25,
        "Openness": 6.25,
        "Price": 75,
    }
    ranks = {bid["id"]: bid["rank"] for bid in release["bids"]["details"]}
    assert (ranks[beta["id"]], ranks[alpha["id"]]) == (1, 2)
    (alpha_bid,) = [bid for bid in release["bids"]["details"] if bid["id"] == alpha["id"]]
    alpha_party = party_of(release, alpha_bid["tenderers"][0])
    assert alpha_party["identifier"] == {"scheme": "GB-PPON", "id": "PALF-0001-ANLY"}
