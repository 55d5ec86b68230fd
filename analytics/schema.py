"""The canonical tidy schemas of Opora's analytics, and `validate_frame` to bring a frame to one of them.

Every reader (ФИС ОКО forms, regional ЕГЭ/ОГЭ tables, the canonical CSV/XLSX format, the Django selectors)
produces one of these tables; every computation in `analytics` consumes them. One row is one observation:

* ``pupil_results``   — one pupil's result in one assessment;
* ``task_scores``     — one pupil's score on one task (long form: one row per pupil × task);
* ``school_aggregates`` — one school's published aggregate result, where only aggregates exist;
* ``school_context``  — one school's context (social passport, location, enrolment) in one year;
* ``school_areas``    — which municipality (and region) a school belongs to.

An *assessment* is identified by `ASSESSMENT_KEY` = (year, procedure, subject, grade).

Conventions: shares are percents in [0, 100]; `year` is the calendar year of the assessment (spring 2025 →
2025); ids are opaque strings (in the product the school's primary key as text, in files the ФИС ОКО login
``eduNNNNNN``); null means "not given" and never zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

import polars as pl

__all__ = [
    "ASSESSMENT_KEY",
    "KNOWN_PROCEDURES",
    "LEVELS",
    "LOCATIONS",
    "NULL_TOKENS",
    "PUPIL_RESULTS",
    "SCHEMAS",
    "SCHOOL_AGGREGATES",
    "SCHOOL_AREAS",
    "SCHOOL_CONTEXT",
    "TASK_SCORES",
    "Column",
    "Domain",
    "FrameValidationError",
    "Problem",
    "RowCheck",
    "TableSchema",
    "validate_frame",
]

ASSESSMENT_KEY: Final = ("year", "procedure", "subject", "grade")

#: Procedures the system knows by name; any other non-empty label (a regional diagnostic such as «КДР6»)
#: is accepted too, which is why `procedure` is Categorical and not a closed Enum.
KNOWN_PROCEDURES: Final = ("ВПР", "ОГЭ", "ГВЭ", "ЕГЭ", "РДР", "МДР")

#: Task levels as ФИС ОКО prints them: базовый, повышенный, высокий (Cyrillic letters).
LEVELS: Final = ("Б", "П", "В")

LOCATIONS: Final = ("city", "village")

#: Cells that mean "no value" in Russian source files: not attempted («X», Cyrillic «Х»), dash, no mark.
#: When a text column is cast to a number or a flag, these become null instead of a cast error.
NULL_TOKENS: Final = frozenset({"", "X", "x", "Х", "х", "-", "–", "—", "нет отметки", "н/о"})

_TRUE_TOKENS: Final = ("true", "1", "да", "yes", "истина")
_FALSE_TOKENS: Final = ("false", "0", "нет", "no", "ложь")


@dataclass(frozen=True)
class Domain:
    """The allowed values of a column: `valid(value)` is true where a non-null value is allowed."""

    valid: Callable[[pl.Expr], pl.Expr] = field(compare=False)
    doc: str


@dataclass(frozen=True)
class Column:
    """One column of a canonical table: its Polars dtype, whether it must be present and may be null."""

    name: str
    dtype: pl.DataType
    doc: str
    required: bool = True
    nullable: bool = False
    domain: Domain | None = None


@dataclass(frozen=True)
class RowCheck:
    """A rule over several columns: `valid` is true (or null, when an operand is null) on valid rows."""

    name: str
    valid: pl.Expr = field(compare=False)
    message: str


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: ordered columns, the unique key of a row and the cross-column rules."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_checks: tuple[RowCheck, ...] = ()

    @property
    def polars_schema(self) -> pl.Schema:
        """The Polars schema (all columns, required and optional, in canonical order)."""
        return pl.Schema({column.name: column.dtype for column in self.columns})

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns a frame must bring; the others are added as nulls when absent."""
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


# --- the tables --------------------------------------------------------------------------------------


def _between(low: float, high: float) -> Domain:
    return Domain(lambda value: value.is_between(low, high), f"{low:g}..{high:g}")


NON_NEGATIVE: Final = Domain(lambda value: value >= 0, "≥ 0")
POSITIVE: Final = Domain(lambda value: value > 0, "> 0")


def _trimmed_and_not_blank(value: pl.Expr) -> pl.Expr:
    # "edu1 " and "edu1" would be two schools in every join: surrounding spaces are refused, not guessed.
    text = value.cast(pl.String)
    return (text.str.len_chars() > 0) & (text == text.str.strip_chars())


NOT_BLANK: Final = Domain(_trimmed_and_not_blank, "not blank, no surrounding spaces")
PERCENT: Final = _between(0, 100)


def _key(name: str, dtype: pl.DataType, doc: str, domain: Domain | None = NOT_BLANK) -> Column:
    """A required, non-null column."""
    return Column(name, dtype, doc, domain=domain)


def _optional(name: str, dtype: pl.DataType, doc: str, domain: Domain | None = None) -> Column:
    """A column that may be absent (then it is added as nulls) and may hold nulls."""
    return Column(name, dtype, doc, required=False, nullable=True, domain=domain)


_ASSESSMENT_COLUMNS: Final = (
    _key("year", pl.Int16(), "calendar year of the assessment, e.g. 2025", _between(2000, 2100)),
    _key(
        "procedure", pl.Categorical(), "ВПР, ОГЭ, ГВЭ, ЕГЭ, РДР (regional), МДР (municipal) or another label"
    ),
    _key("subject", pl.String(), "subject as written in the files: «Математика», «Русский язык»"),
    _key("grade", pl.Int8(), "grade (класс)", _between(1, 11)),
)
_SCHOOL_ID: Final = _key(
    "school_id", pl.String(), "the school pk as text in the product, the ФИС ОКО login in files"
)
_PARTICIPANT: Final = _key("participant", pl.String(), "pseudonymous participant code (Код участника)")


def _share(name: str, doc: str) -> Column:
    return _optional(name, pl.Float64(), f"{doc}, % (0..100)", PERCENT)


def _count(name: str, doc: str) -> Column:
    return _optional(name, pl.Int32(), doc, NON_NEGATIVE)


PUPIL_RESULTS: Final = TableSchema(
    name="pupil_results",
    doc=(
        "One pupil's result in one assessment (ВПР «Индивидуальные результаты», pupil-level ОГЭ/ЕГЭ, "
        "regional diagnostics)."
    ),
    columns=(
        *_ASSESSMENT_COLUMNS,
        _SCHOOL_ID,
        _PARTICIPANT,
        _optional("variant", pl.String(), "variant of the work"),
        _optional("primary_score", pl.Float64(), "primary score (первичный балл)", NON_NEGATIVE),
        _optional("max_primary_score", pl.Float64(), "maximum primary score of the work", POSITIVE),
        _optional("mark", pl.Int8(), "mark of the assessment (Отметка)", _between(2, 5)),
        _optional(
            "journal_mark", pl.Int8(), "term mark in the school journal (Отметка по журналу)", _between(1, 5)
        ),
        _optional("test_score", pl.Float64(), "ЕГЭ test score", PERCENT),
        _optional(
            "below_minimum",
            pl.Boolean(),
            "below the ЕГЭ minimum or the ОГЭ threshold; where null, analytics takes mark == 2",
        ),
        _optional(
            "achievement_level",
            pl.String(),
            "regional diagnostics: the achievement level as the source names it («базовый»)",
            NOT_BLANK,
        ),
        _optional("completion_pct", pl.Float64(), "regional diagnostics: % of the work completed", PERCENT),
    ),
    key=(*ASSESSMENT_KEY, "school_id", "participant"),
    row_checks=(
        RowCheck(
            "primary_score_within_max",
            pl.col("primary_score") <= pl.col("max_primary_score"),
            "primary_score exceeds max_primary_score",
        ),
    ),
)

TASK_SCORES: Final = TableSchema(
    name="task_scores",
    doc=(
        "One pupil's score on one task, long form. A participant absent from the work has no rows; a task "
        "left blank («X», «-») has a row with a null score."
    ),
    columns=(
        *_ASSESSMENT_COLUMNS,
        _SCHOOL_ID,
        _PARTICIPANT,
        _key("task", pl.String(), "task label as printed: «1», «9.1»"),
        Column(
            "score",
            pl.Float64(),
            "score; null = not attempted («X», «-»)",
            nullable=True,
            domain=NON_NEGATIVE,
        ),
        _key("max_score", pl.Float64(), "maximum score of the task", POSITIVE),
        _optional(
            "level",
            pl.String(),
            "task level: Б базовый, П повышенный, В высокий (Cyrillic letters)",
            Domain(lambda value: value.is_in(list(LEVELS)), "Б, П, В"),
        ),
    ),
    key=(*ASSESSMENT_KEY, "school_id", "participant", "task"),
    row_checks=(
        RowCheck("score_within_max", pl.col("score") <= pl.col("max_score"), "score exceeds max_score"),
    ),
)

_MARK_SHARES: Final = ("share_2", "share_3", "share_4", "share_5")

SCHOOL_AGGREGATES: Final = TableSchema(
    name="school_aggregates",
    doc=(
        "One school's published aggregate result in one assessment, for sources without pupil rows: ВПР "
        "«Статистика по отметкам», regional ЕГЭ/ОГЭ tables. Give below_minimum as a count or as a share."
    ),
    columns=(
        *_ASSESSMENT_COLUMNS,
        _SCHOOL_ID,
        _key("participants", pl.Int32(), "number of participants", NON_NEGATIVE),
        *(_share(name, f"share of mark «{name[-1]}»") for name in _MARK_SHARES),
        _count("below_minimum_count", "participants below the minimum (не преодолели минимальный порог)"),
        _share("below_minimum_share", "share below the minimum"),
        _optional("mean_primary_score", pl.Float64(), "mean primary score", NON_NEGATIVE),
        _optional("mean_test_score", pl.Float64(), "mean ЕГЭ test score", PERCENT),
        _optional("mean_mark", pl.Float64(), "mean mark", _between(2, 5)),
        _count("score_80_99_count", "participants with a test score of 80..99"),
        _count("score_100_count", "participants with a test score of 100"),
        _share("share_lowered", "ВПР mark below the journal mark (понизили)"),
        _share("share_confirmed", "ВПР mark equal to the journal mark (подтвердили)"),
        _share("share_raised", "ВПР mark above the journal mark (повысили)"),
    ),
    key=(*ASSESSMENT_KEY, "school_id"),
    row_checks=(
        RowCheck(
            "below_minimum_within_participants",
            pl.col("below_minimum_count") <= pl.col("participants"),
            "below_minimum_count exceeds participants",
        ),
        RowCheck(
            "high_scorers_within_participants",
            pl.col("score_80_99_count").fill_null(0) + pl.col("score_100_count").fill_null(0)
            <= pl.col("participants"),
            "score_80_99_count + score_100_count exceeds participants",
        ),
        RowCheck(
            # Published shares are rounded: four of them can miss 100 by up to 2 pp. Checked only when
            # all four are given.
            "mark_shares_sum_to_100",
            pl.when(pl.all_horizontal(pl.col(_MARK_SHARES).is_not_null())).then(
                (pl.sum_horizontal(_MARK_SHARES) - 100).abs() <= 2.0
            ),
            "share_2..share_5 do not sum to 100 ± 2",
        ),
    ),
)

SCHOOL_CONTEXT: Final = TableSchema(
    name="school_context",
    doc="One school's context in one year: the social passport (shares of pupils, %), location, enrolment.",
    columns=(
        _key("year", pl.Int16(), "calendar year", _between(2000, 2100)),
        _SCHOOL_ID,
        _share("share_single_parent", "pupils from single-parent families"),
        _share("share_parents_higher_education", "pupils with a parent with higher education"),
        _share("share_unemployed_parents", "pupils whose parents are unemployed"),
        _share("share_low_income", "pupils from low-income families"),
        _share("share_on_register", "pupils on a register (учёт)"),
        _share("share_disabilities", "pupils with disabilities (ОВЗ)"),
        _share("share_non_native_russian", "pupils for whom Russian is not the native language"),
        _optional("location", pl.Enum(LOCATIONS), "city or village"),
        _count("enrolment", "number of pupils"),
        _count("settlement_size", "population of the settlement"),
        _optional("special_school", pl.Boolean(), "a special (коррекционная) school"),
    ),
    key=("year", "school_id"),
)

SCHOOL_AREAS: Final = TableSchema(
    name="school_areas",
    doc=(
        "Which municipality (and region) a school belongs to. Without region_id all schools of the input "
        "are taken as one region."
    ),
    columns=(
        _SCHOOL_ID,
        _key("municipality_id", pl.String(), "municipality id"),
        _optional("region_id", pl.String(), "region id"),
    ),
    key=("school_id",),
)

SCHEMAS: Final[Mapping[str, TableSchema]] = {
    schema.name: schema
    for schema in (PUPIL_RESULTS, TASK_SCORES, SCHOOL_AGGREGATES, SCHOOL_CONTEXT, SCHOOL_AREAS)
}


# --- validation --------------------------------------------------------------------------------------

ProblemKind = Literal["missing", "dtype", "cast", "null", "domain", "row", "duplicate"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a frame: which column (None for the whole row), what kind, and how many rows."""

    column: str | None
    kind: ProblemKind
    message: str
    rows: int | None = None
    examples: tuple[str, ...] = ()
    #: Where the first rows with the problem are: 0-based positions in the frame (a reader that knows how
    #: the frame was read turns them into the rows of its file).
    positions: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = self.column if self.column is not None else "(row)"
        examples = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        at = f" at rows {', '.join(str(p + 1) for p in self.positions)}" if self.positions else ""
        return f"{where}: {self.message}{examples}{at}"


class FrameValidationError(ValueError):
    """A frame does not fit a canonical schema; `problems` lists every problem found, not only the first."""

    def __init__(self, schema_name: str, problems: list[Problem]) -> None:
        self.schema_name = schema_name
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"frame does not fit the {schema_name!r} schema, problems found: {len(self.problems)}\n{lines}"
        )


@dataclass(frozen=True)
class _Cast:
    """How to bring a source column to its target dtype: the (non-strict) cast, and which rows it loses."""

    value: pl.Expr
    lossy: pl.Expr | None


_EXAMPLES = 3


def _is_text(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.String | pl.Categorical | pl.Enum)


def _text_to_number(source: pl.Expr, target: pl.DataType) -> _Cast:
    text = source.cast(pl.String).str.strip_chars()
    given = text.is_not_null() & ~text.is_in(list(NULL_TOKENS))
    # A decimal comma is how Russian spreadsheets write 12,5.
    number = pl.when(given).then(text.str.replace(",", ".", literal=True)).cast(pl.Float64, strict=False)
    if target.is_integer():
        value = number.cast(target, strict=False)
        lossy = given & (value.is_null() | (value.cast(pl.Float64) != number))
        return _Cast(value, lossy)
    return _Cast(number.cast(target, strict=False), given & number.is_null())


def _plan_cast(name: str, source: pl.DataType, target: pl.DataType) -> _Cast | None:
    """A safe cast from `source` to `target`, or None when there is none (the dtype is simply wrong)."""
    column = pl.col(name)
    if isinstance(source, pl.Null):
        return _Cast(column.cast(target), None)
    if target.is_numeric():
        if _is_text(source):
            return _text_to_number(column, target)
        if not (source.is_numeric() or source.is_decimal()):
            return None
        value = column.cast(target, strict=False)
        if target.is_integer() and not source.is_integer():
            # Float → Int truncates 2.5 to 2: only whole numbers are safe.
            return _Cast(value, column.is_not_null() & (value.is_null() | (value.cast(pl.Float64) != column)))
        if target.is_integer():
            return _Cast(value, column.is_not_null() & value.is_null())  # overflow, e.g. 300 → Int8
        return _Cast(value, None)
    if isinstance(target, pl.String):
        if _is_text(source) or source.is_integer():
            return _Cast(column.cast(pl.String), None)
        return None  # a float label (1.0 for task «1») or a date is not a safe id
    if isinstance(target, pl.Categorical):
        if _is_text(source) or source.is_integer():
            return _Cast(column.cast(pl.String).cast(target), None)
        return None
    if isinstance(target, pl.Enum):
        if not _is_text(source):
            return None
        text = column.cast(pl.String).str.strip_chars()
        value = text.cast(target, strict=False)
        return _Cast(value, text.is_not_null() & value.is_null())
    if isinstance(target, pl.Boolean):
        if source.is_integer():
            value = pl.when(column == 1).then(True).when(column == 0).then(False).otherwise(None)
            return _Cast(value, column.is_not_null() & value.is_null())
        if _is_text(source):
            text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
            given = text.is_not_null() & ~text.is_in(list(NULL_TOKENS))
            value = (
                pl.when(text.is_in(list(_TRUE_TOKENS)))
                .then(True)
                .when(text.is_in(list(_FALSE_TOKENS)))
                .then(False)
                .otherwise(None)
            )
            return _Cast(value, given & value.is_null())
        return None
    return None


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def validate_frame(
    frame: FrameT,
    schema_name: str,
    *,
    check_values: bool = True,
    extra_columns: Literal["drop", "keep"] = "drop",
) -> FrameT:
    """Check a frame against a canonical schema, cast it where safe, and return it in canonical form.

    Missing required columns, impossible dtypes, values a cast would lose (2.5 as a mark, «abc» as a score),
    nulls where none are allowed, values out of their domain, broken row rules and duplicate keys are all
    collected and raised together as one `FrameValidationError`. Absent optional columns are added as nulls;
    text cells in `NULL_TOKENS` become null; a decimal comma is read as a point.

    The column and dtype checks read only the schema. The value checks need one pass over the data: for a
    LazyFrame that pass is a separate scan; `check_values=False` skips it, and the returned LazyFrame then
    casts strictly, so an unsafe value fails at collect time instead of passing silently.

    >>> frame = pl.DataFrame({"school_id": ["edu1"], "municipality_id": [7]})
    >>> validate_frame(frame, "school_areas").schema
    Schema([('school_id', String), ('municipality_id', String), ('region_id', String)])
    """
    try:
        schema = SCHEMAS[schema_name]
    except KeyError:
        raise ValueError(f"unknown schema {schema_name!r}; known: {', '.join(SCHEMAS)}") from None

    lazy = frame.lazy()
    actual = lazy.collect_schema()
    problems: list[Problem] = []
    casts: dict[str, _Cast] = {}
    absent: list[Column] = []
    for column in schema.columns:
        if column.name not in actual:
            if column.required:
                problems.append(Problem(column.name, "missing", "required column is missing"))
            else:
                absent.append(column)
            continue
        source = actual[column.name]
        if source == column.dtype:
            casts[column.name] = _Cast(pl.col(column.name), None)
            continue
        plan = _plan_cast(column.name, source, column.dtype)
        if plan is None:
            problems.append(Problem(column.name, "dtype", f"has dtype {source}, expected {column.dtype}"))
        else:
            casts[column.name] = plan
    if problems:
        raise FrameValidationError(schema.name, problems)

    if check_values:
        problems = _value_problems(lazy, schema, casts, absent)
        if problems:
            raise FrameValidationError(schema.name, problems)

    canonical = [column.name for column in schema.columns]
    extras = [name for name in actual.names() if name not in canonical] if extra_columns == "keep" else []
    result = lazy.select(
        *[
            _strict(casts[column.name], column)
            if column.name in casts
            else pl.lit(None, column.dtype).alias(column.name)
            for column in schema.columns
        ],
        *extras,
    )
    if isinstance(frame, pl.DataFrame):
        return result.collect()
    return result


def _strict(cast: _Cast, column: Column) -> pl.Expr:
    """The cast for the returned frame: a row the cast would lose fails at collect time, never passes."""
    if cast.lossy is None:
        return cast.value.alias(column.name)
    # Polars has no "raise" expression: a strict cast of an explanatory text is the failure, and the text
    # is what the error message shows.
    marker = pl.when(cast.lossy).then(
        pl.lit(
            f"<{column.name}: a value cannot be cast to {column.dtype} without loss; "
            "validate_frame(check_values=True) lists them>"
        )
    )
    failure = marker.cast(column.dtype) if isinstance(column.dtype, pl.Enum) else marker.cast(pl.Float64)
    return pl.when(cast.lossy).then(failure.cast(column.dtype)).otherwise(cast.value).alias(column.name)


def _value_problems(
    lazy: pl.LazyFrame, schema: TableSchema, casts: dict[str, _Cast], absent: list[Column]
) -> list[Problem]:
    """Every value-level problem of the frame, found in one pass, with the positions of its first rows."""
    lossy_flags = {f"__lossy__{name}": cast.lossy for name, cast in casts.items() if cast.lossy is not None}
    sources = {
        f"__source__{name.removeprefix('__lossy__')}": pl.col(name.removeprefix("__lossy__"))
        for name in lossy_flags
    }
    cast_frame = (
        lazy.with_row_index(_POSITION)
        .with_columns(**lossy_flags, **sources)
        .with_columns(
            *[cast.value.alias(name) for name, cast in casts.items()],
            *[pl.lit(None, column.dtype).alias(column.name) for column in absent],
        )
    )
    measures: dict[str, pl.Expr] = {}

    def measure(label: str, wrong: pl.Expr, example: pl.Expr | None = None) -> None:
        measures[f"{label}|n"] = wrong.sum()
        measures[f"{label}|at"] = pl.col(_POSITION).filter(wrong).head(_EXAMPLES).implode()
        if example is not None:
            measures[f"{label}|ex"] = example.filter(wrong).head(_EXAMPLES).cast(pl.String).implode()

    for flag in lossy_flags:
        name = flag.removeprefix("__lossy__")
        measure(f"cast|{name}", pl.col(flag), pl.col(f"__source__{name}"))
    for column in schema.columns:
        if column.name not in casts:
            continue
        value = pl.col(column.name)
        if not column.nullable:
            # Only nulls that were null in the source: cast losses are reported above.
            lost = f"__lossy__{column.name}"
            lost_in_cast = pl.col(lost) if lost in lossy_flags else pl.lit(False)
            measure(f"null|{column.name}", value.is_null() & ~lost_in_cast)
        if column.domain is not None:
            bad = value.is_not_null() & ~column.domain.valid(value).fill_null(False)
            measure(f"domain|{column.name}", bad, value)
    for index, rule in enumerate(schema.row_checks):
        measure(f"row|{index}", (~rule.valid).fill_null(False))
    # The second and later rows of a key are the repeats.
    measure("duplicate|", ~pl.struct(list(schema.key)).is_first_distinct())
    summary = cast_frame.select(**measures).collect().row(0, named=True)

    problems: list[Problem] = []
    for label, count in summary.items():
        kind, name, what = label.split("|")
        if what != "n" or not count:
            continue
        examples = tuple(str(e) for e in summary.get(f"{kind}|{name}|ex") or ())
        positions = tuple(int(p) for p in summary.get(f"{kind}|{name}|at") or ())
        if kind == "cast":
            target = schema.column(name).dtype
            message = f"{count} values cannot be read as {target} without loss"
            problems.append(Problem(name, "cast", message, count, examples, positions))
        elif kind == "null":
            message = f"{count} nulls in a column that allows none"
            problems.append(Problem(name, "null", message, count, positions=positions))
        elif kind == "domain":
            column = schema.column(name)
            message = f"{count} values outside {column.domain.doc if column.domain else 'the domain'}"
            problems.append(Problem(name, "domain", message, count, examples, positions))
        elif kind == "row":
            rule = schema.row_checks[int(name)]
            problems.append(Problem(None, "row", f"{count} rows: {rule.message}", count, positions=positions))
        else:
            message = f"{count} rows repeat the key ({', '.join(schema.key)})"
            problems.append(Problem(None, "duplicate", message, count, positions=positions))
    return problems


#: The column `_value_problems` numbers the rows with (the frame's own columns are the schema's).
_POSITION: Final = "__opora_position__"
