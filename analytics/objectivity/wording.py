"""The signs' reason sentences, built column-wise: a country has hundreds of thousands of rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

import polars as pl

from analytics.objectivity.common import _NOT_A_VERDICT
from analytics.stats import DEFAULT_TIERS
from analytics.text import NBSP, grade_expr, number_text, pp_text

# The sentences are assembled by Polars from text columns, each rendered with exactly the wording of
# analytics.text (number_text, percent_text, pp_text, …).

#: Polars rounds x · 10^digits as Python's `format` does unless that product lies this close to a half,
#: where only the exact binary value decides (Python renders those rows).
_NEAR_HALF: Final = 1e-6


def _distinct(values: pl.Series, render: Callable[[Any], str | None]) -> pl.Series:
    """`render(value)` for each value, calling Python once per distinct value."""
    frame = values.rename("_value").to_frame()
    distinct = frame.unique()
    texts = pl.Series("_text", [render(value) for value in distinct["_value"].to_list()], dtype=pl.String)
    return frame.join(
        distinct.with_columns(texts), on="_value", how="left", nulls_equal=True, maintain_order="left"
    )["_text"]


#: Above this many steps of 10^-digits between a column's smallest and largest value, its texts are
#: rendered per distinct value through a join instead of looked up in a table of every step.
_TABLE_STEPS: Final = 100_000


def _rendered(values: pl.Series, digits: int, render: Callable[[float], str]) -> pl.Series:
    """`render(value)` of each value («—» for null), Python's own wording for every row.

    The rows are rounded to steps of 10^-digits and take their text from a table that `render` fills
    once per step (a share in tenths has at most 2,001), so a country's rows cost a gather, not a string
    assembled per row. Where Polars' rounding could differ from Python's `format` (a product near a
    half, NaN, infinities) and for numbers of 999 and more (groups of thousands) Python renders the row
    itself."""
    scale = 10.0**digits
    frame = pl.DataFrame({"x": values.cast(pl.Float64)})
    x = pl.col("x")
    scaled = (x * scale).abs()
    python = (
        ~x.is_finite() | (x.abs() >= 999.0) | ((scaled - scaled.floor() - 0.5).abs() < _NEAR_HALF)
    ).fill_null(False)
    frame = frame.select("x", python=python, step=pl.when(~python).then((x * scale).round()).cast(pl.Int64))
    steps = frame["step"]
    low, high = cast("tuple[int | None, int | None]", (steps.min(), steps.max()))
    if low is None or high is None:
        texts = pl.Series("text", [None] * frame.height, dtype=pl.String)
    elif high - low <= _TABLE_STEPS:
        table = pl.Series("text", [render(step / scale) for step in range(low, high + 1)], dtype=pl.String)
        texts = table.gather(steps - low)
    else:
        texts = _distinct(steps, lambda step: None if step is None else render(step / scale))
    rows = frame["python"].arg_true()
    if rows.len():
        texts = texts.scatter(rows, [render(value) for value in frame["x"].gather(rows).to_list()])
    return texts.fill_null("—")


def _numbers(values: pl.Series, digits: int = 0) -> pl.Series:
    """`number_text` of each value («—» for null)."""
    return _rendered(values, digits, lambda value: number_text(value, digits))


def _percents(values: pl.Series, digits: int = 0) -> pl.Series:
    """`percent_text` of each value: «42 %», «—» for null."""
    return _rendered(values, digits, lambda value: f"{number_text(value, digits)}{NBSP}%")


def _pcts(values: pl.Series) -> pl.Series:
    return _percents(values, 1)


def _pps(values: pl.Series, digits: int = 1) -> pl.Series:
    """`pp_text` of each value: «+12,0 п. п.» (the sign when the rounded value is above 0), «—» for null."""
    return _rendered(values, digits, lambda value: pp_text(value, digits))


def _cis(low: pl.Series, high: pl.Series, confidence: float) -> pl.Series:
    """`ci_text` of each pair: «95 % ДИ 31–54 %», empty when a bound is null."""
    frame = pl.DataFrame({"low": low, "high": high, "lt": _numbers(low), "ht": _numbers(high)})
    level = f"{number_text(confidence * 100)}{NBSP}% ДИ "
    return frame.select(
        pl.when(pl.col("low").is_null() | pl.col("high").is_null())
        .then(pl.lit(""))
        .otherwise(pl.concat_str(pl.lit(level), pl.col("lt"), pl.lit("–"), pl.col("ht"), pl.lit(f"{NBSP}%")))
    ).to_series()


def _p_texts(values: pl.Series) -> pl.Series:
    """`_p_text` of each p-value."""
    frame = pl.DataFrame({"p": values.cast(pl.Float64), "t": _numbers(values, 3)})
    return frame.select(
        pl.when(pl.col("p").is_null() | pl.col("p").is_nan())
        .then(pl.lit("p не определено"))
        .when(pl.col("p") < 0.001)
        .then(pl.lit(f"p{NBSP}<{NBSP}0,001"))
        .otherwise(pl.concat_str(pl.lit(f"p{NBSP}={NBSP}"), pl.col("t")))
    ).to_series()


def _n_text(n: int, what: str = "") -> str:
    """«N = 64», with the DOMAIN.md §5 sample-size caveat when N is small."""
    text = f"N{NBSP}={NBSP}{number_text(n)}{what}"
    if n < DEFAULT_TIERS.approximate:
        return f"{text} (выборка мала, оценка ориентировочная)"
    if n < DEFAULT_TIERS.informative:
        return f"{text} (выборка небольшая, оценка приблизительная)"
    return text


def _n_texts(values: pl.Series, what: str = "") -> pl.Series:
    return _distinct(values, lambda n: _n_text(n, what))


def _alpha_text(alpha: float) -> str:
    """«0,01», «0,005»: a significance level as written, with a decimal comma."""
    return f"{alpha:g}".replace(".", ",")


def _sentences(
    data: pl.DataFrame, pieces: Mapping[str, pl.Series], body: pl.Expr, tail: pl.Expr
) -> pl.Series:
    """«Признак (ВПР, Математика, 5 кл.): body; tail; …» by status, over `data` with the text `pieces`."""
    assessment = pl.concat_str(
        pl.col("procedure"), pl.lit(", "), pl.col("subject"), pl.lit(", "), grade_expr(pl.col("grade"))
    )
    status = pl.col("status").cast(pl.String)
    # The status chooses only the sentence's first and last words: the sentence is assembled once per row,
    # not once per status (a when/then/otherwise of three sentences would build all three for every row).
    lead = (
        pl.when(status == "flagged")
        .then(pl.lit("Признак ("))
        .when(status == "cleared")
        .then(pl.lit("Признак не выявлен ("))
        .otherwise(pl.lit("Недостаточно данных ("))
    )
    end = pl.when(status == "flagged").then(pl.lit(f"; {_NOT_A_VERDICT}.")).otherwise(pl.lit("."))
    frame = data.select("status", "procedure", "subject", "grade").with_columns(
        pl.Series(name, texts, dtype=pl.String) for name, texts in pieces.items()
    )
    return frame.select(
        pl.concat_str(lead, assessment, pl.lit("): "), body, pl.lit("; "), tail, end).alias("reason")
    ).to_series()


def _insufficient_tail(tail: str, extra: str) -> pl.Expr:
    return (
        pl.when(pl.col("status").cast(pl.String) == "insufficient_data")
        .then(pl.concat_str(pl.col(tail), pl.lit(extra)))
        .otherwise(pl.col(tail))
    )
