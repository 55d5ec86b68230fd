"""The reason sentences of the low-results rule, with the numbers behind each finding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import polars as pl

from analytics.low_results.settings import (
    UNIT,
    Basis,
    LowResultsSettings,
)
from analytics.text import NBSP, ci_text, grade_text, number_text, percent_text, plural

# --- reason sentences ----------------------------------------------------------------------------------

_SHARE_PHRASE: Final = "доля участников, не преодолевших минимальный порог"


def _share_text(
    procedure: str,
    grade: int,
    subject: str,
    raw: float | None,
    low: float | None,
    high: float | None,
    shrunken: float | None,
    basis: Basis,
) -> str:
    """«ВПР 5 кл. математика — 42 % (95 % ДИ 31–54 %)», with the shrunken share when the rule reads it."""
    text = f"{assessment_label(procedure, grade, subject)} — {percent_text(raw)} ({ci_text(low, high)}"
    if basis == "shrunken":
        text += f"; с учётом объёма выборки {percent_text(shrunken)}"
    return text + ")"


def _by_year(rows: pl.DataFrame) -> pl.DataFrame:
    """school_id → «В 2023 г. …: A — …, B — …; в 2024 г.: C — …» from rows with a `_share` fragment."""
    per_year = (
        rows.sort(["school_id", "year", "procedure", "grade", "subject"])
        .group_by(["school_id", "year"], maintain_order=True)
        .agg(pl.col("_share").str.join(", "))
    )
    first = pl.int_range(pl.len()).over("school_id") == 0
    head = (
        pl.when(first)
        .then(pl.format("В {} г. " + _SHARE_PHRASE + ": {}", "year", "_share"))
        .otherwise(pl.format("в {} г.: {}", "year", "_share"))
    )
    return (
        per_year.with_columns(head.alias("_part"))
        .group_by("school_id", maintain_order=True)
        .agg(pl.col("_part").str.join("; "))
        .select("school_id", pl.format("{}.", "_part").alias("_shares"))
    )


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


#: The columns `render_share` reads, in its arguments' order.
_SHARE_COLUMNS = (
    "procedure",
    "grade",
    "subject",
    "below_min_pct",
    "below_min_ci_low",
    "below_min_ci_high",
    "shrunken_pct",
)


def _cleared_text(year: int, settings: LowResultsSettings) -> str:
    threshold = percent_text(settings.threshold_pct)
    if settings.mode == "threshold":
        count = settings.min_assessments_in_year
        years = settings.consecutive_years
        return (
            f"Правило не выполняется: {_SHARE_PHRASE}, не достигает {threshold} ни в {count} и более "
            f"оценочных {plural(count, 'процедуре', 'процедурах', 'процедурах')} {_year_text(year)}, "
            f"ни в одной процедуре {years} {plural(years, 'год', 'года', 'лет')} подряд."
        )
    if settings.mode == "persistence":
        years = settings.persistence_years
        return (
            f"Правило не выполняется: {_SHARE_PHRASE}, не достигала {threshold} ни в одной процедуре "
            f"хотя бы в одном из {years} "
            f"{plural(years, 'последнего года', 'последних лет', 'последних лет')}."
        )
    return ""


def _ranking_text(
    sufficient: int, composite: float, position: int, count: int, settings: LowResultsSettings
) -> str:
    return (
        f"Сводный показатель — средняя по {sufficient} "
        f"{plural(sufficient, 'процедуре', 'процедурам', 'процедурам')} {_SHARE_PHRASE}, — "
        f"{percent_text(composite, 1)}: место {position} из {count} "
        f"(в список входят нижние {number_text(settings.ranking_bottom_pct)}{NBSP}%)."
    )


def _reasons(
    schools: pl.DataFrame, details: pl.DataFrame, year: int, settings: LowResultsSettings
) -> pl.DataFrame:
    """school_id → reason. Python renders each distinct fragment once; Polars joins them per school."""
    cleared = _cleared_text(year, settings)
    status = pl.col("status")

    def render_share(
        procedure: str,
        grade: int,
        subject: str,
        raw: float | None,
        low: float | None,
        high: float | None,
        shrunken: float | None,
    ) -> str:
        return _share_text(procedure, grade, subject, raw, low, high, shrunken, settings.basis)

    rows = details.join(
        schools.select("school_id", "status", *(["_several"] if settings.mode == "threshold" else [])),
        on="school_id",
        how="inner",
    ).filter(status != "cleared")
    # Which meeting results a flagged school's sentence shows: the ones that make the rule hold.
    if settings.mode == "threshold":
        years_met = pl.col("year").filter(pl.col("meets")).n_unique().over(["school_id", *UNIT])
        shown = (pl.col("year") == year) & pl.col("_several") | (years_met >= settings.consecutive_years)
    elif settings.mode == "ranking":
        shown = (pl.col("year") == year) & pl.col("sufficient")
    else:
        shown = pl.lit(True)
    rows = rows.with_columns(
        pl.when(status == "flagged").then(shown).otherwise(pl.col("meets")).alias("_shown")
    )
    # The results a flagged school's sentence lists: in ranking mode the ones it was ranked by, else those
    # meeting the threshold.
    if settings.mode == "ranking":
        listed = rows.filter(status == "flagged", pl.col("_shown"))
    else:
        listed = rows.filter(pl.col("meets") & pl.col("_shown"))
    listed = listed.with_columns(text_column(listed, _SHARE_COLUMNS, render_share).alias("_share"))
    shares = _by_year(listed)

    few = rows.filter(status == "insufficient_data", ~pl.col("sufficient"))
    few = few.with_columns(
        text_column(
            few,
            ["year", "procedure", "grade", "subject", "below_min_n"],
            lambda row_year, procedure, grade, subject, n: (
                f"{_year_text(row_year)} {assessment_label(procedure, grade, subject)} "
                f"({n or 0} {plural(n or 0, 'участник', 'участника', 'участников')})"
            ),
        ).alias("_few")
    )
    few_texts = (
        few.sort(["school_id", "year", "procedure", "grade", "subject"])
        .group_by("school_id", maintain_order=True)
        .agg(pl.col("_few").str.join("; "))
        .select(
            "school_id",
            pl.format(
                "Недостаточно данных: результаты с числом участников меньше "
                f"{settings.min_participants} — {{}}. Правило выполнялось бы, если бы они были не ниже "
                f"{percent_text(settings.threshold_pct)}.",
                "_few",
            ).alias("_few"),
        )
    )
    ranking: pl.Expr | pl.Series = pl.lit(None, pl.String)
    if settings.mode == "ranking":
        ranking_text = text_column(
            schools,
            ["assessments_sufficient", "composite_pct", "ranking_position", "ranked_schools"],
            lambda sufficient, composite, position, count: (
                "" if position is None else _ranking_text(sufficient, composite, position, count, settings)
            ),
        )
        ranking = pl.Series(ranking_text).replace("", None)
    combined = (
        schools.select("school_id", "status")
        .with_columns(ranking.alias("_ranking"))
        .join(shares, on="school_id", how="left", maintain_order="left")
        .join(few_texts, on="school_id", how="left", maintain_order="left")
    )
    reason = pl.concat_str(["_ranking", "_few", "_shares"], separator=" ", ignore_nulls=True)
    return combined.select(
        "school_id",
        reason=pl.when(status == "cleared")
        .then(pl.col("_ranking").fill_null(cleared) if settings.mode == "ranking" else pl.lit(cleared))
        .otherwise(reason),
    )
