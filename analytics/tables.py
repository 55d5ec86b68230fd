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

__all__ = ["LEVEL_COMPLETION_COLUMNS", "PUPIL_MARK_COLUMNS", "identify_inputs"]

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
) -> IdentifyInputs:
    """Everything `identify` reads, computed from the canonical tables (validated on the way in)."""
    pupils = (
        validate_frame(pupil_results.lazy(), "pupil_results")
        if pupil_results is not None
        else _empty("pupil_results")
    )
    aggregates = (
        validate_frame(school_aggregates.lazy(), "school_aggregates")
        if school_aggregates is not None
        else _empty("school_aggregates")
    )
    tasks = (
        validate_frame(task_scores.lazy(), "task_scores")
        if task_scores is not None
        else _empty("task_scores")
    )
    school_areas = validate_frame(areas.lazy(), "school_areas").collect()
    from_pupils = school_indicators(pupils).collect()
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
    levels = (
        compare_task_completion(task_completion(tasks, by="level"), school_areas)
        .select(LEVEL_COMPLETION_COLUMNS)
        .with_columns(pl.col("procedure").cast(pl.String))
        .collect()
    )
    marks = (
        pupils.filter(pl.col("primary_score").is_not_null() & pl.col("mark").is_not_null())
        .select(PUPIL_MARK_COLUMNS)
        .with_columns(pl.col("procedure").cast(pl.String))
        .collect()
    )
    context_frame = (
        validate_frame(context.lazy(), "school_context").collect()
        if context is not None
        else _empty("school_context").collect()
    )
    return IdentifyInputs(
        indicators=indicators,
        context=context_frame,
        pupil_marks=marks,
        level_completion=levels,
        areas=school_areas,
    )
