"""Time the whole identification over a country's Parquet files (benchmark, not a test).

Usage:
    .venv/bin/python benchmarks/gen_country.py --scale 1 --out /tmp/country-1
    .venv/bin/python benchmarks/bench_identify.py /tmp/country-1 [--year 2025] \
        [--parts baseline,total,steps,pandas]

Each part runs in its own process (so that its peak RSS is its own) with POLARS_MAX_THREADS=2 and, where
`taskset` exists, pinned to two cores:

* ``baseline`` — the engine's reference: one lazy scan of all the Parquet files and one group-by per school ×
  assessment (pupil results: N and «2»; task scores: Σ score, Σ max), nothing else;
* ``total``    — what a command-line run does: `identify_inputs` over lazy scans of the files, then
  `identify(inputs, Methodology(), year=…)`; the goal's figure;
* ``steps``    — the same work step by step (the validation passes, indicators, level completion, marks,
  each method, then `identify` whole on the prepared inputs), to see where the time goes; the rows are
  validated without value checks here, and level completion is computed over the tasks of the year of
  identification only (the only year `identify` reads them for; see ``levels``);
* ``value_checks`` — `validate_frame` with its value checks (one pass per table, as `identify_inputs`
  runs them) on pupil_results, then task_scores: at a country's size these are the steps that do not fit;
* ``levels``   — level completion over the tasks of every year, as `identify_inputs` computes it, and a
  check that the one sign reading it gives the same result from the tasks of the year only;
* ``pandas``   — a straightforward pandas implementation of the low-results threshold rule (≥ 30 % below
  the minimum in ≥ 2 assessments of the year or in the same assessment two years running, N ≥ 10) on the
  same pupil rows, cross-checked against `analytics.low_results` with basis="raw". pandas has no Parquet
  reader without pyarrow (not installed): the rows are read by Polars and handed over as NumPy arrays and
  categoricals; that hand-over is timed apart from the rule.

Every part prints one JSON line (seconds per step; "seconds" for the whole part, imports included; peak RSS
in MiB; the load average at start and end); a part that fails (e.g. over the address-space cap) prints
{"failed": its return code}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

PARTS = ("baseline", "total", "steps", "value_checks", "levels", "pandas")
#: Each part's address space is capped so that a runaway step fails alone instead of waking the kernel's
#: out-of-memory killer on a shared machine (the goal is 6 GB of peak RSS).
ADDRESS_SPACE_LIMIT = 18 * 2**30
T = TypeVar("T")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    def __call__(self, label: str, action: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = action()
        self.steps[label] = round(time.perf_counter() - start, 2)
        print(f"  {label:<52} {self.steps[label]:7.2f} s  peak {_peak_mib():8,.0f} MiB", file=sys.stderr)
        return result


def _scans(folder: Path) -> dict[str, Any]:
    import polars as pl

    def scan(table: str) -> pl.LazyFrame:
        # The year is a column of the files; the year=YYYY folders are only for people.
        return pl.scan_parquet(folder / table / "**" / "*.parquet", hive_partitioning=False)

    return {
        "areas": pl.scan_parquet(folder / "school_areas.parquet"),
        "pupil_results": scan("pupil_results"),
        "task_scores": scan("task_scores"),
        "context": pl.scan_parquet(folder / "school_context.parquet"),
    }


def part_baseline(folder: Path, year: int, timer: Timer) -> dict[str, Any]:
    import polars as pl

    from analytics.indicators import SCHOOL_KEY

    scans = _scans(folder)
    keys = list(SCHOOL_KEY)
    pupils = timer(
        "pupil_results: scan + group-by school × assessment",
        lambda: (
            scans["pupil_results"].group_by(keys).agg(n=pl.len(), twos=(pl.col("mark") == 2).sum()).collect()
        ),
    )
    tasks = timer(
        "task_scores: scan + group-by school × assessment",
        lambda: (
            scans["task_scores"]
            .group_by(keys)
            .agg(rows=pl.len(), score=pl.col("score").sum(), max_score=pl.col("max_score").sum())
            .collect()
        ),
    )
    return {"groups": pupils.height, "task_groups": tasks.height, "task_rows": int(tasks["rows"].sum())}


def part_total(folder: Path, year: int, timer: Timer) -> dict[str, Any]:
    from analytics.identify import identify
    from analytics.methodology import Methodology
    from analytics.tables import identify_inputs

    scans = _scans(folder)
    # As `opora-analytics identify` calls it: the files' values were checked once when they were written
    # (`opora-analytics validate`), and the per-task inputs are needed for the year of identification only.
    inputs = timer(
        "identify_inputs (read, schema checks, indicators, levels of the year)",
        lambda: identify_inputs(**scans, year=year, check_values=False),
    )
    result = timer(
        "identify (every method, findings, lists)", lambda: identify(inputs, Methodology(), year=year)
    )
    counts = result.findings.group_by("method", "status").len().sort("method", "status")
    return {
        "indicator_rows": inputs.indicators.height,
        "findings": result.findings.height,
        "flagged": {
            f"{method}/{status}": n for method, status, n in counts.iter_rows() if status == "flagged"
        },
        "lists": {kind: frame.height for kind, frame in result.lists.items()},
    }


def part_steps(folder: Path, year: int, timer: Timer) -> dict[str, Any]:
    import polars as pl

    from analytics.context_index import context_index
    from analytics.dynamics import school_dynamics
    from analytics.identify import IdentifyInputs, identify
    from analytics.indicators import (
        SCHOOL_INDICATORS_SCHEMA,
        school_indicators,
    )
    from analytics.low_results import low_results
    from analytics.methodology import Methodology
    from analytics.objectivity import objectivity_signs
    from analytics.schema import validate_frame
    from analytics.tables import PUPIL_MARK_COLUMNS
    from analytics.value_added import value_added

    scans = _scans(folder)
    method = Methodology()
    # The steps of `identify_inputs`, in its order (no school aggregates in these files).
    # The value checks are their own part (`value_checks`): at a country's size they need more memory than
    # the whole goal. Here the rows are cast strictly instead (check_values=False).
    pupils = timer(
        "validate pupil_results (schema only, check_values=False)",
        lambda: validate_frame(scans["pupil_results"], "pupil_results", check_values=False),
    )
    tasks = timer(
        "validate task_scores (schema only, check_values=False)",
        lambda: validate_frame(scans["task_scores"], "task_scores", check_values=False),
    )
    areas = timer(
        "validate + read school_areas", lambda: validate_frame(scans["areas"], "school_areas").collect()
    )
    indicators = timer("school_indicators(pupils).collect()", lambda: school_indicators(pupils).collect())
    # Level completion over the tasks of the year of identification: the only year `identify` reads it for
    # (`identify_inputs` computes it over every year given; the `levels` part times that and compares).
    levels = timer(
        "level completion, tasks of the year (compare_task_completion)",
        lambda: _levels(tasks.filter(pl.col("year") == year), areas, indicators),
    )
    marks = timer(
        "pupil marks (primary score, mark)",
        lambda: (
            pupils.filter(pl.col("primary_score").is_not_null() & pl.col("mark").is_not_null())
            .select(PUPIL_MARK_COLUMNS)
            .with_columns(pl.col("procedure").cast(pl.String))
            .collect()
        ),
    )
    context = timer(
        "validate + read school_context", lambda: validate_frame(scans["context"], "school_context").collect()
    )
    # context_index fails on a region with a single school (its z-scores are NaN and the finding's text
    # casts NaN to an integer: reported, not ours to fix); the generator's ¼ and ½ countries have such
    # regions, so their lone schools are left out of the context here (at most three schools).
    lone = areas.group_by("region_id").len().filter(pl.col("len") < 2).select("region_id")
    context = context.join(areas.join(lone, on="region_id").select("school_id"), on="school_id", how="anti")
    inputs = IdentifyInputs(
        indicators=indicators.cast(SCHOOL_INDICATORS_SCHEMA),
        context=context,
        pupil_marks=marks,
        level_completion=levels,
        areas=areas,
    )
    # The methods of `identify`, one by one.
    timer("low_results", lambda: low_results(inputs.indicators, year=year, settings=method.low_results))
    timer("school_dynamics", lambda: school_dynamics(inputs.indicators, year=year, settings=method.dynamics))
    ctx = timer(
        "context_index",
        lambda: context_index(inputs.context, year=year, settings=method.context, areas=inputs.areas),
    )
    timer(
        "value_added",
        lambda: value_added(inputs.indicators, ctx.schools, year=year, settings=method.value_added),
    )
    timer(
        "objectivity_signs",
        lambda: objectivity_signs(
            inputs.indicators,
            inputs.pupil_marks,
            inputs.level_completion,
            year=year,
            settings=method.objectivity,
        ),
    )
    timer(
        "identify whole (the methods again + findings + lists)", lambda: identify(inputs, method, year=year)
    )
    return {
        "pupil_rows": int(pupils.select(pl.len()).collect().item()),
        "indicator_rows": indicators.height,
        "level_rows": levels.height,
        "mark_rows": marks.height,
    }


def _levels(tasks: Any, areas: Any, indicators: Any = None) -> Any:
    """Level completion as `identify_inputs` computes it: with `indicators`, the participants of each level
    are the work's (from the pupil rows); without, a distinct count over the task rows."""
    from analytics.tables import level_completion

    return level_completion(tasks, areas, None if indicators is None else indicators.lazy()).collect()


def part_levels(folder: Path, year: int, timer: Timer) -> dict[str, Any]:
    import polars as pl

    from analytics.objectivity import basic_vs_advanced
    from analytics.schema import validate_frame

    scans = _scans(folder)
    areas = validate_frame(scans["areas"], "school_areas").collect()
    tasks = validate_frame(scans["task_scores"], "task_scores", check_values=False)
    every_year = timer(
        "level completion, tasks of every year (as identify_inputs)", lambda: _levels(tasks, areas)
    )
    of_year = _levels(tasks.filter(pl.col("year") == year), areas)

    def sign(levels: pl.DataFrame) -> pl.DataFrame:
        frame = basic_vs_advanced(levels, year=year)  # row order is not defined
        return frame.sort([name for name, dtype in frame.schema.items() if not dtype.is_nested()])

    same = sign(every_year).equals(sign(of_year))
    return {"same_basic_vs_advanced_with_tasks_of_the_year_only": same}


def part_value_checks(folder: Path, year: int, timer: Timer) -> dict[str, Any]:
    from analytics.schema import validate_frame

    scans = _scans(folder)
    for table in ("pupil_results", "task_scores"):
        timer(f"validate {table} (value checks: one pass)", lambda: validate_frame(scans[table], table))  # noqa: B023
    return {}


def pandas_flags(frame: Any, year: int, *, threshold: float = 30.0, min_n: int = 10) -> set[str]:
    """The threshold rule, written the way a pandas user would: one group-by, a filter, two tests."""
    import pandas as pd

    below = frame["below_minimum"].fillna(frame["mark"] == 2)
    frame = frame.assign(below=below.astype("boolean"))
    keys = ["school_id", "year", "procedure", "subject", "grade"]
    shares = frame.dropna(subset=["below"]).groupby(keys, observed=True)["below"].agg(["sum", "count"])
    shares = shares[shares["count"] >= min_n]
    meets = shares[100.0 * shares["sum"] / shares["count"] >= threshold].reset_index()
    this_year = meets[meets["year"] == year]
    per_school = this_year.groupby("school_id", observed=True).size()
    in_two = set(per_school[per_school >= 2].index.astype(str))
    last_year = meets[meets["year"] == year - 1]
    unit = ["school_id", "procedure", "subject", "grade"]
    running = pd.merge(this_year[unit], last_year[unit], on=unit)
    return in_two | set(running["school_id"].astype(str))


def part_pandas(folder: Path, year: int, timer: Timer) -> dict[str, Any]:
    try:
        import pandas as pd
    except ImportError:
        print("pandas is not installed: the pandas comparison is skipped", file=sys.stderr)
        return {"skipped": "pandas is not installed"}
    import polars as pl

    from analytics.indicators import school_indicators
    from analytics.low_results import LowResultsSettings, low_results

    scans = _scans(folder)
    columns = ["year", "procedure", "subject", "grade", "school_id", "mark", "below_minimum"]
    read_columns = [*columns, "participant"]  # Polars' school_indicators needs it; pandas does not

    def read() -> pl.DataFrame:
        return (
            scans["pupil_results"]
            .filter(pl.col("year").is_between(year - 1, year))
            .select(read_columns)
            .with_columns(pl.col("subject", "school_id").cast(pl.Categorical))
            .collect()
        )

    rows = timer("read the pupil rows of two years (Polars)", read)

    def to_pandas() -> Any:
        data = {}
        for name in columns:
            series = rows[name]
            if series.dtype == pl.Categorical:
                text = series.cast(pl.String)
                codes = (text.rank("dense") - 1).cast(pl.Int32).to_numpy()
                data[name] = pd.Categorical.from_codes(codes, categories=text.unique().sort().to_list())
            elif name == "below_minimum":
                data[name] = pd.array(series.to_list(), dtype="boolean")
            else:
                data[name] = pd.array(series.to_numpy(), dtype="Int8" if name == "mark" else None)
        return pd.DataFrame(data)

    frame = timer("hand over to pandas (NumPy arrays, categoricals)", to_pandas)
    flagged = timer("pandas: the threshold rule (raw shares, N ≥ 10)", lambda: pandas_flags(frame, year))
    settings = LowResultsSettings(basis="raw")
    polars_result = timer(
        "Polars: school_indicators + low_results(basis=raw) on the same rows",
        lambda: low_results(school_indicators(rows).collect(), year=year, settings=settings),
    )
    polars_flagged = set(
        polars_result.findings.filter(pl.col("status") == "flagged")["school_id"].cast(pl.String).to_list()
    )
    return {
        "rows": rows.height,
        "pandas_flagged": len(flagged),
        "polars_flagged": len(polars_flagged),
        "same_schools": flagged == polars_flagged,
    }


RUNNERS = {
    "baseline": part_baseline,
    "total": part_total,
    "steps": part_steps,
    "value_checks": part_value_checks,
    "levels": part_levels,
    "pandas": part_pandas,
}


def run_part(part: str, folder: Path, year: int) -> None:
    load_before = _load()
    timer = Timer()
    start = time.perf_counter()
    extra = RUNNERS[part](folder, year, timer)
    print(
        json.dumps(
            {
                "part": part,
                "folder": str(folder),
                "seconds": round(time.perf_counter() - start, 2),
                "steps": timer.steps,
                "peak_rss_mib": round(_peak_mib()),
                "load": [load_before, _load()],
                "threads": os.environ.get("POLARS_MAX_THREADS"),
                **extra,
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    parts = args.parts.split(",")
    if args.in_process:
        for part in parts:
            run_part(part, args.folder, args.year)
        return
    environment = {**os.environ, "POLARS_MAX_THREADS": "2"}
    pin = ["taskset", "-c", "0,1"] if shutil.which("taskset") and (os.cpu_count() or 0) > 2 else []
    for part in parts:
        if part not in RUNNERS:
            parser.error(f"unknown part {part!r}")
        print(f"{part} (load {_load()}):", file=sys.stderr, flush=True)
        command = [*pin, sys.executable, __file__, str(args.folder), "--year", str(args.year)]
        completed = subprocess.run(
            [*command, "--parts", part, "--in-process"], env=environment, check=False, preexec_fn=_limit
        )
        if completed.returncode:
            print(
                json.dumps({"part": part, "folder": str(args.folder), "failed": completed.returncode}),
                flush=True,
            )


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


if __name__ == "__main__":
    main()
