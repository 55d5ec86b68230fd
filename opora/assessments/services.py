"""Writes of assessment data shared by every importer: pupil rows written in bulk, and the stored school
indicators recomputed (now, or once at the end of a batch of imports)."""

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import connection, models, transaction
from django.utils import timezone

from analytics.achievement import achievement_indicators
from analytics.indicators import compare_task_completion, school_indicators, task_completion
from analytics.schema import ASSESSMENT_KEY
from opora.accounts.models import User
from opora.assessments.models import (
    Assessment,
    Procedure,
    PupilResult,
    SchoolAssessment,
    SchoolIndicator,
    Task,
)
from opora.core.collection import with_gc_paused
from opora.core.services import audit_event_create
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


#: The columns of `pupil_results_insert`'s rows, in order; task_scores as JSON text (json.dumps), as
#: JSONField sends it.
PUPIL_RESULT_COLUMNS = (
    "school_assessment_id",
    "participant_code",
    "class_name",
    "variant",
    "task_scores",
    "primary_score",
    "mark",
    "journal_mark",
    "test_score",
    "below_minimum",
    "achievement_level",
    "completion_pct",
)
INSERT_BATCH = 2000


def pupil_results_insert(rows: list[tuple[Any, ...]]) -> None:
    """Write pupil rows (`PUPIL_RESULT_COLUMNS` order) in the caller's transaction (`rows_insert`), and
    keep them for the recompute at the end of an enclosing `school_indicators_deferred()` block."""
    rows_insert(PupilResult, PUPIL_RESULT_COLUMNS, rows)
    written = _written.get()
    if written is not None:
        # Kept once the job's transaction commits: rows rolled back must never stand for the database's.
        transaction.on_commit(lambda: written.add(rows))


def rows_insert(model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Write rows of `model` (values in the database's form, in `columns` order) in the caller's
    transaction, by the database's fastest path.

    PostgreSQL: one COPY (measured on 120,000 pupil rows: 4 s, against 19-42 s for executemany and 80 s
    for multi-row INSERTs of 2,000 rows through the client-side binding cursor Django uses; a binary COPY
    gained nothing: the server's parsing of the jsonb scores is most of it). SQLite: executemany, which
    sqlite3 runs in C with one prepared statement. The values must be the ones bulk_create would send: JSON
    as the text json.dumps gives (PostgreSQL parses it as jsonb), date-times through
    `connection.ops.adapt_datetimefield_value`.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])


# Inside school_indicators_deferred(): the assessments whose indicators the commits made stale, and the
# pupil rows the block wrote by school assessment (`PUPIL_RESULT_COLUMNS` tuples), so that the recompute
# at its end reads back from the database only the rows it did not write itself.
_deferred: ContextVar[set[int] | None] = ContextVar("school_indicators_deferred", default=None)
_written: ContextVar["_Written | None"] = ContextVar("school_indicators_written", default=None)

#: Pupil rows a batch keeps for its recompute; past this many it keeps none (the recompute reads them all
#: back, with the same result), so that a folder of a whole region does not hold every row in memory.
WRITTEN_LIMIT = 500_000


@dataclass
class _Written:
    """The committed pupil rows of a `school_indicators_deferred()` block, by school assessment."""

    rows: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    count: int = 0

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        self.count += len(rows)
        if self.count > WRITTEN_LIMIT:
            self.rows.clear()
            return
        for row in rows:
            self.rows.setdefault(row[0], []).append(row)


@contextmanager
def school_indicators_deferred() -> Iterator[set[int]]:
    """Commits inside the block leave the pupil-level indicators to its end, which recomputes each
    assessment once.

    For a run of many jobs (a CLI over a folder): recomputing whole assessments after every file costs
    O(files²). The recompute runs even when the block fails, for the jobs already committed; between a
    commit and the end of the block the stored indicators of its assessments lag behind its results.
    """
    outer = _deferred.get()
    if outer is not None:  # nested: the outer block recomputes
        yield outer
        return
    stale: set[int] = set()
    written = _Written()
    token, written_token = _deferred.set(stale), _written.set(written)
    try:
        yield stale
    finally:
        _deferred.reset(token)
        _written.reset(written_token)
        if stale:
            school_indicators_recompute(assessment_ids=sorted(stale), written=written.rows)


def school_indicators_stale(*, assessment_ids: Iterable[int]) -> None:
    """The pupil results of these assessments changed: recompute their indicators now (in the caller's
    transaction), or at the end of the enclosing `school_indicators_deferred()` block."""
    deferred = _deferred.get()
    if deferred is not None:
        deferred.update(assessment_ids)
    else:
        school_indicators_recompute(assessment_ids=assessment_ids)


def _pupil_rows(
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
    of_assessments = f"s.assessment_id IN ({', '.join(['%s'] * len(assessment_ids))})"
    with connection.cursor() as cursor:
        if not written:
            cursor.execute(f"{select} WHERE {of_assessments}", assessment_ids)
            return cursor.fetchall()
        cursor.execute(
            f"SELECT p.school_assessment_id, s.assessment_id, s.school_id, COUNT(*) "
            f"FROM {pupils} p JOIN {school_results} s ON s.id = p.school_assessment_id "
            f"WHERE {of_assessments} GROUP BY p.school_assessment_id, s.assessment_id, s.school_id",
            assessment_ids,
        )
        found: list[tuple[Any, ...]] = []
        unknown: dict[int, list[int]] = {}  # assessment → its school assessments to read back
        with_known: set[int] = set()  # assessments with school assessments taken from `written`
        for school_assessment, assessment, school, count in cursor.fetchall():
            rows = written.get(school_assessment)
            if rows is not None and len(rows) == count:
                found.extend(_as_read(assessment, school, row) for row in rows)
                with_known.add(assessment)
            else:
                unknown.setdefault(assessment, []).append(school_assessment)
        # An assessment the batch wrote nothing of (or nothing usable) is read whole, in one query.
        whole = [assessment for assessment in unknown if assessment not in with_known]
        if whole:
            cursor.execute(f"{select} WHERE s.assessment_id IN ({', '.join(['%s'] * len(whole))})", whole)
            found.extend(cursor.fetchall())
        partly = [sa for assessment, sas in unknown.items() if assessment in with_known for sa in sas]
        for start in range(0, len(partly), _READ_BATCH):
            batch = partly[start : start + _READ_BATCH]
            cursor.execute(
                f"{select} WHERE p.school_assessment_id IN ({', '.join(['%s'] * len(batch))})", batch
            )
            found.extend(cursor.fetchall())
    return found


#: School assessments per query when rows are read back by school assessment (under SQLite's and
#: PostgreSQL's limits on parameters).
_READ_BATCH = 900


def _as_read(assessment: int, school: int, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A `PUPIL_RESULT_COLUMNS` row as `_pupil_rows`' query reads it back (decimals as floats, a blank
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


def _pupil_frames(
    assessments: dict[int, Assessment], written: dict[int, list[tuple[Any, ...]]] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pupil results and long task scores of the assessments, keyed by assessment id and school pk
    (`written`: see `_pupil_rows`)."""
    rows = _pupil_rows(list(assessments), written)
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


def _achievement_by_school(pupils: pl.DataFrame) -> dict[tuple[str, int], dict[str, Any]]:
    """Level shares and mean completion of the regional diagnostics among the pupils, as `values` keys.

    `level_shares` and `mean_completion` have the shape the aggregates path stores ({"базовый": 41.5},
    a percent), so pages read one shape; the pupil rows add `level_n` (the base of the shares),
    `level_counts`, `level_ci` ({level: [low, high]}, Wilson 95 %) and `completion_n`. Nothing is computed
    when no pupil has a level or a completion % (ВПР, ОГЭ, ЕГЭ): the cost is then one look at two columns.
    """
    given = pupils["achievement_level"].is_not_null() | pupils["completion_pct"].is_not_null()
    if not given.any():
        return {}
    diagnostic_ids = pupils.filter(given)["assessment_id"].unique().to_list()
    diagnostics = pupils.filter(pl.col("assessment_id").is_in(diagnostic_ids))
    ids = diagnostics.select(*ASSESSMENT_KEY, "assessment_id").unique(subset=list(ASSESSMENT_KEY))
    found: dict[tuple[str, int], dict[str, Any]] = {}
    result = achievement_indicators(diagnostics.drop("assessment_id", "school")).collect()
    for row in result.join(ids, on=list(ASSESSMENT_KEY)).iter_rows(named=True):
        levels = row["levels"]
        found[(row["school_id"], row["assessment_id"])] = {
            "mean_completion": row["mean_completion"],
            "completion_n": row["completion_n"],
            "level_shares": {level["level"]: level["pct"] for level in levels},
            "level_n": row["level_n"],
            "level_counts": {level["level"]: level["count"] for level in levels},
            "level_ci": {level["level"]: [level["ci_low"], level["ci_high"]] for level in levels},
        }
    return found


@with_gc_paused
def school_indicators_recompute(
    *, assessment_ids: Iterable[int], written: dict[int, list[tuple[Any, ...]]] | None = None
) -> int:
    """Recompute and store the indicators of every school in these assessments; returns the rows written.

    Whole assessments are recomputed because a school's task completion is compared with its
    municipality and region, which every school of the assessment changes. `written`: the pupil rows the
    caller wrote, not read back (`_pupil_rows`).
    """
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(pk__in=list(assessment_ids)).select_related("procedure", "subject")
    }
    if not assessments:
        return 0
    pupils, task_scores = _pupil_frames(assessments, written)
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
    achievement = _achievement_by_school(pupils)
    computed_at = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (
            row["assessment_id"],
            int(row["school_id"]),
            SchoolIndicator.Source.PUPILS.value,
            *(row[field] for field in _HEADLINE),
            json.dumps(
                {k: (str(v) if k == "procedure" else v) for k, v in row.items()}
                | achievement.get((row["school_id"], row["assessment_id"]), {})
            ),
            json.dumps(tasks.get((row["school_id"], row["assessment_id"]), [])),
            json.dumps(levels.get((row["school_id"], row["assessment_id"]), [])),
            computed_at,
        )
        for row in indicators.iter_rows(named=True)
    ]
    with transaction.atomic():
        SchoolIndicator.objects.filter(
            assessment_id__in=assessments, source=SchoolIndicator.Source.PUPILS
        ).delete()
        # As bulk_create would write them (JSON as json.dumps' text), without its per-object cost: on
        # PostgreSQL, 2,000 rows through bulk_create took longer than the 120,000 pupil rows through COPY.
        rows_insert(SchoolIndicator, _INDICATOR_COLUMNS, rows)
    return len(rows)


#: The columns `school_indicators_recompute` writes, in its rows' order.
_INDICATOR_COLUMNS = (
    "assessment_id",
    "school_id",
    "source",
    *_HEADLINE,
    "values",
    "tasks",
    "levels",
    "computed_at",
)


_AGGREGATE_FIELDS = {
    # SCHOOL_AGGREGATES column → SchoolAggregateResult field
    "participants": "participants",
    "share_2": "share_2",
    "share_3": "share_3",
    "share_4": "share_4",
    "share_5": "share_5",
    "below_minimum_count": "below_minimum",
    "below_minimum_share": "below_minimum_share",
    "mean_primary_score": "mean_primary_score",
    "mean_test_score": "mean_test_score",
    "mean_mark": "mean_mark",
    "score_80_99_count": "scored_80_99",
    "score_100_count": "scored_100",
    "share_lowered": "share_lowered",
    "share_confirmed": "share_confirmed",
    "share_raised": "share_raised",
}


def _aggregates_frame(assessment_ids: list[int]) -> pl.DataFrame:
    """The stored school aggregates of the assessments as a SCHOOL_AGGREGATES frame, with assessment_id."""
    # Imported here so that this addition stays at the end of the module.
    from decimal import Decimal

    from analytics.schema import SCHOOL_AGGREGATES
    from opora.assessments.models import SchoolAggregateResult

    fields = list(_AGGREGATE_FIELDS.values())
    rows = SchoolAggregateResult.objects.filter(assessment_id__in=assessment_ids).values_list(
        "assessment_id",
        "assessment__year",
        "assessment__procedure__code",
        "assessment__subject__name",
        "assessment__grade",
        "school_id",
        *fields,
    )
    schema = SCHOOL_AGGREGATES.polars_schema
    columns: dict[str, pl.DataType] = {
        "assessment_id": pl.Int64(),
        "year": schema["year"],
        "procedure": pl.String(),
        "subject": schema["subject"],
        "grade": schema["grade"],
        "school_id": pl.String(),
        **{column: schema[column] for column in _AGGREGATE_FIELDS},
    }
    data = [
        [
            assessment_id,
            year,
            procedure,
            subject,
            grade,
            str(school_id),
            *(float(v) if isinstance(v, Decimal) else v for v in values),
        ]
        for assessment_id, year, procedure, subject, grade, school_id, *values in rows
    ]
    return pl.DataFrame(data, schema=columns, orient="row").with_columns(
        procedure=pl.col("procedure").cast(pl.Categorical)
    )


def school_aggregate_indicators_recompute(*, assessment_ids: Iterable[int]) -> int:
    """Recompute and store the indicators (source = aggregates) of every school with published aggregates
    in these assessments; returns the rows written."""
    from analytics.indicators import aggregate_indicators
    from opora.assessments.models import SchoolAggregateResult

    ids = sorted(set(assessment_ids))
    if not ids:
        return 0
    frame = _aggregates_frame(ids)
    rows: list[SchoolIndicator] = []
    if frame.height:
        extras = {
            (assessment_id, str(school_id)): (completion, levels)
            for assessment_id, school_id, completion, levels in SchoolAggregateResult.objects.filter(
                assessment_id__in=ids
            ).values_list("assessment_id", "school_id", "mean_completion", "level_shares")
        }
        key = ["year", "procedure", "subject", "grade", "school_id"]
        indicators = (
            aggregate_indicators(frame.drop("assessment_id"))
            .collect()
            .join(frame.select(*key, "assessment_id"), on=key)
        )
        for row in indicators.iter_rows(named=True):
            completion, levels = extras[(row["assessment_id"], row["school_id"])]
            values = {k: (str(v) if k == "procedure" else v) for k, v in row.items()}
            values["mean_completion"] = float(completion) if completion is not None else None
            values["level_shares"] = levels
            rows.append(
                SchoolIndicator(
                    assessment_id=row["assessment_id"],
                    school_id=int(row["school_id"]),
                    source=SchoolIndicator.Source.AGGREGATES,
                    **{field: row[field] for field in _HEADLINE},
                    values=values,
                )
            )
    with transaction.atomic():
        SchoolIndicator.objects.filter(
            assessment_id__in=ids, source=SchoolIndicator.Source.AGGREGATES
        ).delete()
        SchoolIndicator.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def procedure_regional_get_or_create(
    *, code: str, name: str, actor: User | None, details: dict[str, Any]
) -> tuple[Procedure, bool]:
    """The procedure with this code, and whether it was created: a label Opora does not know becomes a
    regional diagnostic (outcome: achievement levels and % completion), its creation audited with `details`
    (file, job…)."""
    procedure, created = Procedure.objects.get_or_create(
        code=code,
        defaults={"name": name, "level": Procedure.Level.REGIONAL, "outcome": Procedure.Outcome.LEVEL},
    )
    if created:
        audit_event_create(
            actor=actor,
            action="procedure_create",
            object_type="assessments.procedure",
            object_id=procedure.pk,
            summary=code,
            details=details,
        )
    return procedure, created
