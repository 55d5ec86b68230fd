"""What the five signs share: the finding columns, the leave-one-out region, the rows they read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import polars as pl

from analytics.findings import FINDING_SCHEMA, STATUS_DTYPE

Frame = pl.DataFrame | pl.LazyFrame

#: The assessment a row is about, right after the finding columns (for vpr_vs_exams: the ВПР one).
ASSESSMENT_COLUMNS: Final = pl.Schema({"procedure": pl.String(), "subject": pl.String(), "grade": pl.Int8()})

_NOT_A_VERDICT: Final = "требует проверки, не является выводом о необъективности"


# --- shared helpers ----------------------------------------------------------------------------------


def _status(insufficient: pl.Expr, flagged: pl.Expr) -> pl.Expr:
    return (
        pl.when(insufficient)
        .then(pl.lit("insufficient_data"))
        .when(flagged)
        .then(pl.lit("flagged"))
        .otherwise(pl.lit("cleared"))
        .cast(STATUS_DTYPE)
        .alias("status")
    )


def _codes(status: pl.Expr, insufficient_code: str, conditions: Mapping[str, pl.Expr]) -> pl.Expr:
    """Reason codes: the conditions that hold when flagged, the insufficient code, or an empty list."""
    held = pl.concat_list(
        [pl.when(condition.fill_null(False)).then(pl.lit(code)) for code, condition in conditions.items()]
    ).list.drop_nulls()
    return (
        pl.when(status == "flagged")
        .then(held)
        .when(status == "insufficient_data")
        .then(pl.concat_list([pl.lit(insufficient_code)]))
        .otherwise(pl.lit([], pl.List(pl.String)))
        .alias("reason_codes")
    )


def _loo(column: str | pl.Expr, keys: list[str]) -> pl.Expr:
    """The column summed over the other rows of the group (leave-one-out): Σ over the group − own value."""
    value = (pl.col(column) if isinstance(column, str) else column).fill_null(0)
    return value.sum().over(keys) - value


def _percent(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """100 × numerator / denominator, null (never NaN, which Polars orders above every number) at 0."""
    return pl.when(denominator > 0).then(100.0 * numerator / denominator)


def _finish(
    data: pl.DataFrame,
    *,
    method: str,
    year: int,
    numeric: Mapping[str, pl.DataType],
    reason: Callable[[pl.DataFrame], pl.Series],
) -> pl.DataFrame:
    """FINDING columns, assessment columns, then the numeric ones; `reason(data)` gives the reason column."""
    return data.with_columns(
        school_id=pl.col("school_id").cast(pl.String),
        year=pl.lit(year, pl.Int16),
        method=pl.lit(f"objectivity_{method}"),
        reason=reason(data),
    ).select(
        *[pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()],
        *[pl.col(name).cast(dtype) for name, dtype in ASSESSMENT_COLUMNS.items()],
        *[pl.col(name).cast(dtype) for name, dtype in numeric.items()],
    )


def _empty(numeric: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema={**FINDING_SCHEMA, **ASSESSMENT_COLUMNS, **numeric})


def _year_filter(year: int) -> pl.Expr:
    return pl.col("year").cast(pl.Int16) == year


def _indicator_rows(indicators: Frame) -> pl.LazyFrame:
    return indicators.lazy().with_columns(
        pl.col("procedure").cast(pl.String),
        pl.col("subject").cast(pl.String),
        pl.col("grade").cast(pl.Int8),
        pl.col("year").cast(pl.Int16),
    )
