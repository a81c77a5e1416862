"""Criteria sets: load YAML files, enforce the rules of the scoring contract, freeze them.

A criteria set is data, never code. Each file is validated with marshmallow into frozen
dataclasses; anything that breaks a rule is refused with the file, the path inside it and the
rule, so a broken rubric can never reach a scorecard.
"""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import yaml
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from .fields import ExactNumber, FullMatch, StrictBoolean
from .messages import dotted, flatten

LEVELS = (0, 1, 2, 3, 4)
MAX_LEVEL = LEVELS[-1]
KEY_PATTERN = r"[a-z][a-z0-9]*(-[a-z0-9]+)*"
REF_PATTERN = re.compile(r"^(?P<key>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)@(?P<version>[1-9][0-9]*)$")


class CriteriaError(Exception):
    """A criteria file, or the set of files, breaks a rule; the message says where and which."""


@dataclass(frozen=True)
class Reference:
    source: str
    clause: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Indicator:
    key: str
    question: str
    weight: Fraction
    levels: tuple[str, ...]  # descriptor of level i at index i
    references: tuple[Reference, ...]
    allow_not_applicable: bool = False
    knockout: bool = False
    minimum_level: int | None = None

    @property
    def red_line(self) -> int | None:
        """The lowest combined level that keeps a vendor eligible: 1 for a knockout, the
        minimum level where one is set, None where there is no red line."""
        return 1 if self.knockout else self.minimum_level


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    description: str
    weight: Fraction
    minimum: Fraction | None
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Grade:
    label: str
    min: Fraction


@dataclass(frozen=True)
class CriteriaSet:
    key: str
    version: int
    title: str
    description: str
    published: dt.date
    validity_days: int
    grades: tuple[Grade, ...]  # highest `min` first
    criteria: tuple[Criterion, ...]
    sha256: str = ""
    path: str = ""

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator, in the set's order."""
        return tuple(i for c in self.criteria for i in c.indicators)

    def criterion_of(self, indicator_key: str) -> Criterion:
        for criterion in self.criteria:
            if any(i.key == indicator_key for i in criterion.indicators):
                return criterion
        raise KeyError(indicator_key)


def parse_ref(ref: str) -> tuple[str, int] | None:
    """`ai-ethics@1` -> ("ai-ethics", 1); None when the text is not a reference."""
    match = REF_PATTERN.match(ref)
    return (match["key"], int(match["version"])) if match else None


def _positive(value: Fraction) -> None:
    if value <= 0:
        raise ValidationError("Must be greater than 0.")


def _percentage(value: Fraction) -> None:
    if not 0 <= value <= 100:
        raise ValidationError("Must be between 0 and 100.")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _KeyText(fields.String):
    def __init__(self, **kwargs):
        super().__init__(
            required=True,
            validate=FullMatch(KEY_PATTERN, error="Must be lowercase letters, digits and dashes."),
            **kwargs,
        )


def _text(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1), **kwargs)


class ReferenceSchema(_Strict):
    source = _text(required=True)
    clause = _text(load_default=None)
    url = fields.Url(load_default=None)

    @post_load
    def make(self, data, **kwargs):
        return Reference(**data)


class IndicatorSchema(_Strict):
    key = _KeyText()
    question = _text(required=True)
    weight = ExactNumber(required=True, validate=_positive)
    levels = fields.Dict(keys=fields.Integer(strict=True), values=_text(), required=True)
    references = fields.List(
        fields.Nested(ReferenceSchema),
        required=True,
        validate=validate.Length(min=1, error="At least one reference is required."),
    )
    allow_not_applicable = StrictBoolean(load_default=False)
    knockout = StrictBoolean(load_default=False)
    minimum_level = fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=1, max=MAX_LEVEL)
    )

    @validates_schema
    def one_red_line(self, data, **kwargs):
        if data.get("knockout") and data.get("minimum_level") is not None:
            raise ValidationError(
                "Give knockout: true or a minimum_level, not both (a knockout is minimum_level 1).",
                field_name="minimum_level",
            )

    @validates_schema
    def exactly_five_levels(self, data, **kwargs):
        levels = data.get("levels")
        if levels is not None and set(levels) != set(LEVELS):
            raise ValidationError(
                "Must describe exactly the levels 0, 1, 2, 3 and 4.", field_name="levels"
            )

    @post_load
    def make(self, data, **kwargs):
        levels = data.pop("levels")
        return Indicator(
            levels=tuple(levels[level] for level in LEVELS),
            references=tuple(data.pop("references")),
            **data,
        )


class CriterionSchema(_Strict):
    key = _KeyText()
    name = _text(required=True)
    description = _text(required=True)
    weight = ExactNumber(required=True, validate=_positive)
    minimum = ExactNumber(load_default=None, validate=_percentage)
    indicators = fields.List(
        fields.Nested(IndicatorSchema),
        required=True,
        validate=validate.Length(min=1, error="At least one indicator is required."),
    )

    @post_load
    def make(self, data, **kwargs):
        return Criterion(indicators=tuple(data.pop("indicators")), **data)


class GradeSchema(_Strict):
    label = _text(required=True)
    min = ExactNumber(required=True, validate=_percentage)

    @post_load
    def make(self, data, **kwargs):
        return Grade(**data)


class CriteriaSetSchema(_Strict):
    key = _KeyText()
    version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    title = _text(required=True)
    description = _text(required=True)
    published = fields.Date(required=True)
    validity_days = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    grades = fields.List(
        fields.Nested(GradeSchema),
        required=True,
        validate=validate.Length(min=1, error="At least one grade band is required."),
    )
    criteria = fields.List(
        fields.Nested(CriterionSchema),
        required=True,
        validate=validate.Length(min=1, error="At least one criterion is required."),
    )

    def _deserialize(self, data, **kwargs):
        # YAML reads an unquoted date as a date object; marshmallow's Date wants text.
        if isinstance(data, dict) and isinstance(data.get("published"), dt.date):
            data = {**data, "published": data["published"].isoformat()}
        return super()._deserialize(data, **kwargs)

    @validates_schema
    def bands_descend_to_zero(self, data, **kwargs):
        grades = data.get("grades") or []
        for i in range(1, len(grades)):
            if grades[i].min >= grades[i - 1].min:
                raise ValidationError(
                    {i: {"min": ["Grade bands must be listed with strictly descending min."]}},
                    field_name="grades",
                )
        labels = [g.label for g in grades]
        if len(set(labels)) != len(labels):
            raise ValidationError("Grade labels must be unique.", field_name="grades")
        if grades and grades[-1].min != 0:
            raise ValidationError(
                {len(grades) - 1: {"min": ["The lowest grade band must have min 0."]}},
                field_name="grades",
            )

    @validates_schema
    def keys_unique(self, data, **kwargs):
        criteria = data.get("criteria") or []
        seen_criteria: set[str] = set()
        seen_indicators: set[str] = set()
        errors: dict = {}
        for c_index, criterion in enumerate(criteria):
            if criterion.key in seen_criteria:
                errors.setdefault(c_index, {})["key"] = [
                    f"Duplicate criterion key {criterion.key!r}."
                ]
            seen_criteria.add(criterion.key)
            for i_index, indicator in enumerate(criterion.indicators):
                if indicator.key in seen_indicators:
                    errors.setdefault(c_index, {}).setdefault("indicators", {})[i_index] = {
                        "key": [f"Duplicate indicator key {indicator.key!r} in the set."]
                    }
                seen_indicators.add(indicator.key)
        if errors:
            raise ValidationError(errors, field_name="criteria")

    @post_load
    def make(self, data, **kwargs):
        return CriteriaSet(
            grades=tuple(data.pop("grades")), criteria=tuple(data.pop("criteria")), **data
        )


_schema = CriteriaSetSchema()


class _ExactLoader(yaml.SafeLoader):
    """YAML with decimals read from their digits: `0.12345678901234567890` loses nothing."""


def _exact_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    try:
        return Decimal(loader.construct_scalar(node).replace("_", ""))
    except InvalidOperation:  # .inf, .nan: left to the float reader, then refused as numbers
        return loader.construct_yaml_float(node)


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_decimal)


def load_file(path: Path) -> CriteriaSet:
    """Read and validate one criteria file; CriteriaError names the file, the path and the rule."""
    raw = path.read_bytes()
    try:
        document = yaml.load(raw, Loader=_ExactLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise CriteriaError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise CriteriaError(f"{path}: (top): must be a mapping of the set's fields.")
    try:
        criteria_set = _schema.load(document)
    except ValidationError as exc:
        problems = "\n".join(
            f"{path}: {dotted(where)}: {' '.join(messages)}"
            for where, messages in flatten(exc.messages)
        )
        raise CriteriaError(problems) from None
    return replace(criteria_set, sha256=hashlib.sha256(raw).hexdigest(), path=str(path))


@dataclass(frozen=True)
class Catalog:
    """Every loaded criteria set, by reference, and the one used when a request names none."""

    sets: dict[str, CriteriaSet]
    default_ref: str

    def get(self, ref: str) -> CriteriaSet | None:
        return self.sets.get(ref)

    @property
    def default(self) -> CriteriaSet:
        return self.sets[self.default_ref]


def criteria_files(paths: list[Path]) -> list[Path]:
    """The YAML files named, or found directly inside the folders named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def load_sets(paths: list[Path]) -> list[CriteriaSet]:
    """Load every file; all problems of all files are reported together."""
    loaded: list[CriteriaSet] = []
    problems: list[str] = []
    files = criteria_files(paths)
    for path in files:
        if not path.exists():
            problems.append(f"{path}: no such file or folder.")
            continue
        try:
            loaded.append(load_file(path))
        except CriteriaError as exc:
            problems.append(str(exc))
    by_ref: dict[str, CriteriaSet] = {}
    for criteria_set in loaded:
        if criteria_set.ref in by_ref:
            problems.append(
                f"{criteria_set.path}: key, version: {criteria_set.ref} is already defined "
                f"by {by_ref[criteria_set.ref].path}."
            )
        by_ref[criteria_set.ref] = criteria_set
    if problems:
        raise CriteriaError("\n".join(problems))
    return loaded


def load_catalog(folder: Path, default_ref: str | None = None) -> Catalog:
    """Load a criteria folder and settle the default set.

    With no default configured, a folder holding a single key defaults to its latest version;
    with several keys the default must be named, rather than guessed.
    """
    sets = load_sets([folder])
    if not sets:
        raise CriteriaError(f"{folder}: no criteria files (*.yaml) found.")
    by_ref = {s.ref: s for s in sets}
    if default_ref is None:
        keys = {s.key for s in sets}
        if len(keys) > 1:
            raise CriteriaError(
                f"{folder}: several criteria sets ({', '.join(sorted(keys))}); "
                "set ETHICS_DEFAULT_CRITERIA_SET to the one used by default."
            )
        default_ref = max(sets, key=lambda s: s.version).ref
    if default_ref not in by_ref:
        raise CriteriaError(
            f"{folder}: the default criteria set {default_ref} is not among the files "
            f"({', '.join(sorted(by_ref))})."
        )
    return Catalog(sets=by_ref, default_ref=default_ref)
