"""Achievement levels and % completion of regional diagnostics (КДР, РДР…) per school × assessment.

`achievement_indicators(pupil_results)` counts, per school × assessment (`SCHOOL_KEY`), the pupils with an
achievement level and the share of each level with its Wilson interval, and the mean % completion
(columns: `ACHIEVEMENT_COLUMNS`). Levels are the sources' own words, kept as given; `level_sort_key`
orders them from the lowest to the highest.

Every share is a percent. Row order is not defined: sort at the edge if it matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from analytics.indicators import SCHOOL_KEY, SCHOOL_KEY_COLUMNS
from analytics.schema import ASSESSMENT_KEY, validate_frame
from analytics.stats import DEFAULT_CONFIDENCE, proportion_exprs

__all__ = [
    "ACHIEVEMENT_COLUMNS",
    "ACHIEVEMENT_SCHEMA",
    "LEVEL_DTYPE",
    "LEVEL_ORDER",
    "achievement_indicators",
    "level_sort_key",
]

Frame = pl.DataFrame | pl.LazyFrame

#: The levels regional diagnostics name, from the lowest to the highest (compared without case, «ё» and
#: a trailing «уровень»). A diagnostic uses a few of them: недостаточный / пониженный / базовый / повышенный /
#: высокий, or низкий / средний / высокий.
LEVEL_ORDER: Final = (
    "недостаточный",
    "низкий",
    "пониженный",
    "ниже базового",
    "базовый",
    "средний",
    "повышенный",
    "высокий",
)
_RANK: Final = {word: rank for rank, word in enumerate(LEVEL_ORDER)}

#: One level of one school: its label as given, pupils at it, their share of `level_n` with the interval.
LEVEL_DTYPE: Final = pl.Struct(
    {
        "level": pl.String(),
        "count": pl.Int64(),
        "pct": pl.Float64(),
        "ci_low": pl.Float64(),
        "ci_high": pl.Float64(),
    }
)

_COLUMNS: Final[dict[str, tuple[pl.DataType, str]]] = {
    **SCHOOL_KEY_COLUMNS,
    "procedure": (SCHOOL_KEY_COLUMNS["procedure"][0], "КДР, РДР, МДР, …"),
    "level_n": (pl.Int64(), "participants with an achievement level: the base of the level shares"),
    "levels": (
        pl.List(LEVEL_DTYPE),
        "every level named in the assessment (at any of its schools), from the lowest to the highest: "
        "level, count, pct, ci_low, ci_high (Wilson, %); empty when level_n is 0",
    ),
    "completion_n": (pl.Int64(), "participants with a % completion"),
    "mean_completion": (pl.Float64(), "mean % completion over them"),
}

#: The columns of `achievement_indicators`, in order: name → description.
ACHIEVEMENT_COLUMNS: Final[Mapping[str, str]] = {name: doc for name, (_, doc) in _COLUMNS.items()}
ACHIEVEMENT_SCHEMA: Final = pl.Schema({name: dtype for name, (dtype, _) in _COLUMNS.items()})


def _fold(label: str) -> str:
    return " ".join(label.replace("ё", "е").replace("Ё", "Е").lower().split()).removesuffix(" уровень")


def level_sort_key(label: str) -> tuple[int, str, str]:
    """Sort key of a level label: the known levels (`LEVEL_ORDER`) lowest first, then others alphabetically.

    >>> sorted(["высокий", "Базовый", "особый", "недостаточный"], key=level_sort_key)
    ['недостаточный', 'Базовый', 'высокий', 'особый']
    """
    folded = _fold(label)
    return _RANK.get(folded, len(LEVEL_ORDER)), folded, label


def _level_sort_exprs(level: pl.Expr) -> list[pl.Expr]:
    """`level_sort_key` as expressions (rank, folded text, label), for sorting inside the engine."""
    folded = (
        level.str.replace_all("ё", "е")
        .str.replace_all("Ё", "Е")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.strip_suffix(" уровень")
    )
    rank = folded.replace_strict(_RANK, default=len(LEVEL_ORDER), return_dtype=pl.Int64)
    return [rank, folded, level]


def achievement_indicators(results: Frame, *, confidence: float = DEFAULT_CONFIDENCE) -> pl.LazyFrame:
    """Level shares and mean % completion per school × assessment from pupil results.

    A level's share is over the school's pupils with a level (`level_n`), with its Wilson interval; a
    level named in the assessment at another school but reached by no pupil of this one is 0 % (its
    interval still says how large it could be). The mean completion is over the pupils with a
    `completion_pct`. Every school × assessment of the input gets a row. Columns: `ACHIEVEMENT_COLUMNS`.

    >>> pupils = pl.DataFrame({"year": 2025, "procedure": "КДР", "subject": "Математика", "grade": 7,
    ...     "school_id": "edu1", "participant": ["1", "2", "3", "4"],
    ...     "achievement_level": ["базовый", "пониженный", "базовый", None],
    ...     "completion_pct": [70.0, 30.0, 80.0, 40.0]})
    >>> row = achievement_indicators(pupils).collect().row(0, named=True)
    >>> row["level_n"], [(lv["level"], lv["count"]) for lv in row["levels"]], row["mean_completion"]
    (3, [('пониженный', 1), ('базовый', 2)], 55.0)
    """
    pupils = validate_frame(results.lazy(), "pupil_results", check_values=False)
    level = pl.col("achievement_level")
    schools = pupils.group_by(SCHOOL_KEY).agg(
        participants=pl.len().cast(pl.Int64),
        level_n=level.count().cast(pl.Int64),
        completion_n=pl.col("completion_pct").count().cast(pl.Int64),
        mean_completion=pl.col("completion_pct").mean(),
    )
    counts = (
        pupils.filter(level.is_not_null())
        .group_by([*SCHOOL_KEY, "achievement_level"])
        .agg(count=pl.len().cast(pl.Int64))
    )
    # Every level of the assessment for every school of it that has levels: a level missing here is 0 %.
    named = counts.select(*ASSESSMENT_KEY, "achievement_level").unique()
    shares = (
        schools.filter(pl.col("level_n") > 0)
        .select(*SCHOOL_KEY, "level_n")
        .join(named, on=list(ASSESSMENT_KEY))
        .join(counts, on=[*SCHOOL_KEY, "achievement_level"], how="left")
        .with_columns(pl.col("count").fill_null(0))
        .with_columns(proportion_exprs("share", "count", "level_n", confidence=confidence))
        .group_by(SCHOOL_KEY)
        .agg(
            levels=pl.struct(
                level=level,
                count=pl.col("count"),
                pct=pl.col("share_pct"),
                ci_low=pl.col("share_ci_low"),
                ci_high=pl.col("share_ci_high"),
            ).sort_by(_level_sort_exprs(level))
        )
    )
    return (
        schools.join(shares, on=list(SCHOOL_KEY), how="left")
        .with_columns(pl.col("levels").fill_null(pl.lit([], dtype=pl.List(LEVEL_DTYPE))))
        .select(pl.col(name).cast(dtype) for name, dtype in ACHIEVEMENT_SCHEMA.items())
    )
