"""Speed sanity of analytics.indicators on generated data (not a test; nothing is written to disk).

Usage: .venv/bin/python benchmarks/bench_indicators.py [pupils] [tasks]
"""

import sys
import time
from collections.abc import Callable

import polars as pl

from analytics.indicators import compare_task_completion, school_indicators, task_completion
from analytics.schema import validate_frame

PUPILS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
TASKS = int(sys.argv[2]) if len(sys.argv) > 2 else 15
SCHOOLS = 40_000
ASSESSMENTS = [(subject, grade) for subject in ("Математика", "Русский язык") for grade in (4, 5, 6, 7)]


def timed(label: str, action: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    start = time.perf_counter()
    result = action()
    print(f"{label:<58} {time.perf_counter() - start:7.2f} s  rows={result.height:,}", flush=True)
    return result


def rnd(seed: int, modulo: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, modulo) per row."""
    return (pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % modulo).cast(pl.Int64)


def pupils() -> pl.DataFrame:
    assessment = rnd(1, len(ASSESSMENTS))
    mark = 2 + rnd(2, 4)
    return (
        pl.LazyFrame({"i": pl.int_range(PUPILS, eager=True)})
        .select(
            year=pl.lit(2025, pl.Int16),
            procedure=pl.lit("ВПР").cast(pl.Categorical),
            subject=pl.when(assessment < 4).then(pl.lit("Математика")).otherwise(pl.lit("Русский язык")),
            grade=(4 + assessment % 4).cast(pl.Int8),
            school_id=pl.format("edu{}", rnd(3, SCHOOLS)),
            participant=pl.format("p{}", pl.col("i")),
            variant=pl.format("{}", 1 + rnd(4, 2)),
            primary_score=(rnd(5, 21)).cast(pl.Float64),
            max_primary_score=pl.lit(20.0),
            mark=mark.cast(pl.Int8),
            journal_mark=pl.when(rnd(6, 10) == 0).then(None).otherwise(2 + rnd(7, 4)).cast(pl.Int8),
            test_score=pl.lit(None, pl.Float64),
            below_minimum=pl.lit(None, pl.Boolean),
        )
        .collect()
    )


def task_scores(pupil_frame: pl.DataFrame) -> pl.DataFrame:
    tasks = pl.LazyFrame(
        {
            "task": [str(t + 1) for t in range(TASKS)],
            "max_score": [float(1 + t % 3) for t in range(TASKS)],
            "level": [("Б", "П", "В")[min(t * 3 // TASKS, 2)] for t in range(TASKS)],
        }
    )
    long = pupil_frame.lazy().select("year", "procedure", "subject", "grade", "school_id", "participant")
    return (
        long.join(tasks, how="cross")
        .with_columns(
            score=pl.when(rnd(8, 20) == 0)
            .then(None)
            .otherwise((rnd(9, 1_000) * (pl.col("max_score") + 1) // 1_000).cast(pl.Float64))
        )
        .collect()
    )


def main() -> None:
    print(f"polars {pl.__version__}, threads {pl.thread_pool_size()}, pupils {PUPILS:,}, tasks {TASKS}")
    pupil_frame = timed("generate pupil rows", pupils)
    print(f"  pupil frame {pupil_frame.estimated_size('mb'):,.0f} MB")
    tasks = timed("generate task rows (long)", lambda: task_scores(pupil_frame))
    print(f"  task frame {tasks.estimated_size('mb'):,.0f} MB")
    areas = pl.DataFrame(
        {
            "school_id": [f"edu{s}" for s in range(SCHOOLS)],
            "municipality_id": [f"m{s % 60}" for s in range(SCHOOLS)],
            "region_id": [f"r{s % 85}" for s in range(SCHOOLS)],
        }
    )

    for attempt in (1, 2):
        print(f"-- attempt {attempt}")
        timed("validate_frame(pupils, 'pupil_results')", lambda: validate_frame(pupil_frame, "pupil_results"))
        timed("school_indicators(pupils).collect()", lambda: school_indicators(pupil_frame).collect())
        timed("task_completion(tasks, by='task').collect()", lambda: task_completion(tasks).collect())
        timed(
            "task_completion(tasks, by='level').collect()",
            lambda: task_completion(tasks, by="level").collect(),
        )
        timed(
            "compare_task_completion(task_completion(tasks), areas)",
            lambda: compare_task_completion(task_completion(tasks), areas).collect(),
        )


if __name__ == "__main__":
    main()
