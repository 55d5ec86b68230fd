"""Signs of non-objective results, checked against independent SciPy/statsmodels computations and by hand."""

import dataclasses
import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2, fisher_exact, hypergeom
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.proportion import proportion_confint

from analytics.findings import FINDING_COLUMNS, FINDING_SCHEMA
from analytics.indicators import compare_task_completion, school_indicators, task_completion
from analytics.objectivity import (
    ASSESSMENT_COLUMNS,
    ObjectivitySettings,
    basic_vs_advanced,
    boundary_heaping,
    cohort_drop,
    journal_mismatch,
    objectivity_signs,
    vpr_vs_exams,
)
from analytics.objectivity.heaping import _hypergeom_upper_tail
from analytics.objectivity.wording import _numbers, _p_texts, _percents, _pps
from analytics.text import number_text, percent_text, pp_text

YEAR = 2025
VPR5 = {"year": YEAR, "procedure": "ВПР", "subject": "Математика", "grade": 5}
BOUNDS = (6, 11, 16)  # lowest primary score of «3», «4», «5»


def _pupils(assessment: dict[str, Any], school_id: str, **columns: list[Any]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame(
        {
            **assessment,
            "school_id": school_id,
            "participant": [f"{school_id}-{i}" for i in range(n)],
            **columns,
        }
    )


def _one(frame: pl.DataFrame, school_id: str) -> dict[str, Any]:
    rows = frame.filter(pl.col("school_id") == school_id).rows(named=True)
    assert len(rows) == 1, rows
    return rows[0]


def _assert_shape(frame: pl.DataFrame, method: str) -> None:
    assert frame.columns[: len(FINDING_COLUMNS)] == list(FINDING_COLUMNS)
    assert dict(frame.schema) | dict(FINDING_SCHEMA) == dict(frame.schema)
    assert frame.columns[len(FINDING_COLUMNS) : len(FINDING_COLUMNS) + 3] == ASSESSMENT_COLUMNS.names()
    assert {"value", "threshold", "n"} <= set(frame.columns)
    assert frame["method"].unique().to_list() in ([], [f"objectivity_{method}"])
    for reason, status in frame.select("reason", "status").iter_rows():
        for word in ("нарушени", "списыва"):
            assert word not in reason.lower()
        if status == "flagged":
            assert reason.startswith("Признак (") and "требует проверки" in reason


# --- 1. journal ---------------------------------------------------------------------------------------


def _journal_school(school_id: str, n: int, not_confirmed: int) -> pl.DataFrame:
    # Marks 4; the first `not_confirmed` pupils have journal mark 5 (one point off: never 2+).
    return _pupils(
        VPR5, school_id, mark=[4] * n, journal_mark=[5] * not_confirmed + [4] * (n - not_confirmed)
    )


def test_it_flags_journal_mismatch_by_the_wilson_lower_bound() -> None:
    pupils = pl.concat(
        [
            _journal_school("big", 64, 48),  # 75 %: lower bound well above 50 %
            _journal_school("small", 20, 12),  # 60 %, but the lower bound is below 50 %
            _journal_school("tiny", 5, 5),  # below journal_min_n
        ]
    )
    found = journal_mismatch(school_indicators(pupils), year=YEAR)
    _assert_shape(found, "journal_mismatch")
    for school_id, n, k in (("big", 64, 48), ("small", 20, 12)):
        row = _one(found, school_id)
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert row["value"] == pytest.approx(100 * k / n)
        assert row["value_ci_low"] == pytest.approx(100 * low)
        assert row["value_ci_high"] == pytest.approx(100 * high)
        assert row["n"] == n
        assert row["status"] == ("flagged" if 100 * low > 50 else "cleared")
    assert _one(found, "big")["status"] == "flagged"
    assert _one(found, "big")["reason_codes"] == ["journal_not_confirmed"]
    assert _one(found, "small")["status"] == "cleared"
    assert _one(found, "small")["reason_codes"] == []
    tiny = _one(found, "tiny")
    assert (tiny["status"], tiny["reason_codes"]) == ("insufficient_data", ["journal_insufficient_n"])
    reason = _one(found, "big")["reason"]
    assert "75\u00a0%" in reason and "N\u00a0=\u00a064" in reason


def test_it_flags_marks_differing_by_two_or_more() -> None:
    # 40 pupils, 10 with journal «5» and ВПР «3» (differ by 2: 25 %), 30 confirmed → not_confirmed 25 %.
    pupils = _pupils(VPR5, "s", mark=[3] * 40, journal_mark=[5] * 10 + [3] * 30)
    row = _one(journal_mismatch(school_indicators(pupils), year=YEAR), "s")
    low, _ = proportion_confint(10, 40, alpha=0.05, method="wilson")
    assert row["differ_2plus_ci_low"] == pytest.approx(100 * low)
    assert 100 * low >= 10
    assert (row["status"], row["reason_codes"]) == ("flagged", ["journal_differ_2plus"])


# --- 2. heaping ---------------------------------------------------------------------------------------


def _mark(scores: np.ndarray) -> np.ndarray:
    return 2 + np.searchsorted(np.array(BOUNDS), scores, side="right")


def _school_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.binomial(20, 0.55, size=n)


def _score_frame(scores_by_school: dict[str, np.ndarray]) -> pl.DataFrame:
    frames = [
        _pupils(
            VPR5,
            school_id,
            primary_score=scores.astype(float).tolist(),
            mark=_mark(scores).tolist(),
            max_primary_score=[20.0] * len(scores),
        )
        for school_id, scores in scores_by_school.items()
    ]
    return pl.concat(frames)


def _region(seed: int, schools: int = 40, size: int = 60) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"r{i:03d}": _school_scores(rng, size) for i in range(schools)}


BOUNDARIES = pl.DataFrame(
    {**VPR5, "min_score_3": [BOUNDS[0]], "min_score_4": [BOUNDS[1]], "min_score_5": [BOUNDS[2]]}
)


def _independent_heaping_p(school: np.ndarray, rest: np.ndarray) -> tuple[float, int, int, float]:
    """Fisher exact per boundary (scipy.stats.fisher_exact) combined by Fisher's χ² formula, by hand."""
    statistic, used, observed, expected = 0.0, 0, 0, 0.0
    for b in BOUNDS:
        at, below = int((school == b).sum()), int((school == b - 1).sum())
        rest_at, rest_below = int((rest == b).sum()), int((rest == b - 1).sum())
        if at + below == 0 or rest_at + rest_below == 0:
            continue
        p = fisher_exact([[at, below], [rest_at, rest_below]], alternative="greater").pvalue
        statistic += -2.0 * math.log(p)
        used += 1
        observed += at
        expected += (at + below) * rest_at / (rest_at + rest_below)
    return float(chi2.sf(statistic, 2 * used)), used, observed, expected


def test_it_finds_a_known_excess_at_the_boundaries_as_scipy_does() -> None:
    scores = _region(seed=11)
    rng = np.random.default_rng(12)
    heaped = _school_scores(rng, 80)
    for b in BOUNDS[:2]:  # every pupil one point short of «3» and of «4» is pushed over
        heaped[heaped == b - 1] = b
    scores["heaped"] = heaped
    found = boundary_heaping(_score_frame(scores), year=YEAR, boundaries=BOUNDARIES)
    _assert_shape(found, "boundary_heaping")
    row = _one(found, "heaped")
    rest = np.concatenate([v for k, v in scores.items() if k != "heaped"])
    p, used, observed, expected = _independent_heaping_p(heaped, rest)
    assert row["p_value"] == pytest.approx(p, rel=1e-9)
    assert (row["boundaries"], row["observed"]) == (used, observed)
    assert row["expected"] == pytest.approx(expected)
    assert row["value"] == pytest.approx(observed - expected)
    assert row["value"] >= 5
    assert row["p_value_adjusted"] < 0.01
    assert (row["status"], row["reason_codes"]) == ("flagged", ["heaping_at_mark_boundaries"])
    assert "избыток первичных баллов" in row["reason"]
    # Nobody in the region is flagged but the heaped school.
    assert found.filter(pl.col("status") == "flagged")["school_id"].to_list() == ["heaped"]


def test_it_does_not_flag_a_school_drawn_from_the_region() -> None:
    scores = _region(seed=21)
    scores["honest"] = _school_scores(np.random.default_rng(22), 80)
    found = boundary_heaping(_score_frame(scores), year=YEAR, boundaries=BOUNDARIES)
    row = _one(found, "honest")
    rest = np.concatenate([v for k, v in scores.items() if k != "honest"])
    assert row["p_value"] == pytest.approx(_independent_heaping_p(scores["honest"], rest)[0], rel=1e-9)
    assert row["p_value"] > 0.1
    assert row["status"] == "cleared"


def test_it_keeps_the_heaping_test_calibrated_on_a_region_without_heaping() -> None:
    found = boundary_heaping(_score_frame(_region(seed=31, schools=200)), year=YEAR, boundaries=BOUNDARIES)
    tested = found.filter(pl.col("status") != "insufficient_data")
    assert tested.height > 150
    # Exact discrete p-values combined by Fisher are conservative: at most ~5 % below 0.05.
    assert (tested["p_value"] < 0.05).mean() <= 0.08  # type: ignore[operator]
    assert found.filter(pl.col("status") == "flagged").height == 0


def test_it_infers_the_boundaries_from_the_region_when_not_given() -> None:
    scores = _region(seed=41)
    pupils = _score_frame(scores)
    assert boundary_heaping(pupils, year=YEAR).equals(
        boundary_heaping(pupils, year=YEAR, boundaries=BOUNDARIES)
    )


def test_it_calls_heaping_insufficient_with_few_pupils_at_the_boundaries() -> None:
    scores = _region(seed=51)
    scores["small"] = np.array([5, 6, 6, 10, 11, 20, 20, 19])  # 5 pupils at b − 1 or b
    row = _one(boundary_heaping(_score_frame(scores), year=YEAR, boundaries=BOUNDARIES), "small")
    assert row["n"] == 5
    assert (row["status"], row["reason_codes"]) == ("insufficient_data", ["heaping_insufficient_n"])
    assert row["p_value_adjusted"] is None


def test_it_computes_the_hypergeometric_tail_as_scipy_does() -> None:
    # The reference is the call the heaping sign made before (one hypergeom.sf per table), on tables from
    # tiny regions (a handful of pupils: supports cut on both sides) to a country's assessment.
    rng = np.random.default_rng(2026)
    rows = 20_000
    draws = np.where(rng.random(rows) < 0.5, rng.integers(1, 12, rows), rng.integers(1, 400, rows))
    rest = np.where(rng.random(rows) < 0.3, rng.integers(1, 30, rows), rng.integers(1, 200_000, rows))
    population = draws + rest
    successes = rng.integers(0, population + 1)
    low = np.maximum(0, draws - (population - successes))
    high = np.minimum(draws, successes)
    k = np.clip(low + rng.integers(-1, 40, rows), 0, None)  # mostly in the support, some above it
    k = np.where(rng.random(rows) < 0.2, high, k)  # the far upper tail
    found = _hypergeom_upper_tail(k, population, successes, draws)
    # SciPy (Boost) is itself off the exact tail by up to ~4e-11 relative at a region's population.
    reference = hypergeom.sf(k - 1, population, successes, draws)
    np.testing.assert_allclose(found, reference, rtol=1e-9, atol=0)
    assert (reference < 1e-100).sum() > 100  # the far tails are part of the comparison
    # Against the exact tail in rational arithmetic the recurrence is within a few ε.
    for i in rng.choice(rows, 150, replace=False):
        big, good, n, at = int(population[i]), int(successes[i]), int(draws[i]), int(k[i])
        upper = sum(math.comb(good, x) * math.comb(big - good, n - x) for x in range(at, min(n, good) + 1))
        exact = Fraction(upper, math.comb(big, n))
        if found[i] > 1e-300:
            assert abs(Fraction(found[i]) - exact) <= exact * Fraction(1, 10**13), i
    for at, below, rest_at, rest_below in [(5, 1, 3, 7), (0, 4, 2, 2), (3, 0, 0, 9), (9, 1, 40, 160)]:
        p = fisher_exact([[at, below], [rest_at, rest_below]], alternative="greater").pvalue
        tail = _hypergeom_upper_tail(
            np.array([at]),
            np.array([at + below + rest_at + rest_below]),
            np.array([at + rest_at]),
            np.array([at + below]),
        )
        assert tail[0] == pytest.approx(p, rel=1e-12)


def test_it_writes_numbers_in_the_reasons_as_the_python_wording_does() -> None:
    rng = np.random.default_rng(5)
    values = [
        *rng.normal(0, 40, 3000).tolist(),
        *(np.round(rng.uniform(-100, 100, 2000), 2)).tolist(),  # many ties at x,x5
        *rng.uniform(0, 1, 2000).tolist(),
        0.05,
        0.125,
        2.25,
        2.675,
        -0.04,
        -0.05,
        -0.06,
        0.0,
        -0.0,
        999.95,
        1234.5,
        -12345.678,
        math.nan,
        math.inf,
        1e-320,
    ]
    series = pl.Series(values, dtype=pl.Float64)
    for digits in (0, 1, 3):
        assert _numbers(series, digits).to_list() == [number_text(v, digits) for v in values]
    with_null = pl.Series([*values, None], dtype=pl.Float64)
    assert _percents(with_null, 1).to_list() == [percent_text(v, 1) for v in with_null.to_list()]
    assert _pps(with_null).to_list() == [pp_text(v) for v in with_null.to_list()]
    p_values = pl.Series([0.0, 0.0004, 0.001, 0.0015, 0.0425, 0.5, 1.0, math.nan, None], dtype=pl.Float64)

    def p_text(p: float | None) -> str:  # the row-by-row wording the sentences had before
        if p is None or math.isnan(p):
            return "p не определено"
        return "p\u00a0<\u00a00,001" if p < 0.001 else f"p\u00a0=\u00a0{number_text(p, 3)}"

    assert _p_texts(p_values).to_list() == [p_text(p) for p in p_values.to_list()]


# --- 3. basic against advanced ------------------------------------------------------------------------


def _level_completion(per_school: dict[str, tuple[int, float, float]]) -> pl.LazyFrame:
    """Each school: (pupils, basic %, advanced %): one Б task and one П task, each of max 100."""
    rows = []
    for school_id, (n, basic, advanced) in per_school.items():
        for i in range(n):
            for task, level, score in (("1", "Б", basic), ("2", "П", advanced)):
                rows.append(
                    {**VPR5, "school_id": school_id, "participant": f"{school_id}-{i}", "task": task}
                    | {"score": score, "max_score": 100.0, "level": level}
                )
    tasks = pl.DataFrame(rows)
    areas = pl.DataFrame({"school_id": list(per_school), "municipality_id": "m1"})
    return compare_task_completion(task_completion(tasks, by="level"), areas)


def test_it_flags_basic_below_and_advanced_above_the_region_by_hand() -> None:
    completion = _level_completion(
        {
            "odd": (20, 50.0, 40.0),  # basic 50 < 57 and below region; advanced 40 ≥ 30 and above
            "fine": (40, 70.0, 30.0),
            "weak": (40, 50.0, 20.0),  # basic low, advanced low: not the sign
            "few": (5, 10.0, 90.0),
        }
    )
    found = basic_vs_advanced(completion, year=YEAR)
    _assert_shape(found, "basic_vs_advanced")
    odd = _one(found, "odd")
    # Region pooled over all 105 pupils: basic (20·50 + 40·70 + 40·50 + 5·10) / 105 = 5850 / 105.
    assert odd["basic_region_pct"] == pytest.approx(5850 / 105)
    assert odd["advanced_region_pct"] == pytest.approx((20 * 40 + 40 * 30 + 40 * 20 + 5 * 90) / 105)
    assert (odd["value"], odd["advanced_pct"], odd["n"]) == (50.0, 40.0, 20)
    assert (odd["status"], odd["reason_codes"]) == ("flagged", ["basic_below_advanced_above"])
    assert _one(found, "fine")["status"] == "cleared"
    assert _one(found, "weak")["status"] == "cleared"
    assert _one(found, "few")["status"] == "insufficient_data"


def test_it_calls_levels_insufficient_when_a_level_is_missing() -> None:
    completion = _level_completion({"a": (30, 50.0, 40.0), "b": (30, 70.0, 20.0)}).filter(
        ~((pl.col("school_id") == "a") & (pl.col("level") == "П"))
    )
    row = _one(basic_vs_advanced(completion, year=YEAR), "a")
    assert row["status"] == "insufficient_data"
    assert "нет выполнения заданий уровня П" in row["reason"]


# --- 4. ВПР against exams -----------------------------------------------------------------------------

OGE = {"year": YEAR, "procedure": "ОГЭ", "subject": "Математика", "grade": 9}
EGE_PROFILE = {"year": YEAR, "procedure": "ЕГЭ", "subject": "Математика (профильный уровень)", "grade": 11}


def test_it_flags_vpr_above_the_region_with_low_exams_by_hand() -> None:
    pupils = pl.concat(
        [
            # ВПР: "star" 30 of 40 with «4»/«5» (75 %); the others 10 of 40 each (25 %).
            _pupils(VPR5, "star", mark=[5] * 30 + [3] * 10),
            _pupils(VPR5, "a", mark=[4] * 10 + [3] * 30),
            _pupils(VPR5, "b", mark=[4] * 10 + [3] * 30),
            # ОГЭ: "star" 12 of 30 below the minimum (40 %), the others 3 of 30 (10 %).
            _pupils(OGE, "star", mark=[2] * 12 + [3] * 18),
            _pupils(OGE, "a", mark=[2] * 3 + [4] * 27),
            _pupils(OGE, "b", mark=[2] * 3 + [4] * 27),
            # ЕГЭ profile maths maps to ВПР «Математика»: "star" 5 % below, others 5 %.
            _pupils(EGE_PROFILE, "star", test_score=[70.0] * 20, below_minimum=[False] * 20),
            _pupils(EGE_PROFILE, "a", test_score=[60.0] * 20, below_minimum=[False] * 20),
        ],
        how="diagonal_relaxed",
    )
    found = vpr_vs_exams(school_indicators(pupils), year=YEAR)
    _assert_shape(found, "vpr_vs_exams")
    star = _one(found, "star")
    assert star["value"] == pytest.approx(75 - 25)
    assert star["vpr_region_quality_pct"] == pytest.approx(25)
    assert (star["exam_procedure"], star["exam_n"]) == ("ОГЭ", 30)
    assert star["exam_excess_pp"] == pytest.approx(40 - 10)
    assert star["status"] == "flagged"
    assert set(star["reason_codes"]) == {
        "vpr_above_region",
        "exam_below_min_above_region",
        "exam_mean_below_region",
    }
    a = _one(found, "a")
    assert a["status"] == "cleared"  # ВПР below its region


def test_it_calls_exams_insufficient_at_small_n() -> None:
    pupils = pl.concat(
        [
            _pupils(VPR5, "s", mark=[5] * 10),
            _pupils(VPR5, "t", mark=[3] * 40),
            _pupils(OGE, "s", mark=[2] * 10),
            _pupils(OGE, "t", mark=[4] * 30),
        ]
    )
    row = _one(vpr_vs_exams(school_indicators(pupils), year=YEAR), "s")
    assert (row["status"], row["reason_codes"]) == ("insufficient_data", ["exams_insufficient_n"])


# --- 5. cohort ----------------------------------------------------------------------------------------

VPR4_BEFORE = {"year": YEAR - 1, "procedure": "ВПР", "subject": "Математика", "grade": 4}


def _cohort(school_id: str, before: tuple[int, int], after: tuple[int, int]) -> pl.DataFrame:
    """(pupils with «2», pupils) in grade 4 the year before and in grade 5 this year; others get «4»."""
    return pl.concat(
        [
            _pupils(VPR4_BEFORE, school_id, mark=[2] * before[0] + [4] * (before[1] - before[0])),
            _pupils(VPR5, school_id, mark=[2] * after[0] + [4] * (after[1] - after[0])),
        ]
    )


def test_it_tests_the_cohort_drop_as_statsmodels_does() -> None:
    cohorts = {"drop": ((2, 50), (15, 50)), "same": ((5, 50), (6, 50)), "r1": ((5, 60), (6, 60))}
    cohorts |= {"r2": ((4, 60), (5, 60)), "few": ((0, 6), (4, 6))}
    indicators = school_indicators(pl.concat([_cohort(s, b, a) for s, (b, a) in cohorts.items()]))
    found = cohort_drop(indicators, year=YEAR)
    _assert_shape(found, "cohort_drop")
    for school_id in ("drop", "same", "r1", "r2"):
        (bad_before, n_before), (bad_after, n_after) = cohorts[school_id]
        rest = [v for k, v in cohorts.items() if k != school_id]
        region_before = sum(b[0] for b, _ in rest) / sum(b[1] for b, _ in rest)
        region_after = sum(a[0] for _, a in rest) / sum(a[1] for _, a in rest)
        expected = sm_proportion.test_proportions_2indep(
            bad_after,
            n_after,
            bad_before,
            n_before,
            value=region_after - region_before,
            compare="diff",
            alternative="larger",
            method="agresti-caffo",
        )
        row = _one(found, school_id)
        assert row["p_value"] == pytest.approx(float(expected.pvalue), rel=1e-9)
        excess = 100 * (bad_after / n_after - bad_before / n_before - (region_after - region_before))
        assert row["value"] == pytest.approx(excess)
        flagged = excess >= 10 and float(expected.pvalue) < 0.05
        assert row["status"] == ("flagged" if flagged else "cleared")
    assert _one(found, "drop")["status"] == "flagged"
    assert _one(found, "drop")["reason_codes"] == ["cohort_drop_mark_2"]
    assert _one(found, "same")["status"] == "cleared"
    assert _one(found, "few")["status"] == "insufficient_data"


def test_it_measures_the_cohort_by_quality_when_asked() -> None:
    # Quality falls from 48/50 to 20/50; the share without «4»/«5» rises from 4 % to 60 %.
    cohorts = {"drop": ((2, 50), (30, 50)), "r": ((5, 60), (6, 60))}
    indicators = school_indicators(pl.concat([_cohort(s, b, a) for s, (b, a) in cohorts.items()]))
    row = _one(
        cohort_drop(indicators, year=YEAR, settings=ObjectivitySettings(cohort_measure="quality")), "drop"
    )
    assert row["change_pp"] == pytest.approx(56.0)
    assert row["reason_codes"] == ["cohort_drop_quality"]
    assert "качество" in row["reason"]


# --- all together -------------------------------------------------------------------------------------


def _everything() -> tuple[pl.DataFrame, pl.DataFrame, pl.LazyFrame]:
    scores = _region(seed=61, schools=12)
    heaped = _school_scores(np.random.default_rng(62), 80)
    heaped[heaped == BOUNDS[1] - 1] = BOUNDS[1]
    scores["heaped"] = heaped
    rng = np.random.default_rng(63)
    pupils = _score_frame(scores).with_columns(
        journal_mark=pl.Series(rng.integers(2, 6, size=sum(len(v) for v in scores.values())), dtype=pl.Int8)
    )
    cohorts = pl.concat(
        [
            _pupils(VPR4_BEFORE, school_id, mark=rng.integers(2, 6, size=40).tolist())
            for school_id in list(scores)[:8]
        ]
    )
    exams = pl.concat(
        [_pupils(OGE, school_id, mark=rng.integers(2, 6, size=30).tolist()) for school_id in list(scores)[:6]]
    )
    all_pupils = pl.concat([pupils, cohorts, exams], how="diagonal_relaxed")
    completion = _level_completion(
        {school_id: (25, float(rng.uniform(40, 80)), float(rng.uniform(20, 50))) for school_id in scores}
    )
    return all_pupils, school_indicators(all_pupils).collect(), completion


def test_it_runs_every_sign_and_concatenates_the_findings() -> None:
    pupils, indicators, completion = _everything()
    signs = objectivity_signs(indicators, pupils, completion, year=YEAR, boundaries=BOUNDARIES)
    findings = signs.findings
    assert findings.columns == [*FINDING_COLUMNS, *ASSESSMENT_COLUMNS.names()]
    assert set(findings["method"].unique()) == {f"objectivity_{name}" for name in signs.by_sign}
    assert findings.height == sum(frame.height for frame in signs.by_sign.values())
    assert "heaped" in signs.boundary_heaping.filter(pl.col("status") == "flagged")["school_id"].to_list()
    empty = objectivity_signs(indicators, None, None, year=YEAR)
    assert empty.boundary_heaping.height == empty.basic_vs_advanced.height == 0
    assert empty.findings.height == sum(frame.height for frame in empty.by_sign.values())


def test_it_does_not_depend_on_school_names_or_row_order() -> None:
    pupils, indicators, completion = _everything()
    before = objectivity_signs(indicators, pupils, completion.collect(), year=YEAR).findings
    names = sorted(set(pupils["school_id"]))
    shuffled = np.random.default_rng(7).permutation(len(names))
    rename = {old: f"x{shuffled[i]:03d}" for i, old in enumerate(names)}
    back = {new: old for old, new in rename.items()}

    def renamed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.col("school_id").replace_strict(rename)).sample(
            fraction=1.0, shuffle=True, seed=3
        )

    after = objectivity_signs(
        renamed(indicators), renamed(pupils), renamed(completion.collect()), year=YEAR
    ).findings
    after = after.with_columns(pl.col("school_id").replace_strict(back)).sort(
        ["school_id", "method", "procedure", "subject", "grade"]
    )
    assert after.equals(before)


# --- settings -----------------------------------------------------------------------------------------


def test_it_documents_every_setting_and_keeps_it_json() -> None:
    settings = ObjectivitySettings()
    for item in dataclasses.fields(settings):
        assert item.metadata["label"] and item.metadata["source"], item.name
    assert json.loads(json.dumps(dataclasses.asdict(settings)))["basic_insufficient_pct"] == 57.0
    with pytest.raises(ValueError, match="heaping_alpha"):
        ObjectivitySettings(heaping_alpha=1.5)
