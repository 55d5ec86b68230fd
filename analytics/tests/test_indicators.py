"""School indicators and task completion on small frames computed by hand."""

from typing import Any

import polars as pl
import pytest

from analytics.indicators import (
    SCHOOL_INDICATOR_COLUMNS,
    SCHOOL_INDICATORS_SCHEMA,
    SCHOOL_KEY,
    TASK_COMPLETION_COLUMNS,
    IndicatorSettings,
    aggregate_indicators,
    area_task_completion,
    compare_task_completion,
    school_indicators,
    task_completion,
)
from analytics.stats import TierThresholds

VPR = {"year": 2025, "procedure": "ВПР", "subject": "Математика", "grade": 5}


def _vpr_pupils() -> pl.DataFrame:
    return pl.DataFrame(
        {
            **VPR,
            "school_id": ["edu1"] * 10 + ["edu2"] * 3,
            "participant": [f"p{i}" for i in range(13)],
            "mark": [2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 3, None, 4],
            "journal_mark": [3, 2, 3, 4, 5, 4, 3, 5, None, 3, 3, 4, 4],
            "primary_score": [3, 4, 8, 9, 10, 12, 13, 17, 18, 19, 9, None, 12],
            "max_primary_score": 20,
        }
    )


def _row(frame: pl.LazyFrame, school_id: str) -> dict[str, Any]:
    rows = frame.filter(pl.col("school_id") == school_id).collect().rows(named=True)
    assert len(rows) == 1
    return rows[0]


def test_it_computes_the_mark_indicators_by_hand() -> None:
    school = _row(school_indicators(_vpr_pupils()), "edu1")
    # 10 pupils, marks [2,2,3,3,3,4,4,5,5,5]: counts 2, 3, 2, 3 → 20 %, 30 %, 20 %, 30 %.
    assert school["participants"] == school["marks_n"] == 10
    assert [school[f"mark_{m}_count"] for m in (2, 3, 4, 5)] == [2, 3, 2, 3]
    assert [school[f"mark_{m}_pct"] for m in (2, 3, 4, 5)] == pytest.approx([20, 30, 20, 30])
    # успеваемость = 100 − 20 = 80; качество = 20 + 30 = 50.
    assert (school["pass_count"], school["pass_pct"]) == (8, pytest.approx(80))
    assert (school["quality_count"], school["quality_pct"]) == (5, pytest.approx(50))
    # mean mark = 36 / 10 = 3.6; mean primary = (3+4+8+9+10+12+13+17+18+19) / 10 = 113 / 10 = 11.3;
    # % of maximum = 11.3 / 20 × 100 = 56.5.
    assert school["mean_mark"] == pytest.approx(3.6)
    assert school["mean_primary_score"] == pytest.approx(11.3)
    assert school["mean_pct_of_max"] == pytest.approx(56.5)
    # below_minimum is not given: mark «2» stands for it → 2 of 10 = 20 %.
    assert (school["below_min_n"], school["below_min_count"], school["below_min_pct"]) == (10, 2, 20.0)
    # Wilson 95 % for 2 of 10 (worked in test_stats): [5.66822, 50.98375] %.
    assert school["mark_2_ci_low"] == pytest.approx(5.66822, abs=1e-4)
    assert school["mark_2_ci_high"] == pytest.approx(50.98375, abs=1e-4)
    # успеваемость is the complement: [100 − 50.98375, 100 − 5.66822].
    assert school["pass_ci_low"] == pytest.approx(49.01625, abs=1e-4)
    assert school["pass_ci_high"] == pytest.approx(94.33178, abs=1e-4)
    assert school["sample_tier"] == "limited"
    assert school["source"] == "pupils"


def test_it_compares_the_vpr_mark_with_the_journal_mark_by_hand() -> None:
    school = _row(school_indicators(_vpr_pupils()), "edu1")
    # (mark, journal): (2,3) lowered; (2,2) confirmed; (3,3) c; (3,4) l; (3,5) l, differs by 2;
    # (4,4) c; (4,3) raised; (5,5) c; (5,–) not counted; (5,3) r, differs by 2.
    # 9 pupils with both marks: lowered 3, confirmed 4, raised 2, differing by 2+ 2.
    assert school["journal_n"] == 9
    counts = [school[f"{name}_count"] for name in ("lowered", "confirmed", "raised", "differ_2plus")]
    assert counts == [3, 4, 2, 2]
    assert school["lowered_pct"] == pytest.approx(100 * 3 / 9)
    assert school["confirmed_pct"] == pytest.approx(100 * 4 / 9)
    assert school["raised_pct"] == pytest.approx(100 * 2 / 9)
    assert school["differ_2plus_pct"] == pytest.approx(100 * 2 / 9)


def test_it_counts_marks_over_pupils_who_have_one() -> None:
    school = _row(school_indicators(_vpr_pupils()), "edu2")
    # 3 pupils, marks [3, –, 4]: 2 marked → «3» 50 %, «4» 50 %, «2» 0 % so успеваемость 100, качество 50.
    assert (school["participants"], school["marks_n"]) == (3, 2)
    assert (school["mark_2_pct"], school["mark_3_pct"], school["mark_4_pct"]) == (0.0, 50.0, 50.0)
    assert (school["pass_pct"], school["quality_pct"]) == (100.0, 50.0)
    # At k = 0 Wilson gives [0, z²/(n + z²)] = [0, 3.8414588 / 5.8414588] = [0, 65.76198 %].
    assert school["mark_2_ci_low"] == 0.0
    assert school["mark_2_ci_high"] == pytest.approx(65.76198, abs=1e-4)
    # Primary scores 9 and 12: mean 10.5, 52.5 % of 20. Journal: (3,3) and (4,4) confirmed, (–,4) not counted.
    assert (school["mean_primary_score"], school["mean_pct_of_max"]) == (10.5, 52.5)
    assert (school["journal_n"], school["confirmed_count"], school["lowered_count"]) == (2, 2, 0)
    # The pupil without a mark has no below-minimum status either: 0 of 2.
    assert (school["below_min_n"], school["below_min_count"]) == (2, 0)


def test_it_computes_ege_indicators_by_hand() -> None:
    ege = pl.DataFrame(
        {
            "year": 2025,
            "procedure": "ЕГЭ",
            "subject": "Русский язык",
            "grade": 11,
            "school_id": "edu1",
            "participant": ["a", "b", "c", "d", "e"],
            "test_score": [20.0, 35.0, 80.0, 100.0, 64.0],
            "below_minimum": [True, False, False, False, False],
        }
    )
    school = _row(school_indicators(ege), "edu1")
    # below the minimum: 1 of 5 = 20 %; 80-100: 80 and 100 → 2 of 5 = 40 %;
    # mean = (20 + 35 + 80 + 100 + 64) / 5 = 299 / 5 = 59.8.
    assert (school["below_min_count"], school["below_min_pct"]) == (1, 20.0)
    assert (school["high_score_count"], school["high_score_pct"]) == (2, 40.0)
    assert school["mean_test_score"] == pytest.approx(59.8)
    # No marks in ЕГЭ: the mark shares are not given, and not zero.
    assert school["marks_n"] == 0
    assert school["mark_2_count"] is None and school["mark_2_pct"] is None and school["pass_pct"] is None


def test_a_given_below_minimum_wins_over_the_mark() -> None:
    oge = pl.DataFrame(
        {
            **{**VPR, "procedure": "ОГЭ", "grade": 9},
            "school_id": "edu1",
            "participant": ["a", "b", "c", "d", "e"],
            "mark": [2, 3, 3, 4, 2],
            "below_minimum": [False, None, True, True, None],
        }
    )
    # a: given False although mark 2; b: not given, mark 3 → False; c, d: given True although mark 3, 4;
    # e: not given, mark 2 → True. Below the minimum: c, d, e = 3 of 5 (mark «2» alone would say 2).
    school = _row(school_indicators(oge), "edu1")
    assert (school["below_min_count"], school["below_min_n"], school["below_min_pct"]) == (3, 5, 60.0)
    assert school["mark_2_count"] == 2


@pytest.mark.parametrize(
    ("pupils", "tier"), [(19, "limited"), (20, "approximate"), (49, "approximate"), (50, "informative")]
)
def test_it_assigns_the_tier_from_the_number_of_participants(pupils: int, tier: str) -> None:
    frame = pl.DataFrame(
        {**VPR, "school_id": "edu1", "participant": [str(i) for i in range(pupils)], "mark": 3}
    )
    assert _row(school_indicators(frame), "edu1")["sample_tier"] == tier


def test_it_takes_its_parameters_from_the_settings() -> None:
    frame = _vpr_pupils().with_columns(test_score=pl.lit(70.0))
    default = _row(school_indicators(frame), "edu1")
    custom = IndicatorSettings(
        confidence=0.99,
        tiers=TierThresholds(informative=10, approximate=5),
        high_score_min=70.0,
        journal_gap=1,
    )
    changed = _row(school_indicators(frame, settings=custom), "edu1")
    assert changed["mark_2_ci_low"] < default["mark_2_ci_low"]
    assert changed["mark_2_ci_high"] > default["mark_2_ci_high"]
    assert (default["sample_tier"], changed["sample_tier"]) == ("limited", "informative")
    assert (default["high_score_count"], changed["high_score_count"]) == (0, 10)
    # With a gap of 1 every pupil whose marks differ counts: lowered 3 + raised 2 = 5.
    assert (default["differ_2plus_count"], changed["differ_2plus_count"]) == (2, 5)


def test_it_outputs_the_documented_columns() -> None:
    result = school_indicators(_vpr_pupils()).collect()
    assert result.schema == SCHOOL_INDICATORS_SCHEMA
    assert list(SCHOOL_INDICATOR_COLUMNS) == result.columns
    assert result.height == 2


def test_it_computes_indicators_from_aggregates_by_hand() -> None:
    aggregates = pl.DataFrame(
        {
            "year": [2025, 2025],
            "procedure": ["ВПР", "ЕГЭ"],
            "subject": ["Математика", "Русский язык"],
            "grade": [5, 11],
            "school_id": ["edu1", "edu1"],
            "participants": [40, 25],
            "share_2": [12.5, None],
            "share_3": [37.5, None],
            "share_4": [30.0, None],
            "share_5": [20.0, None],
            "below_minimum_share": [None, 8.0],
            "score_80_99_count": [None, 4],
            "score_100_count": [None, 1],
            "mean_test_score": [None, 63.4],
            "share_lowered": [10.0, None],
            "share_confirmed": [85.0, None],
            "share_raised": [5.0, None],
        }
    )
    result = aggregate_indicators(aggregates).collect()
    assert result.schema == SCHOOL_INDICATORS_SCHEMA
    vpr, ege = (result.filter(pl.col("procedure") == name).row(0, named=True) for name in ("ВПР", "ЕГЭ"))
    # ВПР, N = 40: counts 12.5 % → 5, 37.5 % → 15, 30 % → 12, 20 % → 8;
    # успеваемость (40 − 5) / 40 = 87.5 %; качество (12 + 8) / 40 = 50 %.
    assert [vpr[f"mark_{m}_count"] for m in (2, 3, 4, 5)] == [5, 15, 12, 8]
    assert (vpr["pass_pct"], vpr["quality_pct"], vpr["sample_tier"]) == (87.5, 50.0, "approximate")
    # Journal: 10 % → 4, 85 % → 34, 5 % → 2 of 40; below the minimum falls back to nothing given.
    assert (vpr["lowered_count"], vpr["confirmed_count"], vpr["raised_count"]) == (4, 34, 2)
    assert vpr["below_min_pct"] is None and vpr["differ_2plus_pct"] is None
    # ЕГЭ, N = 25: 8 % → 2 below the minimum; 4 + 1 = 5 high scorers = 20 %; mean 63.4.
    assert (ege["below_min_count"], ege["below_min_pct"]) == (2, 8.0)
    assert (ege["high_score_count"], ege["high_score_pct"]) == (5, 20.0)
    assert ege["mean_test_score"] == 63.4
    assert ege["marks_n"] is None and ege["source"] == "aggregates"


def test_pupil_and_aggregate_indicators_concatenate() -> None:
    aggregates = pl.DataFrame(
        {**VPR, "school_id": ["edu9"], "participants": [12], "below_minimum_count": [3]}
    )
    both = pl.concat([school_indicators(_vpr_pupils()), aggregate_indicators(aggregates)]).collect()
    assert sorted(both["source"].to_list()) == ["aggregates", "pupils", "pupils"]
    assert both.filter(pl.col("school_id") == "edu9")["below_min_pct"].to_list() == [25.0]


# --- task completion ---------------------------------------------------------------------------------


def _tasks() -> pl.DataFrame:
    # task 1: max 1, level Б; task 2: max 2, level П; task 3: max 2, level Б (school edu1 only).
    rows = [
        ("edu1", "p1", "1", 1.0), ("edu1", "p1", "2", 2.0), ("edu1", "p1", "3", 2.0),
        ("edu1", "p2", "1", None), ("edu1", "p2", "2", 0.0),  # p2 left task 1 blank («X»)
        ("edu2", "p3", "1", 1.0), ("edu2", "p3", "2", 1.0),
        ("edu3", "p4", "1", 0.0), ("edu3", "p4", "2", 2.0),
        ("edu4", "p5", "1", 1.0), ("edu4", "p5", "2", None),
        ("edu5", "p6", "1", 1.0), ("edu5", "p6", "2", 2.0),  # edu5 has no municipality
    ]  # fmt: skip
    maxima = {"1": 1.0, "2": 2.0, "3": 2.0}
    levels = {"1": "Б", "2": "П", "3": "Б"}
    frame = pl.DataFrame(rows, schema=["school_id", "participant", "task", "score"], orient="row")
    return frame.with_columns(
        *[pl.lit(value).alias(name) for name, value in VPR.items()],
        max_score=pl.col("task").replace_strict(maxima),
        level=pl.col("task").replace_strict(levels),
    )


AREAS = pl.DataFrame(
    {
        "school_id": ["edu1", "edu2", "edu3", "edu4"],
        "municipality_id": ["m1", "m1", "m2", "m3"],
        "region_id": ["r1", "r1", "r1", "r2"],
    }
)


def _completion(frame: pl.LazyFrame, school_id: str, unit: str, column: str = "completion_pct") -> Any:
    unit_column = "task" if "task" in frame.collect_schema() else "level"
    return _row(frame.filter(pl.col(unit_column) == unit), school_id)[column]


def test_it_computes_task_completion_by_hand() -> None:
    completion = task_completion(_tasks())
    assert completion.collect().columns == list(TASK_COMPLETION_COLUMNS)
    # edu1 task 1: p1 1 of 1, p2 blank = 0 of 1 → (1 + 0) / (1 + 1) = 50 %, both pupils count.
    assert _row(completion.filter(pl.col("task") == "1"), "edu1")["participants"] == 2
    assert _completion(completion, "edu1", "1") == 50.0
    # edu1 task 2: (2 + 0) / (2 + 2) = 50 %; task 3: p1 only, 2 / 2 = 100 %.
    assert _completion(completion, "edu1", "2") == 50.0
    assert _completion(completion, "edu1", "3") == 100.0
    # edu4 task 2 blank: 0 / 2 = 0 %.
    assert _completion(completion, "edu4", "2") == 0.0


def test_it_computes_level_completion_by_hand() -> None:
    completion = task_completion(_tasks(), by="level")
    # edu1 level Б = tasks 1 and 3: (1 + 0 + 2) / (1 + 1 + 2) = 3 / 4 = 75 %, over 2 pupils.
    assert _completion(completion, "edu1", "Б") == 75.0
    assert _completion(completion, "edu1", "Б", "participants") == 2
    # edu1 level П = task 2: (2 + 0) / 4 = 50 %.
    assert _completion(completion, "edu1", "П") == 50.0


def test_it_pools_the_municipality_and_the_region_by_hand() -> None:
    completion = task_completion(_tasks())
    municipalities = area_task_completion(completion, AREAS, area="municipality")
    regions = area_task_completion(completion, AREAS, area="region")

    def area(frame: pl.LazyFrame, column: str, area_id: str, task: str) -> dict[str, Any]:
        rows = frame.filter((pl.col(column) == area_id) & (pl.col("task") == task)).collect().rows(named=True)
        assert len(rows) == 1
        return rows[0]

    # m1 = edu1 + edu2, task 1: (1 + 0 + 1) / (1 + 1 + 1) = 2 / 3 = 66.67 %, 2 schools, 3 pupils.
    m1 = area(municipalities, "municipality_id", "m1", "1")
    assert (m1["schools"], m1["participants"]) == (2, 3)
    assert m1["completion_pct"] == pytest.approx(200 / 3)
    # r1 = edu1 + edu2 + edu3, task 2: (2 + 0 + 1 + 2) / (2 + 2 + 2 + 2) = 5 / 8 = 62.5 %.
    assert area(regions, "region_id", "r1", "2")["completion_pct"] == 62.5
    # r2 = edu4 only; edu5 (no municipality) is in no area.
    assert area(regions, "region_id", "r2", "1")["completion_pct"] == 100.0
    assert set(regions.collect()["region_id"]) == {"r1", "r2"}


def test_it_puts_a_school_beside_its_municipality_and_region() -> None:
    compared = compare_task_completion(task_completion(_tasks()), AREAS)
    edu1 = _row(compared.filter(pl.col("task") == "1"), "edu1")
    # edu1 task 1: 50 %; m1 66.67 % → −16.67 pp; r1 (1 + 0 + 1 + 0) / 4 = 50 % → 0 pp.
    assert edu1["municipality_completion_pct"] == pytest.approx(200 / 3)
    assert edu1["vs_municipality_pp"] == pytest.approx(50 - 200 / 3)
    assert (edu1["region_completion_pct"], edu1["vs_region_pp"]) == (50.0, 0.0)
    assert (edu1["municipality_participants"], edu1["region_participants"]) == (3, 4)
    # A school outside the mapping keeps its own value and gets no area values.
    edu5 = _row(compared.filter(pl.col("task") == "1"), "edu5")
    assert edu5["completion_pct"] == 100.0
    assert edu5["municipality_completion_pct"] is None and edu5["region_completion_pct"] is None


def test_without_regions_the_mapped_schools_form_one_region() -> None:
    compared = compare_task_completion(task_completion(_tasks(), by="level"), AREAS.drop("region_id"))
    # Level П (task 2) over edu1-edu4: (2 + 0 + 1 + 2 + 0) / (5 × 2) = 50 %.
    for school in ("edu1", "edu2", "edu3", "edu4"):
        assert _completion(compared, school, "П", "region_completion_pct") == 50.0
    assert _completion(compared, "edu5", "П", "region_completion_pct") is None


def test_it_refuses_an_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="by must be"):
        task_completion(_tasks(), by="pupil")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="area must be"):
        area_task_completion(task_completion(_tasks()), AREAS, area="country")  # type: ignore[arg-type]


def test_the_school_key_is_the_assessment_and_the_school() -> None:
    assert SCHOOL_KEY == ("year", "procedure", "subject", "grade", "school_id")
