"""Russian wording of numbers for the reasons analytics gives (without Django: the CLI runs without it).

The sentences of a reason are for the people who read the lists (methodists, directors), so they are
Russian, with a decimal comma and a narrow space before «%», as Russian documents write them:
«42 % (95 % ДИ 31–54 %)».
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

__all__ = [
    "NBSP",
    "ci_text",
    "grade_expr",
    "grade_text",
    "number_expr",
    "number_text",
    "percent_expr",
    "percent_text",
    "plural",
    "pp_expr",
    "pp_text",
    "subject_expr",
]

NBSP: Final = "\u00a0"
_MINUS: Final = "\u2212"


def number_text(value: float, digits: int = 0) -> str:
    """«12,5», «−3», «1 234» (thin groups by non-breaking spaces)."""
    if math.isnan(value):
        return "—"
    text = f"{abs(value):,.{digits}f}".replace(",", NBSP).replace(".", ",")
    return f"{_MINUS}{text}" if value < 0 and text.strip("0,") else text


def percent_text(value: float | None, digits: int = 0) -> str:
    """«42 %»; «—» for a missing value."""
    if value is None:
        return "—"
    return f"{number_text(value, digits)}{NBSP}%"


def ci_text(low: float | None, high: float | None, confidence: float = 0.95, digits: int = 0) -> str:
    """«95 % ДИ 31–54 %» (the interval of a share in percent)."""
    if low is None or high is None:
        return ""
    level = number_text(confidence * 100)
    return f"{level}{NBSP}% ДИ {number_text(low, digits)}–{number_text(high, digits)}{NBSP}%"


def pp_text(value: float | None, digits: int = 1) -> str:
    """A change in percentage points with its sign: «+12,0 п. п.», «−4,5 п. п.»."""
    if value is None:
        return "—"
    sign = "+" if round(value, digits) > 0 else ""
    return f"{sign}{number_text(value, digits)}{NBSP}п.{NBSP}п."


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for `count`: plural(21, "школа", "школы", "школ") → "школа"."""
    count = abs(count)
    if count % 10 == 1 and count % 100 != 11:
        return one
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return few
    return many


def grade_text(grade: int) -> str:
    """«5 кл.»"""
    return f"{grade}{NBSP}кл."


# --- the same wording as Polars expressions, for sentences over a country's rows -----------------------


def number_expr(value: pl.Expr, digits: int = 0, *, missing: str | None = "—") -> pl.Expr:
    """`number_text` as an expression, without thousands groups (shares and scores never need them);
    null gives `missing` («—»; None keeps it null, for a sentence that is null without its number)."""
    scale = 10**digits
    scaled = (value * scale).round().cast(pl.Int64)
    whole = (scaled.abs() // scale).cast(pl.String)
    if digits:
        whole = pl.concat_str(whole, pl.lit(","), (scaled.abs() % scale).cast(pl.String).str.zfill(digits))
    sign = pl.when(scaled < 0).then(pl.lit(_MINUS)).otherwise(pl.lit(""))
    text = pl.concat_str(sign, whole)
    return text if missing is None else text.fill_null(missing)


def percent_expr(value: pl.Expr, digits: int = 0) -> pl.Expr:
    """`percent_text` as an expression: «42 %», «—»."""
    return (
        pl.when(value.is_null())
        .then(pl.lit("—"))
        .otherwise(pl.concat_str(number_expr(value, digits), pl.lit(f"{NBSP}%")))
    )


def pp_expr(value: pl.Expr, digits: int = 1) -> pl.Expr:
    """`pp_text` as an expression: «+12,0 п. п.», «—»."""
    sign = pl.when((value * 10**digits).round() > 0).then(pl.lit("+")).otherwise(pl.lit(""))
    text = pl.concat_str(sign, number_expr(value, digits), pl.lit(f"{NBSP}п.{NBSP}п."))
    return pl.when(value.is_null()).then(pl.lit("—")).otherwise(text)


def grade_expr(grade: pl.Expr) -> pl.Expr:
    """`grade_text` as an expression: «5 кл.»."""
    return pl.concat_str(grade.cast(pl.String), pl.lit(f"{NBSP}кл."))


def subject_expr(subject: pl.Expr) -> pl.Expr:
    """A subject inside a sentence: «Русский язык» → «русский язык», abbreviations («ИКТ») kept."""
    second = subject.str.slice(1, 1)
    lower_first = pl.concat_str(subject.str.slice(0, 1).str.to_lowercase(), subject.str.slice(1))
    return pl.when(second != second.str.to_uppercase()).then(lower_first).otherwise(subject)
