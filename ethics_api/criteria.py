"""Criteria sets: load YAML files, enforce the rules of the scoring contract, freeze them.

A criteria set is data, never code. Each file is validated with marshmallow into frozen
dataclasses; anything that breaks a rule is refused with the file, the path inside it and the
rule, so a broken rubric can never reach a scorecard.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
class ProfileQuestion:
    """A yes/no question about the system being bought; a "yes" adds its points."""

    key: str
    question: str
    points: int


@dataclass(frozen=True)
class Tier:
    label: str
    min_points: int


@dataclass(frozen=True)
class ChecklistItem:
    """A duty of the buyer itself: shown with a procurement, never scored against bidders."""

    key: str
    duty: str
    references: tuple[Reference, ...]
    applies_if: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gate:
    """A pass/fail condition on a bidder (exclusion, say), checked by the buyer, never scored."""

    key: str
    question: str
    references: tuple[Reference, ...]
    applies_if: tuple[str, ...] = ()


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
    # Tier label -> minimum level in that tier, overriding `minimum_level` there.
    minimum_level_by_tier: Mapping[str, int] = field(default_factory=dict, hash=False)
    applies_if: tuple[str, ...] = ()

    def red_line_in(self, tier: str | None) -> int | None:
        """The lowest combined level that keeps a vendor eligible in `tier`: 1 for a knockout,
        else the tier's minimum level, else the indicator's own; None where there is none."""
        if self.knockout:
            return 1
        return (
            self.minimum_level_by_tier.get(tier, self.minimum_level) if tier else self.minimum_level
        )


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    description: str
    weight: Fraction
    minimum: Fraction | None
    indicators: tuple[Indicator, ...]
    applies_if: tuple[str, ...] = ()


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
    profile: tuple[ProfileQuestion, ...] = ()
    tiers: tuple[Tier, ...] = ()  # lowest first
    buyer_checklist: tuple[ChecklistItem, ...] = ()
    gates: tuple[Gate, ...] = ()
    sha256: str = ""
    path: str = ""

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    def applicability(self, answers: Mapping[str, bool] | None) -> "Applicability":
        """What applies to a system described by `answers` (section 12). None is a standalone
        scope: every indicator applies, in the highest tier."""
        if answers is None:
            return Applicability(
                None,
                self.tiers[-1].label if self.tiers else None,
                frozenset(i.key for i in self.indicators),
            )
        yes = {key for key, answer in answers.items() if answer}
        points = sum(q.points for q in self.profile if q.key in yes)
        tier = next((t.label for t in reversed(self.tiers) if points >= t.min_points), None)
        applying = frozenset(
            i.key
            for c in self.criteria
            if yes.issuperset(c.applies_if)
            for i in c.indicators
            if yes.issuperset(i.applies_if)
        )
        return Applicability(dict(answers), tier, applying, points)

    def in_procurement(self, answers: Mapping[str, bool] | None) -> "Applicability":
        """What applies in a procurement that gave these answers: by its profile where the set
        has one, else everything (a set without a profile behaves as before profiles)."""
        if not self.profile:
            return self.applicability(None)
        return self.applicability(answers or {})

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator, in the set's order."""
        return tuple(i for c in self.criteria for i in c.indicators)

    def criterion_of(self, indicator_key: str) -> Criterion:
        for criterion in self.criteria:
            if any(i.key == indicator_key for i in criterion.indicators):
                return criterion
        raise KeyError(indicator_key)


@dataclass(frozen=True)
class Applicability:
    """The indicators that apply in one scope, and its impact tier; `profile` None means a
    standalone scope."""

    profile: Mapping[str, bool] | None = field(hash=False)
    tier: str | None
    indicators: frozenset[str]
    points: int | None = None

    def applies(self, indicator_key: str) -> bool:
        return indicator_key in self.indicators

    def allows(self, applies_if: tuple[str, ...]) -> bool:
        """Whether a part with this `applies_if` (a buyer duty, a gate) concerns the scope."""
        if self.profile is None:
            return True
        return all(self.profile.get(key) for key in applies_if)

    def covers(self, criterion: Criterion) -> bool:
        """Whether any of the criterion's indicators applies (else it is never scored)."""
        return any(i.key in self.indicators for i in criterion.indicators)

    def red_line(self, indicator: Indicator) -> int | None:
        return indicator.red_line_in(self.tier)


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


def _applies_if() -> fields.List:
    return fields.List(
        _KeyText(),
        load_default=(),
        validate=validate.Length(min=1, error="List at least one profile key, or leave it out."),
    )


class ProfileQuestionSchema(_Strict):
    key = _KeyText()
    question = _text(required=True)
    points = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))

    @post_load
    def make(self, data, **kwargs):
        return ProfileQuestion(**data)


class TierSchema(_Strict):
    label = _text(required=True)
    min_points = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))

    @post_load
    def make(self, data, **kwargs):
        return Tier(**data)


def _references() -> fields.List:
    return fields.List(
        fields.Nested(ReferenceSchema),
        required=True,
        validate=validate.Length(min=1, error="At least one reference is required."),
    )


class ChecklistItemSchema(_Strict):
    key = _KeyText()
    duty = _text(required=True)
    references = _references()
    applies_if = _applies_if()

    @post_load
    def make(self, data, **kwargs):
        return ChecklistItem(
            references=tuple(data.pop("references")),
            applies_if=tuple(data.pop("applies_if")),
            **data,
        )


class GateSchema(_Strict):
    key = _KeyText()
    question = _text(required=True)
    references = _references()
    applies_if = _applies_if()

    @post_load
    def make(self, data, **kwargs):
        return Gate(
            references=tuple(data.pop("references")),
            applies_if=tuple(data.pop("applies_if")),
            **data,
        )


class IndicatorSchema(_Strict):
    key = _KeyText()
    question = _text(required=True)
    weight = ExactNumber(required=True, validate=_positive)
    levels = fields.Dict(keys=fields.Integer(strict=True), values=_text(), required=True)
    references = _references()
    allow_not_applicable = StrictBoolean(load_default=False)
    knockout = StrictBoolean(load_default=False)
    minimum_level = fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=1, max=MAX_LEVEL)
    )
    minimum_level_by_tier = fields.Dict(
        keys=_text(),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_LEVEL)),
        load_default=dict,
    )
    applies_if = _applies_if()

    @validates_schema
    def one_red_line(self, data, **kwargs):
        if not data.get("knockout"):
            return
        for name in ("minimum_level", "minimum_level_by_tier"):
            if data.get(name):
                raise ValidationError(
                    f"Give knockout: true or {name}, not both (a knockout is minimum level 1 "
                    "in every tier).",
                    field_name=name,
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
            applies_if=tuple(data.pop("applies_if")),
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
    applies_if = _applies_if()

    @post_load
    def make(self, data, **kwargs):
        return Criterion(
            indicators=tuple(data.pop("indicators")),
            applies_if=tuple(data.pop("applies_if")),
            **data,
        )


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
    profile = fields.List(fields.Nested(ProfileQuestionSchema), load_default=())
    tiers = fields.List(fields.Nested(TierSchema), load_default=())
    buyer_checklist = fields.List(fields.Nested(ChecklistItemSchema), load_default=())
    gates = fields.List(fields.Nested(GateSchema), load_default=())

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
    def keys_unique(self, data, **kwargs) -> None:
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

    @validates_schema
    def tiers_ascend_from_zero(self, data, **kwargs):
        tiers = data.get("tiers") or []
        if tiers and not data.get("profile"):
            raise ValidationError(
                "Tiers need a profile: the tier is worked out from the profile's answers.",
                field_name="tiers",
            )
        if tiers and tiers[0].min_points != 0:
            raise ValidationError(
                {0: {"min_points": ["The lowest tier, listed first, must have min_points 0."]}},
                field_name="tiers",
            )
        for i in range(1, len(tiers)):
            if tiers[i].min_points <= tiers[i - 1].min_points:
                raise ValidationError(
                    {
                        i: {
                            "min_points": [
                                "Tiers must be listed with strictly ascending min_points."
                            ]
                        }
                    },
                    field_name="tiers",
                )
        _unique(data.get("profile"), "key", "profile")
        _unique(tiers, "label", "tiers")
        _unique(data.get("buyer_checklist"), "key", "buyer_checklist")
        _unique(data.get("gates"), "key", "gates")

    @validates_schema
    def references_between_parts(self, data, **kwargs) -> None:
        """applies_if names profile keys, minimum_level_by_tier names tiers, and no buyer duty
        or gate shares a key with a scored indicator."""
        profile_keys = {q.key for q in data.get("profile") or ()}
        tier_labels = {t.label for t in data.get("tiers") or ()}
        indicator_keys = {i.key for c in data.get("criteria") or () for i in c.indicators}
        errors: dict = {}

        def unknown_profile_keys(item) -> list[str]:
            unknown = [k for k in item.applies_if if k not in profile_keys]
            return [
                f"Unknown profile key {k!r}: applies_if names the set's profile questions."
                for k in unknown
            ]

        for c_index, criterion in enumerate(data.get("criteria") or ()):
            if problems := unknown_profile_keys(criterion):
                errors.setdefault("criteria", {}).setdefault(c_index, {})["applies_if"] = problems
            for i_index, indicator in enumerate(criterion.indicators):
                where = {}
                if problems := unknown_profile_keys(indicator):
                    where["applies_if"] = problems
                if strange := sorted(set(indicator.minimum_level_by_tier) - tier_labels):
                    where["minimum_level_by_tier"] = [
                        f"Unknown tier {label!r}: the set's tiers are "
                        f"{', '.join(sorted(tier_labels)) or 'none'}."
                        for label in strange
                    ]
                if where:
                    errors.setdefault("criteria", {}).setdefault(c_index, {}).setdefault(
                        "indicators", {}
                    )[i_index] = where
        for part in ("buyer_checklist", "gates"):
            for index, item in enumerate(data.get(part) or ()):
                where = {}
                if problems := unknown_profile_keys(item):
                    where["applies_if"] = problems
                if item.key in indicator_keys:
                    where["key"] = [
                        f"{item.key!r} is also a scored indicator: a buyer duty or a gate is "
                        "never scored against bidders."
                    ]
                if where:
                    errors.setdefault(part, {})[index] = where
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data, **kwargs):
        return CriteriaSet(
            grades=tuple(data.pop("grades")),
            criteria=tuple(data.pop("criteria")),
            profile=tuple(data.pop("profile")),
            tiers=tuple(data.pop("tiers")),
            buyer_checklist=tuple(data.pop("buyer_checklist")),
            gates=tuple(data.pop("gates")),
            **data,
        )


def _unique(items, attribute: str, part: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items or ()):
        value = getattr(item, attribute)
        if value in seen:
            raise ValidationError(
                {index: {attribute: [f"Duplicate {attribute} {value!r}."]}}, field_name=part
            )
        seen.add(value)


_schema = CriteriaSetSchema()


# libyaml's parser when PyYAML was built with it (its wheels are): the same documents, read
# about ten times faster than by the pure-Python one, and the criteria are read at every start.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ExactLoader(_SafeLoader):  # type: ignore[misc, valid-type]
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


def load_catalog(folders: Path | list[Path], default_ref: str | None = None) -> Catalog:
    """Load a criteria folder (or several) and settle the default set.

    `default_ref` is key@version, or a key for its latest version. With no default given, a
    folder holding a single key defaults to its latest version; with several keys the default
    must be named, rather than guessed.
    """
    folders = folders if isinstance(folders, list) else [folders]
    folder = ", ".join(map(str, folders))
    sets = load_sets(folders)
    if not sets:
        raise CriteriaError(f"{folder}: no criteria files (*.yaml) found.")
    by_ref = {s.ref: s for s in sets}
    keys = {s.key for s in sets}
    if default_ref is None:
        if len(keys) > 1:
            raise CriteriaError(
                f"{folder}: several criteria sets ({', '.join(sorted(keys))}); "
                "set ETHICS_DEFAULT_CRITERIA_SET to the one used by default."
            )
        [default_ref] = keys
    if default_ref in keys:
        default_ref = max((s for s in sets if s.key == default_ref), key=lambda s: s.version).ref
    if default_ref not in by_ref:
        raise CriteriaError(
            f"{folder}: the default criteria set {default_ref} is not among the files "
            f"({', '.join(sorted(by_ref))})."
        )
    return Catalog(sets=by_ref, default_ref=default_ref)
