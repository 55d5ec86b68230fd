"""Simulation with known truth: does the small-sample-aware rule spare truly average small schools?

Usage: .venv/bin/python benchmarks/simulate_small_schools.py [--regions 40] [--schools 600] [--recall 0.7]

Each repetition generates one region of schools with known true shares of pupils below the minimum, draws
the pupils binomially (2 ВПР assessments × 2 years), computes the indicators with
`analytics.indicators.school_indicators` and applies `analytics.low_results.low_results` with the share read
as observed (basis="raw"), empirical-Bayes shrunken ("shrunken") or the lower Wilson bound ("ci_low").

Truth: a school is *truly low* when the rule itself holds on its true shares (≥ 30 % in both assessments of
the year, or in the same assessment in both years); every other school is *truly average*. The rules are
compared at equal recall: each rule's threshold (`threshold_pct`) is set, per region, to the highest value
at which it flags `recall` of the truly low schools; then we count the truly average small schools (fewer
than 20 participants) it flags, and its precision. docs/SIMULATION.md holds the figures.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import polars as pl

from analytics.indicators import school_indicators
from analytics.low_results import LowResultsSettings, low_results
from analytics.low_results.settings import Basis


@dataclass(frozen=True)
class Rule:
    """A variant of the threshold rule: the share it reads and the smallest N it judges."""

    basis: Basis
    min_participants: int = 10

    @property
    def label(self) -> str:
        return f"{self.basis}, N ≥ {self.min_participants}"


#: The product's default (shrunken, N ≥ 10), the raw share with the same N floor, the lower Wilson bound,
#: and the naive raw share that judges every school (N ≥ 1), with its shrunken counterpart.
RULES: Final = (Rule("raw"), Rule("shrunken"), Rule("ci_low"), Rule("raw", 1), Rule("shrunken", 1))
YEAR: Final = 2025
ASSESSMENTS: Final = (("Математика", 5), ("Русский язык", 5))
SMALL: Final = 20
THRESHOLD: Final = 30.0


@dataclass(frozen=True)
class Population:
    """How the region's schools are drawn; every share is a fraction."""

    low_fraction: float = 0.10  # schools generated as low
    average_share: float = 0.12  # typical share below the minimum of an average school
    low_share: float = 0.40  # typical share of a low school
    school_sd: float = 0.5  # spread of schools within their class (logit scale)
    assessment_sd: float = 0.25  # one school's assessments differ (logit scale)
    year_sd: float = 0.15  # and its years (logit scale)
    min_size: int = 5
    max_size: int = 200


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def region(
    seed: int, schools: int, population: Population = Population()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pupil results, truth): pupil rows in the canonical form and one truth row per school."""
    rng = np.random.default_rng(seed)
    low = rng.random(schools) < population.low_fraction
    size = np.rint(np.exp(rng.uniform(math.log(population.min_size), math.log(population.max_size), schools)))
    centre = np.where(low, _logit(population.low_share), _logit(population.average_share))
    school = centre + rng.normal(0.0, population.school_sd, schools)
    rows = []
    true_pct: dict[tuple[int, int], np.ndarray] = {}
    for a, (subject, grade) in enumerate(ASSESSMENTS):
        assessment = school + rng.normal(0.0, population.assessment_sd, schools)
        for year in (YEAR - 1, YEAR):
            p = 1.0 / (1.0 + np.exp(-(assessment + rng.normal(0.0, population.year_sd, schools))))
            true_pct[(a, year)] = 100.0 * p
            n = np.maximum(rng.binomial(size.astype(np.int64), 0.92), 1)
            below = rng.binomial(n, p)
            rows.append((subject, grade, year, n, below))
    frames = []
    school_ids = np.array([f"s{i:05d}" for i in range(schools)])
    for subject, grade, year, n, below in rows:
        school_index = np.repeat(np.arange(schools), n)
        rank = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)  # position of the pupil in the school
        mark = np.where(rank < np.repeat(below, n), 2, rng.integers(3, 6, n.sum()))
        frames.append(
            pl.DataFrame(
                {
                    "year": pl.Series([year] * int(n.sum()), dtype=pl.Int16),
                    "procedure": "ВПР",
                    "subject": subject,
                    "grade": pl.Series([grade] * int(n.sum()), dtype=pl.Int8),
                    "school_id": school_ids[school_index],
                    "participant": (school_index * 1000 + rank).astype(str),
                    "mark": mark.astype(np.int8),
                }
            )
        )
    meets = {key: value >= THRESHOLD for key, value in true_pct.items()}
    in_year = meets[(0, YEAR)] & meets[(1, YEAR)]
    running = (meets[(0, YEAR)] & meets[(0, YEAR - 1)]) | (meets[(1, YEAR)] & meets[(1, YEAR - 1)])
    truth = pl.DataFrame(
        {"school_id": school_ids, "size": size.astype(np.int64), "truly_low": in_year | running}
    )
    return pl.concat(frames), truth


def critical_threshold(details: pl.DataFrame) -> pl.DataFrame:
    """Per school, the highest threshold at which the threshold rule (default counts) flags it.

    Flagged at t ⇔ two sufficient assessments of the year read ≥ t, or one assessment reads ≥ t in both
    years: so the critical value is max(second-highest of the year, max over assessments of min over years).
    """
    sufficient = details.filter(pl.col("sufficient"))
    second = (
        sufficient.filter(pl.col("year") == YEAR)
        .group_by("school_id")
        .agg(pl.col("basis_pct").sort(descending=True).get(1, null_on_oob=True).alias("in_year"))
    )
    running = (
        sufficient.group_by("school_id", "procedure", "subject", "grade")
        .agg(value=pl.col("basis_pct").min(), years=pl.col("year").n_unique())
        .filter(pl.col("years") == 2)
        .group_by("school_id")
        .agg(running=pl.col("value").max())
    )
    return second.join(running, on="school_id", how="full", coalesce=True).select(
        "school_id", critical=pl.max_horizontal("in_year", "running")
    )


def evaluate(
    seed: int, schools: int, recall: float, rules: tuple[Rule, ...] = RULES
) -> list[dict[str, float | int | str]]:
    """One region: for each rule, the threshold that gives `recall`, and what the rule flags there.

    A rule with an N floor cannot flag a school below it: where fewer than `recall` of the truly low schools
    are judged by every rule, all rules are compared at the highest recall all of them reach.
    """
    pupils, truth = region(seed, schools)
    indicators = school_indicators(pupils).collect()
    low_count = int(truth["truly_low"].sum())
    criticals = {}
    for rule in rules:
        settings = LowResultsSettings(basis=rule.basis, min_participants=rule.min_participants)
        details = low_results(indicators, year=YEAR, settings=settings).details
        criticals[rule] = truth.join(critical_threshold(details), on="school_id", how="left")
    reachable = min(
        critical.filter(pl.col("truly_low") & pl.col("critical").is_not_null()).height
        for critical in criticals.values()
    )
    wanted = min(math.ceil(recall * low_count), reachable)
    results: list[dict[str, float | int | str]] = []
    for rule, critical in criticals.items():
        settings = LowResultsSettings(basis=rule.basis, min_participants=rule.min_participants)
        values = critical.filter(pl.col("truly_low"))["critical"].drop_nulls().sort(descending=True)
        threshold = float(values[wanted - 1])
        settings = replace(settings, threshold_pct=threshold)
        found = low_results(indicators, year=YEAR, settings=settings).findings
        flagged = set(found.filter(pl.col("status") == "flagged")["school_id"].to_list())
        judged = truth.with_columns(flagged=pl.col("school_id").is_in(list(flagged)))
        expected = set(critical.filter(pl.col("critical") >= threshold)["school_id"].to_list())
        assert flagged == expected, "the critical thresholds disagree with low_results"
        average = judged.filter(~pl.col("truly_low"))
        small_average = average.filter(pl.col("size") < SMALL)
        true_positives = int(judged.filter(pl.col("truly_low") & pl.col("flagged")).height)
        results.append(
            {
                "seed": seed,
                "rule": rule.label,
                "threshold_pct": threshold,
                "truly_low": low_count,
                "recall": true_positives / low_count,
                "flagged": len(flagged),
                "precision": true_positives / len(flagged) if flagged else float("nan"),
                "false_positives": int(average["flagged"].sum()),
                "small_average": small_average.height,
                "small_average_flagged": int(small_average["flagged"].sum()),
            }
        )
    return results


def simulate(
    regions: int, schools: int, recall: float, rules: tuple[Rule, ...] = RULES, first_seed: int = 1
) -> pl.DataFrame:
    """Every region's results, one row per region × rule."""
    rows = []
    for seed in range(first_seed, first_seed + regions):
        rows += evaluate(seed, schools, recall, rules)
    return pl.DataFrame(rows)


def summary(results: pl.DataFrame, reference: str = RULES[0].label) -> pl.DataFrame:
    """Mean and 95 % interval (normal, across regions) per rule, and the paired difference from `reference`.

    `fewer_small`: how many fewer truly average small schools the rule flags than the reference rule in the
    same region (positive = fewer).
    """

    def interval(column: str) -> list[pl.Expr]:
        mean = pl.col(column).mean()
        half = 1.96 * pl.col(column).std() / pl.len().sqrt()
        return [
            mean.alias(column),
            (mean - half).alias(f"{column}_low"),
            (mean + half).alias(f"{column}_high"),
        ]

    base = results.filter(pl.col("rule") == reference).select(
        "seed", reference=pl.col("small_average_flagged")
    )
    paired = results.join(base, on="seed").with_columns(
        fewer_small=pl.col("reference") - pl.col("small_average_flagged"),
        small_rate=100.0 * pl.col("small_average_flagged") / pl.col("small_average"),
    )
    return paired.group_by("rule", maintain_order=True).agg(
        pl.len().alias("regions"),
        pl.col("threshold_pct", "recall", "flagged").mean(),
        *interval("small_average_flagged"),
        *interval("small_rate"),
        *interval("false_positives"),
        *interval("precision"),
        *interval("fewer_small"),
        (pl.col("fewer_small") > 0).sum().alias("regions_fewer"),
        (pl.col("fewer_small") < 0).sum().alias("regions_more"),
    )


def markdown(table: pl.DataFrame) -> str:
    """The summary as the Markdown table of docs/SIMULATION.md."""

    def ci(row: dict[str, float], column: str, digits: int = 1) -> str:
        low, high = row[f"{column}_low"], row[f"{column}_high"]
        return f"{row[column]:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"

    lines = [
        "| rule | threshold, % | recall | flagged | truly average small schools flagged | as % of them | "
        "all false positives | precision | fewer small than raw N ≥ 10 (regions fewer / more) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.iter_rows(named=True):
        cells = [
            row["rule"],
            f"{row['threshold_pct']:.1f}",
            f"{row['recall']:.3f}",
            f"{row['flagged']:.1f}",
            ci(row, "small_average_flagged"),
            ci(row, "small_rate", 2),
            ci(row, "false_positives"),
            ci(row, "precision", 3),
            f"{ci(row, 'fewer_small')} ({row['regions_fewer']} / {row['regions_more']})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=40, help="repetitions (one region each)")
    parser.add_argument("--schools", type=int, default=600, help="schools per region")
    parser.add_argument("--recall", type=float, default=0.7)
    args = parser.parse_args()
    start = time.perf_counter()
    results = simulate(args.regions, args.schools, args.recall)
    population = Population()
    print(
        f"{args.regions} regions × {args.schools} schools, sizes {population.min_size}-{population.max_size} "
        f"(log-uniform), recall {args.recall:.0%}; {time.perf_counter() - start:.0f} s"
    )
    reference = results.filter(pl.col("rule") == RULES[0].label)
    low, small = reference.select(pl.col("truly_low", "small_average").mean()).row(0)
    print(
        f"truly low per region: {low:.1f}; truly average small schools (N < {SMALL}) per region: {small:.1f}"
    )
    print(markdown(summary(results)))


if __name__ == "__main__":
    main()
