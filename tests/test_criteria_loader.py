"""The criteria loader against docs/criteria-format.md.

These tests use the mini set (tests/criteria/mini-1.yaml), small enough to break one rule at a
time: each broken variant is written into tmp_path. The default set has its own tests
(tests/test_default_criteria.py). Every refusal must be a
CriteriaError whose message names the file, the path inside it and the rule.
"""

import copy
import datetime as dt
import hashlib
import re
import shutil
from fractions import Fraction as F
from pathlib import Path

import pytest
import yaml

from ethics_api.criteria import CriteriaError, load_catalog, load_file, load_sets

MINI_PATH = Path(__file__).parent / "criteria" / "mini-1.yaml"
PROJECT_CRITERIA = Path(__file__).parents[1] / "criteria"


def mini_doc() -> dict:
    return yaml.safe_load(MINI_PATH.read_text(encoding="utf-8"))


def write_doc(folder: Path, doc: object, name: str = "broken.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# --- mutations of the mini document -------------------------------------------------------------


def _parent(doc, where):
    node = doc
    for part in where[:-1]:
        node = node[part]
    return node


def set_at(*where, value):
    def mutate(doc):
        _parent(doc, where)[where[-1]] = value

    return mutate


def delete_at(*where):
    def mutate(doc):
        del _parent(doc, where)[where[-1]]

    return mutate


# --- the mini set itself ------------------------------------------------------------------------


def test_mini_set_loads_exactly():
    mini = load_file(MINI_PATH)
    assert mini.ref == "mini@1"
    assert (mini.key, mini.version) == ("mini", 1)
    assert mini.title == "Mini test set"
    assert mini.published == dt.date(2026, 1, 15)
    assert mini.validity_days == 30
    assert [(g.label, g.min) for g in mini.grades] == [
        ("A", F(80)),
        ("B", F(60)),
        ("C", F(40)),
        ("D", F(0)),
    ]
    assert [(c.key, c.weight, c.minimum) for c in mini.criteria] == [
        ("privacy", F(2), F(50)),
        ("oversight", F(1), None),
        ("openness", F(1), F(25)),
    ]
    assert [(i.key, i.weight, i.knockout, i.allow_not_applicable) for i in mini.indicators] == [
        ("p1", F(1), True, False),
        ("p2", F(3), False, False),
        ("p3", F(1), False, True),
        ("o1", F(1), False, False),
        ("o2", F(1), False, True),
        ("t1", F(2), False, True),
        ("t2", F(1), False, True),
    ]
    p1 = mini.indicators[0]
    assert p1.levels == ("none", "intent", "documented", "operating", "verified")
    assert [(r.source, r.clause) for r in p1.references] == [("UK GDPR", "Art. 35")]
    assert mini.criterion_of("t2").key == "openness"
    assert all(isinstance(c.weight, F) for c in mini.criteria)


def test_sha256_is_the_hash_of_the_file_bytes(tmp_path):
    assert load_file(MINI_PATH).sha256 == hashlib.sha256(MINI_PATH.read_bytes()).hexdigest()
    # one more byte (a comment) is another fingerprint, though the content reads the same
    changed = tmp_path / "mini-1.yaml"
    changed.write_bytes(MINI_PATH.read_bytes() + b"# a comment\n")
    reloaded = load_file(changed)
    assert reloaded.sha256 == hashlib.sha256(changed.read_bytes()).hexdigest()
    assert reloaded.sha256 != load_file(MINI_PATH).sha256
    assert reloaded.criteria == load_file(MINI_PATH).criteria


def test_decimals_are_read_exactly(tmp_path):
    text = MINI_PATH.read_text(encoding="utf-8")
    replacements = [
        ("    weight: 2\n    minimum: 50\n", "    weight: 0.1\n    minimum: 12.5\n"),
        ("        weight: 3\n", "        weight: 1.5\n"),
        ("{label: B, min: 60}", "{label: B, min: 62.5}"),
        ("        weight: 2\n", "        weight: 0.3\n"),  # t1
    ]
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "decimals.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_file(path)
    privacy = loaded.criteria[0]
    assert privacy.weight == F(1, 10)  # not the binary float 0.1000000000000000055...
    assert privacy.minimum == F(25, 2)
    assert privacy.indicators[1].weight == F(3, 2)
    assert loaded.grades[1].min == F(125, 2)
    assert loaded.criteria[2].indicators[0].weight == F(3, 10)


def test_long_decimals_are_read_exactly(tmp_path):
    # "decimals are read exactly": twenty significant digits are still the number written
    text = MINI_PATH.read_text(encoding="utf-8").replace(
        "        weight: 3\n", "        weight: 0.12345678901234567890\n"
    )
    path = tmp_path / "long-decimal.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_file(path).criteria[0].indicators[1].weight == F(12345678901234567890, 10**20)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_the_files_are_parsed_by_libyaml_into_the_same_documents():
    """Every app start reads the criteria: libyaml's parser, not PyYAML's pure-Python one
    (about ten times slower), with the same documents as the pure one would give."""
    from ethics_api.criteria import _exact_decimal, _ExactLoader

    class PureExactLoader(yaml.SafeLoader):
        pass

    PureExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_decimal)
    assert issubclass(_ExactLoader, yaml.CSafeLoader)
    for path in [MINI_PATH, *sorted(PROJECT_CRITERIA.glob("*.yaml"))]:
        raw = path.read_bytes()
        fast, pure = yaml.load(raw, Loader=_ExactLoader), yaml.load(raw, Loader=PureExactLoader)
        assert repr(fast) == repr(pure), path  # repr: Decimal('0.10') is not Decimal('0.1')


# --- one broken variant per rule ----------------------------------------------------------------

# columns: mutation of the mini document; the path inside the file; a fragment of the rule
BROKEN = [
    # (top): only the listed fields, all required
    pytest.param(delete_at("title"), "title", "Missing data", id="missing-title"),
    pytest.param(delete_at("criteria"), "criteria", "Missing data", id="missing-criteria"),
    pytest.param(delete_at("grades"), "grades", "Missing data", id="missing-grades"),
    pytest.param(
        delete_at("validity_days"), "validity_days", "Missing data", id="missing-validity"
    ),
    pytest.param(set_at("colour", value="red"), "colour", "Unknown field", id="unknown-top-field"),
    # criteria and indicators: required fields, no unknown ones
    pytest.param(
        delete_at("criteria", 1, "name"), "criteria[1].name", "Missing data", id="missing-name"
    ),
    pytest.param(
        delete_at("criteria", 0, "indicators", 1, "question"),
        "criteria[0].indicators[1].question",
        "Missing data",
        id="missing-question",
    ),
    pytest.param(
        delete_at("criteria", 1, "indicators", 0, "weight"),
        "criteria[1].indicators[0].weight",
        "Missing data",
        id="missing-indicator-weight",
    ),
    pytest.param(
        delete_at("criteria", 2, "indicators", 0, "levels"),
        "criteria[2].indicators[0].levels",
        "Missing data",
        id="missing-levels",
    ),
    pytest.param(
        delete_at("criteria", 0, "indicators", 0, "references"),
        "criteria[0].indicators[0].references",
        "Missing data",
        id="missing-references",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 0, "knock_out", value=True),
        "criteria[0].indicators[0].knock_out",
        "Unknown field",
        id="unknown-indicator-field",
    ),
    pytest.param(
        set_at("criteria", 2, "minimun", value=25),
        "criteria[2].minimun",
        "Unknown field",
        id="unknown-criterion-field",
    ),
    # minimum levels: 1 to 4, whole, and never beside knockout (which is minimum level 1)
    pytest.param(
        set_at("criteria", 0, "indicators", 0, "minimum_level", value=2),
        "criteria[0].indicators[0].minimum_level",
        "not both",
        id="knockout-and-minimum-level",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 1, "minimum_level", value=5),
        "criteria[0].indicators[1].minimum_level",
        "greater than or equal to 1 and less than or equal to 4",
        id="minimum-level-5",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 1, "minimum_level", value=0),
        "criteria[0].indicators[1].minimum_level",
        "greater than or equal to 1 and less than or equal to 4",
        id="minimum-level-0",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 1, "minimum_level", value=2.5),
        "criteria[0].indicators[1].minimum_level",
        "Not a valid integer",
        id="minimum-level-fraction",
    ),
    # weights > 0, numbers not booleans nor text
    pytest.param(
        set_at("criteria", 1, "indicators", 0, "weight", value=0),
        "criteria[1].indicators[0].weight",
        "greater than 0",
        id="indicator-weight-0",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 2, "weight", value=-1),
        "criteria[0].indicators[2].weight",
        "greater than 0",
        id="indicator-weight-negative",
    ),
    pytest.param(
        set_at("criteria", 1, "weight", value=0),
        "criteria[1].weight",
        "greater than 0",
        id="criterion-weight-0",
    ),
    pytest.param(
        set_at("criteria", 2, "weight", value=-0.5),
        "criteria[2].weight",
        "greater than 0",
        id="criterion-weight-negative",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 2, "weight", value=True),
        "criteria[0].indicators[2].weight",
        "Must be a number",
        id="boolean-weight",
    ),
    pytest.param(
        set_at("criteria", 0, "weight", value=False),
        "criteria[0].weight",
        "Must be a number",
        id="boolean-criterion-weight",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 1, "weight", value="3"),
        "criteria[0].indicators[1].weight",
        "Must be a number",
        id="quoted-number-weight",
    ),
    pytest.param(
        set_at("criteria", 0, "minimum", value="50"),
        "criteria[0].minimum",
        "Must be a number",
        id="quoted-number-minimum",
    ),
    pytest.param(
        set_at("criteria", 0, "minimum", value=101),
        "criteria[0].minimum",
        "between 0 and 100",
        id="minimum-above-100",
    ),
    pytest.param(
        set_at("criteria", 2, "minimum", value=-1),
        "criteria[2].minimum",
        "between 0 and 100",
        id="minimum-below-0",
    ),
    # booleans are true or false only
    pytest.param(
        set_at("criteria", 0, "indicators", 2, "allow_not_applicable", value="yes"),
        "criteria[0].indicators[2].allow_not_applicable",
        "true or false",
        id="text-boolean",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 0, "knockout", value=1),
        "criteria[0].indicators[0].knockout",
        "true or false",
        id="number-boolean",
    ),
    # keys unique
    pytest.param(
        set_at("criteria", 2, "indicators", 1, "key", value="p1"),
        "criteria[2].indicators[1].key",
        "Duplicate indicator key 'p1'",
        id="duplicate-indicator-key-across-criteria",
    ),
    pytest.param(
        set_at("criteria", 1, "indicators", 1, "key", value="o1"),
        "criteria[1].indicators[1].key",
        "Duplicate indicator key 'o1'",
        id="duplicate-indicator-key-in-criterion",
    ),
    pytest.param(
        set_at("criteria", 1, "key", value="privacy"),
        "criteria[1].key",
        "Duplicate criterion key 'privacy'",
        id="duplicate-criterion-key",
    ),
    # key pattern
    pytest.param(set_at("key", value="Mini"), "key", "lowercase", id="key-uppercase"),
    pytest.param(set_at("key", value="mini-"), "key", "lowercase", id="key-trailing-dash"),
    pytest.param(set_at("key", value="mini\n"), "key", "lowercase", id="key-trailing-newline"),
    pytest.param(
        set_at("criteria", 0, "key", value="data_privacy"),
        "criteria[0].key",
        "lowercase",
        id="criterion-key-underscore",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 1, "key", value="2p"),
        "criteria[0].indicators[1].key",
        "lowercase",
        id="indicator-key-digit-first",
    ),
    # levels: exactly 0..4, each a non-empty text
    pytest.param(
        delete_at("criteria", 0, "indicators", 1, "levels", 3),
        "criteria[0].indicators[1].levels",
        "exactly the levels 0, 1, 2, 3 and 4",
        id="level-missing",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 1, "levels", 5, value="beyond"),
        "criteria[0].indicators[1].levels",
        "exactly the levels 0, 1, 2, 3 and 4",
        id="extra-level-5",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 0, "levels", 2, value=""),
        "criteria[0].indicators[0].levels[2]",
        "minimum length 1",
        id="empty-level-text",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 0, "levels", value=["a", "b", "c", "d", "e"]),
        "criteria[0].indicators[0].levels",
        "mapping",
        id="levels-not-a-mapping",
    ),
    # references: at least one, each with a source
    pytest.param(
        set_at("criteria", 1, "indicators", 1, "references", value=[]),
        "criteria[1].indicators[1].references",
        "At least one reference",
        id="no-references",
    ),
    pytest.param(
        set_at("criteria", 0, "indicators", 0, "references", value=[{"clause": "Art. 35"}]),
        "criteria[0].indicators[0].references[0].source",
        "Missing data",
        id="reference-without-source",
    ),
    # at least one criterion, one indicator
    pytest.param(
        set_at("criteria", value=[]), "criteria", "At least one criterion", id="no-criteria"
    ),
    pytest.param(
        set_at("criteria", 1, "indicators", value=[]),
        "criteria[1].indicators",
        "At least one indicator",
        id="no-indicators",
    ),
    # grades
    pytest.param(
        set_at("grades", 1, "min", value=80),
        "grades[1].min",
        "strictly descending",
        id="bands-equal",
    ),
    pytest.param(
        set_at("grades", 2, "min", value=70),
        "grades[2].min",
        "strictly descending",
        id="bands-not-descending",
    ),
    pytest.param(
        set_at("grades", 3, "min", value=10),
        "grades[3].min",
        "lowest grade band must have min 0",
        id="lowest-band-not-0",
    ),
    pytest.param(
        set_at("grades", 0, "min", value=101),
        "grades[0].min",
        "between 0 and 100",
        id="band-above-100",
    ),
    pytest.param(
        set_at("grades", 1, "label", value="A"), "grades", "unique", id="duplicate-band-label"
    ),
    pytest.param(set_at("grades", value=[]), "grades", "At least one grade", id="no-grades"),
    # version, validity_days: integers >= 1; published a date
    pytest.param(set_at("version", value=0), "version", "greater than or equal to 1", id="v0"),
    pytest.param(set_at("version", value="1"), "version", "integer", id="quoted-version"),
    pytest.param(set_at("version", value=True), "version", "integer", id="boolean-version"),
    pytest.param(set_at("version", value=1.5), "version", "integer", id="decimal-version"),
    pytest.param(
        set_at("validity_days", value=0),
        "validity_days",
        "greater than or equal to 1",
        id="validity-0",
    ),
    pytest.param(set_at("published", value="someday"), "published", "date", id="bad-date"),
]


@pytest.mark.parametrize(("mutate", "where", "rule"), BROKEN)
def test_broken_file_is_refused_with_file_path_and_rule(tmp_path, mutate, where, rule):
    doc = copy.deepcopy(mini_doc())
    mutate(doc)
    path = write_doc(tmp_path, doc)
    with pytest.raises(CriteriaError) as raised:
        load_file(path)
    message = str(raised.value)
    # the file, then the path inside it (a level's text is reported as `levels[2].value`)
    assert re.search(re.escape(f"{path}: {where}") + r"(\.value)?: ", message), message
    assert rule in message  # and the rule


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        pytest.param(b"key: [unclosed\n", "not valid YAML", id="unclosed-flow"),
        pytest.param(b"key: mini\n\tversion: 1\n", "not valid YAML", id="tab-indent"),
        pytest.param(b"\x00\xff\xfe binary", "not valid YAML", id="binary"),
    ],
)
def test_not_yaml_is_refused(tmp_path, content, rule):
    path = tmp_path / "garbage.yaml"
    path.write_bytes(content)
    with pytest.raises(CriteriaError) as raised:
        load_file(path)
    message = str(raised.value)
    assert str(path) in message
    assert rule in message
    assert "line" in message or "position" in message  # where the parser gave up


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("- a\n- b\n", id="a-list"),
        pytest.param("", id="empty"),
        pytest.param("just text\n", id="a-string"),
    ],
)
def test_yaml_that_is_not_a_mapping_is_refused(tmp_path, content):
    path = tmp_path / "not-a-mapping.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CriteriaError) as raised:
        load_file(path)
    message = str(raised.value)
    assert f"{path}: (top): " in message
    assert "mapping" in message


def test_two_files_with_the_same_key_and_version_are_refused(tmp_path):
    first = tmp_path / "a-mini.yaml"
    second = tmp_path / "b-mini.yaml"
    shutil.copy(MINI_PATH, first)
    doc = mini_doc()
    doc["title"] = "A different title, same key@version"
    write_doc(tmp_path, doc, second.name)
    with pytest.raises(CriteriaError) as raised:
        load_sets([tmp_path])
    message = str(raised.value)
    assert f"{second}: key, version: " in message
    assert "mini@1 is already defined by" in message
    assert str(first) in message


def test_load_sets_reports_every_problem_together(tmp_path):
    one = mini_doc()
    one["version"] = 0
    two = mini_doc()
    two["version"] = 2
    del two["criteria"][0]["indicators"][0]["levels"][4]
    first = write_doc(tmp_path, one, "one.yaml")
    second = write_doc(tmp_path, two, "two.yaml")
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(CriteriaError) as raised:
        load_sets([first, second, missing])
    message = str(raised.value)
    assert f"{first}: version: " in message
    assert f"{second}: criteria[0].indicators[0].levels: " in message
    assert f"{missing}: " in message and "no such file" in message


def test_load_sets_reads_yaml_and_yml_files_of_a_folder(tmp_path):
    shutil.copy(MINI_PATH, tmp_path / "mini-1.yaml")
    two = mini_doc()
    two["version"] = 2
    write_doc(tmp_path, two, "mini-2.yml")
    (tmp_path / "README.md").write_text("not a criteria file", encoding="utf-8")
    assert sorted(s.ref for s in load_sets([tmp_path])) == ["mini@1", "mini@2"]


# --- the catalog and its default ----------------------------------------------------------------


@pytest.fixture
def two_versions(tmp_path) -> Path:
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copy(MINI_PATH, folder / "mini-1.yaml")
    two = mini_doc()
    two["version"] = 2
    write_doc(folder, two, "mini-2.yaml")
    return folder


def test_catalog_defaults_to_the_latest_version_of_a_single_key(two_versions):
    catalog = load_catalog(two_versions)
    assert catalog.default_ref == "mini@2"
    assert catalog.default.version == 2
    assert sorted(catalog.sets) == ["mini@1", "mini@2"]
    assert catalog.get("mini@1").version == 1
    assert catalog.get("mini@3") is None


def test_catalog_uses_the_named_default(two_versions):
    catalog = load_catalog(two_versions, "mini@1")
    assert catalog.default_ref == "mini@1"
    assert catalog.default.sha256 == hashlib.sha256(MINI_PATH.read_bytes()).hexdigest()


def test_catalog_refuses_an_unknown_default(two_versions):
    with pytest.raises(CriteriaError) as raised:
        load_catalog(two_versions, "mini@9")
    message = str(raised.value)
    assert str(two_versions) in message
    assert "mini@9" in message
    assert "mini@1" in message and "mini@2" in message  # what is there instead


def test_catalog_with_several_keys_needs_a_named_default(two_versions):
    other = mini_doc()
    other["key"] = "other"
    write_doc(two_versions, other, "other-1.yaml")
    with pytest.raises(CriteriaError, match="several criteria sets"):
        load_catalog(two_versions)
    assert load_catalog(two_versions, "other@1").default.key == "other"


def test_catalog_refuses_an_empty_folder(tmp_path):
    with pytest.raises(CriteriaError, match="no criteria files"):
        load_catalog(tmp_path)


def test_catalog_refuses_a_folder_with_a_broken_file(two_versions):
    broken = mini_doc()
    broken["version"] = 3
    broken["grades"][3]["min"] = 5
    path = write_doc(two_versions, broken, "mini-3.yaml")
    with pytest.raises(CriteriaError) as raised:
        load_catalog(two_versions)
    assert f"{path}: grades[3].min: " in str(raised.value)
