"""The social context index of a school (like the ИСБШ) and the ШНСУ it identifies (DOMAIN.md §5).

Steps, all over the schools of one year:

1. Each context variable is standardised across the schools of its region (z = (x − mean) / SD, SD with
   ddof = 1; without `areas` the whole input is one region). A variable that does not vary in the region
   gives z = 0: it says nothing about any school there.
2. Signs are aligned: the z-score is multiplied by the variable's direction (+1 when more is more
   advantaged, −1 when more is a disadvantage), so every aligned z reads "higher = more advantaged".
3. The aligned z-scores are combined, either as their weighted mean over the variables the school has
   (weights renormalised over the known ones), or as the first principal component of the aligned
   z-matrix (missing z imputed by 0, the mean), oriented to agree with the weighted index and scaled to
   unit variance.
4. Schools are put into quantile groups of the index within their region: group 1 is the least
   advantaged quarter (by default), group `groups` the most advantaged.
5. ШНСУ are the schools of group 1 (`shnsu_mode="lowest_group"`) or the schools with at least
   `flags_needed` of the context flags (`shnsu_mode="flags"`, N of M).

Location is used as a 0/1 variable ``village`` (1 = village), a special school as ``special_school``.

>>> context = pl.DataFrame({"year": 2025, "school_id": ["a", "b", "c", "d"],
...     "share_low_income": [10.0, 20.0, 30.0, 40.0],
...     "share_parents_higher_education": [60.0, 40.0, 50.0, 10.0]})
>>> settings = ContextSettings(variables=(("share_low_income", -1, 1.0),
...     ("share_parents_higher_education", 1, 1.0)), flags=(), flags_needed=0, min_variables=2)
>>> result = context_index(context, year=2025, settings=settings)
>>> result.schools.sort("school_id")["group"].to_list()
[4, 3, 2, 1]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import polars as pl

from analytics.findings import FINDING_SCHEMA
from analytics.schema import validate_frame
from analytics.stats import exact_sum
from analytics.text import NBSP, number_expr, percent_text

__all__ = [
    "CONTEXT_VARIABLES",
    "DEFAULT_CONTEXT_SETTINGS",
    "ContextIndex",
    "ContextSettings",
    "ContextVariable",
    "context_index",
]

Frame = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class ContextVariable:
    """A variable the index can use: its Russian label, its natural direction and its unit."""

    label: str
    direction: int
    unit: Literal["percent", "flag"]


#: Every variable the index knows: the shares of the social passport (percent) and two 0/1 variables
#: derived from `school_context` (village = location «village», special_school).
CONTEXT_VARIABLES: Final[Mapping[str, ContextVariable]] = {
    "share_single_parent": ContextVariable("доля детей из неполных семей", -1, "percent"),
    "share_parents_higher_education": ContextVariable(
        "доля детей из семей с высшим образованием родителей", 1, "percent"
    ),
    "share_unemployed_parents": ContextVariable("доля детей безработных родителей", -1, "percent"),
    "share_low_income": ContextVariable("доля детей из малообеспеченных семей", -1, "percent"),
    "share_on_register": ContextVariable("доля детей на учёте", -1, "percent"),
    "share_disabilities": ContextVariable("доля детей с ОВЗ", -1, "percent"),
    "share_non_native_russian": ContextVariable("доля детей с неродным русским языком", -1, "percent"),
    "village": ContextVariable("сельская местность", -1, "flag"),
    "special_school": ContextVariable("коррекционная школа", -1, "flag"),
}

_DOMAIN: Final = "DOMAIN.md §5: стандартизировать переменные контекста, выровнять знаки"

#: (variable, direction, weight): the seven shares of the social passport and the village, equal weights.
_DEFAULT_VARIABLES: Final = tuple(
    (name, CONTEXT_VARIABLES[name].direction, 1.0)
    for name in (
        "share_single_parent",
        "share_parents_higher_education",
        "share_unemployed_parents",
        "share_low_income",
        "share_on_register",
        "share_disabilities",
        "share_non_native_russian",
        "village",
    )
)

#: (variable, cut-off): a flag is raised on the disadvantaged side of the cut-off (≥ for direction −1,
#: ≤ for direction +1).
_DEFAULT_FLAGS: Final = (
    ("share_single_parent", 40.0),
    ("share_parents_higher_education", 15.0),
    ("share_unemployed_parents", 20.0),
    ("share_low_income", 30.0),
    ("share_on_register", 5.0),
    ("share_disabilities", 10.0),
    ("share_non_native_russian", 20.0),
    ("village", 1.0),
)


@dataclass(frozen=True)
class ContextSettings:
    """The parameters of the context index and of the ШНСУ rule; every value is JSON-able for versioning."""

    variables: tuple[tuple[str, int, float], ...] = field(
        default=_DEFAULT_VARIABLES,
        metadata={
            "label": "Переменные контекста: (переменная, направление +1/−1, вес)",
            "source": f"{_DOMAIN}; выбор Опоры: семь долей социального паспорта и село, равные веса",
        },
    )
    method: Literal["weights", "pca"] = field(
        default="weights",
        metadata={
            "label": "Способ свёртки: фиксированные веса или первая главная компонента",
            "source": "DOMAIN.md §5: фиксированные веса или первая главная компонента; по умолчанию веса",
        },
    )
    groups: int = field(
        default=4,
        metadata={
            "label": "Число групп контекста (квантили индекса)",
            "source": "DOMAIN.md §5: низшая группа — квартиль по умолчанию",
        },
    )
    shnsu_mode: Literal["lowest_group", "flags"] = field(
        default="lowest_group",
        metadata={
            "label": "Правило ШНСУ: низшая группа индекса или N из M признаков",
            "source": "DOMAIN.md §5: низшая группа (по умолчанию) или N из M признаков контекста",
        },
    )
    flags: tuple[tuple[str, float], ...] = field(
        default=_DEFAULT_FLAGS,
        metadata={
            "label": "Признаки неблагоприятного контекста: (переменная, порог)",
            "source": "выбор Опоры: пороги долей социального паспорта, уточняются регионом",
        },
    )
    flags_needed: int = field(
        default=3,
        metadata={
            "label": "Сколько признаков нужно для ШНСУ (N из M)",
            "source": "выбор Опоры: 3 из 8",
        },
    )
    min_variables: int = field(
        default=3,
        metadata={
            "label": "Минимум известных переменных контекста у школы",
            "source": "выбор Опоры: индекс по одной-двум переменным слишком неустойчив",
        },
    )

    def __post_init__(self) -> None:
        names = [name for name, _, _ in self.variables]
        unknown = sorted(set(names) - set(CONTEXT_VARIABLES))
        if not names or unknown:
            raise ValueError(f"variables must be a non-empty subset of {list(CONTEXT_VARIABLES)}: {unknown}")
        if len(set(names)) != len(names):
            raise ValueError("a variable is listed twice")
        for name, direction, weight in self.variables:
            if direction not in (-1, 1) or not weight > 0:
                raise ValueError(f"{name}: direction must be ±1 and weight > 0, got {direction}, {weight}")
        if self.method not in ("weights", "pca"):
            raise ValueError(f"method must be 'weights' or 'pca', got {self.method!r}")
        if self.shnsu_mode not in ("lowest_group", "flags"):
            raise ValueError(f"shnsu_mode must be 'lowest_group' or 'flags', got {self.shnsu_mode!r}")
        if self.groups < 2:
            raise ValueError(f"groups must be ≥ 2, got {self.groups}")
        if not 1 <= self.min_variables <= len(names):
            raise ValueError(f"min_variables must lie in 1..{len(names)}, got {self.min_variables}")
        flagged = [name for name, _ in self.flags]
        if set(flagged) - set(names) or len(set(flagged)) != len(flagged):
            raise ValueError("every flag must name a distinct variable of `variables`")
        if not 0 <= self.flags_needed <= len(flagged) or (
            self.shnsu_mode == "flags" and not self.flags_needed
        ):
            raise ValueError(f"flags_needed must lie in 1..{len(flagged)}, got {self.flags_needed}")

    @property
    def directions(self) -> dict[str, int]:
        """variable → direction."""
        return {name: direction for name, direction, _ in self.variables}


DEFAULT_CONTEXT_SETTINGS: Final = ContextSettings()


@dataclass(frozen=True)
class ContextIndex:
    """What `context_index` returns.

    * ``schools`` — one row per school of the year: school_id, year, region_id, index, group, flags_count,
      variables_used and ``z_<variable>`` (the sign-aligned z-score: higher = more advantaged);
    * ``loadings`` — one row per variable: variable, direction, weight (normalised to sum 1), loading
      (PCA only), explained_variance (the share of variance of the first component, PCA only);
    * ``findings`` — `FINDING_SCHEMA` with method "shnsu", then index, group, flags_count, variables_used.
    """

    schools: pl.DataFrame
    loadings: pl.DataFrame
    findings: pl.DataFrame
    settings: ContextSettings


def _ordinal_group_expr(group: pl.Expr, groups: int) -> pl.Expr:
    """«1-я группа из 4 (наименее благополучная)»."""
    text = pl.concat_str(group.cast(pl.String), pl.lit(f"-я группа из {groups}"))
    suffix = (
        pl.when(group == 1)
        .then(pl.lit(" (наименее благополучная)"))
        .when(group == groups)
        .then(pl.lit(" (наиболее благополучная)"))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(text, suffix)


def context_index(
    context: Frame,
    *,
    year: int,
    settings: ContextSettings = DEFAULT_CONTEXT_SETTINGS,
    areas: Frame | None = None,
) -> ContextIndex:
    """The context index, groups and ШНСУ findings of every school of `year` (see the module docstring).

    `context` follows the `school_context` schema; `areas` (optional, `school_areas`) gives region_id, and
    then every step (standardisation, groups) runs within each region; schools absent from `areas` form
    one more region of their own (region_id null). Raises ValueError for PCA over fewer than 2 schools.
    """
    names = [name for name, _, _ in settings.variables]
    weights = {name: weight for name, _, weight in settings.variables}
    directions = settings.directions
    frame = (
        validate_frame(context.lazy(), "school_context", check_values=False)
        .filter(pl.col("year") == year)
        .with_columns(
            village=pl.when(pl.col("location").is_not_null())
            .then((pl.col("location") == "village").cast(pl.Float64))
            .otherwise(None),
            special_school=pl.col("special_school").cast(pl.Float64),
        )
    )
    if areas is not None:
        mapping = validate_frame(areas.lazy(), "school_areas", check_values=False).select(
            "school_id", "region_id"
        )
        frame = frame.join(mapping, on="school_id", how="left", validate="1:1")
    else:
        frame = frame.with_columns(region_id=pl.lit(None, pl.String))

    def raw(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.Float64)

    def aligned_z(name: str) -> pl.Expr:
        # Sums of values rounded to 1e-9 as integers: exact, so the same data gives the same bits whatever
        # order the threads add them in (Polars' float std over a window does not).
        mean = exact_sum(raw(name)).over("region_id") / raw(name).count().over("region_id")
        squares = exact_sum((raw(name) - mean) ** 2).over("region_id")
        count = raw(name).count().over("region_id")
        # One school in its region has no spread: null, so that its z-score is 0 (not NaN, which Polars
        # orders above every number, so `sd > 0` would hold).
        sd = pl.when(count > 1).then((squares / (count - 1)).sqrt())
        z = pl.when(sd > 0).then((raw(name) - mean) / sd).when(raw(name).is_not_null()).then(0.0)
        return (directions[name] * z).alias(f"z_{name}")

    def flag(name: str, cutoff: float) -> pl.Expr:
        side = raw(name) >= cutoff if directions[name] < 0 else raw(name) <= cutoff
        return side.fill_null(False).cast(pl.Int32)

    z_columns = [f"z_{name}" for name in names]
    known = [pl.col(column).is_not_null() for column in z_columns]
    available_weight = pl.sum_horizontal(
        pl.when(is_known).then(weights[name]).otherwise(0.0)
        for name, is_known in zip(names, known, strict=True)
    )
    weighted_sum = pl.sum_horizontal(pl.col(f"z_{name}") * weights[name] for name in names)
    enough = pl.col("variables_used") >= settings.min_variables
    schools = (
        frame.with_columns(
            *[aligned_z(name) for name in names],
            *[raw(name).mean().over("region_id").alias(f"_mean_{name}") for name in names],
        )
        .with_columns(
            variables_used=pl.sum_horizontal(is_known.cast(pl.Int32) for is_known in known),
            flags_count=pl.sum_horizontal(
                [flag(name, cutoff) for name, cutoff in settings.flags] or [pl.lit(0)]
            ).cast(pl.Int32),
        )
        .with_columns(weighted=pl.when(enough).then(weighted_sum / available_weight))
        .collect()
    )

    total_weight = sum(weights.values())
    loadings = pl.DataFrame(
        {
            "variable": names,
            "direction": [directions[name] for name in names],
            "weight": [weights[name] / total_weight for name in names],
            "loading": [None] * len(names),
            "explained_variance": [None] * len(names),
        },
        schema={
            "variable": pl.String,
            "direction": pl.Int8,
            "weight": pl.Float64,
            "loading": pl.Float64,
            "explained_variance": pl.Float64,
        },
    )
    contributions: dict[str, pl.Expr]
    if settings.method == "pca":
        index, loading, share = _first_component(schools, z_columns, settings.min_variables)
        schools = schools.with_columns(index=pl.Series(index, dtype=pl.Float64))
        loadings = loadings.with_columns(
            loading=pl.Series(loading, dtype=pl.Float64), explained_variance=pl.lit(share, pl.Float64)
        )
        contributions = {name: pl.col(f"z_{name}") * float(loading[j]) for j, name in enumerate(names)}
    else:
        schools = schools.with_columns(index=pl.col("weighted"))
        contributions = {name: pl.col(f"z_{name}") * weights[name] / available_weight for name in names}

    rank = pl.col("index").rank("min").over("region_id")
    counted = pl.col("index").count().over("region_id")
    schools = schools.with_columns(
        group=pl.when(pl.col("index").is_not_null())
        .then(1 + ((rank - 1) * settings.groups / counted).floor())
        .cast(pl.Int32),
        **{f"_contribution_{name}": expr for name, expr in contributions.items()},
    )
    findings = _findings(schools, year=year, settings=settings)
    public = schools.select(
        pl.col("school_id"),
        pl.col("year").cast(pl.Int16),
        "region_id",
        "index",
        "group",
        "flags_count",
        pl.col("variables_used").cast(pl.Int32),
        *z_columns,
    )
    return ContextIndex(schools=public, loadings=loadings, findings=findings, settings=settings)


def _first_component(
    schools: pl.DataFrame, z_columns: list[str], min_variables: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """PCA scores (unit variance, NaN where too few variables), loadings and explained-variance share.

    The SVD of the aligned z-matrix with missing z imputed by 0 (the mean); the component is oriented so
    that it correlates positively with the weighted index, i.e. higher = more advantaged.
    """
    enough = (schools["variables_used"] >= min_variables).to_numpy()
    if enough.sum() < 2:
        raise ValueError("the principal component needs at least 2 schools with enough context variables")
    matrix = schools.select(z_columns).to_numpy().astype(np.float64)[enough]
    matrix = np.nan_to_num(matrix, nan=0.0)
    # Within-region z-scores are centred per region, hence over the pooled schools as well; the imputed
    # zeros keep that. The SVD of the centred matrix is the PCA.
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    loading = vt[0]
    scores = matrix @ loading
    weighted = schools["weighted"].to_numpy()[enough]
    # An SVD fixes a component only up to its sign; a constant weighted index cannot orient it, then the
    # loadings' sum does.
    oriented = np.corrcoef(scores, weighted)[0, 1] if np.std(weighted) > 0 else loading.sum()
    if oriented < 0:
        loading, scores = -loading, -scores
    sd = float(np.std(scores, ddof=1))
    if sd > 0:
        scores = scores / sd
    index = np.full(schools.height, np.nan)
    index[enough] = scores
    share = float(singular[0] ** 2 / np.sum(singular**2)) if np.sum(singular**2) > 0 else math.nan
    return index, loading, share


def _findings(schools: pl.DataFrame, *, year: int, settings: ContextSettings) -> pl.DataFrame:
    """ШНСУ findings: flagged/cleared by the mode, insufficient_data below `min_variables`."""
    names = [name for name, _, _ in settings.variables]
    enough = pl.col("variables_used") >= settings.min_variables
    if settings.shnsu_mode == "lowest_group":
        holds = pl.col("group") == 1
        code = "lowest_context_group"
    else:
        holds = pl.col("flags_count") >= settings.flags_needed
        code = "context_flags"
    status = (
        pl.when(~enough)
        .then(pl.lit("insufficient_data"))
        .when(holds)
        .then(pl.lit("flagged"))
        .otherwise(pl.lit("cleared"))
    )
    index_part = pl.concat_str(
        pl.lit("Индекс социального благополучия "),
        number_expr(pl.col("index"), 2, missing=None),
        pl.lit(": "),
        _ordinal_group_expr(pl.col("group"), settings.groups),
    )
    flags_part = pl.concat_str(
        pl.lit("признаков неблагоприятного контекста "),
        pl.col("flags_count").cast(pl.String),
        pl.lit(f" из {len(settings.flags)} (нужно {settings.flags_needed})"),
    )
    short = (
        index_part
        if settings.shnsu_mode == "lowest_group"
        else pl.concat_str(index_part, pl.lit("; "), flags_part)
    )
    insufficient = pl.concat_str(
        pl.lit("Известно переменных контекста: "),
        pl.col("variables_used").cast(pl.String),
        pl.lit(f" из {len(names)} (нужно не меньше {settings.min_variables})"),
    )
    findings = schools.with_columns(
        status=status.cast(FINDING_SCHEMA["status"]),
        method=pl.lit("shnsu"),
        year=pl.lit(year, pl.Int16),
        reason_codes=pl.when(~enough)
        .then(pl.lit(["too_few_context_variables"]))
        .when(holds)
        .then(pl.lit([code]))
        .otherwise(pl.lit([], pl.List(pl.String))),
        reason=pl.when(~enough).then(insufficient).otherwise(short),
    )
    flagged = findings.filter(pl.col("status") == "flagged")
    if flagged.height:
        details = [_pulling_down(row, settings) for row in flagged.iter_rows(named=True)]
        detailed = flagged.select("school_id").with_columns(_detail=pl.Series(details, dtype=pl.String))
        findings = findings.join(detailed, on="school_id", how="left").with_columns(
            reason=pl.when(pl.col("_detail").is_not_null())
            .then(pl.concat_str(pl.col("reason"), pl.col("_detail")))
            .otherwise(pl.col("reason"))
        )
    return findings.select(
        *[pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()],
        "index",
        "group",
        "flags_count",
        pl.col("variables_used").cast(pl.Int32),
    ).sort("school_id")


def _flag_text(name: str, value: float | None, cutoff: float, direction: int) -> str:
    """«доля детей из малообеспеченных семей 48 % (≥ 30 %)»; a 0/1 variable by its label alone."""
    variable = CONTEXT_VARIABLES[name]
    if variable.unit == "flag":
        return variable.label
    sign = "≥" if direction < 0 else "≤"
    return f"{variable.label} {percent_text(value)} ({sign}{NBSP}{percent_text(cutoff)})"


def _pulling_down(row: Mapping[str, object], settings: ContextSettings) -> str:
    """«; сильнее всего снижают: доля детей из малообеспеченных семей 48 % (по региону 21 %), …».

    In the flags mode the reason is the flags themselves: «; признаки: доля … 48 % (≥ 30 %), …».
    """
    pulls: list[tuple[float, str]] = []
    for name, _, _ in settings.variables:
        contribution = row[f"_contribution_{name}"]
        if not isinstance(contribution, float) or contribution >= 0:
            continue
        variable = CONTEXT_VARIABLES[name]
        value = row[name]
        mean = row[f"_mean_{name}"]
        if variable.unit == "flag":
            region = percent_text(100 * mean) if isinstance(mean, float) else "—"
            text = f"{variable.label} (по региону {region} школ)"
        else:
            value_text = percent_text(value) if isinstance(value, float | int) else "—"
            region = percent_text(mean) if isinstance(mean, float) else "—"
            text = f"{variable.label} {value_text} (по региону {region})"
        pulls.append((contribution, text))
    pulls.sort(key=lambda pair: pair[0])
    parts: list[str] = []
    if pulls and settings.shnsu_mode == "lowest_group":
        parts.append("; сильнее всего снижают: " + ", ".join(text for _, text in pulls[:3]))
    if settings.shnsu_mode == "flags":
        raised = [
            _flag_text(name, _as_float(row[name]), cutoff, settings.directions[name])
            for name, cutoff in settings.flags
            if _flag_holds(_as_float(row[name]), cutoff, settings.directions[name])
        ]
        parts.append("; признаки: " + ", ".join(raised))
    return "".join(parts)


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _flag_holds(value: float | None, cutoff: float, direction: int) -> bool:
    if value is None:
        return False
    return value >= cutoff if direction < 0 else value <= cutoff
