"""A small run of the known-truth simulation (benchmarks/simulate_small_schools.py; figures in
docs/SIMULATION.md): at equal recall, the shrunken share flags fewer truly average small schools than the
raw share."""

import polars as pl

from benchmarks.simulate_small_schools import SMALL, Rule, simulate

RAW = Rule("raw")
SHRUNKEN = Rule("shrunken")


def test_it_flags_fewer_truly_average_small_schools_at_equal_recall() -> None:
    results = simulate(4, 300, 0.7, rules=(RAW, SHRUNKEN), first_seed=101)

    recall = results.pivot(on="rule", index="seed", values="recall")
    # Equal recall: both rules find the same number of truly low schools in every region.
    assert (recall[RAW.label] == recall[SHRUNKEN.label]).all()
    assert recall.select(pl.col(RAW.label).min() >= 0.7).item()
    small = results.group_by("rule").agg(pl.col("small_average_flagged").sum(), pl.col("small_average").sum())
    flagged = dict(zip(small["rule"], small["small_average_flagged"], strict=True))
    assert small.select(pl.col("small_average").min() > 100).item(), (
        f"too few truly average schools, N < {SMALL}"
    )
    assert flagged[SHRUNKEN.label] < flagged[RAW.label]


def test_it_shrinks_small_schools_more_when_every_school_is_judged() -> None:
    results = simulate(2, 300, 0.7, rules=(Rule("raw", 1), Rule("shrunken", 1)), first_seed=101)

    small = results.group_by("rule").agg(pl.col("small_average_flagged").sum())
    flagged = dict(zip(small["rule"], small["small_average_flagged"], strict=True))
    assert flagged["shrunken, N ≥ 1"] < flagged["raw, N ≥ 1"]
