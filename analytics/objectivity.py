"""Signs of non-objective results (DOMAIN.md §5): each a *sign* with its value, threshold and sample caveat.

A sign is never a verdict. The reasons say «признак … требует проверки» and never name a violation; the
status ``flagged`` only means that the sign is present in the data.

Five signs, each a function returning an eager frame whose first columns are `FINDING_SCHEMA`
(method = ``objectivity_<sign>``), then the assessment (procedure, subject, grade) the row is about, then
the sign's numeric columns (always ``value``, ``threshold``, ``n``; ``p_value`` where a test is used):

* `journal_mismatch`  — ВПР mark against the journal mark (from the indicators frame);
* `boundary_heaping`  — an excess of primary scores at the mark boundaries (from pupil results);
* `basic_vs_advanced` — basic tasks below the region while advanced ones are above it (level completion);
* `vpr_vs_exams`      — ВПР well above the region while ОГЭ/ЕГЭ of the same school is low;
* `cohort_drop`       — a cohort falling sharply from grade 4 (year − 1) to grade 5 (year).

`objectivity_signs` runs them all and concatenates their findings. One row is one school × assessment (a
school has several rows per year); ``insufficient_data`` rows are neither flagged nor cleared. "The region"
is every school of the input in the same assessment *other than the school itself* (leave-one-out), so that
a large school does not hide its own excess in the regional figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal, cast

import numpy as np
import polars as pl
from scipy.stats import combine_pvalues, hypergeom
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import test_proportions_2indep

from analytics.findings import FINDING_COLUMNS, FINDING_SCHEMA, STATUS_DTYPE
from analytics.schema import ASSESSMENT_KEY, validate_frame
from analytics.stats import DEFAULT_TIERS, wilson_exprs
from analytics.text import NBSP, number_text, plural, pp_text

__all__ = [
    "ASSESSMENT_COLUMNS",
    "DEFAULT_OBJECTIVITY_SETTINGS",
    "ObjectivitySettings",
    "ObjectivitySigns",
    "basic_vs_advanced",
    "boundary_heaping",
    "cohort_drop",
    "journal_mismatch",
    "objectivity_signs",
    "vpr_vs_exams",
]

Frame = pl.DataFrame | pl.LazyFrame

_OURS: Final = "выбор Опоры"


def _setting(default: Any, label: str, source: str) -> Any:
    return field(default=default, metadata={"label": label, "source": source})


@dataclass(frozen=True)
class ObjectivitySettings:
    """The parameters of the five signs; every value is JSON-able (see analytics.settings_io)."""

    confidence: float = _setting(
        0.95,
        "Уровень доверия интервалов Уилсона",
        "DOMAIN.md §5: доверительный интервал Уилсона для долей при малом N",
    )
    # --- ВПР mark against the journal mark
    journal_not_confirmed_pct: float = _setting(
        50.0,
        "Доля не подтвердивших отметку по журналу, %: признак, если нижняя граница ДИ выше порога",
        f"{_OURS}: больше половины участников не подтвердили отметку (подтвердили < 50 %)",
    )
    journal_differ_2plus_pct: float = _setting(
        10.0,
        "Доля отметок, расходящихся с журнальной на 2 балла и более, %: признак, если нижняя граница ДИ "
        "не ниже порога",
        f"{_OURS}: расхождение на 2 балла и более у каждого десятого участника",
    )
    journal_min_n: int = _setting(
        10,
        "Минимум участников с отметкой по журналу",
        f"{_OURS}: при меньшем N интервал Уилсона шире половины шкалы",
    )
    # --- heaping at the mark boundaries
    heaping_alpha: float = _setting(
        0.01,
        "Уровень значимости для избытка баллов на границах отметок (после поправки Бенджамини — Хохберга)",
        f"{_OURS}: 0,01 с поправкой на число школ в процедуре",
    )
    heaping_min_excess: float = _setting(
        5.0,
        "Минимальный избыток участников на границах отметок сверх ожидаемого по региону",
        f"{_OURS}: статистически значимый избыток в 1–2 участника не имеет практического смысла",
    )
    heaping_min_pupils: int = _setting(
        10,
        "Минимум участников с баллами на границе отметки или на балл ниже",
        f"{_OURS}: около десяти участников у границ",
    )
    # --- basic against advanced tasks
    basic_level: str = _setting("Б", "Уровень базовых заданий", "DOMAIN.md §4: уровни Б, П, В ФИС ОКО")
    advanced_level: str = _setting(
        "П", "Уровень заданий, сравниваемый с базовым", "DOMAIN.md §4: повышенный уровень (П)"
    )
    basic_insufficient_pct: float = _setting(
        57.0,
        "Выполнение базовых заданий ниже этого значения недостаточно, %",
        "DOMAIN.md §5: базовый уровень < 57 % недостаточен (≥ 60 % достаточен)",
    )
    advanced_sufficient_pct: float = _setting(
        30.0,
        "Выполнение заданий повышенного уровня от этого значения достаточно, %",
        "DOMAIN.md §5: повышенный уровень ≥ 30 % достаточен (< 28,5 % недостаточен)",
    )
    levels_min_n: int = _setting(
        20,
        "Минимум участников для сравнения уровней заданий",
        f"{_OURS}: DOMAIN.md §5 считает N < 20 ограниченной выборкой, а статистического теста здесь нет",
    )
    # --- ВПР against ОГЭ/ЕГЭ
    vpr_quality_excess_pp: float = _setting(
        15.0,
        "Качество ВПР («4» и «5») выше региона не менее чем на, п. п.",
        f"{_OURS}: 15 п. п.",
    )
    exam_below_min_excess_pp: float = _setting(
        10.0,
        "Доля не преодолевших минимум на ОГЭ/ЕГЭ выше региона не менее чем на, п. п.",
        f"{_OURS}: 10 п. п., как порог отрицательной динамики в DOMAIN.md §5",
    )
    exam_mean_below_region: bool = _setting(
        True,
        "Считать экзамен низким и тогда, когда средний балл школы ниже регионального",
        f"{_OURS}: DOMAIN.md §5 говорит «ОГЭ/ЕГЭ низкие» без порога",
    )
    exam_procedures: tuple[str, ...] = _setting(
        ("ОГЭ", "ЕГЭ"), "Экзамены, с которыми сравнивается ВПР", "DOMAIN.md §5: ОГЭ/ЕГЭ"
    )
    exam_subjects: tuple[tuple[str, str], ...] = _setting(
        (
            ("Математика (профильный уровень)", "Математика"),
            ("Математика (базовый уровень)", "Математика"),
            ("Математика профильная", "Математика"),
            ("Математика базовая", "Математика"),
            ("Математика (профиль)", "Математика"),
            ("Математика (база)", "Математика"),
        ),
        "Предмет экзамена → предмет ВПР (остальные сопоставляются по одинаковому названию)",
        f"{_OURS}: профильная и базовая математика ЕГЭ соответствуют математике ВПР",
    )
    exams_min_n: int = _setting(
        20,
        "Минимум участников ВПР и экзамена для сравнения",
        f"{_OURS}: DOMAIN.md §5 считает N < 20 ограниченной выборкой, а статистического теста здесь нет",
    )
    # --- a cohort from grade 4 to grade 5
    cohort_from_grade: int = _setting(4, "Класс ВПР в прошлом году", "DOMAIN.md §5: переход из 4 в 5 класс")
    cohort_to_grade: int = _setting(5, "Класс ВПР в этом году", "DOMAIN.md §5: переход из 4 в 5 класс")
    cohort_measure: Literal["mark_2", "quality"] = _setting(
        "mark_2",
        "Показатель когорты: доля «2» растёт или качество («4» и «5») падает",
        f"{_OURS}: доля «2», как в правиле низких результатов DOMAIN.md §5",
    )
    cohort_excess_pp: float = _setting(
        10.0,
        "Ухудшение когорты сверх регионального не менее чем на, п. п.",
        "DOMAIN.md §5: рост доли «2» на 10 п. п. и более — отрицательная динамика",
    )
    cohort_alpha: float = _setting(
        0.05,
        "Уровень значимости для ухудшения когорты (односторонний тест двух долей)",
        f"{_OURS}: 0,05",
    )
    cohort_min_n: int = _setting(
        10,
        "Минимум участников в каждом из двух лет",
        f"{_OURS}: около десяти участников (тест двух долей)",
    )

    def __post_init__(self) -> None:
        for name in ("confidence", "heaping_alpha", "cohort_alpha"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
        for name in ("journal_min_n", "heaping_min_pupils", "levels_min_n", "exams_min_n", "cohort_min_n"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.cohort_measure not in ("mark_2", "quality"):
            raise ValueError(f"cohort_measure must be 'mark_2' or 'quality', got {self.cohort_measure!r}")


DEFAULT_OBJECTIVITY_SETTINGS: Final = ObjectivitySettings()

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


# --- reason sentences, built column-wise ------------------------------------------------------------
# A country has hundreds of thousands of rows: the sentences are assembled by Polars from text columns,
# each rendered with exactly the wording of analytics.text (number_text, percent_text, pp_text, …).

#: number_expr rounds x · 10^digits like Python's `format` unless that product lies this close to a half,
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
        pl.col("procedure"),
        pl.lit(", "),
        pl.col("subject"),
        pl.lit(", "),
        pl.col("grade").cast(pl.String),
        pl.lit(f"{NBSP}кл."),
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


def _year_filter(year: int) -> pl.Expr:
    return pl.col("year").cast(pl.Int16) == year


def _indicator_rows(indicators: Frame) -> pl.LazyFrame:
    return indicators.lazy().with_columns(
        pl.col("procedure").cast(pl.String),
        pl.col("subject").cast(pl.String),
        pl.col("grade").cast(pl.Int8),
        pl.col("year").cast(pl.Int16),
    )


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


# --- 2. heaping of primary scores at the mark boundaries ---------------------------------------------

_HEAPING_NUMERIC: Final = {
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "n": pl.Int64(),
    "observed": pl.Int64(),
    "expected": pl.Float64(),
    "boundaries": pl.Int64(),
    "p_value": pl.Float64(),
    "p_value_adjusted": pl.Float64(),
    "alpha": pl.Float64(),
}

_SCHOOL_ASSESSMENT: Final = [*ASSESSMENT_KEY, "school_id"]


#: The marks whose lowest primary score is a boundary (a «2» has none).
_BOUNDARY_MARKS: Final = (3, 4, 5)


def _boundaries_long(pupils: pl.LazyFrame, boundaries: Frame | None, year: int) -> pl.LazyFrame:
    """Columns: the assessment key, mark (3, 4, 5), boundary (the lowest primary score of that mark)."""
    if boundaries is None:
        # Inferred: the lowest primary score seen with each mark across the region.
        found = (
            pupils.filter(pl.col("mark") >= 3)
            .group_by([*ASSESSMENT_KEY, "mark"])
            .agg(boundary=pl.col("primary_score").min())
        )
    else:
        marks = [f"min_score_{mark}" for mark in _BOUNDARY_MARKS]
        found = (
            boundaries.lazy()
            .with_columns(
                pl.col("year").cast(pl.Int16),
                pl.col("procedure").cast(pl.String),
                pl.col("subject").cast(pl.String),
                pl.col("grade").cast(pl.Int8),
                *[pl.col(name).cast(pl.Float64) for name in marks],
            )
            .filter(_year_filter(year))
            .unpivot(on=marks, index=list(ASSESSMENT_KEY), variable_name="mark", value_name="boundary")
            .with_columns(pl.col("mark").str.slice(-1).cast(pl.Int8))
        )
    return found.filter(pl.col("boundary") >= 1).select(*ASSESSMENT_KEY, "mark", "boundary")


def boundary_heaping(
    pupil_results: Frame,
    *,
    year: int,
    boundaries: Frame | None = None,
    settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS,
) -> pl.DataFrame:
    """An excess of primary scores exactly at the mark boundaries, compared with the rest of the region.

    Inputs: `pupil_results` (year, procedure, subject, grade, school_id, participant, primary_score, mark);
    `boundaries` (year, procedure, subject, grade, min_score_3, min_score_4, min_score_5: the lowest primary
    score of each mark) or None to infer them as the lowest primary score seen with each mark in the
    assessment across the region. Pupils without a score or a mark are left out; scores are compared
    exactly (b and b − 1), so fractional scores between them count for neither.

    The test. For a school, an assessment and a boundary b, take the pupils at b (just reached the mark)
    and at b − 1 (one point short). Under H0 the school's split of these pupils between b − 1 and b is the
    split of the rest of the region (the region without the school). Conditioning on the margins, the
    2 × 2 table school/rest × b/(b − 1) gives the one-sided *Fisher exact* test (hypergeometric upper
    tail), which also carries the uncertainty of the region's own share (a binomial test against the
    region's share would treat it as known). The boundaries of one school × assessment are independent
    tables with different region shares, so their counts must not be pooled into one binomial; their
    p-values are combined by *Fisher's method* (scipy.stats.combine_pvalues). Fisher's method was chosen
    over Stouffer's or a Mantel-Haenszel test because heaping usually sits at one boundary (most often
    «2»/«3»), and Fisher's method is the most sensitive to one strong component while the others are null;
    with discrete exact p-values it is conservative, which suits a sign that must not over-flag.
    Benjamini-Hochberg (statsmodels multipletests) adjusts the p-values across the schools of each
    assessment that have enough data. A boundary is used when the school and the rest of the region both
    have pupils at b − 1 or b.

    Flagged when p_value_adjusted < `heaping_alpha` and the excess (observed − expected pupils at the
    boundaries, expected from the rest of the region's shares) ≥ `heaping_min_excess`. Insufficient when
    n (pupils at b − 1 or b, summed over the used boundaries) < `heaping_min_pupils`. Columns: finding,
    assessment, then `value` (the excess, pupils), `threshold` (heaping_min_excess), `n`, `observed`,
    `expected`, `boundaries`, `p_value`, `p_value_adjusted`, `alpha`.
    """
    pupils = (
        validate_frame(pupil_results.lazy(), "pupil_results", check_values=False)
        .filter(_year_filter(year), pl.col("primary_score").is_not_null(), pl.col("mark").is_not_null())
        .select(
            pl.col("year"),
            pl.col("procedure").cast(pl.String),
            "subject",
            "grade",
            "school_id",
            "primary_score",
            "mark",
        )
    )
    # The distinct boundaries of each assessment side by side (b0 < b1 < b2, null where fewer), so that one
    # group-by over the pupils counts, for every school, the pupils at each boundary and one point short
    # (a pupil may count for two boundaries one point apart) without repeating each pupil per boundary.
    slots = range(len(_BOUNDARY_MARKS))
    wide = (
        _boundaries_long(pupils, boundaries, year)
        .group_by(ASSESSMENT_KEY)
        .agg(pl.col("boundary").unique().sort())
        .with_columns(pl.col("boundary").list.get(i, null_on_oob=True).alias(f"b{i}") for i in slots)
        .drop("boundary")
    )
    score = pl.col("primary_score")
    counts = (
        pupils.join(wide, on=list(ASSESSMENT_KEY), how="left")
        .group_by(_SCHOOL_ASSESSMENT)
        .agg(
            *[pl.col(f"b{i}").first() for i in slots],
            *[(score == pl.col(f"b{i}")).sum().alias(f"at{i}") for i in slots],
            *[(score == pl.col(f"b{i}") - 1).sum().alias(f"below{i}") for i in slots],
        )
        .collect()
    )
    schools = counts.select(_SCHOOL_ASSESSMENT).sort(_SCHOOL_ASSESSMENT)  # rows in a stable order
    per_boundary = (
        pl.concat(
            [
                counts.lazy().select(
                    *_SCHOOL_ASSESSMENT,
                    boundary=pl.col(f"b{i}"),
                    at=pl.col(f"at{i}").cast(pl.Int64),
                    below=pl.col(f"below{i}").cast(pl.Int64),
                )
                for i in slots
            ]
        )
        .filter(pl.col("boundary").is_not_null(), (pl.col("at") + pl.col("below")) > 0)
        .with_columns(
            rest_at=_loo("at", [*ASSESSMENT_KEY, "boundary"]),
            rest_below=_loo("below", [*ASSESSMENT_KEY, "boundary"]),
        )
        .with_columns(m=pl.col("at") + pl.col("below"), rest_m=pl.col("rest_at") + pl.col("rest_below"))
        .filter(pl.col("m") > 0, pl.col("rest_m") > 0)
        .with_columns(expected=pl.col("m") * pl.col("rest_at") / pl.col("rest_m"))
        .sort([*_SCHOOL_ASSESSMENT, "boundary"])
        .collect()
    )
    # One-sided Fisher exact test per table: P(X ≥ at) for X hypergeometric with population m + rest_m,
    # successes at + rest_at and draws m.
    p_boundary = _hypergeom_upper_tail(
        per_boundary["at"].to_numpy(),
        (per_boundary["m"] + per_boundary["rest_m"]).to_numpy(),
        (per_boundary["at"] + per_boundary["rest_at"]).to_numpy(),
        per_boundary["m"].to_numpy(),
    )
    # An exact 0 (underflow) would make Fisher's statistic infinite; the smallest double keeps it finite.
    per_boundary = per_boundary.with_columns(
        p=pl.Series(np.clip(p_boundary, np.finfo(np.float64).tiny, 1.0), dtype=pl.Float64)
    )
    per_school = per_boundary.group_by(_SCHOOL_ASSESSMENT, maintain_order=True).agg(
        n=pl.col("m").sum(),
        observed=pl.col("at").sum(),
        expected=pl.col("expected").sum(),
        boundaries=pl.len().cast(pl.Int64),
        p_list=pl.col("p"),
    )
    per_school = per_school.with_columns(p_value=_fisher_combined(per_school)).drop("p_list")
    data = schools.join(per_school, on=_SCHOOL_ASSESSMENT, how="left", maintain_order="left").with_columns(
        pl.col("n", "observed", "boundaries").fill_null(0).cast(pl.Int64),
        pl.col("expected").fill_null(0.0),
    )
    data = data.with_columns(value=pl.col("observed") - pl.col("expected"))
    insufficient = pl.col("n") < settings.heaping_min_pupils
    data = _benjamini_hochberg(data, enough=~insufficient)
    significant = pl.col("p_value_adjusted") < settings.heaping_alpha
    large = pl.col("value") >= settings.heaping_min_excess
    data = (
        data.with_columns(
            threshold=pl.lit(settings.heaping_min_excess),
            alpha=pl.lit(settings.heaping_alpha),
        )
        .with_columns(_status(insufficient, (significant & large).fill_null(False)))
        .with_columns(
            _codes(pl.col("status"), "heaping_insufficient_n", {"heaping_at_mark_boundaries": pl.lit(True)})
        )
    )
    return _finish(
        data,
        method="boundary_heaping",
        year=year,
        numeric=_HEAPING_NUMERIC,
        reason=lambda data: _heaping_reasons(data, settings),
    )


#: Up to this many draws the products of ratios below stay within ~draws × 1.1e-16 of the exact tail;
#: above it (no school has that many pupils at one boundary) SciPy computes the tail.
_RECURRENCE_MAX_DRAWS: Final = 2_000
#: Below this a tail may have been summed from subnormal terms, which carry few digits: SciPy recomputes it.
_RECURRENCE_MIN_TAIL: Final = 1e-250


def _hypergeom_upper_tail(
    k: np.ndarray, population: np.ndarray, successes: np.ndarray, draws: np.ndarray
) -> np.ndarray:
    """P(X ≥ k) for X hypergeometric: `scipy.stats.hypergeom.sf(k − 1, population, successes, draws)`.

    SciPy's cost grows with the population (the whole region), and there is one table per school ×
    assessment × boundary. But the population and the successes are the region's totals (the school's own
    pupils plus the rest), the same for every school of an assessment × boundary, and the draws (a school's
    pupils at the boundary) are few. So every distinct (population, successes, draws) gets the whole
    distribution at once: the weights w(x) relative to the mode from the exact ratios
    pmf(x + 1) / pmf(x) = (successes − x)(draws − x) / ((x + 1)(population − successes − draws + x + 1)),
    each one correctly rounded division of integers exact in float64, multiplied outwards from the mode
    (no overflow, relative error ≤ draws × ε), then P(X ≥ k) = Σ_{x ≥ k} w(x) / Σ w(x), summed from the
    smallest terms. The tail is within ~1e-15 of the exact rational one (SciPy's own sf is off by up to
    ~4e-11 at a region's population); rows beyond `_RECURRENCE_MAX_DRAWS` or with
    a tail below `_RECURRENCE_MIN_TAIL` are left to SciPy.
    """
    k, population, successes, draws = (
        np.asarray(values, dtype=np.int64) for values in (k, population, successes, draws)
    )
    tail = np.full(k.shape, np.nan)
    if not k.size:
        return tail
    # np.unique over one integer key per triple (ordered as the triples: draws, then population, then
    # successes) is ~20× faster than over rows (axis=0), which sorts a structured view.
    width = int(population.max()) + 1
    if int(draws.max()) * width * width + width * width < 2**62:
        _, first, inverse = np.unique(
            (draws * width + population) * width + successes, return_index=True, return_inverse=True
        )
        triples = np.column_stack([draws, population, successes])[first]
    else:
        triples, inverse = np.unique(
            np.column_stack([draws, population, successes]), axis=0, return_inverse=True
        )
    inverse = inverse.ravel()
    row_order = np.argsort(inverse, kind="stable")
    first_row = np.searchsorted(inverse[row_order], np.arange(len(triples) + 1))
    # np.unique sorts the triples by draws first: one block of triples per number of draws.
    block_starts = np.flatnonzero(np.diff(triples[:, 0], prepend=-1))
    for start, stop in zip(block_starts, [*block_starts[1:], len(triples)], strict=True):
        n_draws = int(triples[start, 0])
        if n_draws > _RECURRENCE_MAX_DRAWS:
            continue
        big = triples[start:stop, 1:2].astype(np.float64)
        good = triples[start:stop, 2:3].astype(np.float64)
        x = np.arange(n_draws, dtype=np.float64)
        mode = ((n_draws + 1) * (triples[start:stop, 2:3] + 1)) // (triples[start:stop, 1:2] + 2)
        up_from = x >= mode
        numerator = (good - x) * (n_draws - x)
        denominator = (x + 1) * (big - good - n_draws + x + 1)
        # Past the mode the denominator is ≥ 1, before it the numerator is ≥ 1; the other side is unused.
        up = np.divide(numerator, denominator, out=np.ones_like(numerator), where=up_from)
        down = np.divide(denominator, numerator, out=np.ones_like(numerator), where=~up_from)
        weights = np.ones((stop - start, n_draws + 1))
        weights[:, 1:] = np.cumprod(up, axis=1)
        weights[:, :-1] *= np.cumprod(down[:, ::-1], axis=1)[:, ::-1]
        upper = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]
        table = upper / upper[:, :1]
        rows = row_order[first_row[start] : first_row[stop]]
        tail[rows] = table[inverse[rows] - start, np.clip(k[rows], 0, n_draws)]
        tail[rows[k[rows] > n_draws]] = 0.0
    exact = np.isnan(tail) | (tail < _RECURRENCE_MIN_TAIL)
    if exact.any():
        tail[exact] = hypergeom.sf(k[exact] - 1, population[exact], successes[exact], draws[exact])
    return tail


def _fisher_combined(per_school: pl.DataFrame) -> pl.Series:
    """Fisher's combination of each row's boundary p-values, vectorised per number of boundaries."""
    combined = np.full(per_school.height, np.nan)
    counts = per_school["boundaries"].to_numpy()
    for k in np.unique(counts):
        rows = np.flatnonzero(counts == k)
        matrix = per_school["p_list"].gather(rows).list.to_array(int(k)).to_numpy()
        combined[rows] = combine_pvalues(matrix, method="fisher", axis=1).pvalue
    return pl.Series("p_value", combined, dtype=pl.Float64)


def _benjamini_hochberg(data: pl.DataFrame, *, enough: pl.Expr) -> pl.DataFrame:
    """`p_value_adjusted`: BH across the schools of each assessment that have enough data (else null)."""
    data = data.with_row_index("_row")
    adjusted = np.full(data.height, np.nan)
    testable = data.filter(enough & pl.col("p_value").is_not_null())
    for group in testable.partition_by(list(ASSESSMENT_KEY)):
        adjusted[group["_row"].to_numpy()] = multipletests(group["p_value"].to_numpy(), method="fdr_bh")[1]
    return data.with_columns(p_value_adjusted=pl.Series(adjusted, dtype=pl.Float64).fill_nan(None)).drop(
        "_row"
    )


def _heaping_reasons(data: pl.DataFrame, settings: ObjectivitySettings) -> pl.Series:
    def pupils(count: int) -> str:
        return f"{number_text(count)} {plural(count, 'участник', 'участника', 'участников')}"

    pieces = {
        "n_pupils": _distinct(data["n"], pupils),
        "n_tail": _n_texts(data["n"]),
        "tail": _n_texts(data["n"], " у границ"),
        "observed": _distinct(data["observed"], pupils),
        "expected": _numbers(data["expected"], 1),
        "excess": _numbers(data["value"].abs(), 1),
        "more": data.select(
            pl.when(pl.col("value") >= 0).then(pl.lit("больше")).otherwise(pl.lit("меньше"))
        ).to_series(),
        "p": _p_texts(data["p_value"]),
        "adjusted": _p_texts(data["p_value_adjusted"]),
        "has_adjusted": data["p_value_adjusted"].is_not_null().cast(pl.String),
    }
    insufficient = pl.col("status").cast(pl.String) == "insufficient_data"
    lead = (
        pl.when(pl.col("status").cast(pl.String) == "flagged")
        .then(pl.lit("на границах отметок наблюдается избыток первичных баллов"))
        .otherwise(pl.lit("избыток первичных баллов на границах отметок не подтверждается"))
    )
    adjusted = (
        pl.when(pl.col("has_adjusted") == "true")
        .then(pl.concat_str(pl.lit(", с поправкой на число школ "), pl.col("adjusted")))
        .otherwise(pl.lit(""))
    )
    judged = pl.concat_str(
        lead,
        pl.lit(": ровно на пороговых баллах отметок "),
        pl.col("observed"),
        pl.lit(" при ожидаемых по региону "),
        pl.col("expected"),
        pl.lit(" (на "),
        pl.col("excess"),
        pl.lit(" "),
        pl.col("more"),
        pl.lit(", "),
        pl.col("p"),
        adjusted,
        pl.lit(
            f"); признак — p{NBSP}<{NBSP}{_alpha_text(settings.heaping_alpha)} и избыток не менее "
            f"{number_text(settings.heaping_min_excess)}"
        ),
    )
    body = (
        pl.when(insufficient)
        .then(
            pl.concat_str(
                pl.lit("у границ отметок (на пороговом балле или на балл ниже) "),
                pl.col("n_pupils"),
                pl.lit(f", нужно не менее {settings.heaping_min_pupils}"),
            )
        )
        .otherwise(judged)
    )
    tail = pl.when(insufficient).then(pl.col("n_tail")).otherwise(pl.col("tail"))
    return _sentences(data, pieces, body, tail)


# --- 3. basic against advanced tasks -----------------------------------------------------------------

_LEVELS_NUMERIC: Final = {
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "n": pl.Int64(),
    "basic_region_pct": pl.Float64(),
    "basic_vs_region_pp": pl.Float64(),
    "advanced_pct": pl.Float64(),
    "advanced_threshold": pl.Float64(),
    "advanced_region_pct": pl.Float64(),
    "advanced_vs_region_pp": pl.Float64(),
}


def basic_vs_advanced(
    level_completion: Frame, *, year: int, settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS
) -> pl.DataFrame:
    """Basic tasks below the region while advanced tasks are above it, per school × assessment of `year`.

    Input: `compare_task_completion(task_completion(tasks, by="level"), areas)` — one row per school ×
    assessment × level with completion_pct, participants and region_completion_pct (the region includes
    the school, as `compare_task_completion` pools it).

    The rule implemented (DOMAIN.md §5), all four conditions at once:
    basic completion < `basic_insufficient_pct` (57 %: insufficient) and below the region, and advanced
    (level `advanced_level`, П by default) completion ≥ `advanced_sufficient_pct` (30 %: sufficient) and
    above the region. Setting the two thresholds to 100 and 0 leaves the purely regional comparison.
    There is no statistical test: a school is insufficient when either level is missing, the region's
    completion is unknown, or n (the smaller participants of the two levels) < `levels_min_n`.
    Columns: finding, assessment, then `value` (basic completion %), `threshold` (basic_insufficient_pct),
    `n`, `basic_region_pct`, `basic_vs_region_pp`, `advanced_pct`, `advanced_threshold`,
    `advanced_region_pct`, `advanced_vs_region_pp`.
    """
    frame = level_completion.lazy()
    if "region_completion_pct" not in frame.collect_schema():
        raise ValueError(
            "level_completion needs region_completion_pct: pass compare_task_completion(task_completion(…, "
            "by='level'), areas)"
        )
    rows = _indicator_rows(frame).filter(_year_filter(year))

    def level(name: str, prefix: str) -> pl.LazyFrame:
        return rows.filter(pl.col("level") == name).select(
            *ASSESSMENT_COLUMNS.names(),
            "school_id",
            pl.col("completion_pct").alias(f"{prefix}_pct"),
            pl.col("region_completion_pct").alias(f"{prefix}_region_pct"),
            pl.col("participants").cast(pl.Int64).alias(f"{prefix}_n"),
        )

    keys = [*ASSESSMENT_COLUMNS.names(), "school_id"]
    data = (
        level(settings.basic_level, "basic")
        .join(level(settings.advanced_level, "advanced"), on=keys, how="full", coalesce=True)
        .with_columns(
            value=pl.col("basic_pct"),
            n=pl.min_horizontal(pl.col("basic_n").fill_null(0), pl.col("advanced_n").fill_null(0)),
            threshold=pl.lit(settings.basic_insufficient_pct),
            advanced_threshold=pl.lit(settings.advanced_sufficient_pct),
            basic_vs_region_pp=pl.col("basic_pct") - pl.col("basic_region_pct"),
            advanced_vs_region_pp=pl.col("advanced_pct") - pl.col("advanced_region_pct"),
        )
        .collect()
    )
    basic_low = (pl.col("value") < pl.col("threshold")) & (pl.col("basic_vs_region_pp") < 0)
    advanced_high = (pl.col("advanced_pct") >= pl.col("advanced_threshold")) & (
        pl.col("advanced_vs_region_pp") > 0
    )
    known = pl.all_horizontal(
        pl.col("basic_pct", "advanced_pct", "basic_region_pct", "advanced_region_pct").is_not_null()
    )
    data = data.with_columns(
        _status(~known | (pl.col("n") < settings.levels_min_n), basic_low & advanced_high)
    ).with_columns(
        _codes(pl.col("status"), "levels_insufficient_n", {"basic_below_advanced_above": pl.lit(True)})
    )
    return _finish(
        data,
        method="basic_vs_advanced",
        year=year,
        numeric=_LEVELS_NUMERIC,
        reason=lambda data: _levels_reasons(data, settings),
    )


def _levels_reasons(data: pl.DataFrame, settings: ObjectivitySettings) -> pl.Series:
    pieces = {
        "value": _pcts(data["value"]),
        "basic_region": _pcts(data["basic_region_pct"]),
        "basic_vs_region": _pps(data["basic_vs_region_pp"]),
        "threshold": _pcts(data["threshold"]),
        "advanced": _pcts(data["advanced_pct"]),
        "advanced_region": _pcts(data["advanced_region_pct"]),
        "advanced_vs_region": _pps(data["advanced_vs_region_pp"]),
        "advanced_threshold": _pcts(data["advanced_threshold"]),
        "tail": _n_texts(data["n"]),
        "missing": data.select(
            pl.when(pl.col("value").is_null())
            .then(pl.lit(settings.basic_level))
            .when(pl.col("advanced_pct").is_null())
            .then(pl.lit(settings.advanced_level))
        ).to_series(),
    }
    missing = pl.col("missing").is_not_null()
    compared = pl.concat_str(
        pl.lit(f"базовые задания ({settings.basic_level}) выполнены на "),
        pl.col("value"),
        pl.lit(" (регион "),
        pl.col("basic_region"),
        pl.lit(", "),
        pl.col("basic_vs_region"),
        pl.lit("; недостаточно — ниже "),
        pl.col("threshold"),
        pl.lit(f"), задания уровня {settings.advanced_level} — на "),
        pl.col("advanced"),
        pl.lit(" (регион "),
        pl.col("advanced_region"),
        pl.lit(", "),
        pl.col("advanced_vs_region"),
        pl.lit("; достаточно — от "),
        pl.col("advanced_threshold"),
        pl.lit(")"),
    )
    body = (
        pl.when(missing)
        .then(pl.concat_str(pl.lit("нет выполнения заданий уровня "), pl.col("missing")))
        .otherwise(compared)
    )
    tail = (
        pl.when(missing)
        .then(pl.col("tail"))
        .otherwise(_insufficient_tail("tail", f", нужно не менее {settings.levels_min_n}"))
    )
    return _sentences(data, pieces, body, tail)


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
                pl.col("exam_grade").cast(pl.String),
                pl.lit(f"{NBSP}кл.)"),
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


# --- all together ------------------------------------------------------------------------------------

SignName = Literal["journal_mismatch", "boundary_heaping", "basic_vs_advanced", "vpr_vs_exams", "cohort_drop"]


@dataclass(frozen=True)
class ObjectivitySigns:
    """The five signs' frames, and their findings (finding and assessment columns) concatenated."""

    journal_mismatch: pl.DataFrame
    boundary_heaping: pl.DataFrame
    basic_vs_advanced: pl.DataFrame
    vpr_vs_exams: pl.DataFrame
    cohort_drop: pl.DataFrame

    @property
    def by_sign(self) -> dict[SignName, pl.DataFrame]:
        """The frames by sign name."""
        return {
            "journal_mismatch": self.journal_mismatch,
            "boundary_heaping": self.boundary_heaping,
            "basic_vs_advanced": self.basic_vs_advanced,
            "vpr_vs_exams": self.vpr_vs_exams,
            "cohort_drop": self.cohort_drop,
        }

    @cached_property
    def findings(self) -> pl.DataFrame:
        """All rows in `FINDING_SCHEMA` + procedure, subject, grade, sorted by school, method, assessment
        (computed once: a country's signs have millions of rows)."""
        columns = [*FINDING_COLUMNS, *ASSESSMENT_COLUMNS.names()]
        return pl.concat([frame.select(columns) for frame in self.by_sign.values()]).sort(
            ["school_id", "method", "procedure", "subject", "grade"]
        )


def objectivity_signs(
    indicators: Frame,
    pupil_results: Frame | None,
    level_completion: Frame | None,
    *,
    year: int,
    boundaries: Frame | None = None,
    settings: ObjectivitySettings = DEFAULT_OBJECTIVITY_SETTINGS,
) -> ObjectivitySigns:
    """Every sign of non-objective results for `year`.

    `indicators`: school indicators of all procedures for `year` and `year` − 1 (the cohort sign);
    `pupil_results`: pupil rows for the heaping sign (None: that sign is empty); `level_completion`:
    `compare_task_completion` by level (None: that sign is empty); `boundaries`: the mark boundaries for
    the heaping sign (None: inferred from the data).
    """
    heaping = (
        _empty(_HEAPING_NUMERIC)
        if pupil_results is None
        else boundary_heaping(pupil_results, year=year, boundaries=boundaries, settings=settings)
    )
    levels = (
        _empty(_LEVELS_NUMERIC)
        if level_completion is None
        else basic_vs_advanced(level_completion, year=year, settings=settings)
    )
    return ObjectivitySigns(
        journal_mismatch=journal_mismatch(indicators, year=year, settings=settings),
        boundary_heaping=heaping,
        basic_vs_advanced=levels,
        vpr_vs_exams=vpr_vs_exams(indicators, year=year, settings=settings),
        cohort_drop=cohort_drop(indicators, year=year, settings=settings),
    )
