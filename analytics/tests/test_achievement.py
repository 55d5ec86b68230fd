"""Achievement levels and % completion of regional diagnostics on small frames computed by hand."""

import doctest
from typing import Any

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint

import analytics.achievement
from analytics.achievement import (
    ACHIEVEMENT_COLUMNS,
    ACHIEVEMENT_SCHEMA,
    LEVEL_ORDER,
    achievement_indicators,
    level_sort_key,
)
from analytics.schema import PUPIL_RESULTS, FrameValidationError, validate_frame

KDR = {"year": 2025, "procedure": "КДР", "subject": "Математика", "grade": 7}


def _pupils() -> pl.DataFrame:
    # edu1: 10 pupils, 8 with a level (пониженный 2, базовый 4, повышенный 2), 9 with a completion %.
    # edu2: 3 pupils (базовый 2, высокий 1), every completion given.
    return pl.DataFrame(
        {
            **KDR,
            "school_id": ["edu1"] * 10 + ["edu2"] * 3,
            "participant": [f"p{i}" for i in range(13)],
            "achievement_level": [
                *["пониженный"] * 2,
                *["базовый"] * 4,
                *["повышенный"] * 2,
                None,
                None,
                "базовый",
                "высокий",
                "базовый",
            ],
            "completion_pct": [30.0, 40, 60, 70, 80, 90, 95, 85, None, 50, 55.5, 100, 60],
        }
    )


def _row(frame: pl.DataFrame | pl.LazyFrame, school_id: str) -> dict[str, Any]:
    rows = frame.lazy().filter(pl.col("school_id") == school_id).collect().rows(named=True)
    assert len(rows) == 1
    return rows[0]


def _shares(row: dict[str, Any]) -> list[tuple[str, int, float]]:
    return [(level["level"], level["count"], level["pct"]) for level in row["levels"]]


def test_it_counts_the_levels_and_the_mean_completion_by_hand() -> None:
    result = achievement_indicators(_pupils()).collect()
    assert result.schema == ACHIEVEMENT_SCHEMA
    assert list(ACHIEVEMENT_COLUMNS) == result.columns

    edu1 = _row(result, "edu1")
    assert (edu1["participants"], edu1["level_n"], edu1["completion_n"]) == (10, 8, 9)
    assert edu1["mean_completion"] == pytest.approx((30 + 40 + 60 + 70 + 80 + 90 + 95 + 85 + 50) / 9)
    # Every level of the assessment, lowest first; «высокий» is named at edu2 only: 0 of 8 here.
    assert _shares(edu1) == [
        ("пониженный", 2, 25.0),
        ("базовый", 4, 50.0),
        ("повышенный", 2, 25.0),
        ("высокий", 0, 0.0),
    ]

    edu2 = _row(result, "edu2")
    assert (edu2["participants"], edu2["level_n"], edu2["completion_n"]) == (3, 3, 3)
    assert edu2["mean_completion"] == pytest.approx((55.5 + 100 + 60) / 3)
    assert _shares(edu2) == [
        ("пониженный", 0, 0.0),
        ("базовый", 2, pytest.approx(200 / 3)),
        ("повышенный", 0, 0.0),
        ("высокий", 1, pytest.approx(100 / 3)),
    ]


def test_its_intervals_are_wilsons_as_statsmodels_computes_them() -> None:
    result = achievement_indicators(_pupils()).collect()
    checked = 0
    for row in result.iter_rows(named=True):
        for level in row["levels"]:
            low, high = proportion_confint(level["count"], row["level_n"], alpha=0.05, method="wilson")
            assert level["ci_low"] == pytest.approx(100 * low, abs=1e-9)
            assert level["ci_high"] == pytest.approx(100 * high, abs=1e-9)
            checked += 1
    assert checked == 8


def test_a_narrower_confidence_gives_a_narrower_interval() -> None:
    wide = _row(achievement_indicators(_pupils()), "edu1")["levels"][1]
    narrow = _row(achievement_indicators(_pupils(), confidence=0.8), "edu1")["levels"][1]
    low, high = proportion_confint(4, 8, alpha=0.2, method="wilson")
    assert (narrow["ci_low"], narrow["ci_high"]) == (pytest.approx(100 * low), pytest.approx(100 * high))
    assert wide["ci_low"] < narrow["ci_low"] and narrow["ci_high"] < wide["ci_high"]


def test_the_level_order_does_not_depend_on_the_row_order() -> None:
    pupils = _pupils()
    expected = _shares(_row(achievement_indicators(pupils), "edu1"))
    for seed in range(5):
        shuffled = pupils.sample(fraction=1.0, shuffle=True, seed=seed)
        assert _shares(_row(achievement_indicators(shuffled), "edu1")) == expected


def test_it_orders_known_levels_lowest_first_and_other_labels_alphabetically() -> None:
    labels = ["Другой", "высокий", "Базовый уровень", "Альфа", "недостаточный", "средний", "низкий"]
    expected = ["недостаточный", "низкий", "Базовый уровень", "средний", "высокий", "Альфа", "Другой"]
    assert sorted(labels, key=level_sort_key) == expected
    pupils = pl.DataFrame(
        {**KDR, "school_id": "edu1", "participant": [str(i) for i in range(7)], "achievement_level": labels}
    )
    row = _row(achievement_indicators(pupils), "edu1")
    # The engine sorts as level_sort_key does, and keeps each label as the source wrote it.
    assert [level["level"] for level in row["levels"]] == expected
    assert [level_sort_key(word)[0] for word in LEVEL_ORDER] == list(range(len(LEVEL_ORDER)))


def test_a_school_without_levels_has_an_empty_list_and_its_completion() -> None:
    pupils = pl.DataFrame(
        {**KDR, "school_id": "edu1", "participant": ["1", "2"], "completion_pct": ["45,5", "-"]}
    )
    row = _row(achievement_indicators(pupils), "edu1")
    assert (row["participants"], row["level_n"], row["levels"]) == (2, 0, [])
    assert (row["completion_n"], row["mean_completion"]) == (1, 45.5)


def test_pupil_results_without_the_diagnostic_columns_still_validate() -> None:
    vpr = pl.DataFrame(
        {**KDR, "procedure": "ВПР", "school_id": "edu1", "participant": ["1", "2"], "mark": [3, 4]}
    )
    validated = validate_frame(vpr, "pupil_results")
    assert validated.schema == PUPIL_RESULTS.polars_schema
    assert validated["achievement_level"].null_count() == 2 and validated["completion_pct"].null_count() == 2
    row = _row(achievement_indicators(vpr), "edu1")
    assert (row["level_n"], row["levels"], row["completion_n"], row["mean_completion"]) == (0, [], 0, None)


def test_the_schema_refuses_a_completion_out_of_range_and_a_padded_level() -> None:
    pupils = _pupils().with_columns(
        completion_pct=pl.when(pl.col("participant") == "p0").then(120.0).otherwise(pl.col("completion_pct")),
        achievement_level=pl.when(pl.col("participant") == "p1")
        .then(pl.lit("базовый "))
        .otherwise(pl.col("achievement_level")),
    )
    with pytest.raises(FrameValidationError) as raised:
        validate_frame(pupils, "pupil_results")
    found = {(p.column, p.kind) for p in raised.value.problems}
    assert found == {("completion_pct", "domain"), ("achievement_level", "domain")}


def test_the_docstring_examples_hold() -> None:
    results = doctest.testmod(analytics.achievement, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0 and results.failed == 0
