"""What the rule shares with analytics.dynamics: pupil-level rows first, per-value texts, labels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from analytics.low_results.settings import (
    Frame,
)
from analytics.schema import ASSESSMENT_KEY
from analytics.text import NBSP, grade_text

# --- shared helpers (also used by analytics.dynamics) -------------------------------------------------


def prefer_pupils(indicators: Frame) -> pl.LazyFrame:
    """Keep one row per school × assessment: the pupil-level one where both sources are present."""
    lazy = indicators.lazy()
    from_pupils = (pl.col("source") == "pupils").fill_null(False)
    keys = [*ASSESSMENT_KEY, "school_id"]
    pupils = lazy.filter(from_pupils)
    # An anti-join, not a window over the keys: 10× faster on a country's rows.
    others = lazy.filter(~from_pupils).join(pupils.select(keys), on=keys, how="anti", nulls_equal=True)
    return pl.concat([pupils, others])


def text_column(frame: pl.DataFrame, columns: Sequence[str], render: Callable[..., str]) -> pl.Series:
    """`render(*row)` for each row of `columns`, calling Python once per distinct combination only."""
    distinct = frame.select(columns).unique()
    texts = pl.Series("_text", [render(*row) for row in distinct.iter_rows()], dtype=pl.String)
    joined = frame.select(columns).join(
        distinct.with_columns(texts), on=list(columns), how="left", nulls_equal=True, maintain_order="left"
    )
    return joined["_text"]


def _subject_text(subject: str) -> str:
    """«Русский язык» → «русский язык», keeping abbreviations («ИКТ») as they are."""
    if len(subject) > 1 and subject[1].islower():
        return subject[0].lower() + subject[1:]
    return subject


def assessment_label(procedure: str, grade: int | None, subject: str) -> str:
    """«ВПР 5 кл. математика»."""
    parts = [procedure]
    if grade is not None:
        parts.append(grade_text(grade))
    parts.append(_subject_text(subject))
    return " ".join(parts)


def _year_text(year: int) -> str:
    return f"{year}{NBSP}г."
