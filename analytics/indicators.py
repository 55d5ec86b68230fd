"""School indicators per school × assessment (year, procedure, subject, grade), as lazy Polars pipelines.

Three entry points, each returning a LazyFrame for the caller to collect once:

* `school_indicators(pupil_results)` — N, shares of marks 2-5, успеваемость, качество, mean scores, share
  below the minimum, ЕГЭ high scorers, ВПР mark against journal mark, all shares with Wilson intervals and
  the sample-size tier (columns: `SCHOOL_INDICATOR_COLUMNS`);
* `aggregate_indicators(school_aggregates)` — the same columns from published school aggregates, so that
  both can be concatenated (`source` tells them apart);
* `task_completion(task_scores)` — completion per task or per level; `area_task_completion` and
  `compare_task_completion` put a school next to its municipality and region.

Every share is a percent. Row order is not defined: sort at the edge if it matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import polars as pl

from analytics.schema import ASSESSMENT_KEY, validate_frame
from analytics.stats import (
    DEFAULT_CONFIDENCE,
    SAMPLE_TIER_DTYPE,
    TierThresholds,
    exact_sum,
    proportion_exprs,
    sample_tier,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "PROPORTIONS",
    "SCHOOL_INDICATORS_SCHEMA",
    "SCHOOL_INDICATOR_COLUMNS",
    "SCHOOL_KEY",
    "SCHOOL_KEY_COLUMNS",
    "TASK_COMPLETION_COLUMNS",
    "IndicatorSettings",
    "aggregate_indicators",
    "area_task_completion",
    "compare_task_completion",
    "school_indicators",
    "task_completion",
]

SCHOOL_KEY: Final = (*ASSESSMENT_KEY, "school_id")

Frame = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class IndicatorSettings:
    """The configurable parameters of the indicators (DOMAIN.md §5 defaults); the caller versions them."""

    confidence: float = DEFAULT_CONFIDENCE
    tiers: TierThresholds = field(default_factory=TierThresholds)
    #: ЕГЭ "high scorers": test score ≥ this (DOMAIN.md §5: % 80-100).
    high_score_min: float = 80.0
    #: ВПР mark and journal mark "differ strongly" when |mark − journal mark| ≥ this.
    journal_gap: int = 2


DEFAULT_SETTINGS: Final = IndicatorSettings()

#: Every proportion of the indicator frame: name → (what it counts, the column holding its base N).
PROPORTIONS: Final[Mapping[str, tuple[str, str]]] = {
    "mark_2": ("participants with mark «2»", "marks_n"),
    "mark_3": ("participants with mark «3»", "marks_n"),
    "mark_4": ("participants with mark «4»", "marks_n"),
    "mark_5": ("participants with mark «5»", "marks_n"),
    "pass": ("успеваемость: participants with mark 3, 4 or 5 (100 − % «2»)", "marks_n"),
    "quality": ("качество: participants with mark 4 or 5 (% «4» + % «5»)", "marks_n"),
    "below_min": ("participants below the minimum (mark «2» where not given)", "below_min_n"),
    "high_score": ("ЕГЭ participants with a test score ≥ high_score_min (80-100)", "test_score_n"),
    "lowered": ("ВПР mark below the journal mark (понизили)", "journal_n"),
    "confirmed": ("ВПР mark equal to the journal mark (подтвердили)", "journal_n"),
    "raised": ("ВПР mark above the journal mark (повысили)", "journal_n"),
    "differ_2plus": ("ВПР mark and journal mark differ by journal_gap (2) or more", "journal_n"),
}

_LEADING: Final[dict[str, tuple[pl.DataType, str]]] = {
    "year": (pl.Int16(), "calendar year of the assessment"),
    "procedure": (pl.Categorical(), "ВПР, ОГЭ, ГВЭ, ЕГЭ, РДР, МДР, …"),
    "subject": (pl.String(), "subject"),
    "grade": (pl.Int8(), "grade"),
    "school_id": (pl.String(), "school id"),
    "source": (
        pl.String(),
        "'pupils' (computed from pupil rows) or 'aggregates' (from published aggregates)",
    ),
    "participants": (pl.Int64(), "N: participants (pupil rows)"),
    "sample_tier": (SAMPLE_TIER_DTYPE, "informative (N ≥ 50), approximate (20-49), limited (< 20)"),
    "marks_n": (pl.Int64(), "participants with a mark: the base of the mark shares"),
    "mean_mark": (pl.Float64(), "mean mark"),
    "primary_score_n": (pl.Int64(), "participants with a primary score"),
    "mean_primary_score": (pl.Float64(), "mean primary score"),
    "mean_pct_of_max": (pl.Float64(), "mean primary score as % of the maximum (pupil by pupil)"),
    "below_min_n": (pl.Int64(), "participants whose below-minimum status is known"),
    "test_score_n": (pl.Int64(), "participants with a ЕГЭ test score"),
    "mean_test_score": (pl.Float64(), "mean ЕГЭ test score"),
    "journal_n": (pl.Int64(), "participants with both a ВПР mark and a journal mark"),
}


def _proportion_columns() -> dict[str, tuple[pl.DataType, str]]:
    columns: dict[str, tuple[pl.DataType, str]] = {}
    for name, (counted, base) in PROPORTIONS.items():
        columns[f"{name}_count"] = (pl.Int64(), f"{counted}: count")
        columns[f"{name}_pct"] = (pl.Float64(), f"{counted}: % of {base}")
        columns[f"{name}_ci_low"] = (pl.Float64(), f"{counted}: Wilson interval, lower bound, %")
        columns[f"{name}_ci_high"] = (pl.Float64(), f"{counted}: Wilson interval, upper bound, %")
    return columns


_COLUMNS: Final = {**_LEADING, **_proportion_columns()}

#: The key of a school's result in one assessment, and its participants: (type, description) by column,
#: as every table keyed by school × assessment types them.
SCHOOL_KEY_COLUMNS: Final[Mapping[str, tuple[pl.DataType, str]]] = {
    name: _LEADING[name] for name in (*SCHOOL_KEY, "participants")
}

#: The columns of `school_indicators` and `aggregate_indicators`, in order: name → description.
SCHOOL_INDICATOR_COLUMNS: Final[Mapping[str, str]] = {name: doc for name, (_, doc) in _COLUMNS.items()}
SCHOOL_INDICATORS_SCHEMA: Final = pl.Schema({name: dtype for name, (dtype, _) in _COLUMNS.items()})

#: The columns of `task_completion`: name → description (`task` only when by="task").
TASK_COMPLETION_COLUMNS: Final[Mapping[str, str]] = {
    **{name: doc for name, (_, doc) in SCHOOL_KEY_COLUMNS.items() if name in SCHOOL_KEY},
    "task": "task label (by='task' only)",
    "level": "task level Б/П/В (null where the source gives none; by='level' drops those rows)",
    "participants": "participants who have the task (by='task') or any task of the level (by='level')",
    "score_sum": "sum of scores, a null score («X», «-») counted as 0",
    "max_score_sum": "sum of the maximum scores of the same rows",
    "completion_pct": "100 × score_sum / max_score_sum",
}


# --- pupil results -----------------------------------------------------------------------------------


def school_indicators(results: Frame, *, settings: IndicatorSettings = DEFAULT_SETTINGS) -> pl.LazyFrame:
    """Indicators per school × assessment from pupil results (columns: `SCHOOL_INDICATOR_COLUMNS`).

    Marks are counted over pupils with a mark, the below-minimum share over pupils whose status is known
    (given, or mark «2» where not given), the journal comparison over pupils with both marks.

    >>> pupils = pl.DataFrame({"year": 2025, "procedure": "ВПР", "subject": "Математика", "grade": 5,
    ...     "school_id": "edu1", "participant": ["1", "2", "3", "4"], "mark": [2, 3, 4, 5]})
    >>> school_indicators(pupils).select("participants", "pass_pct", "quality_pct").collect().row(0)
    (4, 75.0, 50.0)
    """
    return (
        validate_frame(results.lazy(), "pupil_results", check_values=False)
        .pipe(_count_pupils, settings)
        .with_columns(pass_count=pl.col("marks_n") - pl.col("mark_2_count"))
        .with_columns(quality_count=pl.col("mark_4_count") + pl.col("mark_5_count"))
        .pipe(_finish, source="pupils", settings=settings)
    )


def _count_pupils(results: pl.LazyFrame, settings: IndicatorSettings) -> pl.LazyFrame:
    """One group-by over the pupil rows: every count and mean the indicators need."""
    mark = pl.col("mark")
    test_score = pl.col("test_score")
    below_minimum = pl.coalesce(pl.col("below_minimum"), mark == 2)
    max_score = pl.col("max_primary_score")
    pct_of_max = pl.when(max_score > 0).then(100.0 * pl.col("primary_score") / max_score)
    # Null unless both marks are there, so each count below is over participants with both marks.
    gap = mark.cast(pl.Int16) - pl.col("journal_mark").cast(pl.Int16)
    return results.group_by(SCHOOL_KEY).agg(
        participants=pl.len(),
        marks_n=mark.count(),
        mean_mark=mark.mean(),
        **{f"mark_{value}_count": (mark == value).sum() for value in (2, 3, 4, 5)},
        primary_score_n=pl.col("primary_score").count(),
        mean_primary_score=pl.col("primary_score").mean(),
        # Each pupil's % is an inexact float: summed as integers so that a rerun gives the same bits.
        mean_pct_of_max=pl.when(pct_of_max.count() > 0).then(exact_sum(pct_of_max) / pct_of_max.count()),
        below_min_n=below_minimum.count(),
        below_min_count=below_minimum.sum(),
        test_score_n=test_score.count(),
        mean_test_score=test_score.mean(),
        high_score_count=(test_score >= settings.high_score_min).sum(),
        journal_n=gap.count(),
        lowered_count=(gap < 0).sum(),
        confirmed_count=(gap == 0).sum(),
        raised_count=(gap > 0).sum(),
        differ_2plus_count=(gap.abs() >= settings.journal_gap).sum(),
    )


def _finish(counts: pl.LazyFrame, *, source: str, settings: IndicatorSettings) -> pl.LazyFrame:
    """Counts → shares with Wilson intervals, the tier, and the canonical columns in order."""
    counts = counts.with_columns(
        pl.col(name).cast(pl.Int64) for name in _COLUMNS if name.endswith(("_count", "_n"))
    )
    # A count over an empty base (no ЕГЭ scores in a ВПР, no journal marks) is "not given", not zero.
    counts = counts.with_columns(
        pl.when(pl.col(base) > 0).then(pl.col(f"{name}_count")).alias(f"{name}_count")
        for name, (_, base) in PROPORTIONS.items()
    )
    return counts.with_columns(
        *[
            expr
            for name, (_, base) in PROPORTIONS.items()
            for expr in proportion_exprs(name, f"{name}_count", base, confidence=settings.confidence)
        ],
        participants=pl.col("participants").cast(pl.Int64),
        sample_tier=sample_tier("participants", settings.tiers),
        source=pl.lit(source),
    ).select(pl.col(name).cast(dtype) for name, dtype in SCHOOL_INDICATORS_SCHEMA.items())


# --- school aggregates -------------------------------------------------------------------------------


def aggregate_indicators(
    aggregates: Frame, *, settings: IndicatorSettings = DEFAULT_SETTINGS
) -> pl.LazyFrame:
    """The `school_indicators` columns from published school aggregates (source = 'aggregates').

    Counts are reconstructed as round(share × N / 100); shares and intervals are then recomputed from them,
    so they may differ from the published shares by their rounding. The journal comparison is taken over
    all participants (aggregates do not say how many had a journal mark). What aggregates cannot give
    (mean % of maximum, marks differing by 2+) is null.
    """
    n = pl.col("participants").cast(pl.Int64)

    def count_of(share: str) -> pl.Expr:
        # Clipped to [0, N]: a published share can be off by its rounding, never by more than N.
        return (pl.col(share) * n / 100.0).round().cast(pl.Int64).clip(0, n)

    def n_if_any(*columns: str) -> pl.Expr:
        return pl.when(pl.any_horizontal(pl.col(columns).is_not_null())).then(n)

    high_scores = ("score_80_99_count", "score_100_count")
    journal = ("share_lowered", "share_confirmed", "share_raised")
    return (
        validate_frame(aggregates.lazy(), "school_aggregates", check_values=False)
        .with_columns(
            **{f"mark_{value}_count": count_of(f"share_{value}") for value in (2, 3, 4, 5)},
            marks_n=n_if_any("share_2", "share_3", "share_4", "share_5"),
            below_min_count=pl.coalesce(
                pl.col("below_minimum_count").cast(pl.Int64), count_of("below_minimum_share")
            ),
            high_score_count=pl.when(pl.any_horizontal(pl.col(high_scores).is_not_null())).then(
                pl.sum_horizontal(high_scores).cast(pl.Int64)
            ),
            test_score_n=n_if_any("mean_test_score", *high_scores),
            primary_score_n=n_if_any("mean_primary_score"),
            journal_n=n_if_any(*journal),
            lowered_count=count_of("share_lowered"),
            confirmed_count=count_of("share_confirmed"),
            raised_count=count_of("share_raised"),
            differ_2plus_count=pl.lit(None, pl.Int64),
            mean_pct_of_max=pl.lit(None, pl.Float64),
        )
        .with_columns(
            pass_count=pl.col("marks_n") - pl.col("mark_2_count"),
            quality_count=(pl.col("mark_4_count") + pl.col("mark_5_count")).clip(0, n),
            below_min_n=pl.when(pl.col("below_min_count").is_not_null()).then(n),
        )
        .pipe(_finish, source="aggregates", settings=settings)
    )


# --- task completion ---------------------------------------------------------------------------------

CompletionBy = Literal["task", "level"]
Area = Literal["municipality", "region"]


def task_completion(
    task_scores: Frame, *, by: CompletionBy = "task", count_participants: bool = True
) -> pl.LazyFrame:
    """Completion % per school × assessment × task (by="task") or × level Б/П/В (by="level").

    completion = 100 × Σ score / Σ max_score over the rows of the group. A null score (task not attempted,
    «X» or «-») counts as 0 with its maximum counted, as ФИС ОКО does: leaving a task blank is not doing
    it. A pupil absent from the work has no rows and does not count. Columns: `TASK_COMPLETION_COLUMNS`.

    By level, `participants` is a distinct count of the participants over the rows of the group, which on a
    country's task rows costs as much as the sums: `count_participants=False` leaves the column out, for a
    caller that takes the participants of the work from the pupil rows instead (`tables.identify_inputs`).

    >>> tasks = pl.DataFrame({"year": 2025, "procedure": "ВПР", "subject": "Математика", "grade": 5,
    ...     "school_id": "edu1", "participant": ["1", "2"], "task": "1", "score": [2.0, None],
    ...     "max_score": 2.0})
    >>> task_completion(tasks).select("participants", "completion_pct").collect().row(0)
    (2, 50.0)
    """
    if by not in ("task", "level"):
        raise ValueError(f"by must be 'task' or 'level', got {by!r}")
    tasks = validate_frame(task_scores.lazy(), "task_scores", check_values=False)
    if by == "task":
        groups = [*SCHOOL_KEY, "task", "level"]
        participants = pl.len()
    else:
        tasks = tasks.filter(pl.col("level").is_not_null())
        groups = [*SCHOOL_KEY, "level"]
        participants = pl.col("participant").n_unique()
    counted = [participants.cast(pl.Int64).alias("participants")] if count_participants else []
    return (
        tasks.group_by(groups)
        .agg(
            *counted,
            score_sum=pl.col("score").fill_null(0.0).sum(),
            max_score_sum=pl.col("max_score").sum(),
        )
        .with_columns(completion_pct=_completion(pl.col("score_sum"), pl.col("max_score_sum")))
    )


def _completion(score_sum: pl.Expr, max_score_sum: pl.Expr) -> pl.Expr:
    return pl.when(max_score_sum > 0).then(100.0 * score_sum / max_score_sum)


def _unit(completion: pl.LazyFrame) -> list[str]:
    """The task or level columns that, with the assessment, identify a completion row."""
    return ["task", "level"] if "task" in completion.collect_schema() else ["level"]


def area_task_completion(completion: Frame, areas: Frame, *, area: Area = "municipality") -> pl.LazyFrame:
    """Completion per municipality (or region) × assessment × task/level from `task_completion` output.

    Pooled over the area's pupils (Σ scores / Σ maxima, not a mean of school percents), as ФИС ОКО
    reports a region. `areas` follows the `school_areas` schema; schools not in it are left out. Without
    `region_id` the whole input is one region (region_id null). Columns: the assessment key, `<area>_id`,
    task/level, schools, participants, score_sum, max_score_sum, completion_pct.
    """
    area_id = _area_id(area)
    schools = completion.lazy()
    return (
        schools.join(
            validate_frame(areas.lazy(), "school_areas", check_values=False),
            on="school_id",
            how="inner",
            validate="m:1",
        )
        .group_by([*ASSESSMENT_KEY, area_id, *_unit(schools)])
        .agg(
            schools=pl.len().cast(pl.Int64),
            participants=pl.col("participants").sum(),
            score_sum=pl.col("score_sum").sum(),
            max_score_sum=pl.col("max_score_sum").sum(),
        )
        .with_columns(completion_pct=_completion(pl.col("score_sum"), pl.col("max_score_sum")))
    )


def _area_id(area: Area) -> str:
    if area not in ("municipality", "region"):
        raise ValueError(f"area must be 'municipality' or 'region', got {area!r}")
    return f"{area}_id"


def compare_task_completion(completion: Frame, areas: Frame) -> pl.LazyFrame:
    """`task_completion` rows with the school's municipality and region beside them.

    Adds municipality_id, region_id, municipality_participants, municipality_completion_pct,
    region_participants, region_completion_pct and the differences in percentage points
    vs_municipality_pp and vs_region_pp (school − area). Areas are pooled as in `area_task_completion`
    and include the school itself. A school missing from `areas` keeps its row with null area columns.
    """
    schools = completion.lazy()
    unit = _unit(schools)
    mapping = validate_frame(areas.lazy(), "school_areas", check_values=False)
    mapped = pl.col("_mapped").fill_null(False)

    def pooled(column: str, keys: list[str]) -> pl.Expr:
        # Unmapped schools add nothing: with region_id absent they share its null key with the region.
        return pl.when(mapped).then(pl.col(column)).sum().over(keys)

    area_columns: list[pl.Expr] = []
    for area in ("municipality", "region"):
        # A window over the school rows, not a group-by joined back: 3× faster on a country's rows.
        keys = [*ASSESSMENT_KEY, f"{area}_id", *unit]
        completion_pct = _completion(pooled("score_sum", keys), pooled("max_score_sum", keys))
        area_columns += [
            pl.when(mapped).then(pooled("participants", keys)).alias(f"{area}_participants"),
            pl.when(mapped).then(completion_pct).alias(f"{area}_completion_pct"),
        ]
    return (
        schools.join(mapping.with_columns(_mapped=pl.lit(True)), on="school_id", how="left", validate="m:1")
        .with_columns(area_columns)
        .with_columns(
            vs_municipality_pp=pl.col("completion_pct") - pl.col("municipality_completion_pct"),
            vs_region_pp=pl.col("completion_pct") - pl.col("region_completion_pct"),
        )
        .drop("_mapped")
    )
