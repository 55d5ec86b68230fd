"""School indicators of pupil-level results computed from pupil frames: no query, so that a batch can
compute them beside the write of its rows (`ahead`)."""

import json
from typing import Any

import polars as pl

from analytics.achievement import achievement_indicators
from analytics.indicators import compare_task_completion, school_indicators, task_completion
from analytics.schema import ASSESSMENT_KEY
from opora.assessments.models import SchoolIndicator

HEADLINE = (
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

#: The columns `school_indicators_recompute` writes, in `indicator_rows`' order and then computed_at.
INDICATOR_COLUMNS = (
    "assessment_id",
    "school_id",
    "source",
    *HEADLINE,
    "values",
    "tasks",
    "levels",
    "computed_at",
)


def indicator_rows(
    pupils: pl.DataFrame, task_scores: pl.DataFrame, schools: list[tuple[int, int, int]]
) -> list[tuple[Any, ...]]:
    """The indicator rows of every school in the frames (`frames_build`), in INDICATOR_COLUMNS' order but
    for computed_at; `schools`: (pk, municipality pk, region pk) of the frames' schools."""
    key = ["year", "procedure", "subject", "grade"]
    ids = pupils.select(*key, "assessment_id").unique(subset=key)
    indicators = school_indicators(pupils.drop("assessment_id", "school")).collect().join(ids, on=key)
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
    return [
        (
            row["assessment_id"],
            int(row["school_id"]),
            SchoolIndicator.Source.PUPILS.value,
            *(row[field] for field in HEADLINE),
            json.dumps(
                {k: (str(v) if k == "procedure" else v) for k, v in row.items()}
                | achievement.get((row["school_id"], row["assessment_id"]), {})
            ),
            json.dumps(tasks.get((row["school_id"], row["assessment_id"]), [])),
            json.dumps(levels.get((row["school_id"], row["assessment_id"]), [])),
        )
        for row in indicators.iter_rows(named=True)
    ]


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
