"""Generate a whole country's results in the canonical tidy format, as Parquet (benchmark data, not a test).

Usage: .venv/bin/python benchmarks/gen_country.py --scale 1 --out /tmp/country-1

At scale 1: 85 regions, ~2,200 municipalities, 40,000 schools, three years (2023-2025) of about 15 million
pupil results a year — ВПР grades 4-8 (Russian and mathematics, with per-task scores and task levels),
ОГЭ grade 9 (Russian, mathematics) and ЕГЭ grade 11 (Russian, profile mathematics, social studies) — with the
schools' social passports and their areas. `--scale` multiplies the schools and municipalities (the regions
stay 85), so pupils and task rows grow linearly with it.

Written per table, year and chunk of schools, so memory stays bounded whatever the scale:

    DIR/school_areas.parquet
    DIR/school_context.parquet                      (all years)
    DIR/pupil_results/year=YYYY/part-NNN.parquet
    DIR/task_scores/year=YYYY/part-NNN.parquet      (long form: one row per pupil × task)

Columns carry the canonical dtypes of `analytics.schema` (so `validate_frame` casts nothing). Every random
draw comes from a stream keyed by (seed, stage, …), so a chunk is the same whatever the scale or order.

The schools keep latent variables (socio-economic status, a true school effect) that drive both the
context table and the results, so the context index and value added find a real relation.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from analytics.schema import SCHEMAS

SEED = 2026
YEARS = (2023, 2024, 2025)
REGIONS = 85
MUNICIPALITIES = 2_200
SCHOOLS = 40_000
CHUNK_SCHOOLS = 2_500

VPR_SUBJECTS = ("Русский язык", "Математика")
VPR_GRADES = (4, 5, 6, 7, 8)
OGE_SUBJECTS = ("Русский язык", "Математика")
#: ЕГЭ subject → (minimum test score, share of the grade-11 cohort taking it).
EGE_SUBJECTS = {"Русский язык": (24, 0.98), "Математика": (27, 0.45), "Обществознание": (42, 0.5)}
#: Mark boundaries as a share of the maximum primary score: below the first → «2», and so on.
MARK_CUTS = (0.30, 0.55, 0.78)


def stream(seed: int, *key: int) -> np.random.Generator:
    """An independent random stream for one stage and key (stage numbers are fixed below)."""
    return np.random.default_rng([seed, *key])


@dataclass(frozen=True)
class Work:
    """One ВПР work: its tasks' labels, maxima, levels and difficulties (the same every year)."""

    tasks: list[str]
    max_scores: np.ndarray
    levels: list[str]
    difficulty: np.ndarray


def vpr_works(seed: int) -> dict[tuple[str, int], Work]:
    works = {}
    for s, subject in enumerate(VPR_SUBJECTS):
        for grade in VPR_GRADES:
            rng = stream(seed, 1, s, grade)
            count = int(rng.integers(10, 19))
            tasks = []
            for number in range(1, count + 1):
                tasks += [f"{number}.1", f"{number}.2"] if rng.random() < 0.15 else [str(number)]
            n = len(tasks)
            levels = rng.choice(["Б", "П", "В"], size=n, p=[0.6, 0.3, 0.1])
            max_scores = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15]).astype(np.int64)
            offset = np.select([levels == "Б", levels == "П"], [-1.0, 0.3], 1.2)
            works[(subject, grade)] = Work(
                tasks, max_scores, list(levels), offset + rng.normal(0, 0.4, size=n)
            )
    return works


def schools_frame(seed: int, scale: float) -> pl.DataFrame:
    """Schools with region, municipality, location, cohort size per grade and latent variables."""
    schools = round(SCHOOLS * scale)
    municipalities = max(REGIONS, round(MUNICIPALITIES * scale))
    rng = stream(seed, 2)
    # Regions differ a lot in size (Moscow vs Chukotka): lognormal weights.
    region_weight = rng.lognormal(0.0, 0.9, size=REGIONS)
    region_weight /= region_weight.sum()
    per_region = 1 + rng.multinomial(municipalities - REGIONS, region_weight)
    municipality_region = np.repeat(np.arange(REGIONS), per_region)
    municipality_weight = rng.lognormal(0.0, 1.0, size=municipalities) * region_weight[municipality_region]
    municipality_weight /= municipality_weight.sum()
    municipality = rng.choice(municipalities, size=schools, p=municipality_weight)
    municipality.sort()
    village = rng.random(schools) < 0.55
    # Cohort (pupils per grade): many small rural schools, large city schools.
    cohort = np.where(
        village, rng.lognormal(np.log(8.0), 0.8, schools), rng.lognormal(np.log(50.0), 0.6, schools)
    )
    cohort = np.clip(np.rint(cohort), 1, 400).astype(np.int64)
    kind = rng.random(schools)
    has_9 = kind >= np.where(village, 0.08, 0.03)  # else primary-only
    has_11 = has_9 & (kind >= np.where(village, 0.45, 0.12))
    ses = (
        rng.normal(np.where(village, -0.5, 0.4), 0.8)
        + 0.3 * rng.normal(size=REGIONS)[municipality_region[municipality]]
    )
    return pl.DataFrame(
        {
            "index": np.arange(schools),
            "school_id": [f"edu{9_000_000 + i}" for i in range(schools)],
            "municipality_id": [f"m{m:04d}" for m in municipality],
            "region_id": [f"r{r:02d}" for r in municipality_region[municipality]],
            "village": village,
            "cohort": cohort,
            "has_9": has_9,
            "has_11": has_11,
            "ses": ses,
            "effect": rng.normal(0.0, 0.45, schools),
        }
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _participants(rng: np.random.Generator, cohort: np.ndarray, rate: float) -> np.ndarray:
    return rng.binomial(np.maximum(cohort + rng.integers(-2, 3, cohort.size), 0), rate)


def _pupil_ability(
    rng: np.random.Generator, schools: pl.DataFrame, year: int, counts: np.ndarray
) -> np.ndarray:
    """Per pupil: the school's mean (status, effect, yearly noise) plus individual variation."""
    school_mean = (
        0.55 * schools["ses"].to_numpy()
        + schools["effect"].to_numpy()
        + rng.normal(0, 0.15, schools.height)
        + 0.05 * (year - YEARS[0])
    )
    return np.repeat(school_mean, counts) + rng.normal(0.0, 1.0, counts.sum())


def _base(
    schools: pl.DataFrame,
    counts: np.ndarray,
    year: int,
    procedure: str,
    subject: str,
    grade: int,
    first_participant: int,
) -> dict[str, pl.Series]:
    n = int(counts.sum())
    return {
        "year": pl.Series([year], dtype=pl.Int16).new_from_index(0, n),
        "procedure": pl.Series([procedure], dtype=pl.String).new_from_index(0, n),
        "subject": pl.Series([subject]).new_from_index(0, n),
        "grade": pl.Series([grade], dtype=pl.Int8).new_from_index(0, n),
        "school_id": schools["school_id"].gather(np.repeat(np.arange(schools.height), counts)),
        "participant": pl.Series(np.arange(first_participant, first_participant + n)).cast(pl.String),
    }


def vpr(
    rng: np.random.Generator,
    schools: pl.DataFrame,
    year: int,
    subject: str,
    grade: int,
    work: Work,
    first_participant: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    counts = _participants(rng, schools["cohort"].to_numpy(), 0.9)
    theta = _pupil_ability(rng, schools, year, counts) + (0.35 if subject == "Русский язык" else 0.2)
    n, t = int(counts.sum()), len(work.tasks)
    pupil = np.repeat(np.arange(n), t)
    task = np.tile(np.arange(t), n)
    maxima = work.max_scores[task]
    scores = rng.binomial(maxima, _sigmoid(1.3 * (theta[pupil] - work.difficulty[task]))).astype(np.float64)
    blank = rng.random(n * t) < 0.03  # «X»: not attempted, counts as 0
    scores[blank] = 0.0
    max_primary = float(work.max_scores.sum())
    primary = scores.reshape(n, t).sum(axis=1)
    mark = 2 + np.searchsorted(np.array(MARK_CUTS) * max_primary, primary, side="right")
    # Journal marks: mostly the ВПР mark, often one higher (inflation), rarely lower; 8 % missing.
    shift = rng.choice([-1, 0, 1, 2], size=n, p=[0.06, 0.6, 0.3, 0.04])
    journal = np.clip(mark + shift, 2, 5).astype(np.float64)
    journal[rng.random(n) < 0.08] = np.nan
    base = _base(schools, counts, year, "ВПР", subject, grade, first_participant)
    pupils = pl.DataFrame(
        {
            **base,
            "variant": pl.Series(rng.integers(1, 3, n)).cast(pl.String),
            "primary_score": primary,
            "max_primary_score": pl.Series([max_primary]).new_from_index(0, n),
            "mark": mark.astype(np.int8),
            "journal_mark": pl.Series(journal, nan_to_null=True).cast(pl.Int8),
            "test_score": pl.Series([None], dtype=pl.Float64).new_from_index(0, n),
            "below_minimum": pl.Series([None], dtype=pl.Boolean).new_from_index(0, n),
        }
    )
    score_series = pl.Series("score", scores)
    tasks = pl.DataFrame(
        {
            "year": base["year"].gather(pupil),
            "procedure": pl.Series(["ВПР"]).new_from_index(0, n * t),
            "subject": pl.Series([subject]).new_from_index(0, n * t),
            "grade": pl.Series([grade], dtype=pl.Int8).new_from_index(0, n * t),
            "school_id": base["school_id"].gather(pupil),
            "participant": base["participant"].gather(pupil),
            "task": pl.Series(work.tasks).gather(task),
            "score": score_series.scatter(np.flatnonzero(blank), None),
            "max_score": maxima.astype(np.float64),
            "level": pl.Series(work.levels).gather(task),
        }
    )
    return pupils, tasks


def oge(
    rng: np.random.Generator, schools: pl.DataFrame, year: int, subject: str, first_participant: int
) -> pl.DataFrame:
    cohort = np.where(schools["has_9"].to_numpy(), schools["cohort"].to_numpy(), 0)
    counts = _participants(rng, cohort, 0.95)
    theta = _pupil_ability(rng, schools, year, counts) + 0.6
    n = int(counts.sum())
    max_primary = 33.0 if subject == "Русский язык" else 31.0
    primary = rng.binomial(int(max_primary), _sigmoid(theta - 0.2)).astype(np.float64)
    mark = 2 + np.searchsorted(np.array((0.28, 0.55, 0.8)) * max_primary, primary, side="right")
    return pl.DataFrame(
        {
            **_base(schools, counts, year, "ОГЭ", subject, 9, first_participant),
            "variant": pl.Series([None], dtype=pl.String).new_from_index(0, n),
            "primary_score": primary,
            "max_primary_score": pl.Series([max_primary]).new_from_index(0, n),
            "mark": mark.astype(np.int8),
            "journal_mark": pl.Series([None], dtype=pl.Int8).new_from_index(0, n),
            "test_score": pl.Series([None], dtype=pl.Float64).new_from_index(0, n),
            "below_minimum": mark == 2,
        }
    )


def ege(
    rng: np.random.Generator, schools: pl.DataFrame, year: int, subject: str, first_participant: int
) -> pl.DataFrame:
    minimum, share = EGE_SUBJECTS[subject]
    cohort = np.where(schools["has_11"].to_numpy(), np.rint(schools["cohort"].to_numpy() * 0.6), 0)
    counts = _participants(rng, cohort.astype(np.int64), share)
    theta = _pupil_ability(rng, schools, year, counts)
    n = int(counts.sum())
    test = np.clip(np.rint(60 + 17 * theta + rng.normal(0, 6, n)), 0, 100)
    return pl.DataFrame(
        {
            **_base(schools, counts, year, "ЕГЭ", subject, 11, first_participant),
            "variant": pl.Series([None], dtype=pl.String).new_from_index(0, n),
            "primary_score": pl.Series([None], dtype=pl.Float64).new_from_index(0, n),
            "max_primary_score": pl.Series([None], dtype=pl.Float64).new_from_index(0, n),
            "mark": pl.Series([None], dtype=pl.Int8).new_from_index(0, n),
            "journal_mark": pl.Series([None], dtype=pl.Int8).new_from_index(0, n),
            "test_score": test,
            "below_minimum": test < minimum,
        }
    )


def context_frame(seed: int, schools: pl.DataFrame) -> pl.DataFrame:
    frames = []
    ses = schools["ses"].to_numpy()
    village = schools["village"].to_numpy()
    for year in YEARS:
        rng = stream(seed, 3, year)
        n = schools.height

        def share(base: float, slope: float, spread: float = 0.5) -> np.ndarray:
            logit = np.log(base / (100 - base)) + slope * ses + rng.normal(0, spread, n)  # noqa: B023
            return np.round(100 * _sigmoid(logit), 1)

        frames.append(
            pl.DataFrame(
                {
                    "year": pl.Series([year] * n, dtype=pl.Int16),
                    "school_id": schools["school_id"],
                    "share_single_parent": share(22, -0.4),
                    "share_parents_higher_education": share(35, 0.8),
                    "share_unemployed_parents": share(8, -0.7),
                    "share_low_income": share(15, -0.8),
                    "share_on_register": share(2, -0.5),
                    "share_disabilities": share(4, -0.2),
                    "share_non_native_russian": share(5, -0.1, 1.2),
                    "location": pl.Series(np.where(village, "village", "city")),
                    "enrolment": (schools["cohort"] * 11).cast(pl.Int32),
                    "settlement_size": np.where(
                        village, rng.lognormal(7.0, 1.0, n), rng.lognormal(11.0, 1.5, n)
                    ).astype(np.int32),
                    "special_school": rng.random(n) < 0.01,
                }
            )
        )
    return _canonical(pl.concat(frames), "school_context")


def _canonical(frame: pl.DataFrame, schema: str) -> pl.DataFrame:
    """The schema's columns in its order and dtypes; an optional column the generator does not make (the
    achievement levels of regional diagnostics) is left out, as a file without it would be."""
    return frame.select(
        pl.col(name).cast(dtype)
        for name, dtype in SCHEMAS[schema].polars_schema.items()
        if name in frame.columns
    )


def generate(out: Path, scale: float, seed: int = SEED) -> None:
    started = time.perf_counter()
    schools = schools_frame(seed, scale)
    works = vpr_works(seed)
    out.mkdir(parents=True, exist_ok=True)
    _canonical(schools, "school_areas").write_parquet(out / "school_areas.parquet")
    context_frame(seed, schools).write_parquet(out / "school_context.parquet")
    totals = {"pupil_results": 0, "task_scores": 0}
    for year in YEARS:
        for table in totals:
            (out / table / f"year={year}").mkdir(parents=True, exist_ok=True)
        participant = 1_000_000
        for chunk, start in enumerate(range(0, schools.height, CHUNK_SCHOOLS)):
            part = schools.slice(start, CHUNK_SCHOOLS)
            pupils: list[pl.DataFrame] = []
            tasks: list[pl.DataFrame] = []
            for number, (subject, grade) in enumerate(works):
                rng = stream(seed, 4, year, chunk, number)
                p, t = vpr(rng, part, year, subject, grade, works[(subject, grade)], participant)
                participant += p.height
                pupils.append(p)
                tasks.append(t)
            for number, subject in enumerate(OGE_SUBJECTS):
                pupils.append(oge(stream(seed, 5, year, chunk, number), part, year, subject, participant))
                participant += pupils[-1].height
            for number, subject in enumerate(EGE_SUBJECTS):
                pupils.append(ege(stream(seed, 6, year, chunk, number), part, year, subject, participant))
                participant += pupils[-1].height
            # Rows ordered assessment × school × pupil (× task), as ФИС ОКО gives one file per both.
            pupil_frame = _canonical(pl.concat(pupils), "pupil_results")
            task_frame = _canonical(pl.concat(tasks), "task_scores")
            pupil_frame.write_parquet(out / "pupil_results" / f"year={year}" / f"part-{chunk:03d}.parquet")
            task_frame.write_parquet(out / "task_scores" / f"year={year}" / f"part-{chunk:03d}.parquet")
            totals["pupil_results"] += pupil_frame.height
            totals["task_scores"] += task_frame.height
        print(
            f"{year}: cumulative pupil rows {totals['pupil_results']:,}, task rows {totals['task_scores']:,} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    size = sum(path.stat().st_size for path in out.rglob("*.parquet"))
    print(
        f"{schools.height:,} schools, {schools['municipality_id'].n_unique():,} municipalities, "
        f"{schools['region_id'].n_unique()} regions; {totals['pupil_results']:,} pupil rows, "
        f"{totals['task_scores']:,} task rows; {size / 2**30:.2f} GiB in {out}; "
        f"{time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="0.25, 0.5 or 1 (× 40,000 schools)")
    parser.add_argument("--out", type=Path, required=True, help="output folder, e.g. /tmp/country-1")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    generate(args.out, args.scale, args.seed)


if __name__ == "__main__":
    main()
