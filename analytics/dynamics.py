"""Dynamics of the share of «2» (or below the minimum) year to year, and its trend (DOMAIN.md §5).

* `yearly_changes` — per school × assessment × year: the share, the previous result of the same
  assessment (the most recent earlier year present), Δ in percentage points and its band;
* `trends` — OLS slope (pp per year) of the share over the last `trend_years` years with its standard
  error, by closed-form group arithmetic;
* `school_dynamics` — one finding per school for a year (FINDING_SCHEMA, method="dynamics") with its
  `direction` from the participant-weighted mean Δ over its assessments;
* `positive_dynamics_share` — the municipal indicator «доля ШНОР/ШНСУ с положительной динамикой».

Bands: Δ ≥ +negative_pp is negative (more «2»), Δ ≤ −positive_pp is positive, anything between is stable;
insufficient_data when either year has fewer than `min_participants` participants or no share. Δ is rounded
to 1e-9 pp before banding, so that 40 % − 30 % counts as exactly 10 pp despite binary floating point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import polars as pl

from analytics.findings import FINDING_SCHEMA, STATUS_DTYPE
from analytics.low_results.settings import UNIT, meta
from analytics.low_results.shared import prefer_pupils
from analytics.text import grade_expr, percent_expr, pp_expr, subject_expr

__all__ = [
    "BANDS",
    "BAND_DTYPE",
    "DynamicsSettings",
    "positive_dynamics_share",
    "school_dynamics",
    "trends",
    "yearly_changes",
]

Frame = pl.DataFrame | pl.LazyFrame
BasisColumn = Literal["below_min", "mark_2"]

METHOD: Final = "dynamics"
BANDS: Final = ("positive", "stable", "negative", "insufficient_data")
BAND_DTYPE: Final = pl.Enum(BANDS)
_BASE: Final = {"below_min": "below_min_n", "mark_2": "marks_n"}
_SHARE_NAME: Final = {"below_min": "Доля ниже минимального порога", "mark_2": "Доля «2»"}
_KEY: Final = ("school_id", *UNIT)


@dataclass(frozen=True)
class DynamicsSettings:
    """The configurable parameters of the dynamics; defaults are DOMAIN.md §5."""

    basis: BasisColumn = field(
        default="below_min",
        metadata=meta(
            "Показатель: доля ниже минимального порога / доля «2»",
            "DOMAIN.md §5: Δ доли «2» (или ниже минимума) в той же процедуре год к году",
        ),
    )
    negative_pp: float = field(
        default=10.0,
        metadata=meta(
            "Отрицательная динамика: рост доли не менее чем на, п. п.",
            "DOMAIN.md §5: +10 п. п. и более — отрицательная динамика",
        ),
    )
    positive_pp: float = field(
        default=5.0,
        metadata=meta(
            "Положительная динамика: снижение доли не менее чем на, п. п.",
            "DOMAIN.md §5: −X п. п. и лучше — положительная (X настраивается); выбор Опоры: X = 5",
        ),
    )
    trend_years: int = field(
        default=3,
        metadata=meta(
            "Число лет для тренда",
            "DOMAIN.md §5: тренд за 3–5 лет; выбор Опоры: 3",
        ),
    )
    min_participants: int = field(
        default=10,
        metadata=meta(
            "Минимальное число участников в каждом из сравниваемых лет",
            "выбор Опоры: как в правиле низких результатов — при N < 10 один участник меняет долю "
            "на 10+ п. п., "
            "то есть на весь порог отрицательной динамики",
        ),
    )

    def __post_init__(self) -> None:
        problems = []
        if self.basis not in _BASE:
            problems.append(f"basis must be below_min or mark_2, got {self.basis!r}")
        if self.negative_pp <= 0 or self.positive_pp <= 0:
            problems.append("negative_pp and positive_pp must be positive")
        if not 3 <= self.trend_years <= 5:
            problems.append(f"trend_years must lie in 3..5, got {self.trend_years}")
        if self.min_participants < 1:
            problems.append(f"min_participants must be at least 1, got {self.min_participants}")
        if problems:
            raise ValueError("; ".join(problems))


DEFAULT_SETTINGS: Final = DynamicsSettings()


def _shares(indicators: Frame, settings: DynamicsSettings) -> pl.LazyFrame:
    """school_id, procedure, subject, grade, year, n, share, sufficient (one row per key, pupils first)."""
    n = pl.col(_BASE[settings.basis]).fill_null(0).cast(pl.Int64)
    share = pl.col(f"{settings.basis}_pct")
    return (
        prefer_pupils(indicators.lazy())
        .select(
            pl.col("school_id").cast(pl.String),
            pl.col("procedure").cast(pl.String),
            "subject",
            pl.col("grade").cast(pl.Int8),
            pl.col("year").cast(pl.Int16),
            n.alias("n"),
            share.alias("share"),
        )
        .with_columns(sufficient=(pl.col("n") >= settings.min_participants) & pl.col("share").is_not_null())
    )


def yearly_changes(indicators: Frame, settings: DynamicsSettings = DEFAULT_SETTINGS) -> pl.LazyFrame:
    """Per school × assessment × year: share, the previous result and Δ with its band.

    Columns: school_id, procedure, subject, grade, year, n, share, previous_year, previous_n,
    previous_share, delta_pp (share − previous_share; null unless both are sufficient) and band. The
    previous result is the most recent earlier year with a row for the same school and assessment; the
    first year of an assessment has no previous result (band insufficient_data).
    """
    ordered = _shares(indicators, settings).sort([*_KEY, "year"])
    # After the sort the previous result of a row is the row above when it has the same key: a global
    # shift and a comparison, instead of a window over a million keys (10× slower).
    same_key = pl.all_horizontal([pl.col(name) == pl.col(name).shift(1) for name in _KEY]).fill_null(False)
    previous = [
        pl.when(same_key).then(pl.col(name).shift(1)).alias(f"previous_{name}")
        for name in ("year", "n", "share", "sufficient")
    ]
    both = pl.col("sufficient") & pl.col("previous_sufficient").fill_null(False)
    delta = pl.when(both).then((pl.col("share") - pl.col("previous_share")).round(9))
    band = (
        pl.when(pl.col("delta_pp").is_null())
        .then(pl.lit("insufficient_data"))
        .when(pl.col("delta_pp") >= settings.negative_pp)
        .then(pl.lit("negative"))
        .when(pl.col("delta_pp") <= -settings.positive_pp)
        .then(pl.lit("positive"))
        .otherwise(pl.lit("stable"))
        .cast(BAND_DTYPE)
    )
    return (
        ordered.with_columns(previous)
        .with_columns(delta_pp=delta)
        .with_columns(band=band)
        .select(
            *_KEY, "year", "n", "share", "previous_year", "previous_n", "previous_share", "delta_pp", "band"
        )
    )


def trends(indicators: Frame, settings: DynamicsSettings = DEFAULT_SETTINGS, *, year: int) -> pl.LazyFrame:
    """OLS trend of the share (pp per year) per school × assessment over years year − trend_years + 1..year.

    Only sufficient results enter. With x = year, y = share and m points:
    slope = Sxy / Sxx, se = sqrt(SSE / (m − 2) / Sxx), SSE = Syy − slope · Sxy, where Sxx = Σ(x − x̄)²,
    Sxy = Σ(x − x̄)(y − ȳ), Syy = Σ(y − ȳ)². Columns: school_id, procedure, subject, grade, points,
    first_year, last_year, slope_pp_per_year (null with fewer than 2 points), slope_se (null with fewer than
    3 points: no residual degrees of freedom).
    """
    first = year - settings.trend_years + 1
    # Plain sums per group (centred sums computed from them): a per-group mean inside the aggregation
    # would make Polars evaluate every group on its own, 4× slower on a country's rows. x is shifted to
    # start at 0 so that the sums stay small and the subtraction loses no precision.
    x = (pl.col("year") - first).cast(pl.Float64)
    y = pl.col("share")
    grouped = (
        _shares(indicators, settings)
        .filter(pl.col("year").is_between(first, year), pl.col("sufficient"))
        .group_by(list(_KEY))
        .agg(
            points=pl.len().cast(pl.Int32),
            first_year=pl.col("year").min(),
            last_year=pl.col("year").max(),
            _sx=x.sum(),
            _sy=y.sum(),
            _sxx=(x * x).sum(),
            _sxy=(x * y).sum(),
            _syy=(y * y).sum(),
        )
        .with_columns(
            _sxx=pl.col("_sxx") - pl.col("_sx") ** 2 / pl.col("points"),
            _sxy=pl.col("_sxy") - pl.col("_sx") * pl.col("_sy") / pl.col("points"),
            _syy=pl.col("_syy") - pl.col("_sy") ** 2 / pl.col("points"),
        )
        .with_columns(pl.col("_sxx").round(9))  # one point or one year: exactly 0, not 1e-16
    )
    slope = pl.when(pl.col("_sxx") > 0).then(pl.col("_sxy") / pl.col("_sxx"))
    sse = (pl.col("_syy") - pl.col("slope_pp_per_year") * pl.col("_sxy")).clip(lower_bound=0.0)
    se = pl.when(pl.col("points") > 2).then((sse / (pl.col("points") - 2) / pl.col("_sxx")).sqrt())
    return (
        grouped.with_columns(slope_pp_per_year=slope)
        .with_columns(slope_se=se)
        .drop("_sx", "_sy", "_sxx", "_sxy", "_syy")
        .sort(list(_KEY))
    )


def _direction(mean_delta: pl.Expr, settings: DynamicsSettings) -> pl.Expr:
    return (
        pl.when(mean_delta.is_null())
        .then(pl.lit("insufficient_data"))
        .when(mean_delta >= settings.negative_pp)
        .then(pl.lit("negative"))
        .when(mean_delta <= -settings.positive_pp)
        .then(pl.lit("positive"))
        .otherwise(pl.lit("stable"))
        .cast(BAND_DTYPE)
    )


def school_dynamics(
    indicators: Frame, *, year: int, settings: DynamicsSettings = DEFAULT_SETTINGS
) -> pl.DataFrame:
    """One finding per school with a result in `year`: FINDING_SCHEMA columns, method="dynamics", then
    `direction`, `mean_delta_pp`, `assessments_compared` and `participants_compared`.

    mean_delta_pp is the mean Δ over the school's assessments with sufficient data in `year` and in their
    previous year, weighted by the participants of `year`; `direction` bands it like a single Δ. Status:
    flagged when the direction is negative, insufficient_data when no assessment can be compared, else
    cleared. The reason lists every compared assessment:
    «Доля «2»: ВПР 5 кл. математика 2023 → 2024: 38 % → 21 % (−17,0 п. п.)».
    """
    changes = yearly_changes(indicators, settings).filter(pl.col("year") == year).collect()
    compared = pl.col("delta_pp").is_not_null()
    weight = pl.col("n").cast(pl.Float64)
    fragments = changes.filter(compared).sort([*_KEY]).with_columns(_fragment=_fragment_expr())
    texts = fragments.group_by("school_id").agg(pl.col("_fragment").str.join("; ").alias("_fragments"))
    schools = (
        changes.group_by("school_id")
        .agg(
            assessments_compared=compared.sum().cast(pl.Int32),
            participants_compared=pl.col("n").filter(compared).sum().cast(pl.Int64),
            _weighted=(pl.col("delta_pp") * weight).filter(compared).sum(),
        )
        .with_columns(
            mean_delta_pp=pl.when(pl.col("participants_compared") > 0).then(
                pl.col("_weighted") / pl.col("participants_compared")
            )
        )
        .with_columns(direction=_direction(pl.col("mean_delta_pp"), settings))
        .join(texts, on="school_id", how="left")
    )
    mean_text = pp_expr(pl.col("mean_delta_pp"))
    prefix = _SHARE_NAME[settings.basis]
    reason = (
        pl.when(pl.col("direction") == "insufficient_data")
        .then(
            pl.lit(
                f"{prefix}: нет процедуры, результаты которой в {year} г. и в предыдущий год "
                f"достаточны для сравнения (не менее {settings.min_participants} участников)."
            )
        )
        .otherwise(pl.format("{}: {}. В среднем {}", pl.lit(prefix), pl.col("_fragments"), pl.col("_mean")))
    )
    status = (
        pl.when(pl.col("direction") == "negative")
        .then(pl.lit("flagged"))
        .when(pl.col("direction") == "insufficient_data")
        .then(pl.lit("insufficient_data"))
        .otherwise(pl.lit("cleared"))
        .cast(STATUS_DTYPE)
    )
    codes = (
        pl.when(pl.col("direction") == "insufficient_data")
        .then(pl.lit(["insufficient_data"], pl.List(pl.String)))
        .otherwise(pl.concat_list(pl.format("{}_dynamics", pl.col("direction").cast(pl.String))))
    )
    return (
        schools.with_columns(mean_text.alias("_mean"))
        .with_columns(
            year=pl.lit(year, pl.Int16),
            method=pl.lit(METHOD),
            status=status,
            reason_codes=codes,
            reason=reason,
        )
        .select(
            *[pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()],
            "direction",
            "mean_delta_pp",
            "assessments_compared",
            "participants_compared",
        )
        .sort("school_id")
    )


def _fragment_expr() -> pl.Expr:
    """«ВПР 5 кл. математика 2023 → 2024: 38 % → 21 % (−17,0 п. п.)», built by Polars for every row."""
    return pl.concat_str(
        pl.col("procedure"),
        pl.lit(" "),
        grade_expr(pl.col("grade")),
        pl.lit(" "),
        subject_expr(pl.col("subject")),
        pl.lit(" "),
        pl.col("previous_year").cast(pl.String),
        pl.lit(" → "),
        pl.col("year").cast(pl.String),
        pl.lit(": "),
        percent_expr(pl.col("previous_share")),
        pl.lit(" → "),
        percent_expr(pl.col("share")),
        pl.lit(" ("),
        pp_expr(pl.col("delta_pp")),
        pl.lit(")"),
    )


def positive_dynamics_share(
    dynamics: Frame, listed_school_ids: Iterable[str], areas: Frame | None = None
) -> pl.DataFrame:
    """«Доля ШНОР/ШНСУ с положительной динамикой»: listed schools with positive direction / listed schools.

    `dynamics` is `school_dynamics` output (school_id, direction); `listed_school_ids` the schools of the
    list. A listed school without a positive direction — stable, negative, insufficient data, or absent
    from `dynamics` — counts in the denominator and not in the numerator (DOMAIN.md §5: over all listed
    schools). Columns: level ("overall" or "municipality"), municipality_id (null for the overall row),
    listed_schools, positive_schools, positive_share_pct (null with no listed school). With `areas`
    (school_id, municipality_id) one row per municipality with a listed school follows the overall row; a
    listed school missing from `areas` counts in the overall row only.
    """
    listed = pl.DataFrame({"school_id": pl.Series(list(listed_school_ids), dtype=pl.String)}).unique()
    positive = (
        dynamics.lazy()
        .filter(pl.col("direction") == "positive")
        .select(pl.col("school_id").cast(pl.String), _positive=pl.lit(True))
        .unique()
        .collect()
    )
    schools = listed.join(positive, on="school_id", how="left").with_columns(
        pl.col("_positive").fill_null(False)
    )

    def summary(frame: pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
        counts = [
            pl.len().cast(pl.Int64).alias("listed_schools"),
            pl.col("_positive").sum().cast(pl.Int64).alias("positive_schools"),
        ]
        grouped = frame.group_by(by).agg(counts) if by else frame.select(counts)
        return grouped.with_columns(
            positive_share_pct=pl.when(pl.col("listed_schools") > 0).then(
                100.0 * pl.col("positive_schools") / pl.col("listed_schools")
            )
        )

    overall = summary(schools.lazy(), []).with_columns(
        level=pl.lit("overall"), municipality_id=pl.lit(None, pl.String)
    )
    columns = ["level", "municipality_id", "listed_schools", "positive_schools", "positive_share_pct"]
    parts = [overall.select(columns)]
    if areas is not None:
        mapping = areas.lazy().select(
            pl.col("school_id").cast(pl.String), pl.col("municipality_id").cast(pl.String)
        )
        municipal = summary(schools.lazy().join(mapping, on="school_id", how="inner"), ["municipality_id"])
        parts.append(
            municipal.with_columns(level=pl.lit("municipality")).select(columns).sort("municipality_id")
        )
    return pl.concat(parts).collect()
