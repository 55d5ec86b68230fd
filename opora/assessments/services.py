"""Writes of assessment data that are not imports: recomputing the stored school indicators."""

from collections.abc import Iterable
from typing import Any

import polars as pl
from django.db import transaction

from analytics.indicators import compare_task_completion, school_indicators, task_completion
from opora.assessments.models import Assessment, PupilResult, SchoolIndicator, Task
from opora.registry.models import School

_HEADLINE = (
    "participants",
    "sample_tier",
    "mark_2_pct",
    "mark_2_ci_low",
    "mark_2_ci_high",
    "below_min_pct",
    "pass_pct",
    "quality_pct",
    "mean_primary_score",
    "mean_pct_of_max",
    "mean_test_score",
)
_LEVEL_ORDER = {"Б": 0, "П": 1, "В": 2}
_TASK_FIELDS = (
    "task",
    "level",
    "participants",
    "completion_pct",
    "municipality_completion_pct",
    "region_completion_pct",
)


def _pupil_frames(assessments: dict[int, Assessment]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pupil results and long task scores of the assessments, keyed by assessment id and school pk."""
    rows = PupilResult.objects.filter(school_assessment__assessment_id__in=assessments).values_list(
        "school_assessment__assessment_id",
        "school_assessment__school_id",
        "participant_code",
        "variant",
        "primary_score",
        "mark",
        "journal_mark",
        "test_score",
        "below_minimum",
        "task_scores",
    )
    columns = ["assessment_id", "school", "participant", "variant", "primary_score", "mark", "journal_mark"]
    columns += ["test_score", "below_minimum", "scores"]
    frame = pl.DataFrame(
        list(rows),
        schema={
            "assessment_id": pl.Int64,
            "school": pl.Int64,
            "participant": pl.String,
            "variant": pl.String,
            "primary_score": pl.Float64,
            "mark": pl.Int8,
            "journal_mark": pl.Int8,
            "test_score": pl.Float64,
            "below_minimum": pl.Boolean,
            "scores": pl.List(pl.Float64),
        },
        orient="row",
    )
    keys = pl.DataFrame(
        [
            (a.pk, a.year, a.procedure.code, a.subject.name, a.grade, float(a.max_primary_score or 0) or None)
            for a in assessments.values()
        ],
        schema={
            "assessment_id": pl.Int64,
            "year": pl.Int16,
            "procedure": pl.String,
            "subject": pl.String,
            "grade": pl.Int8,
            "max_primary_score": pl.Float64,
        },
        orient="row",
    )
    frame = frame.join(keys, on="assessment_id").with_columns(
        school_id=pl.col("school").cast(pl.String), procedure=pl.col("procedure").cast(pl.Categorical)
    )
    tasks = pl.DataFrame(
        list(
            Task.objects.filter(assessment_id__in=assessments).values_list(
                "assessment_id", "position", "label", "max_score", "level"
            )
        ),
        schema={
            "assessment_id": pl.Int64,
            "position": pl.Int64,
            "task": pl.String,
            "max_score": pl.Float64,
            "level": pl.String,
        },
        orient="row",
    ).with_columns(level=pl.when(pl.col("level") == "").then(None).otherwise(pl.col("level")))
    # Scores are stored in Task.position order (1-based); explode them into one row per pupil and task.
    task_scores = (
        frame.select(*(c for c in frame.columns if c != "scores"), score=pl.col("scores"))
        .with_columns(position=pl.int_ranges(1, pl.col("score").list.len() + 1))
        .explode("score", "position")
        .join(tasks, on=["assessment_id", "position"])
    )
    return frame.drop("scores"), task_scores


def _completion_by_school(
    completion: pl.DataFrame, fields: tuple[str, ...]
) -> dict[tuple[str, int], list[Any]]:
    found: dict[tuple[str, int], list[Any]] = {}
    if "task" in completion.columns:
        ordered = completion.sort("task")
    else:  # by difficulty, not alphabet: Б, П, В
        ordered = completion.sort(pl.col("level").replace_strict(_LEVEL_ORDER, default=len(_LEVEL_ORDER)))
    for row in ordered.iter_rows(named=True):
        key = (row["school_id"], row["assessment_id"])
        found.setdefault(key, []).append({f: row.get(f) for f in fields if f in row})
    return found


def school_indicators_recompute(*, assessment_ids: Iterable[int]) -> int:
    """Recompute and store the indicators of every school in these assessments; returns the rows written.

    Whole assessments are recomputed because a school's task completion is compared with its
    municipality and region, which every school of the assessment changes.
    """
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=list(assessment_ids)).select_related("procedure", "subject")
    }
    if not assessments:
        return 0
    pupils, task_scores = _pupil_frames(assessments)
    key = ["year", "procedure", "subject", "grade"]
    ids = pupils.select(*key, "assessment_id").unique(subset=key)
    indicators = school_indicators(pupils.drop("assessment_id", "school")).collect().join(ids, on=key)
    schools = list(
        School.objects.filter(pk__in=pupils["school"].unique().to_list()).values_list(
            "pk", "municipality_id", "municipality__region_id"
        )
    )
    areas = pl.DataFrame(
        [(str(pk), str(m), str(r)) for pk, m, r in schools],
        schema={"school_id": pl.String, "municipality_id": pl.String, "region_id": pl.String},
        orient="row",
    )
    task_long = task_scores.drop("assessment_id", "school", "position")
    by_task = (
        compare_task_completion(task_completion(task_long, by="task"), areas).collect().join(ids, on=key)
    )
    by_level = (
        compare_task_completion(task_completion(task_long, by="level"), areas).collect().join(ids, on=key)
    )
    tasks = _completion_by_school(by_task, _TASK_FIELDS)
    levels = _completion_by_school(by_level, tuple(f for f in _TASK_FIELDS if f != "task"))
    rows = [
        SchoolIndicator(
            assessment_id=row["assessment_id"],
            school_id=int(row["school_id"]),
            source=SchoolIndicator.Source.PUPILS,
            **{field: row[field] for field in _HEADLINE},
            values={k: (str(v) if k == "procedure" else v) for k, v in row.items()},
            tasks=tasks.get((row["school_id"], row["assessment_id"]), []),
            levels=levels.get((row["school_id"], row["assessment_id"]), []),
        )
        for row in indicators.iter_rows(named=True)
    ]
    with transaction.atomic():
        SchoolIndicator.objects.filter(
            assessment_id__in=assessments, source=SchoolIndicator.Source.PUPILS
        ).delete()
        SchoolIndicator.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
