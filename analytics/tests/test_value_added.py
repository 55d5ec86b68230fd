"""Value added: OLS against numpy, residual SE by hand, resilience by construction, pooling by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from analytics.findings import FINDING_SCHEMA
from analytics.value_added import ValueAddedSettings, value_added

ONE_YEAR = ValueAddedSettings(pooled_years=1)


def _indicators(
    schools: list[str], outcome: list[float], n: list[int], year: int = 2025, column: str = "mean_pct_of_max"
) -> pl.DataFrame:
    base = {"mean_pct_of_max": "primary_score_n", "below_min_pct": "below_min_n"}[column]
    return pl.DataFrame(
        {
            "year": year,
            "procedure": "ВПР",
            "subject": "Математика",
            "grade": 5,
            "school_id": schools,
            "participants": n,
            base: n,
            column: outcome,
        }
    )


def _context(schools: list[str], index: list[float], group: list[int], year: int = 2025) -> pl.DataFrame:
    return pl.DataFrame({"school_id": schools, "year": year, "index": index, "group": group})


def _by_school(frame: pl.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["school_id"].to_list(), frame[column].to_list(), strict=True))


# The five-school case, by hand: x = index, y = outcome.
#   x = −2, −1, 0, 1, 2 (x̄ = 0, Sxx = 10); y = 1, 3, 2, 5, 4 (ȳ = 3, SST = 10)
#   Sxy = 4 + 0 + 0 + 2 + 2 = 8 → slope 0.8, intercept 3
#   fitted 1.4, 2.2, 3.0, 3.8, 4.6; residuals −0.4, 0.8, −1.0, 1.2, −0.6; SSR = 3.6; σ² = 3.6 / 3 = 1.2
#   leverage h = 1/5 + x²/10 = 0.6, 0.3, 0.2, 0.3, 0.6
#   residual SE = sqrt(1.2 (1 − h)) = sqrt(0.48, 0.84, 0.96, 0.84, 0.48) = 0.69282, 0.91652, 0.97980, …
#   standardised residual = r / sqrt(1.2) = −0.36515, 0.73030, −0.91287, 1.09545, −0.54772
#   SE(slope) = sqrt(σ² / Sxx) = 0.34641; SE(intercept) = sqrt(σ² / n) = 0.48990 (x̄ = 0); R² = 1 − 3.6/10
FIVE = ["s1", "s2", "s3", "s4", "s5"]
FIVE_X = [-2.0, -1.0, 0.0, 1.0, 2.0]
FIVE_Y = [1.0, 3.0, 2.0, 5.0, 4.0]


def test_it_computes_residual_standard_errors_by_hand() -> None:
    result = value_added(
        _indicators(FIVE, FIVE_Y, [30] * 5), _context(FIVE, FIVE_X, [1] * 5), year=2025, settings=ONE_YEAR
    )
    schools = result.schools.sort("school_id")
    assert schools["predicted"].to_list() == pytest.approx([1.4, 2.2, 3.0, 3.8, 4.6], abs=1e-10)
    assert schools["residual"].to_list() == pytest.approx([-0.4, 0.8, -1.0, 1.2, -0.6], abs=1e-10)
    assert schools["residual_se"].to_list() == pytest.approx(
        np.sqrt([0.48, 0.84, 0.96, 0.84, 0.48]).tolist(), abs=1e-10
    )
    assert schools["std_residual"].to_list() == pytest.approx(
        [-0.36515, 0.73030, -0.91287, 1.09545, -0.54772], abs=1e-5
    )
    model = result.model.row(0, named=True)
    assert model["intercept"] == pytest.approx(3.0)
    assert model["slope"] == pytest.approx(0.8)
    assert model["slope_se"] == pytest.approx(0.34641, abs=1e-5)
    assert model["intercept_se"] == pytest.approx(0.48990, abs=1e-5)
    assert model["r_squared"] == pytest.approx(0.64)
    assert model["n_schools"] == 5


def test_it_matches_numpy_least_squares() -> None:
    rng = np.random.default_rng(2)
    schools = [f"edu{i}" for i in range(12)]
    x = rng.normal(0, 1, 12)
    y = 55 + 6 * x + rng.normal(0, 4, 12)
    result = value_added(
        _indicators(schools, y.tolist(), [25] * 12),
        _context(schools, x.tolist(), [1] * 12),
        year=2025,
        settings=ONE_YEAR,
    )
    design = np.column_stack([np.ones(12), x])
    coefficients, ssr, _, _ = np.linalg.lstsq(design, y, rcond=None)
    model = result.model.row(0, named=True)
    assert (model["intercept"], model["slope"]) == pytest.approx(tuple(coefficients), rel=1e-10)
    assert model["r_squared"] == pytest.approx(1 - ssr[0] / np.sum((y - y.mean()) ** 2), rel=1e-10)
    assert model["residual_sd"] == pytest.approx(np.sqrt(ssr[0] / 10), rel=1e-10)
    residual = _by_school(result.schools, "residual")
    expected = y - design @ coefficients
    assert [residual[s] for s in schools] == pytest.approx(expected.tolist(), abs=1e-9)


def test_it_classifies_resilient_and_low_in_good_context() -> None:
    # The five-school case with residual_sd = 0.5. Standardised residuals −0.37, 0.73, −0.91, 1.10, −0.55;
    # top quartile threshold: np.quantile([1, 2, 3, 4, 5], 0.75) = 4 → s4 (5) and s5 (4) are on top.
    # groups:        s1 1, s2 1, s3 2, s4 3, s5 1
    # resilient:     s2 (group 1, +0.73 > 0.5); s5 (group 1, top result); s4 is on top but in group 3
    # low in good:   s3 (group 2, −0.91 < −0.5); s5 has −0.55 but is in group 1, which is left out
    settings = dataclasses.replace(ONE_YEAR, residual_sd=0.5)
    context = _context(FIVE, FIVE_X, [1, 1, 2, 3, 1])
    result = value_added(_indicators(FIVE, FIVE_Y, [30] * 5), context, year=2025, settings=settings)
    assert _by_school(result.schools, "resilient") == {
        "s1": False,
        "s2": True,
        "s3": False,
        "s4": False,
        "s5": True,
    }
    assert _by_school(result.schools, "low_in_good_context") == {
        "s1": False,
        "s2": False,
        "s3": True,
        "s4": False,
        "s5": False,
    }
    findings = result.findings
    assert findings.schema.names()[:6] == FINDING_SCHEMA.names()
    resilient = findings.filter(pl.col("method") == "resilient")
    assert _by_school(resilient.filter(pl.col("status") == "flagged"), "reason_codes") == {
        "s2": ["low_context_group", "high_value_added"],
        "s5": ["low_context_group", "top_quantile_result"],
    }
    low = findings.filter(pl.col("method") == "low_in_good_context")
    assert _by_school(low, "status") == {
        "s1": "cleared",
        "s2": "cleared",
        "s3": "flagged",
        "s4": "cleared",
        "s5": "cleared",
    }
    s3 = low.filter(pl.col("school_id") == "s3").row(0, named=True)
    assert s3["reason"] == (
        "Результат 2\u00a0% от максимума за 2025 при индексе контекста 0,00 (2-я группа): "
        "на 1,0\u00a0п.\u00a0п. ниже ожидаемого для такого контекста "
        "(стандартная ошибка 1,0\u00a0п.\u00a0п.; −0,9 СО остатков)"
    )
    # Counting group 1 as a good context too adds s5.
    every_group = dataclasses.replace(settings, good_context_min_group=1)
    again = value_added(_indicators(FIVE, FIVE_Y, [30] * 5), context, year=2025, settings=every_group)
    assert again.schools.filter(pl.col("low_in_good_context"))["school_id"].to_list() == ["s3", "s5"]


def test_it_leaves_small_schools_and_schools_without_index_out_of_the_fit() -> None:
    # s6 has 19 participants (< 20) and an extreme result; s7 has no context index: neither may move the
    # line, which stays the hand line of the five-school case (slope 0.8, intercept 3).
    indicators = _indicators([*FIVE, "s6", "s7"], [*FIVE_Y, 99.0, 50.0], [30] * 5 + [19, 40])
    context = _context([*FIVE, "s6"], [*FIVE_X, -2.0], [1] * 6)
    result = value_added(indicators, context, year=2025, settings=ONE_YEAR)
    model = result.model.row(0, named=True)
    assert (model["intercept"], model["slope"], model["n_schools"]) == (
        pytest.approx(3.0),
        pytest.approx(0.8),
        5,
    )
    for method in ("resilient", "low_in_good_context"):
        rows = result.findings.filter(pl.col("method") == method)
        assert _by_school(rows, "status")["s6"] == "insufficient_data"
        assert _by_school(rows, "reason_codes")["s6"] == ["too_few_participants"]
        assert _by_school(rows, "status")["s7"] == "insufficient_data"
        assert _by_school(rows, "reason_codes")["s7"] == ["no_context_index"]
    s6 = result.findings.filter((pl.col("school_id") == "s6") & (pl.col("method") == "resilient")).row(
        0, named=True
    )
    assert s6["reason"] == "Недостаточно данных: участников за 2025 19 (нужно не меньше 20)"
    assert _by_school(result.schools, "residual")["s6"] is None


def test_it_pools_years_weighted_by_participants_and_flips_lower_is_better() -> None:
    # School a: 2024 60 % (N 10), 2025 40 % (N 30), 2022 outside the 3-year window (2023-2025) → ignored,
    # Русский язык filtered out. Outcome = (60·10 + 40·30) / 40 = 45, n_pooled = 40.
    frames = [
        _indicators(["a"], [60.0], [10], year=2024),
        _indicators(["a"], [40.0], [30], year=2025),
        _indicators(["a"], [0.0], [100], year=2022),
        _indicators(["a"], [100.0], [100], year=2025).with_columns(subject=pl.lit("Русский язык")),
    ]
    settings = ValueAddedSettings(subjects=("Математика",))
    result = value_added(pl.concat(frames), _context(["a"], [0.0], [1]), year=2025, settings=settings)
    row = result.schools.row(0, named=True)
    assert (row["outcome"], row["n_pooled"], row["n_assessments"]) == (pytest.approx(45.0), 40, 2)
    # below_min_pct: lower is better, the outcome is 100 − share: (100 − 12) = 88.
    low = value_added(
        _indicators(["a"], [12.0], [30], column="below_min_pct"),
        _context(["a"], [0.0], [1]),
        year=2025,
        settings=ValueAddedSettings(outcome="below_min_pct"),
    )
    assert low.schools["outcome"].to_list() == [pytest.approx(88.0)]


def test_it_does_not_depend_on_school_names_or_row_order() -> None:
    rng = np.random.default_rng(9)
    schools = [f"edu{i}" for i in range(20)]
    x = rng.normal(0, 1, 20)
    y = (60 + 5 * x + rng.normal(0, 5, 20)).tolist()
    groups = [1 + int(v) for v in np.argsort(np.argsort(x)) * 4 // 20]
    original = value_added(
        _indicators(schools, y, [25] * 20),
        _context(schools, x.tolist(), groups),
        year=2025,
        settings=ONE_YEAR,
    )
    mapping = {name: f"z{19 - i:02d}" for i, name in enumerate(schools)}
    renamed = [mapping[name] for name in schools]
    order = rng.permutation(20)
    other = value_added(
        _indicators(renamed, y, [25] * 20)[order],
        _context(renamed, x.tolist(), groups)[order[::-1]],
        year=2025,
        settings=ONE_YEAR,
    )
    left = original.schools.with_columns(pl.col("school_id").replace_strict(mapping)).sort("school_id")
    right = other.schools.sort("school_id")
    for column in ("residual", "residual_se", "std_residual"):
        assert right[column].to_numpy() == pytest.approx(left[column].to_numpy(), abs=1e-10)
    for column in ("resilient", "low_in_good_context"):
        assert right[column].to_list() == left[column].to_list()
