"""From the canonical tidy tables to the inputs of `identify`: what a web run reads from its database, a
command-line run computes here from files.

`identify_inputs` takes the canonical tables (any may be absent except the areas) and returns
`IdentifyInputs`: indicators from pupil results and published aggregates (pupil-level wins where both
exist for the same school and assessment), completion by task level with the municipality's and region's,
and the pupils' primary scores and marks.
"""

from __future__ import annotations

import polars as pl

from analytics.identify import IdentifyInputs
from analytics.indicators import (
    SCHOOL_INDICATORS_SCHEMA,
    SCHOOL_KEY,
    aggregate_indicators,
    compare_task_completion,
    school_indicators,
    task_completion,
)
from analytics.schema import SCHEMAS, validate_frame

__all__ = ["LEVEL_COMPLETION_COLUMNS", "PUPIL_MARK_COLUMNS", "identify_inputs", "level_completion"]

Frame = pl.DataFrame | pl.LazyFrame

LEVEL_COMPLETION_COLUMNS = (
    *SCHOOL_KEY,
    "level",
    "participants",
    "completion_pct",
    "municipality_completion_pct",
    "region_completion_pct",
)
PUPIL_MARK_COLUMNS = (*SCHOOL_KEY, "participant", "primary_score", "mark")


def _empty(name: str) -> pl.LazyFrame:
    return pl.LazyFrame(schema=SCHEMAS[name].polars_schema)


def identify_inputs(
    *,
    areas: Frame,
    pupil_results: Frame | None = None,
    task_scores: Frame | None = None,
    school_aggregates: Frame | None = None,
    context: Frame | None = None,
    year: int | None = None,
    check_values: bool = True,
) -> IdentifyInputs:
    """Everything `identify` reads, computed from the canonical tables (validated on the way in).

    With `year` (the year of identification), the per-task and per-pupil inputs that only the year itself
    needs — completion by level and the pupils' marks, read by the signs of non-objective results — are
    computed for that year only: on a country's 500 million task rows, every year would not fit in memory.
    `check_values=False` skips the value checks of `validate_frame` (domains, duplicate keys), keeping the
    column and type checks: for files already checked once (`opora-analytics validate`), since the
    duplicate-key check of a country's task rows needs a hash table of every key.
    """

    def checked(frame: Frame | None, name: str) -> pl.LazyFrame:
        if frame is None:
            return _empty(name)
        return validate_frame(frame.lazy(), name, check_values=check_values)

    pupils = checked(pupil_results, "pupil_results")
    aggregates = checked(school_aggregates, "school_aggregates")
    tasks = checked(task_scores, "task_scores")
    if year is not None:
        tasks = tasks.filter(pl.col("year") == year)
    school_areas = checked(areas, "school_areas").collect()
    pupil_indicators = school_indicators(pupils)
    marked = pl.col("primary_score").is_not_null() & pl.col("mark").is_not_null()
    # Collected together: the engine runs the three queries at once and computes their shared part (the
    # pupils' indicators) once.
    from_pupils, levels, marks = pl.collect_all(
        [
            pupil_indicators,
            level_completion(tasks, school_areas, None if pupil_results is None else pupil_indicators),
            pupils.filter(marked & (pl.col("year") == year) if year is not None else marked)
            .select(PUPIL_MARK_COLUMNS)
            .with_columns(pl.col("procedure").cast(pl.String)),
        ]
    )
    from_aggregates = (
        aggregate_indicators(aggregates)
        .collect()
        .join(from_pupils.select(SCHOOL_KEY), on=list(SCHOOL_KEY), how="anti")
    )
    indicators = pl.concat(
        [
            from_pupils.cast(SCHOOL_INDICATORS_SCHEMA),
            from_aggregates.cast(SCHOOL_INDICATORS_SCHEMA),
        ],
        how="vertical",
    )
    context_frame = checked(context, "school_context").collect()
    return IdentifyInputs(
        indicators=indicators,
        context=context_frame,
        pupil_marks=marks,
        level_completion=levels,
        areas=school_areas,
    )


def level_completion(
    tasks: pl.LazyFrame, areas: pl.DataFrame, pupil_indicators: pl.LazyFrame | None
) -> pl.LazyFrame:
    """Completion by task level with the municipality's and region's (`LEVEL_COMPLETION_COLUMNS`).

    With `pupil_indicators`, each level's participants are those of the work, counted from the pupil rows
    (every participant of a work has a row for each of its tasks, a blank one with a null score): a
    distinct count over a country's task rows costs as much as the sums themselves. A school × assessment
    with task rows but no pupil rows then has no participants. Without pupil rows (None), the participants
    are the distinct count over the task rows.
    """
    if pupil_indicators is None:
        sums = task_completion(tasks, by="level")
    else:
        sums = task_completion(tasks, by="level", count_participants=False).join(
            pupil_indicators.select(*SCHOOL_KEY, "participants"), on=list(SCHOOL_KEY), how="left"
        )
    return (
        compare_task_completion(sums, areas)
        .select(LEVEL_COMPLETION_COLUMNS)
        .with_columns(pl.col("procedure").cast(pl.String))
    )
