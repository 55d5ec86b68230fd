"""The five canonical tables: their columns, types, allowed values, row rules and keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import polars as pl

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
