"""Contextual value added and resilience (DOMAIN.md §5).

Steps, for the identification year Y:

1. The outcome of a school is the mean of one indicator (`mean_pct_of_max` by default) over the counted
   assessments of the years Y − pooled_years + 1 … Y, each assessment weighted by the participants it
   counts (the base N of the indicator: pupils with a primary score for `mean_pct_of_max`, with a mark
   for `pass_pct` …). `n_pooled` is the sum of those N. An outcome where lower is better (`below_min_pct`,
   `mark_2_pct`) is turned into 100 − share (the share at or above the minimum), so that everywhere
   higher = better and a positive residual is a better-than-expected result.
2. In each region, the outcome of the schools with `n_pooled ≥ min_participants` and a context index is
   regressed on the index by ordinary least squares (statsmodels OLS, unweighted: the school is the unit
   of the comparison, and a weight by N would let a few large urban schools set the line; the pooled
   N ≥ 20 bounds the noise of a small school instead). Schools below the minimum are left out of the fit.
3. The residual (outcome − prediction) is the value added. Its standard error is the standard deviation
   of that residual under the model, sqrt(σ² (1 − h_ii)) with σ² = SSR / (n − 2) and h_ii the leverage
   (statsmodels `OLSInfluence.resid_std`): it grows for the schools that sit near the middle of the index
   and shrinks at the extremes, which pull the line towards themselves. It does not include a school's own
   sampling error. The standardised residual is residual / σ (σ = the residual SD of the model).
4. Resilient: context group 1 (the lowest, from `context_index`) and (outcome ≥ the region's
   `resilient_top_quantile` quantile, linear interpolation, or standardised residual > +residual_sd).
   Low results in a good context: standardised residual < −residual_sd in a context group
   ≥ `good_context_min_group` (2 by default: group 1 is the ШНСУ themselves, whose low results other
   methods report, and "a good context" does not describe it).

A region with fewer than 3 eligible schools, or whose eligible schools all have the same index, has no
model: its schools get `insufficient_data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import polars as pl

# The regression's own modules, not statsmodels.api, which also imports the formula and time-series APIs
# (measured up to 1 s of a command-line run).
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.outliers_influence import OLSInfluence
from statsmodels.tools.tools import add_constant

from analytics.findings import FINDING_SCHEMA
from analytics.stats import exact_sum
from analytics.text import NBSP, number_expr

__all__ = [
    "DEFAULT_VALUE_ADDED_SETTINGS",
    "OUTCOMES",
    "Outcome",
    "OutcomeName",
    "ValueAdded",
    "ValueAddedSettings",
    "value_added",
]

Frame = pl.DataFrame | pl.LazyFrame
OutcomeName = Literal[
    "mean_pct_of_max", "pass_pct", "quality_pct", "mark_2_pct", "below_min_pct", "high_score_pct"
]


@dataclass(frozen=True)
class Outcome:
    """An indicator usable as the outcome: its wording, the column of its base N, its direction."""

    text: str
    base: str
    higher_is_better: bool
    suffix: str = ""


#: The indicators of `school_indicators` that can be the outcome; all are percents (0..100).
OUTCOMES: Final[Mapping[str, Outcome]] = {
    "mean_pct_of_max": Outcome("Результат", "primary_score_n", True, " от максимума"),
    "pass_pct": Outcome("Успеваемость", "marks_n", True),
    "quality_pct": Outcome("Качество", "marks_n", True),
    "mark_2_pct": Outcome("Доля «2»", "marks_n", False),
    "below_min_pct": Outcome("Доля участников ниже минимума", "below_min_n", False),
    "high_score_pct": Outcome("Доля ЕГЭ 80–100 баллов", "test_score_n", True),
}


@dataclass(frozen=True)
class ValueAddedSettings:
    """The parameters of value added and resilience; every value is JSON-able for versioning."""

    outcome: OutcomeName = field(
        default="mean_pct_of_max",
        metadata={
            "label": "Показатель результата",
            "source": "выбор Опоры: средний % от максимума — наиболее полный показатель ВПР",
        },
    )
    pooled_years: int = field(
        default=3,
        metadata={
            "label": "За сколько лет объединять результаты (2–3, по год выявления)",
            "source": "DOMAIN.md §5: результат школы, объединённый за 2–3 года",
        },
    )
    min_participants: int = field(
        default=20,
        metadata={
            "label": "Минимум участников за объединённые годы",
            "source": "DOMAIN.md §5: N ≥ 20",
        },
    )
    procedures: tuple[str, ...] = field(
        default=(),
        metadata={"label": "Процедуры (пусто — все)", "source": "выбор Опоры: все процедуры"},
    )
    subjects: tuple[str, ...] = field(
        default=(),
        metadata={"label": "Предметы (пусто — все)", "source": "выбор Опоры: все предметы"},
    )
    grades: tuple[int, ...] = field(
        default=(),
        metadata={"label": "Классы (пусто — все)", "source": "выбор Опоры: все классы"},
    )
    resilient_top_quantile: float = field(
        default=0.75,
        metadata={
            "label": "Порог «высокого результата» для резильентных школ (квантиль по региону)",
            "source": "DOMAIN.md §5: результат в верхнем квартиле",
        },
    )
    residual_sd: float = field(
        default=1.0,
        metadata={
            "label": "Порог остатка в стандартных отклонениях",
            "source": "DOMAIN.md §5: остаток > +1 СО (резильентные), < −1 СО (низкие результаты)",
        },
    )
    good_context_min_group: int = field(
        default=2,
        metadata={
            "label": "«Низкие результаты в хорошем контексте»: группы контекста начиная с",
            "source": "выбор Опоры: все группы, кроме наименее благополучной (её школы — ШНСУ)",
        },
    )

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {list(OUTCOMES)}, got {self.outcome!r}")
        if not 1 <= self.pooled_years <= 5:
            raise ValueError(f"pooled_years must lie in 1..5, got {self.pooled_years}")
        if self.min_participants < 1:
            raise ValueError(f"min_participants must be ≥ 1, got {self.min_participants}")
        if not 0.0 < self.resilient_top_quantile < 1.0:
            raise ValueError(f"resilient_top_quantile must lie in (0, 1), got {self.resilient_top_quantile}")
        if not self.residual_sd > 0:
            raise ValueError(f"residual_sd must be > 0, got {self.residual_sd}")
        if self.good_context_min_group < 1:
            raise ValueError(f"good_context_min_group must be ≥ 1, got {self.good_context_min_group}")


DEFAULT_VALUE_ADDED_SETTINGS: Final = ValueAddedSettings()


@dataclass(frozen=True)
class ValueAdded:
    """What `value_added` returns.

    * ``schools`` — one row per school with results or a context index: school_id, year, region_id,
      outcome (higher = better; 100 − share for lower-is-better indicators), n_pooled, n_assessments,
      index, group, eligible, predicted, residual, residual_se, std_residual, top_result, resilient,
      low_in_good_context (the last two null where the school is not eligible);
    * ``model`` — one row per region: region_id, n_schools, intercept, intercept_se, slope, slope_se,
      r_squared, residual_sd, top_threshold (null coefficients where no model could be fitted);
    * ``findings`` — `FINDING_SCHEMA` with methods "resilient" and "low_in_good_context", then outcome,
      n_pooled, index, group, residual, residual_se, std_residual.
    """

    schools: pl.DataFrame
    model: pl.DataFrame
    findings: pl.DataFrame
    settings: ValueAddedSettings


_MODEL_SCHEMA: Final = pl.Schema(
    {
        "region_id": pl.String(),
        "n_schools": pl.Int64(),
        "intercept": pl.Float64(),
        "intercept_se": pl.Float64(),
        "slope": pl.Float64(),
        "slope_se": pl.Float64(),
        "r_squared": pl.Float64(),
        "residual_sd": pl.Float64(),
        "top_threshold": pl.Float64(),
    }
)
_FIT_SCHEMA: Final = pl.Schema(
    {
        "school_id": pl.String(),
        "predicted": pl.Float64(),
        "residual": pl.Float64(),
        "residual_se": pl.Float64(),
        "std_residual": pl.Float64(),
        "top_result": pl.Boolean(),
    }
)
_MIN_SCHOOLS: Final = 3


def value_added(
    indicators: Frame,
    context_schools: Frame,
    *,
    year: int,
    settings: ValueAddedSettings = DEFAULT_VALUE_ADDED_SETTINGS,
) -> ValueAdded:
    """Value added, resilience and low results in a good context for `year` (see the module docstring).

    `indicators` has the `school_indicators` columns (one row per school × assessment: pass pupil-based
    or aggregate-based rows, not both for the same assessment); `context_schools` is
    `context_index(...).schools` (school_id, year, index, group, and region_id — absent means one region).
    """
    pooled = _pooled_outcome(indicators.lazy(), year=year, settings=settings)
    context = context_schools.lazy()
    if "region_id" not in context.collect_schema():
        context = context.with_columns(region_id=pl.lit(None, pl.String))
    context = context.filter(pl.col("year") == year).select(
        pl.col("school_id").cast(pl.String),
        pl.col("region_id").cast(pl.String),
        pl.col("index").cast(pl.Float64),
        pl.col("group").cast(pl.Int32),
    )
    schools = (
        pooled.join(context, on="school_id", how="full", coalesce=True, validate="1:1")
        .with_columns(
            n_pooled=pl.col("n_pooled").fill_null(0),
            n_assessments=pl.col("n_assessments").fill_null(0),
            year=pl.lit(year, pl.Int16),
        )
        .with_columns(
            eligible=(pl.col("n_pooled") >= settings.min_participants)
            & pl.col("outcome").is_not_null()
            & pl.col("index").is_not_null()
        )
        .collect()
    )
    fits, model = _fit_regions(schools.filter(pl.col("eligible")), settings)
    schools = (
        schools.join(fits, on="school_id", how="left")
        .with_columns(eligible=pl.col("eligible") & pl.col("residual").is_not_null())
        .with_columns(
            resilient=pl.when(pl.col("eligible")).then(
                (pl.col("group") == 1)
                & (pl.col("top_result") | (pl.col("std_residual") > settings.residual_sd))
            ),
            low_in_good_context=pl.when(pl.col("eligible")).then(
                (pl.col("group") >= settings.good_context_min_group)
                & (pl.col("std_residual") < -settings.residual_sd)
            ),
        )
        .select(
            "school_id",
            "year",
            "region_id",
            "outcome",
            "n_pooled",
            "n_assessments",
            "index",
            "group",
            "eligible",
            "predicted",
            "residual",
            "residual_se",
            "std_residual",
            "top_result",
            "resilient",
            "low_in_good_context",
        )
        .sort("school_id")
    )
    findings = _findings(schools, model, year=year, settings=settings)
    return ValueAdded(schools=schools, model=model, findings=findings, settings=settings)


def _pooled_outcome(indicators: pl.LazyFrame, *, year: int, settings: ValueAddedSettings) -> pl.LazyFrame:
    """One row per school: the base-N-weighted mean outcome over the pooled years and counted assessments."""
    outcome = OUTCOMES[settings.outcome]
    first = year - settings.pooled_years + 1
    rows = indicators.filter(pl.col("year").cast(pl.Int32).is_between(first, year))
    if settings.procedures:
        rows = rows.filter(pl.col("procedure").cast(pl.String).is_in(list(settings.procedures)))
    if settings.subjects:
        rows = rows.filter(pl.col("subject").cast(pl.String).is_in(list(settings.subjects)))
    if settings.grades:
        rows = rows.filter(pl.col("grade").cast(pl.Int32).is_in(list(settings.grades)))
    value = pl.col(settings.outcome).cast(pl.Float64)
    if not outcome.higher_is_better:
        value = 100.0 - value
    weight = pl.coalesce(pl.col(outcome.base), pl.col("participants")).cast(pl.Int64)
    return (
        rows.with_columns(_value=value, _weight=weight)
        .filter(pl.col("_value").is_not_null() & (pl.col("_weight") > 0))
        .group_by(pl.col("school_id").cast(pl.String))
        .agg(
            # An exact sum: reruns give the same bits whatever order the threads add the rows in.
            outcome=exact_sum(pl.col("_value") * pl.col("_weight")) / pl.col("_weight").sum(),
            n_pooled=pl.col("_weight").sum().cast(pl.Int64),
            n_assessments=pl.len().cast(pl.Int64),
        )
    )


def _fit_regions(eligible: pl.DataFrame, settings: ValueAddedSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """OLS of outcome on index in each region: per-school fit columns and one model row per region."""
    fits: list[pl.DataFrame] = []
    models: list[dict[str, object]] = []
    for part in eligible.sort("school_id").partition_by("region_id", maintain_order=True):
        region = part["region_id"][0]
        y = part["outcome"].to_numpy().astype(np.float64)
        x = part["index"].to_numpy().astype(np.float64)
        threshold = float(np.quantile(y, settings.resilient_top_quantile))  # a partition is never empty
        row: dict[str, object] = {"region_id": region, "n_schools": y.size, "top_threshold": threshold}
        if y.size < _MIN_SCHOOLS or np.ptp(x) == 0:
            models.append(row)
            continue
        result = OLS(y, add_constant(x, has_constant="add")).fit()
        influence = OLSInfluence(result)
        sigma = float(np.sqrt(result.scale))
        residual = np.asarray(result.resid)
        row |= {
            "intercept": float(result.params[0]),
            "intercept_se": float(result.bse[0]),
            "slope": float(result.params[1]),
            "slope_se": float(result.bse[1]),
            "r_squared": float(result.rsquared),
            "residual_sd": sigma,
        }
        models.append(row)
        fits.append(
            pl.DataFrame(
                {
                    "school_id": part["school_id"],
                    "predicted": np.asarray(result.fittedvalues),
                    "residual": residual,
                    "residual_se": np.asarray(influence.resid_std),
                    "std_residual": residual / sigma if sigma > 0 else np.zeros_like(residual),
                    "top_result": y >= threshold,
                },
                schema=_FIT_SCHEMA,
            )
        )
    fit_frame = pl.concat(fits) if fits else pl.DataFrame(schema=_FIT_SCHEMA)
    model = pl.DataFrame(models, schema=_MODEL_SCHEMA) if models else pl.DataFrame(schema=_MODEL_SCHEMA)
    return fit_frame, model


def _findings(
    schools: pl.DataFrame, model: pl.DataFrame, *, year: int, settings: ValueAddedSettings
) -> pl.DataFrame:
    """Both methods' findings, built with vectorised sentences (no per-school Python)."""
    outcome = OUTCOMES[settings.outcome]
    first = year - settings.pooled_years + 1
    years = f"{first}–{year}" if first < year else f"{year}"
    raw = pl.col("outcome") if outcome.higher_is_better else 100.0 - pl.col("outcome")
    above, below = ("выше", "ниже") if outcome.higher_is_better else ("лучше", "хуже")
    pp = f"{NBSP}п.{NBSP}п."
    residual = pl.col("residual")
    std = pl.col("std_residual")
    sentence = pl.concat_str(
        pl.lit(f"{outcome.text} "),
        number_expr(raw, 0, missing=None),
        pl.lit(f"{NBSP}%{outcome.suffix} за {years} при индексе контекста "),
        number_expr(pl.col("index"), 2, missing=None),
        pl.lit(" ("),
        pl.col("group").cast(pl.String),
        pl.lit("-я группа): на "),
        number_expr(residual.abs(), 1, missing=None),
        pl.lit(pp + " "),
        pl.when(residual >= 0).then(pl.lit(above)).otherwise(pl.lit(below)),
        pl.lit(" ожидаемого для такого контекста (стандартная ошибка "),
        number_expr(pl.col("residual_se"), 1, missing=None),
        pl.lit(pp + "; "),
        pl.when(std > 0).then(pl.lit("+")).otherwise(pl.lit("")),
        number_expr(std, 1, missing=None),
        pl.lit(" СО остатков)"),
    )
    thresholds = model.select("region_id", "top_threshold")
    top_sentence = pl.concat_str(
        pl.lit(f"; не ниже {round(settings.resilient_top_quantile * 100)}-го процентиля по региону ("),
        number_expr(
            pl.col("top_threshold") if outcome.higher_is_better else 100.0 - pl.col("top_threshold"),
            0,
            missing=None,
        ),
        pl.lit(f"{NBSP}%)"),
    )
    many = pl.col("n_pooled") >= settings.min_participants
    codes = pl.concat_list(
        pl.when(pl.col("index").is_null()).then(pl.lit("no_context_index")),
        pl.when(~many).then(pl.lit("too_few_participants")),
        pl.when(many & pl.col("index").is_not_null()).then(pl.lit("too_few_schools_for_model")),
    ).list.drop_nulls()
    insufficient = pl.concat_str(
        pl.lit("Недостаточно данных: "),
        pl.concat_list(
            pl.when(pl.col("index").is_null()).then(pl.lit("нет индекса контекста")),
            pl.when(~many).then(
                pl.concat_str(
                    pl.lit(f"участников за {years} "),
                    pl.col("n_pooled").cast(pl.String),
                    pl.lit(f" (нужно не меньше {settings.min_participants})"),
                )
            ),
            pl.when(many & pl.col("index").is_not_null()).then(
                pl.lit(f"в регионе меньше {_MIN_SCHOOLS} школ с данными для модели или у них один индекс")
            ),
        )
        .list.drop_nulls()
        .list.join("; "),
    )
    base = schools.join(thresholds, on="region_id", how="left", nulls_equal=True)

    resilient = base.with_columns(
        method=pl.lit("resilient"),
        holds=pl.col("resilient"),
        reason_codes=pl.when(~pl.col("eligible"))
        .then(codes)
        .when(pl.col("resilient"))
        .then(
            pl.concat_list(
                pl.lit("low_context_group"),
                pl.when(pl.col("top_result")).then(pl.lit("top_quantile_result")),
                pl.when(std > settings.residual_sd).then(pl.lit("high_value_added")),
            ).list.drop_nulls()
        )
        .otherwise(pl.lit([], pl.List(pl.String))),
        reason=pl.when(~pl.col("eligible"))
        .then(insufficient)
        .when(pl.col("resilient") & pl.col("top_result"))
        .then(pl.concat_str(sentence, top_sentence))
        .otherwise(sentence),
    )
    low = base.with_columns(
        method=pl.lit("low_in_good_context"),
        holds=pl.col("low_in_good_context"),
        reason_codes=pl.when(~pl.col("eligible"))
        .then(codes)
        .when(pl.col("low_in_good_context"))
        .then(pl.lit(["low_value_added"]))
        .otherwise(pl.lit([], pl.List(pl.String))),
        reason=pl.when(~pl.col("eligible")).then(insufficient).otherwise(sentence),
    )
    status = (
        pl.when(~pl.col("eligible"))
        .then(pl.lit("insufficient_data"))
        .when(pl.col("holds"))
        .then(pl.lit("flagged"))
        .otherwise(pl.lit("cleared"))
    )
    return (
        pl.concat([resilient, low])
        .with_columns(status=status, year=pl.lit(year, pl.Int16))
        .select(
            *[pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()],
            "outcome",
            "n_pooled",
            "index",
            "group",
            "residual",
            "residual_se",
            "std_residual",
        )
        .sort("method", "school_id")
    )
