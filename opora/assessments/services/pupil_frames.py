"""The pupil rows of whole assessments as Polars frames for the indicators: read with raw queries, or taken
from the rows a batch wrote itself."""

from collections.abc import Iterable
from typing import Any

import polars as pl
from django.db import connection

from opora.assessments.models import Assessment, PupilResult, SchoolAssessment, Task
from opora.registry.models import School

_PUPIL_SCHEMA: dict[str, Any] = {
    "assessment_id": pl.Int64,
    "school": pl.Int64,
    "participant": pl.String,
    "variant": pl.String,
    "primary_score": pl.Float64,
    "mark": pl.Int8,
    "journal_mark": pl.Int8,
    "test_score": pl.Float64,
    "below_minimum": pl.Boolean,
    "achievement_level": pl.String,
    "completion_pct": pl.Float64,
    "scores": pl.String,
}


def pupil_rows(
    assessment_ids: list[int], written: dict[int, list[tuple[Any, ...]]] | None = None
) -> list[tuple[Any, ...]]:
    """The pupil rows of the assessments in _PUPIL_SCHEMA's columns, with raw queries.

    Decimals come as floats and task_scores as its JSON text: Python builds no Decimal and decodes no JSON
    per row (that was most of the recompute through the ORM); Polars decodes the lists in one pass. A blank
    achievement level (every ВПР row) comes as NULL.

    `written` (school assessment id → the `PUPIL_RESULT_COLUMNS` rows `pupil_results_insert` wrote for it
    in this block) saves reading those rows back: a school assessment's rows are taken from it when the
    database holds as many rows for it as were written. Only committed rows are kept (a job rolled back
    adds none); a replacement in the block (rows deleted and written again) leaves the counts different,
    and those rows are read from the database. Not seen: rows changed another way to the same count (an
    UPDATE in place, a delete and a rewrite outside `pupil_results_insert`), which no import does.
    """
    quote = connection.ops.quote_name
    pupils = quote(PupilResult._meta.db_table)
    school_results = quote(SchoolAssessment._meta.db_table)
    if connection.vendor == "postgresql":
        real, scores = "float8", "p.task_scores::text"
    else:  # SQLite keeps JSON as text
        real, scores = "real", "p.task_scores"
    select = (
        f"SELECT s.assessment_id, s.school_id, p.participant_code, p.variant, "
        f"CAST(p.primary_score AS {real}), p.mark, p.journal_mark, CAST(p.test_score AS {real}), "
        f"p.below_minimum, NULLIF(p.achievement_level, ''), CAST(p.completion_pct AS {real}), {scores} "
        f"FROM {pupils} p JOIN {school_results} s ON s.id = p.school_assessment_id "
    )
    with connection.cursor() as cursor:
        if not written:
            cursor.execute(f"{select} WHERE {_of_assessments(assessment_ids)}", assessment_ids)
            return cursor.fetchall()
        found: list[tuple[Any, ...]] = []
        unknown: dict[int, list[int]] = {}  # assessment → its school assessments to read back
        with_known: set[int] = set()  # assessments with school assessments taken from `written`
        for school_assessment, (assessment, school, count) in pupil_counts(assessment_ids).items():
            rows = written.get(school_assessment)
            if rows is not None and len(rows) == count:
                found.extend(as_read(assessment, school, row) for row in rows)
                with_known.add(assessment)
            else:
                unknown.setdefault(assessment, []).append(school_assessment)
        # An assessment the batch wrote nothing of (or nothing usable) is read whole, in one query.
        whole = [assessment for assessment in unknown if assessment not in with_known]
        if whole:
            cursor.execute(f"{select} WHERE {_of_assessments(whole)}", whole)
            found.extend(cursor.fetchall())
        partly = [sa for assessment, sas in unknown.items() if assessment in with_known for sa in sas]
        for start in range(0, len(partly), READ_BATCH):
            batch = partly[start : start + READ_BATCH]
            cursor.execute(
                f"{select} WHERE p.school_assessment_id IN ({', '.join(['%s'] * len(batch))})", batch
            )
            found.extend(cursor.fetchall())
    return found


def pupil_counts(assessment_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """School assessment → (assessment, school, pupil rows) for the school assessments of the assessments
    that hold pupil rows."""
    quote = connection.ops.quote_name
    pupils = quote(PupilResult._meta.db_table)
    school_results = quote(SchoolAssessment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.school_assessment_id, s.assessment_id, s.school_id, COUNT(*) "
            f"FROM {pupils} p JOIN {school_results} s ON s.id = p.school_assessment_id "
            f"WHERE {_of_assessments(assessment_ids)} "
            f"GROUP BY p.school_assessment_id, s.assessment_id, s.school_id",
            assessment_ids,
        )
        return {sa: (assessment, school, count) for sa, assessment, school, count in cursor.fetchall()}


def _of_assessments(assessment_ids: list[int]) -> str:
    return f"s.assessment_id IN ({', '.join(['%s'] * len(assessment_ids))})"


#: Ids per query when rows are read by school assessment (under SQLite's and PostgreSQL's limits on
#: parameters).
READ_BATCH = 900


def as_read(assessment: int, school: int, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A `PUPIL_RESULT_COLUMNS` row as `pupil_rows`' query reads it back (decimals as floats, a blank
    achievement level as None)."""
    (_, code, _, variant, scores, primary, mark, journal, test, below, level, completion) = row
    return (
        assessment,
        school,
        code,
        variant,
        None if primary is None else float(primary),
        mark,
        journal,
        None if test is None else float(test),
        below,
        level or None,
        None if completion is None else float(completion),
        scores,
    )


def assessments_of(assessment_ids: Iterable[int]) -> dict[int, Assessment]:
    """The assessments by id, with the procedure and subject `frames_build` reads."""
    found = Assessment.objects.filter(pk__in=list(assessment_ids)).select_related("procedure", "subject")
    return {a.pk: a for a in found}


def school_areas(school_ids: Iterable[int]) -> list[tuple[int, int, int]]:
    """(school pk, municipality pk, region pk) of the schools, as `indicator_rows` compares them."""
    return list(
        School.objects.filter(pk__in=list(school_ids)).values_list(
            "pk", "municipality_id", "municipality__region_id"
        )
    )


def pupil_frames(
    assessments: dict[int, Assessment], written: dict[int, list[tuple[Any, ...]]] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pupil results and long task scores of the assessments, keyed by assessment id and school pk
    (`written`: see `pupil_rows`)."""
    return frames_build(assessments, pupil_rows(list(assessments), written), task_rows(assessments))


def task_rows(assessments: dict[int, Assessment]) -> list[tuple[Any, ...]]:
    """The tasks of the assessments as `frames_build` takes them."""
    return list(
        Task.objects.filter(assessment_id__in=assessments).values_list(
            "assessment_id", "position", "label", "max_score", "level"
        )
    )


def frames_build(
    assessments: dict[int, Assessment], rows: list[tuple[Any, ...]], tasks: list[tuple[Any, ...]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The frames of `pupil_frames` from pupil rows as `pupil_rows` reads them and the tasks' rows, with no
    query: `assessments` must come with their procedure and subject."""
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * len(_PUPIL_SCHEMA)
    frame = pl.DataFrame(
        {
            name: pl.Series(name, values, dtype=pl.Int64 if dtype == pl.Boolean else dtype, strict=False)
            for (name, dtype), values in zip(_PUPIL_SCHEMA.items(), columns, strict=True)
        }
    ).with_columns(
        below_minimum=pl.col("below_minimum").cast(pl.Boolean),
        scores=pl.col("scores").str.json_decode(pl.List(pl.Float64)),
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
    task_frame = pl.DataFrame(
        tasks,
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
        .join(task_frame, on=["assessment_id", "position"])
    )
    return frame.drop("scores"), task_scores
