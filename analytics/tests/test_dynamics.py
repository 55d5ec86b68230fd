"""Dynamics: bands at their boundaries, the trend against scipy, the municipal share by hand."""

import polars as pl
import pytest
from scipy.stats import linregress

from analytics.dynamics import (
    DynamicsSettings,
    positive_dynamics_share,
    school_dynamics,
    trends,
    yearly_changes,
)
from analytics.stats import proportion_exprs


def _frame(rows: list[tuple]) -> pl.DataFrame:
    """rows: (school, year, n, k) for ВПР 5 кл. математика."""
    return pl.DataFrame(
        [
            {
                "school_id": s,
                "year": y,
                "procedure": "ВПР",
                "subject": "Математика",
                "grade": 5,
                "source": "pupils",
                "below_min_n": n,
                "below_min_count": k,
                "marks_n": n,
                "mark_2_count": k,
            }
            for s, y, n, k in rows
        ]
    ).with_columns(
        *proportion_exprs("below_min", "below_min_count", "below_min_n"),
        *proportion_exprs("mark_2", "mark_2_count", "marks_n"),
    )


def test_it_bands_the_boundaries() -> None:
    frame = _frame(
        [
            ("neg", 2023, 20, 6),
            ("neg", 2024, 20, 8),  # 30 % → 40 %: +10 pp exactly → negative
            ("almost", 2023, 20, 6),
            ("almost", 2024, 100, 39),  # 30 % → 39 %: +9 → stable
            ("pos", 2023, 20, 6),
            ("pos", 2024, 20, 5),  # 30 % → 25 %: −5 pp exactly → positive
            ("few", 2023, 9, 6),
            ("few", 2024, 20, 1),  # 9 participants in 2023 → insufficient_data
        ]
    )
    changes = yearly_changes(frame).filter(pl.col("year") == 2024).collect()
    bands = dict(zip(changes["school_id"], changes["band"], strict=True))
    assert bands == {"neg": "negative", "almost": "stable", "pos": "positive", "few": "insufficient_data"}
    found = school_dynamics(frame, year=2024)
    status = dict(zip(found["school_id"], found["status"], strict=True))
    assert status == {"neg": "flagged", "almost": "cleared", "pos": "cleared", "few": "insufficient_data"}
    reason = found.filter(pl.col("school_id") == "pos")["reason"][0]
    assert "ВПР 5\u00a0кл. математика 2023 → 2024: 30\u00a0% → 25\u00a0% (−5,0\u00a0п.\u00a0п.)" in reason


def test_the_school_direction_is_the_participant_weighted_mean() -> None:
    frame = _frame([("a", 2023, 10, 5), ("a", 2024, 10, 1)]).vstack(
        _frame([("a", 2023, 30, 3), ("a", 2024, 30, 6)]).with_columns(subject=pl.lit("Русский язык"))
    )
    # Mathematics 50 % → 10 % (−40 pp, 10 pupils); Russian 10 % → 20 % (+10 pp, 30 pupils).
    # Weighted mean (−40·10 + 10·30) / 40 = −2.5 pp → stable.
    found = school_dynamics(frame, year=2024)
    assert found["mean_delta_pp"][0] == pytest.approx(-2.5)
    assert found["direction"][0] == "stable"


def test_the_slope_matches_scipy_linregress() -> None:
    frame = _frame(
        [
            ("a", 2020, 50, 10),
            ("a", 2021, 50, 22),
            ("a", 2022, 50, 14),
            ("a", 2023, 50, 30),
            ("a", 2024, 50, 27),
            ("b", 2023, 50, 5),
            ("b", 2024, 50, 10),
        ]
    )
    out = trends(frame, DynamicsSettings(trend_years=5), year=2024).collect()
    a = out.filter(pl.col("school_id") == "a")
    expected = linregress([2020, 2021, 2022, 2023, 2024], [20.0, 44.0, 28.0, 60.0, 54.0])
    assert a["slope_pp_per_year"][0] == pytest.approx(expected.slope)
    assert a["slope_se"][0] == pytest.approx(expected.stderr)
    b = out.filter(pl.col("school_id") == "b")
    assert b["slope_pp_per_year"][0] == pytest.approx(10.0)  # (20 % − 10 %) / 1 year
    assert b["slope_se"][0] is None


def test_the_positive_share_counts_every_listed_school() -> None:
    dynamics = pl.DataFrame(
        {"school_id": ["a", "b", "c", "x"], "direction": ["positive", "negative", "positive", "positive"]}
    )
    areas = pl.DataFrame({"school_id": ["a", "b", "c", "d"], "municipality_id": ["m1", "m1", "m2", "m2"]})
    # Listed a, b, c, d (d has no dynamics); x is not listed. Overall 2 of 4 = 50 %;
    # m1: a positive of a, b → 50 %; m2: c positive of c, d → 50 %... make m2 differ: list e too (unmapped).
    out = positive_dynamics_share(dynamics, ["a", "b", "c", "d", "e"], areas)
    rows = {(r["level"], r["municipality_id"]): r for r in out.iter_rows(named=True)}
    assert rows[("overall", None)]["listed_schools"] == 5
    assert rows[("overall", None)]["positive_share_pct"] == pytest.approx(40.0)  # 2 / 5
    assert rows[("municipality", "m1")]["positive_share_pct"] == pytest.approx(50.0)  # a / (a, b)
    assert rows[("municipality", "m2")]["positive_schools"] == 1  # c of (c, d)
