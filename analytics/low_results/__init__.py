"""The low-results rule (ШНОР, DOMAIN.md §5): which schools have too many participants below the minimum.

Input: the indicator frame (`analytics.indicators.school_indicators` / `aggregate_indicators` columns, one
row per year × procedure × subject × grade × school; both sources may be present, pupil-level rows win).
An *assessment* for counting is (procedure, subject, grade); the share read by the rule is the share of
participants below the minimum (`below_min_count / below_min_n`), as the raw share, its empirical-Bayes
shrunken estimate (`analytics.shrinkage`, one prior per year × assessment across all schools of the input)
or the lower Wilson bound (`LowResultsSettings.basis`).

A result with fewer than `min_participants` participants (or no share) is *insufficient*: it neither meets
nor fails the threshold. Status of a school for year Y (the same for every mode):

* ``flagged`` — the rule holds on the sufficient results alone;
* ``insufficient_data`` — it does not, but it would if every insufficient result met the threshold;
* ``cleared`` — it would not hold even then.

Modes: ``threshold`` (the regional rule: ≥ threshold in ≥ `min_assessments_in_year` assessments of Y, or in
the same assessment in each of `consecutive_years` calendar years ending in Y), ``ranking`` (the bottom
`ranking_bottom_pct` % of schools by the mean share over their sufficient assessments of Y) and
``persistence`` (≥ threshold in some assessment in each of the `persistence_years` years ending in Y).
An assessment not held in a year (no row) is simply absent: it is not an insufficient result.
"""

from __future__ import annotations

import polars as pl

from analytics.findings import FINDING_COLUMNS, FINDING_SCHEMA
from analytics.low_results.reasons import _reasons, assessment_label, text_column
from analytics.low_results.rule import _prepare, _reason_codes, _school_table
from analytics.low_results.settings import (
    DEFAULT_SETTINGS,
    DETAIL_COLUMNS,
    FINDINGS_EXTRA_COLUMNS,
    METHOD,
    RESULT_DTYPE,
    UNIT,
    Frame,
    LowResults,
    LowResultsSettings,
)
from analytics.low_results.shared import prefer_pupils

__all__ = [
    "DETAIL_COLUMNS",
    "FINDINGS_EXTRA_COLUMNS",
    "RESULT_DTYPE",
    "LowResults",
    "LowResultsSettings",
    "assessment_label",
    "low_results",
    "prefer_pupils",
    "text_column",
]

# --- the rule ------------------------------------------------------------------------------------------


def low_results(
    indicators: Frame, *, year: int, settings: LowResultsSettings = DEFAULT_SETTINGS
) -> LowResults:
    """Apply the low-results rule for the year of identification `year`.

    Returns `LowResults` with `findings` (FINDING_SCHEMA columns, method="low_results", then
    `FINDINGS_EXTRA_COLUMNS`; one row per school with at least one counted result in `year`) and `details`
    (`DETAIL_COLUMNS`; one row per school × year × assessment the mode reads, for «Почему школа в списке»).
    Both sorted by school_id (details then by year and assessment).
    """
    details = _prepare(indicators, year, settings)
    schools = _school_table(details, year, settings)
    reasons = _reasons(schools, details, year, settings)
    findings = (
        schools.join(reasons, on="school_id", how="left")
        .with_columns(
            year=pl.lit(year, pl.Int16),
            method=pl.lit(METHOD),
            reason_codes=_reason_codes(settings),
        )
        .select(
            *[pl.col(name).cast(dtype) for name, dtype in FINDING_SCHEMA.items()],
            *FINDINGS_EXTRA_COLUMNS,
        )
        .sort("school_id")
    )
    assert tuple(findings.columns[: len(FINDING_COLUMNS)]) == FINDING_COLUMNS
    judged = details.join(findings.select("school_id"), on="school_id", how="semi")
    return LowResults(findings=findings, details=judged.sort(["school_id", "year", *UNIT]))
