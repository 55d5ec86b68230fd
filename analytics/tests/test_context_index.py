"""The context index: z-scores, weights and groups by hand; PCA against statsmodels; flags by hand."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import polars as pl
import pytest
from statsmodels.multivariate.pca import PCA

from analytics.context_index import ContextSettings, context_index
from analytics.findings import FINDING_SCHEMA

TWO = (("share_low_income", -1, 1.0), ("share_parents_higher_education", 1, 3.0))


def _hand_context() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "year": 2025,
            "school_id": ["a", "b", "c", "d"],
            "share_low_income": [10.0, 20.0, 30.0, 40.0],
            "share_parents_higher_education": [50.0, None, 20.0, 20.0],
        }
    )


def _by_school(frame: pl.DataFrame, column: str) -> dict[str, float | None]:
    return dict(zip(frame["school_id"].to_list(), frame[column].to_list(), strict=True))


def test_it_computes_z_scores_weighted_index_and_groups_by_hand() -> None:
    # share_low_income 10, 20, 30, 40: mean 25, SD = sqrt(500 / 3) = 12.90994
    #   z = −1.16190, −0.38730, 0.38730, 1.16190; direction −1 → aligned 1.16190, 0.38730, −0.38730, −1.16190
    # share_parents_higher_education 50, –, 20, 20: mean 30, SD = sqrt(600 / 2) = 17.32051
    #   z = 1.15470, –, −0.57735, −0.57735 (direction +1)
    # weights 1 and 3, renormalised over the known variables:
    #   a = (1.16190 + 3 · 1.15470) / 4 = 1.15650
    #   b = 0.38730 / 1                 = 0.38730 (only share_low_income known)
    #   c = (−0.38730 − 3 · 0.57735) / 4 = −0.52984
    #   d = (−1.16190 − 3 · 0.57735) / 4 = −0.72349
    # groups of 4 by rank: d 1, c 2, b 3, a 4.
    settings = ContextSettings(variables=TWO, flags=(), flags_needed=0, min_variables=1)
    result = context_index(_hand_context(), year=2025, settings=settings)
    schools = result.schools
    z = _by_school(schools, "z_share_low_income")
    assert [z[s] for s in "abcd"] == pytest.approx([1.16190, 0.38730, -0.38730, -1.16190], abs=1e-5)
    z2 = _by_school(schools, "z_share_parents_higher_education")
    assert z2["b"] is None
    assert [z2[s] for s in "acd"] == pytest.approx([1.15470, -0.57735, -0.57735], abs=1e-5)
    index = _by_school(schools, "index")
    assert [index[s] for s in "abcd"] == pytest.approx([1.15650, 0.38730, -0.52984, -0.72349], abs=1e-5)
    assert _by_school(schools, "group") == {"a": 4, "b": 3, "c": 2, "d": 1}
    assert _by_school(schools, "variables_used") == {"a": 2, "b": 1, "c": 2, "d": 2}
    assert result.loadings["weight"].to_list() == pytest.approx([0.25, 0.75])

    findings = result.findings
    assert findings.schema.names()[:6] == FINDING_SCHEMA.names()
    assert _by_school(findings, "status") == {"a": "cleared", "b": "cleared", "c": "cleared", "d": "flagged"}
    d = findings.filter(pl.col("school_id") == "d").row(0, named=True)
    assert d["reason_codes"] == ["lowest_context_group"]
    # d's contributions: higher education 3 · (−0.57735) / 4 = −0.433 pulls harder than low income −0.290.
    assert d["reason"] == (
        "Индекс социального благополучия −0,72: 1-я группа из 4 (наименее благополучная); "
        "сильнее всего снижают: доля детей из семей с высшим образованием родителей 20\u00a0% "
        "(по региону 30\u00a0%), доля детей из малообеспеченных семей 40\u00a0% (по региону 25\u00a0%)"
    )


def test_it_groups_in_halves_and_leaves_schools_with_too_few_variables_out() -> None:
    # groups = 2, the same four indices: group = 1 + floor(2 (rank − 1) / 4) → d 1, c 1, b 2, a 2.
    halves = ContextSettings(variables=TWO, groups=2, flags=(), flags_needed=0, min_variables=1)
    assert _by_school(context_index(_hand_context(), year=2025, settings=halves).schools, "group") == {
        "a": 2,
        "b": 2,
        "c": 1,
        "d": 1,
    }
    # min_variables = 2: b has one variable → no index, insufficient_data; the other three are ranked
    # among themselves: d rank 1 → 1, c rank 2 → 1 + floor(4 · 1 / 3) = 2,
    # a rank 3 → 1 + floor(4 · 2 / 3) = 3.
    strict = ContextSettings(variables=TWO, flags=(), flags_needed=0, min_variables=2)
    result = context_index(_hand_context(), year=2025, settings=strict)
    assert _by_school(result.schools, "group") == {"a": 3, "b": None, "c": 2, "d": 1}
    b = result.findings.filter(pl.col("school_id") == "b").row(0, named=True)
    assert b["status"] == "insufficient_data"
    assert b["reason_codes"] == ["too_few_context_variables"]


def _random_context(seed: int, schools: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    low_income = rng.uniform(0, 60, schools)
    frame = pl.DataFrame(
        {
            "year": 2025,
            "school_id": [f"edu{i}" for i in range(schools)],
            "share_low_income": low_income,
            # correlated with low income, so that the first component is meaningful
            "share_parents_higher_education": np.clip(70 - low_income + rng.normal(0, 10, schools), 0, 100),
            "share_unemployed_parents": np.clip(low_income / 2 + rng.normal(0, 5, schools), 0, 100),
            "share_disabilities": rng.uniform(0, 20, schools),
            "location": rng.choice(["city", "village"], schools),
        }
    )
    # a few missing values, imputed by the mean (z = 0) in the PCA
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 3)
        .then(None)
        .otherwise(pl.col("share_disabilities"))
        .alias("share_disabilities")
    )


FOUR = (
    ("share_low_income", -1, 1.0),
    ("share_parents_higher_education", 1, 1.0),
    ("share_unemployed_parents", -1, 2.0),
    ("share_disabilities", -1, 1.0),
    ("village", -1, 1.0),
)


def test_it_matches_the_statsmodels_principal_component() -> None:
    context = _random_context(7)
    settings = ContextSettings(variables=FOUR, method="pca", flags=(), flags_needed=0, min_variables=1)
    result = context_index(context, year=2025, settings=settings)

    # Independent: aligned z-scores with numpy (nan-aware, ddof 1), missing → 0, then statsmodels PCA.
    columns = []
    for name, direction, _ in FOUR:
        if name == "village":
            values = (context["location"] == "village").cast(pl.Float64).to_numpy()
        else:
            values = context[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        z = (values - np.nanmean(values)) / np.nanstd(values, ddof=1)
        columns.append(direction * np.nan_to_num(z, nan=0.0))
    matrix = np.column_stack(columns)
    pca = PCA(matrix, ncomp=5, standardize=False, demean=True, normalize=False, method="svd")
    expected = np.asarray(pca.loadings)[:, 0]
    share = float(pca.eigenvals[0] / np.sum(pca.eigenvals))

    loadings = result.loadings["loading"].to_numpy()
    sign = np.sign(loadings @ expected)
    assert loadings == pytest.approx(sign * expected, abs=1e-8)
    assert result.loadings["explained_variance"].to_list() == pytest.approx([share] * 5, rel=1e-8)
    scores = matrix @ (sign * expected)
    index = result.schools.sort(pl.col("school_id").str.slice(3).cast(pl.Int32))["index"].to_numpy()
    assert index == pytest.approx(scores / np.std(scores, ddof=1), abs=1e-8)
    # oriented: higher = more advantaged, i.e. positively correlated with the weighted index
    weighted = context_index(context, year=2025, settings=dataclasses.replace(settings, method="weights"))
    weighted_index = weighted.schools.sort(pl.col("school_id").str.slice(3).cast(pl.Int32))["index"]
    assert np.corrcoef(index, weighted_index.to_numpy())[0, 1] > 0.5


@pytest.mark.parametrize("method", ["weights", "pca"])
def test_it_gives_the_same_index_when_a_variable_and_its_direction_are_both_flipped(method: str) -> None:
    context = _random_context(11)
    settings = ContextSettings(variables=FOUR, method=method, flags=(), flags_needed=0, min_variables=1)  # type: ignore[arg-type]
    flipped_variables = tuple(
        (name, -direction if name == "share_low_income" else direction, weight)
        for name, direction, weight in FOUR
    )
    flipped = dataclasses.replace(settings, variables=flipped_variables)
    negated = context.with_columns(-pl.col("share_low_income"))
    original = context_index(context, year=2025, settings=settings).schools.sort("school_id")
    other = context_index(negated, year=2025, settings=flipped).schools.sort("school_id")
    assert other["index"].to_numpy() == pytest.approx(original["index"].to_numpy(), abs=1e-10)
    assert other["group"].to_list() == original["group"].to_list()
    alone = context_index(context, year=2025, settings=flipped)
    if method == "weights":
        # flipping the direction alone does change a weighted index
        assert not np.allclose(
            alone.schools.sort("school_id")["index"].to_numpy(), original["index"].to_numpy()
        )
    else:
        # a principal component absorbs a flipped sign into its loading: same index, loading negated
        base = context_index(context, year=2025, settings=settings).loadings["loading"].to_numpy()
        assert alone.loadings["loading"].to_numpy() == pytest.approx(base * [-1, 1, 1, 1, 1], abs=1e-10)


@pytest.mark.parametrize("method", ["weights", "pca"])
def test_it_does_not_depend_on_school_names_or_row_order(method: str) -> None:
    context = _random_context(3, schools=30)
    flags = (("share_low_income", 30.0), ("share_unemployed_parents", 15.0), ("village", 1.0))
    settings = ContextSettings(
        variables=FOUR,
        method=method,  # type: ignore[arg-type]
        min_variables=2,
        shnsu_mode="flags",
        flags=flags,
        flags_needed=2,
    )
    renamed = context.with_columns(
        school_id=pl.concat_str(pl.lit("x"), (29 - pl.int_range(pl.len())).cast(pl.String))
    ).sample(fraction=1.0, shuffle=True, seed=5)
    mapping = dict(zip(context["school_id"], (f"x{29 - i}" for i in range(30)), strict=True))
    original = context_index(context, year=2025, settings=settings)
    other = context_index(renamed, year=2025, settings=settings)
    left = original.schools.with_columns(pl.col("school_id").replace_strict(mapping)).sort("school_id")
    right = other.schools.sort("school_id")
    assert right["index"].to_numpy() == pytest.approx(left["index"].to_numpy(), abs=1e-10)
    assert right["group"].to_list() == left["group"].to_list()
    assert right["flags_count"].to_list() == left["flags_count"].to_list()
    findings_left = original.findings.with_columns(pl.col("school_id").replace_strict(mapping)).sort(
        "school_id"
    )
    assert other.findings.sort("school_id")["status"].to_list() == findings_left["status"].to_list()


def test_it_counts_n_of_m_flags_by_hand() -> None:
    context = pl.DataFrame(
        {
            "year": 2025,
            "school_id": ["p", "q", "r"],
            "share_low_income": [30.0, 29.9, None],
            "share_parents_higher_education": [15.0, 40.0, 10.0],
            "location": ["village", "village", "city"],
        }
    )
    settings = ContextSettings(
        variables=(
            ("share_low_income", -1, 1.0),
            ("share_parents_higher_education", 1, 1.0),
            ("village", -1, 1.0),
        ),
        flags=(("share_low_income", 30.0), ("share_parents_higher_education", 15.0), ("village", 1.0)),
        flags_needed=2,
        shnsu_mode="flags",
        min_variables=2,
    )
    # p: low income 30 ≥ 30 ✓, higher education 15 ≤ 15 ✓, village ✓ → 3 → flagged
    # q: 29.9 < 30 ✗, 40 > 15 ✗, village ✓                         → 1 → cleared
    # r: low income unknown (no flag), 10 ≤ 15 ✓, city ✗          → 1 → cleared (2 variables known)
    result = context_index(context, year=2025, settings=settings)
    assert _by_school(result.schools, "flags_count") == {"p": 3, "q": 1, "r": 1}
    assert _by_school(result.findings, "status") == {"p": "flagged", "q": "cleared", "r": "cleared"}
    p = result.findings.filter(pl.col("school_id") == "p").row(0, named=True)
    assert p["reason_codes"] == ["context_flags"]
    assert "признаков неблагоприятного контекста 3 из 3 (нужно 2)" in p["reason"]
    assert "доля детей из малообеспеченных семей 30\u00a0% (≥\u00a030\u00a0%)" in p["reason"]


def test_it_standardises_within_each_region() -> None:
    # Region R2 is region R1 shifted by +30 pp of low income: within-region z-scores are the same.
    context = pl.DataFrame(
        {
            "year": 2025,
            "school_id": ["a1", "b1", "c1", "a2", "b2", "c2"],
            "share_low_income": [10.0, 20.0, 45.0, 40.0, 50.0, 75.0],
            "share_parents_higher_education": [50.0, 30.0, 10.0, 50.0, 30.0, 10.0],
        }
    )
    areas = pl.DataFrame(
        {"school_id": context["school_id"], "municipality_id": "m", "region_id": ["R1"] * 3 + ["R2"] * 3}
    )
    settings = ContextSettings(variables=TWO, groups=3, flags=(), flags_needed=0, min_variables=1)
    schools = context_index(context, year=2025, settings=settings, areas=areas).schools.sort("school_id")
    index = _by_school(schools, "index")
    for name in "abc":
        assert index[f"{name}1"] == pytest.approx(index[f"{name}2"], abs=1e-12)
    assert _by_school(schools, "group") == {"a1": 3, "b1": 2, "c1": 1, "a2": 3, "b2": 2, "c2": 1}


def test_its_settings_are_json_values_with_labels_and_sources() -> None:
    settings = ContextSettings()
    assert json.loads(json.dumps(dataclasses.asdict(settings)))["groups"] == 4
    for item in dataclasses.fields(settings):
        assert item.metadata["label"]
        assert item.metadata["source"].startswith(("DOMAIN.md §5", "выбор Опоры"))
    with pytest.raises(ValueError, match="direction"):
        ContextSettings(variables=(("share_low_income", 2, 1.0),), flags=(), flags_needed=0, min_variables=1)


def test_a_region_with_one_school_gives_it_a_neutral_index_not_an_error() -> None:
    schools = [f"s{i}" for i in range(6)]
    context = pl.DataFrame(
        {
            "year": 2025,
            "school_id": schools,
            "share_low_income": [10.0, 20.0, 30.0, 15.0, 25.0, 40.0],
            "share_parents_higher_education": [40.0, 30.0, 20.0, 35.0, 25.0, 10.0],
            "share_unemployed_parents": [5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    areas = pl.DataFrame(
        {"school_id": schools, "municipality_id": ["m1"] * 5 + ["m2"], "region_id": ["r1"] * 5 + ["r2"]}
    )
    result = context_index(context, year=2025, areas=areas)
    alone = result.schools.filter(pl.col("school_id") == "s5").row(0, named=True)
    # Its region has no spread to standardise by: every z-score is 0, so is the index; one group of one.
    assert (alone["index"], alone["group"]) == (0.0, 1)
    assert result.schools.filter(pl.col("region_id") == "r1")["index"].is_not_nan().all()
