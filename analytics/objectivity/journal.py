"""Sign 1: the ВПР mark against the journal mark."""

from __future__ import annotations

from typing import Final

import polars as pl

from analytics.objectivity.common import (
    ASSESSMENT_COLUMNS,
    Frame,
    _codes,
    _finish,
    _indicator_rows,
    _status,
    _year_filter,
)
from analytics.objectivity.settings import (
    DEFAULT_OBJECTIVITY_SETTINGS,
    ObjectivitySettings,
)
from analytics.objectivity.wording import (
    _cis,
    _insufficient_tail,
    _n_texts,
    _percents,
    _sentences,
)
from analytics.stats import wilson_exprs

# --- 1. ВПР mark against the journal mark ------------------------------------------------------------

_JOURNAL_NUMERIC: Final = {
    "value": pl.Float64(),
    "value_ci_low": pl.Float64(),
    "value_ci_high": pl.Float64(),
    "threshold": pl.Float64(),
    "n": pl.Int64(),
    "lowered_pct": pl.Float64(),
    "confirmed_pct": pl.Float64(),
    "raised_pct": pl.Float64(),
    "differ_2plus_pct": pl.Float64(),
    "differ_2plus_ci_low": pl.Float64(),
    "differ_2plus_ci_high": pl.Float64(),
    "differ_2plus_threshold": pl.Float64(),
}


def journal_mismatch(
    indicators: Frame, *, year: int, settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS
) -> pl.DataFrame:
    """ВПР mark against the journal mark, per school × assessment of `year`.

    Input: the `school_indicators` / `aggregate_indicators` frame (journal_n, confirmed_count,
    differ_2plus_count and the lowered/confirmed/raised/differ_2plus shares). Rows without journal marks
    (journal_n null or 0: ОГЭ, ЕГЭ, files without the column) are not judged.

    value = the share that did not confirm the journal mark (lowered + raised), with its Wilson interval
    recomputed from the counts at `settings.confidence`. Flagged when the Wilson *lower* bound exceeds
    `journal_not_confirmed_pct` (the share is above the threshold beyond sampling noise, so a small school
    is not flagged on two pupils), or when the lower bound of the share differing by 2+ marks is at least
    `journal_differ_2plus_pct` (null for aggregates, which do not give it). Insufficient when journal_n <
    `journal_min_n`. Columns: finding, assessment, then `value, value_ci_low, value_ci_high, threshold, n,
    lowered_pct, confirmed_pct, raised_pct, differ_2plus_pct, differ_2plus_ci_low, differ_2plus_ci_high,
    differ_2plus_threshold`.
    """
    not_confirmed = pl.col("journal_n") - pl.col("confirmed_count")
    low, high = wilson_exprs(not_confirmed, "journal_n", confidence=settings.confidence)
    d_low, d_high = wilson_exprs("differ_2plus_count", "journal_n", confidence=settings.confidence)
    data = (
        _indicator_rows(indicators)
        .filter(_year_filter(year), pl.col("journal_n") > 0)
        .select(
            *ASSESSMENT_COLUMNS.names(),
            "school_id",
            n=pl.col("journal_n"),
            value=100.0 * not_confirmed / pl.col("journal_n"),
            value_ci_low=low,
            value_ci_high=high,
            threshold=pl.lit(settings.journal_not_confirmed_pct),
            lowered_pct=pl.col("lowered_pct"),
            confirmed_pct=pl.col("confirmed_pct"),
            raised_pct=pl.col("raised_pct"),
            differ_2plus_pct=pl.col("differ_2plus_pct"),
            differ_2plus_ci_low=d_low,
            differ_2plus_ci_high=d_high,
            differ_2plus_threshold=pl.lit(settings.journal_differ_2plus_pct),
        )
        .collect()
    )
    not_confirmed_sign = pl.col("value_ci_low") > pl.col("threshold")
    differ_sign = pl.col("differ_2plus_ci_low") >= pl.col("differ_2plus_threshold")
    data = data.with_columns(
        _status(
            pl.col("n") < settings.journal_min_n,
            not_confirmed_sign.fill_null(False) | differ_sign.fill_null(False),
        )
    ).with_columns(
        _codes(
            pl.col("status"),
            "journal_insufficient_n",
            {"journal_not_confirmed": not_confirmed_sign, "journal_differ_2plus": differ_sign},
        )
    )
    return _finish(
        data,
        method="journal_mismatch",
        year=year,
        numeric=_JOURNAL_NUMERIC,
        reason=lambda data: _journal_reasons(data, settings),
    )


def _journal_reasons(data: pl.DataFrame, settings: ObjectivitySettings) -> pl.Series:
    pieces = {
        "value": _percents(data["value"]),
        "ci": _cis(data["value_ci_low"], data["value_ci_high"], settings.confidence),
        "lowered": _percents(data["lowered_pct"]),
        "raised": _percents(data["raised_pct"]),
        "threshold": _percents(data["threshold"]),
        "differ": _percents(data["differ_2plus_pct"]),
        "d_ci": _cis(data["differ_2plus_ci_low"], data["differ_2plus_ci_high"], settings.confidence),
        "d_threshold": _percents(data["differ_2plus_threshold"]),
        "tail": _n_texts(data["n"]),
        "has_differ": data["differ_2plus_pct"].is_not_null().cast(pl.String),
    }
    body = pl.concat_str(
        pl.col("value"),
        pl.lit(" участников получили за ВПР отметку, отличную от отметки по журналу ("),
        pl.col("ci"),
        pl.lit("; ниже журнальной — "),
        pl.col("lowered"),
        pl.lit(", выше — "),
        pl.col("raised"),
        pl.lit("), порог "),
        pl.col("threshold"),
        pl.lit(" по нижней границе ДИ"),
        pl.when(pl.col("has_differ") == "true")
        .then(
            pl.concat_str(
                pl.lit("; на 2 балла и более расходятся "),
                pl.col("differ"),
                pl.lit(" ("),
                pl.col("d_ci"),
                pl.lit("), порог "),
                pl.col("d_threshold"),
            )
        )
        .otherwise(pl.lit("")),
    )
    tail = _insufficient_tail("tail", f", нужно не менее {settings.journal_min_n}")
    return _sentences(data, pieces, body, tail)
