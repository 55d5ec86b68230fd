"""The rule's steps: the counted rows with the share it reads, and per school the counts and runs."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from analytics.findings import STATUS_DTYPE
from analytics.low_results.settings import (
    DETAIL_COLUMNS,
    RESULT_DTYPE,
    UNIT,
    Frame,
    LowResultsSettings,
)
from analytics.low_results.shared import prefer_pupils
from analytics.schema import ASSESSMENT_KEY
from analytics.shrinkage import shrunken_shares


def _prepare(indicators: Frame, year: int, settings: LowResultsSettings) -> pl.DataFrame:
    """The counted rows of the window years with the shrunken share, the basis value and the row result."""
    lazy = indicators.lazy().with_columns(pl.col("procedure").cast(pl.String))
    first_year = year - settings.window + 1
    filters = [pl.col("year").is_between(first_year, year)]
    if settings.procedures:
        filters.append(pl.col("procedure").is_in(list(settings.procedures)))
    if settings.subjects:
        filters.append(pl.col("subject").is_in(list(settings.subjects)))
    if settings.grades:
        filters.append(pl.col("grade").is_in(list(settings.grades)))
    rows = prefer_pupils(lazy.filter(filters)).select(
        pl.col("school_id").cast(pl.String),
        pl.col("year").cast(pl.Int16),
        "procedure",
        "subject",
        pl.col("grade").cast(pl.Int8),
        "source",
        "below_min_n",
        "below_min_count",
        "below_min_pct",
        "below_min_ci_low",
        "below_min_ci_high",
    )
    shrunk = shrunken_shares(
        rows, "below_min_count", "below_min_n", by=ASSESSMENT_KEY, prefix="shrunken"
    ).drop("shrunken_prior_pct", "shrunken_prior_alpha", "shrunken_prior_beta")
    basis = {"raw": "below_min_pct", "shrunken": "shrunken_pct", "ci_low": "below_min_ci_low"}[settings.basis]
    sufficient = (pl.col("below_min_n").fill_null(0) >= settings.min_participants) & pl.col(
        "basis_pct"
    ).is_not_null()
    return (
        shrunk.with_columns(basis_pct=pl.col(basis))
        .with_columns(sufficient=sufficient)
        .with_columns(meets=pl.col("sufficient") & (pl.col("basis_pct") >= settings.threshold_pct))
        .with_columns(
            result=pl.when(~pl.col("sufficient"))
            .then(pl.lit("insufficient_data"))
            .when(pl.col("meets"))
            .then(pl.lit("meets"))
            .otherwise(pl.lit("below_threshold"))
            .cast(RESULT_DTYPE)
        )
        .select(*DETAIL_COLUMNS)
        .collect()
    )


def _run(flags: Iterable[pl.Expr]) -> pl.Expr:
    """Length of the run of true flags from the first one on (flags for Y, Y − 1, Y − 2, …)."""
    total: pl.Expr = pl.lit(0, pl.Int32)
    running: pl.Expr = pl.lit(True)
    for flag in flags:
        running = running & flag
        total = total + running.cast(pl.Int32)
    return total


def _school_table(details: pl.DataFrame, year: int, settings: LowResultsSettings) -> pl.DataFrame:
    """Per school: the counts, the runs, and whether the rule holds strictly and optimistically."""
    years = [year - offset for offset in range(settings.window)]
    could_meet = pl.col("meets") | ~pl.col("sufficient")
    in_year = pl.col("year") == year

    per_unit = (
        details.lazy()
        .group_by(["school_id", *UNIT])
        .agg(
            *[((pl.col("year") == y) & pl.col("meets")).any().alias(f"_m{i}") for i, y in enumerate(years)],
            *[((pl.col("year") == y) & could_meet).any().alias(f"_o{i}") for i, y in enumerate(years)],
        )
    )
    per_unit = per_unit.with_columns(
        _run_meets=_run(pl.col(f"_m{i}") for i in range(len(years))),
        _run_open=_run(pl.col(f"_o{i}") for i in range(len(years))),
    )
    per_school_units = per_unit.group_by("school_id").agg(
        pl.col("_run_meets").max().alias("_unit_run"),
        (pl.col("_run_meets") >= settings.consecutive_years).any().alias("_consecutive"),
        (pl.col("_run_open") >= settings.consecutive_years).any().alias("_consecutive_open"),
        *[pl.col(f"_m{i}").any().alias(f"_sm{i}") for i in range(len(years))],
        *[pl.col(f"_o{i}").any().alias(f"_so{i}") for i in range(len(years))],
    )
    sufficient_now = in_year & pl.col("sufficient")
    per_school = (
        details.lazy()
        .group_by("school_id")
        .agg(
            assessments_counted=in_year.sum().cast(pl.Int32),
            assessments_sufficient=sufficient_now.sum().cast(pl.Int32),
            assessments_meeting=(in_year & pl.col("meets")).sum().cast(pl.Int32),
            _open_now=(in_year & could_meet).sum().cast(pl.Int32),
            composite_pct=pl.col("basis_pct").filter(sufficient_now).mean(),
        )
        .filter(pl.col("assessments_counted") > 0)
        .join(per_school_units, on="school_id", how="left")
        .with_columns(
            _school_run=_run(pl.col(f"_sm{i}") for i in range(len(years))),
            _school_run_open=_run(pl.col(f"_so{i}") for i in range(len(years))),
        )
    )
    several = pl.col("assessments_meeting") >= settings.min_assessments_in_year
    several_open = pl.col("_open_now") >= settings.min_assessments_in_year
    if settings.mode == "threshold":
        per_school = per_school.with_columns(
            _several=several,
            _holds=several | pl.col("_consecutive"),
            _holds_open=several_open | pl.col("_consecutive_open"),
            years_running=pl.col("_unit_run"),
        )
    elif settings.mode == "persistence":
        per_school = per_school.with_columns(
            _holds=pl.col("_school_run") >= settings.persistence_years,
            _holds_open=pl.col("_school_run_open") >= settings.persistence_years,
            years_running=pl.col("_school_run"),
        )
    else:
        ranked = pl.col("composite_pct").is_not_null()
        position = pl.col("composite_pct").rank("min", descending=True).cast(pl.Int32)
        count = ranked.sum().cast(pl.Int32).alias("ranked_schools")
        # Flagged when fewer than X % of the ranked schools are worse: exactly the bottom X % without ties.
        bottom = (position - 1).cast(pl.Float64) * 100.0 < settings.ranking_bottom_pct * count
        per_school = per_school.with_columns(
            ranking_position=position, ranked_schools=pl.when(ranked).then(count)
        ).with_columns(
            _holds=ranked & bottom.fill_null(False),
            # Insufficient only without a composite: the ranking uses the sufficient results alone.
            _holds_open=~ranked,
            years_running=pl.col("_school_run"),
        )
    if settings.mode != "ranking":
        per_school = per_school.with_columns(
            composite_pct=pl.lit(None, pl.Float64),
            ranking_position=pl.lit(None, pl.Int32),
            ranked_schools=pl.lit(None, pl.Int32),
        )
    status = (
        pl.when(pl.col("_holds"))
        .then(pl.lit("flagged"))
        .when(pl.col("_holds_open"))
        .then(pl.lit("insufficient_data"))
        .otherwise(pl.lit("cleared"))
        .cast(STATUS_DTYPE)
    )
    return per_school.with_columns(status=status).collect()


def _reason_codes(settings: LowResultsSettings) -> pl.Expr:
    flagged = pl.col("status") == "flagged"
    insufficient = pl.lit(["insufficient_data"], pl.List(pl.String))
    empty = pl.lit([], pl.List(pl.String))
    if settings.mode == "threshold":
        several = pl.when(pl.col("_several")).then(pl.lit("below_min_in_several_assessments"))
        consecutive = pl.when(pl.col("_consecutive")).then(pl.lit("below_min_consecutive_years"))
        codes = pl.concat_list(several, consecutive).list.drop_nulls()
    else:
        code = "bottom_of_ranking" if settings.mode == "ranking" else "persistent"
        codes = pl.lit([code], pl.List(pl.String))
    return (
        pl.when(flagged)
        .then(codes)
        .when(pl.col("status") == "insufficient_data")
        .then(insufficient)
        .otherwise(empty)
    )
