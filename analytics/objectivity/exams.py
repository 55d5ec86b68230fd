"""Sign 4: ВПР well above the region while ОГЭ/ЕГЭ of the same school is low."""

from __future__ import annotations

from typing import Final

import polars as pl

from analytics.objectivity.common import (
    ASSESSMENT_COLUMNS,
    Frame,
    _codes,
    _finish,
    _indicator_rows,
    _loo,
    _percent,
    _status,
    _year_filter,
)
from analytics.objectivity.settings import (
    DEFAULT_OBJECTIVITY_SETTINGS,
    ObjectivitySettings,
)
from analytics.objectivity.wording import (
    _insufficient_tail,
    _n_texts,
    _numbers,
    _pcts,
    _pps,
    _sentences,
)
from analytics.text import grade_expr

# --- 4. ВПР against ОГЭ/ЕГЭ --------------------------------------------------------------------------

_EXAMS_NUMERIC: Final = {
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "n": pl.Int64(),
    "vpr_quality_pct": pl.Float64(),
    "vpr_region_quality_pct": pl.Float64(),
    "exam_procedure": pl.String(),
    "exam_subject": pl.String(),
    "exam_grade": pl.Int8(),
    "exam_n": pl.Int64(),
    "exam_below_min_pct": pl.Float64(),
    "exam_region_below_min_pct": pl.Float64(),
    "exam_excess_pp": pl.Float64(),
    "exam_threshold": pl.Float64(),
    "exam_mean": pl.Float64(),
    "exam_region_mean": pl.Float64(),
}


def vpr_vs_exams(
    indicators: Frame, *, year: int, settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS
) -> pl.DataFrame:
    """ВПР well above the region while the same school's ОГЭ/ЕГЭ in the subject is low, in `year`.

    Input: the indicators frame with all procedures. Subjects match by name, exam subjects first mapped
    through `exam_subjects` (e.g. «Математика (профильный уровень)» → «Математика»); any grade of ВПР is
    compared with the exam of the same year (another cohort of the same school: that is the sign).

    ВПР side: value = the school's quality share («4» + «5») − the region's (the other schools of the same
    ВПР assessment, pooled), in pp; well above when value ≥ `vpr_quality_excess_pp`. Exam side: low when
    the share below the minimum exceeds the region's by ≥ `exam_below_min_excess_pp`, or (when
    `exam_mean_below_region`) the mean (ЕГЭ test score, else mean mark) is below the region's
    participant-weighted mean. Of several matching exams the row reports the lowest (low ones first, then
    the largest excess below the minimum). Flagged when both sides hold; insufficient when the ВПР marks_n
    or the exam's below_min_n < `exams_min_n`. ВПР rows without a matching exam are not judged.
    Columns: finding, assessment (the ВПР one), then `value, threshold, n` (ВПР marks_n), the ВПР shares
    and the chosen exam's procedure, subject, grade, n, below-minimum shares, excess, threshold and means.
    """
    rows = _indicator_rows(indicators).filter(_year_filter(year))
    key = list(ASSESSMENT_COLUMNS.names())
    vpr = (
        rows.filter(pl.col("procedure") == "ВПР")
        .with_columns(
            vpr_region_quality_pct=_percent(_loo("quality_count", key), _loo("marks_n", key)),
        )
        .select(
            *key,
            "school_id",
            n=pl.col("marks_n").fill_null(0),
            vpr_quality_pct=pl.col("quality_pct"),
            vpr_region_quality_pct=pl.col("vpr_region_quality_pct"),
        )
    )
    mapping = dict(settings.exam_subjects)
    exam_mean = pl.coalesce(pl.col("mean_test_score"), pl.col("mean_mark"))
    mean_n = (
        pl.when(pl.col("mean_test_score").is_not_null())
        .then(pl.col("test_score_n"))
        .when(pl.col("mean_mark").is_not_null())
        .then(pl.col("marks_n"))
        .otherwise(0)
    )
    exams = (
        rows.filter(pl.col("procedure").is_in(list(settings.exam_procedures)))
        .with_columns(_mean=exam_mean, _mean_n=mean_n.fill_null(0))
        .with_columns(
            exam_region_below_min_pct=_percent(_loo("below_min_count", key), _loo("below_min_n", key)),
            exam_region_mean=_percent(_loo(pl.col("_mean") * pl.col("_mean_n"), key), _loo("_mean_n", key))
            / 100.0,
        )
        .select(
            "school_id",
            subject=pl.col("subject").replace(mapping),
            exam_procedure=pl.col("procedure"),
            exam_subject=pl.col("subject"),
            exam_grade=pl.col("grade"),
            exam_n=pl.col("below_min_n").fill_null(0),
            exam_below_min_pct=pl.col("below_min_pct"),
            exam_region_below_min_pct=pl.col("exam_region_below_min_pct"),
            exam_mean=pl.col("_mean"),
            exam_region_mean=pl.col("exam_region_mean"),
        )
        .with_columns(exam_excess_pp=pl.col("exam_below_min_pct") - pl.col("exam_region_below_min_pct"))
    )
    excess_low = pl.col("exam_excess_pp") >= settings.exam_below_min_excess_pp
    mean_low = (
        (pl.col("exam_mean") < pl.col("exam_region_mean"))
        if settings.exam_mean_below_region
        else pl.lit(False)
    )
    exam_low = excess_low.fill_null(False) | mean_low.fill_null(False)
    exam_enough = pl.col("exam_n") >= settings.exams_min_n
    data = (
        vpr.join(exams, on=["school_id", "subject"], how="inner")
        .with_columns(_exam_low=exam_low, _exam_enough=exam_enough)
        .sort(["_exam_enough", "_exam_low", "exam_excess_pp"], descending=True, nulls_last=True)
        .group_by([*key, "school_id"])
        .first()
        .with_columns(
            value=pl.col("vpr_quality_pct") - pl.col("vpr_region_quality_pct"),
            threshold=pl.lit(settings.vpr_quality_excess_pp),
            exam_threshold=pl.lit(settings.exam_below_min_excess_pp),
        )
        .collect()
    )
    insufficient = (pl.col("n") < settings.exams_min_n) | ~pl.col("_exam_enough") | pl.col("value").is_null()
    vpr_high = pl.col("value") >= pl.col("threshold")
    data = data.with_columns(_status(insufficient, (vpr_high & pl.col("_exam_low")).fill_null(False)))
    data = data.with_columns(
        _codes(
            pl.col("status"),
            "exams_insufficient_n",
            {
                "vpr_above_region": pl.lit(True),
                "exam_below_min_above_region": excess_low,
                "exam_mean_below_region": mean_low,
            },
        )
    )
    return _finish(
        data,
        method="vpr_vs_exams",
        year=year,
        numeric=_EXAMS_NUMERIC,
        reason=lambda data: _exams_reasons(data, settings),
    )


def _exams_reasons(data: pl.DataFrame, settings: ObjectivitySettings) -> pl.Series:
    pieces = {
        "vpr": _pcts(data["vpr_quality_pct"]),
        "vpr_region": _pcts(data["vpr_region_quality_pct"]),
        "value": _pps(data["value"]),
        "threshold": _pps(data["threshold"]),
        "exam": data.select(
            pl.concat_str(
                pl.col("exam_procedure"),
                pl.lit(" ("),
                pl.col("exam_subject"),
                pl.lit(", "),
                grade_expr(pl.col("exam_grade")),
                pl.lit(")"),
            )
        ).to_series(),
        "below": _pcts(data["exam_below_min_pct"]),
        "below_region": _pcts(data["exam_region_below_min_pct"]),
        "excess": _pps(data["exam_excess_pp"]),
        "exam_threshold": _pps(data["exam_threshold"]),
        "mean": _numbers(data["exam_mean"], 1),
        "region_mean": _numbers(data["exam_region_mean"], 1),
        "has_means": (data["exam_mean"].is_not_null() & data["exam_region_mean"].is_not_null()).cast(
            pl.String
        ),
        "n": _n_texts(data["n"], " на ВПР"),
        "exam_n": _n_texts(data["exam_n"], " на экзамене"),
    }
    means = (
        pl.when(pl.col("has_means") == "true")
        .then(
            pl.concat_str(
                pl.lit(", средний балл "),
                pl.col("mean"),
                pl.lit(" при "),
                pl.col("region_mean"),
                pl.lit(" по региону"),
            )
        )
        .otherwise(pl.lit(""))
    )
    body = pl.concat_str(
        pl.lit("качество ВПР "),
        pl.col("vpr"),
        pl.lit(" при "),
        pl.col("vpr_region"),
        pl.lit(" по региону ("),
        pl.col("value"),
        pl.lit(", порог "),
        pl.col("threshold"),
        pl.lit("); "),
        pl.col("exam"),
        pl.lit(": не преодолели минимум "),
        pl.col("below"),
        pl.lit(" при "),
        pl.col("below_region"),
        pl.lit(" по региону ("),
        pl.col("excess"),
        pl.lit(", порог "),
        pl.col("exam_threshold"),
        pl.lit(")"),
        means,
    )
    pieces["tail"] = data.select(
        pl.concat_str(pl.lit(pieces["n"]), pl.lit(", "), pl.lit(pieces["exam_n"]))
    ).to_series()
    tail = _insufficient_tail("tail", f", нужно не менее {settings.exams_min_n}")
    return _sentences(data, pieces, body, tail)
