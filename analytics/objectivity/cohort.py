"""Sign 5: a cohort falling sharply from grade 4 to grade 5."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
from statsmodels.stats.proportion import test_proportions_2indep

from analytics.objectivity.common import (
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
    _alpha_text,
    _insufficient_tail,
    _n_texts,
    _p_texts,
    _pcts,
    _pps,
    _sentences,
)
from analytics.text import NBSP

# --- 5. a cohort from grade 4 to grade 5 -------------------------------------------------------------

_COHORT_NUMERIC: Final = {
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "n": pl.Int64(),
    "share_before": pl.Float64(),
    "share_after": pl.Float64(),
    "change_pp": pl.Float64(),
    "region_share_before": pl.Float64(),
    "region_share_after": pl.Float64(),
    "region_change_pp": pl.Float64(),
    "n_before": pl.Int64(),
    "n_after": pl.Int64(),
    "p_value": pl.Float64(),
    "alpha": pl.Float64(),
}


def cohort_drop(
    indicators: Frame, *, year: int, settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS
) -> pl.DataFrame:
    """A cohort falling sharply: ВПР grade 4 in `year` − 1 against ВПР grade 5 in `year`, same subject.

    Input: the indicators frame holding both years. The measure is a "bad" share: the share of «2»
    (cohort_measure = "mark_2") or the share without «4»/«5» (= "quality": quality falling is the same as
    this share rising). change_pp = after − before for the school; region_change_pp the same for the other
    schools of the region (pooled, the school left out). value = change_pp − region_change_pp.

    The test: statsmodels `test_proportions_2indep` (difference, Agresti-Caffo, one-sided "larger") of
    H0: p_after − p_before ≤ the regional change. It treats the two years as independent samples: pupil
    codes are not linked across years, and most of the cohort is the same pupils, so the test is
    conservative (the positive correlation would shrink the variance of the difference). Agresti-Caffo
    stays defined at 0 % and 100 %, which small schools often have. Flagged when value ≥
    `cohort_excess_pp` and p < `cohort_alpha`; insufficient when either year has fewer than `cohort_min_n`
    pupils with a mark. Only schools with both years are judged. Columns: finding, assessment (the grade 5
    one), then `value, threshold, n` (the smaller year), `share_before, share_after, change_pp,
    region_share_before, region_share_after, region_change_pp, n_before, n_after, p_value, alpha`.
    """
    rows = _indicator_rows(indicators).filter(pl.col("procedure") == "ВПР")
    bad = (
        pl.col("mark_2_count")
        if settings.cohort_measure == "mark_2"
        else pl.col("marks_n") - pl.col("quality_count")
    )
    key = ["subject"]

    def side(grade: int, on_year: int, suffix: str) -> pl.LazyFrame:
        return (
            rows.filter(_year_filter(on_year), pl.col("grade") == grade, pl.col("marks_n") > 0)
            .with_columns(_bad=bad.fill_null(0).cast(pl.Int64), _n=pl.col("marks_n").cast(pl.Int64))
            .with_columns(_region=_percent(_loo("_bad", key), _loo("_n", key)))
            .select(
                "school_id",
                "subject",
                pl.col("_bad").alias(f"bad_{suffix}"),
                pl.col("_n").alias(f"n_{suffix}"),
                _percent(pl.col("_bad"), pl.col("_n")).alias(f"share_{suffix}"),
                pl.col("_region").alias(f"region_share_{suffix}"),
            )
        )

    data = (
        side(settings.cohort_from_grade, year - 1, "before")
        .join(side(settings.cohort_to_grade, year, "after"), on=["school_id", "subject"], how="inner")
        .with_columns(
            procedure=pl.lit("ВПР"),
            grade=pl.lit(settings.cohort_to_grade, pl.Int8),
            n=pl.min_horizontal("n_before", "n_after"),
            change_pp=pl.col("share_after") - pl.col("share_before"),
            region_change_pp=pl.col("region_share_after") - pl.col("region_share_before"),
        )
        .with_columns(value=pl.col("change_pp") - pl.col("region_change_pp"))
        .collect()
    )
    p_values = np.full(data.height, np.nan)
    testable = (data["n"] > 0) & data["region_change_pp"].is_not_null()
    if testable.any():
        tested = data.filter(testable)
        with np.errstate(divide="ignore", invalid="ignore"):  # its unused ratio and odds ratio at 0 %
            result = test_proportions_2indep(
                tested["bad_after"].to_numpy(),
                tested["n_after"].to_numpy(),
                tested["bad_before"].to_numpy(),
                tested["n_before"].to_numpy(),
                value=tested["region_change_pp"].to_numpy() / 100.0,
                compare="diff",
                alternative="larger",
                method="agresti-caffo",
            )
        p_values[testable.to_numpy()] = np.asarray(result.pvalue, dtype=np.float64)
    data = data.with_columns(
        p_value=pl.Series(p_values, dtype=pl.Float64).fill_nan(None),
        threshold=pl.lit(settings.cohort_excess_pp),
        alpha=pl.lit(settings.cohort_alpha),
    )
    insufficient = (pl.col("n") < settings.cohort_min_n) | pl.col("value").is_null()
    sign = (pl.col("value") >= pl.col("threshold")) & (pl.col("p_value") < pl.col("alpha"))
    data = data.with_columns(_status(insufficient, sign.fill_null(False))).with_columns(
        _codes(pl.col("status"), "cohort_insufficient_n", {f"cohort_drop_{settings.cohort_measure}": sign})
    )
    return _finish(
        data,
        method="cohort_drop",
        year=year,
        numeric=_COHORT_NUMERIC,
        reason=lambda data: _cohort_reasons(data, settings, year),
    )


def _cohort_reasons(data: pl.DataFrame, settings: ObjectivitySettings, year: int) -> pl.Series:
    before = f"{settings.cohort_from_grade}{NBSP}кл. {year - 1}"
    after = f"{settings.cohort_to_grade}{NBSP}кл. {year}"
    shares = data.select(
        "share_before",
        "share_after",
        "region_share_before",
        "region_share_after",
        "change_pp",
        "region_change_pp",
    )
    if settings.cohort_measure == "mark_2":
        what = "доля «2»"
    else:
        what = "качество («4» и «5»)"
        # Quality is 100 − the bad share; its change the opposite of the bad share's change.
        shares = shares.select(
            -pl.col("share_before", "share_after", "region_share_before", "region_share_after") + 100.0,
            -pl.col("change_pp", "region_change_pp"),
        )
    pieces = {
        "share_before": _pcts(shares["share_before"]),
        "share_after": _pcts(shares["share_after"]),
        "region_before": _pcts(shares["region_share_before"]),
        "region_after": _pcts(shares["region_share_after"]),
        "change": _pps(shares["change_pp"]),
        "region_change": _pps(shares["region_change_pp"]),
        "value": _pps(data["value"]),
        "threshold": _pps(data["threshold"]),
        "p": _p_texts(data["p_value"]),
    }
    pieces["tail"] = pl.select(
        pl.concat_str(
            pl.lit(_n_texts(data["n_before"], f" в {year - 1}")),
            pl.lit(", "),
            pl.lit(_n_texts(data["n_after"], f" в {year}")),
        )
    ).to_series()
    body = pl.concat_str(
        pl.lit(f"{what} когорты ({before} → {after}): "),
        pl.col("share_before"),
        pl.lit(" → "),
        pl.col("share_after"),
        pl.lit(" ("),
        pl.col("change"),
        pl.lit("), по региону "),
        pl.col("region_before"),
        pl.lit(" → "),
        pl.col("region_after"),
        pl.lit(" ("),
        pl.col("region_change"),
        pl.lit("); ухудшение сверх регионального "),
        pl.col("value"),
        pl.lit(", порог "),
        pl.col("threshold"),
        pl.lit(", "),
        pl.col("p"),
        pl.lit(f" при уровне {_alpha_text(settings.cohort_alpha)}"),
    )
    tail = _insufficient_tail("tail", f", нужно не менее {settings.cohort_min_n} в каждом году")
    return _sentences(data, pieces, body, tail)
