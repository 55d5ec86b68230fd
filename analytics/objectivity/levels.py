"""Sign 3: basic tasks below the region while advanced ones are above it."""

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
    _insufficient_tail,
    _n_texts,
    _pcts,
    _pps,
    _sentences,
)

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
