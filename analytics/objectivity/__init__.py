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

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import polars as pl

from analytics.findings import FINDING_COLUMNS
from analytics.objectivity.cohort import cohort_drop
from analytics.objectivity.common import ASSESSMENT_COLUMNS, Frame, _empty
from analytics.objectivity.exams import vpr_vs_exams
from analytics.objectivity.heaping import _HEAPING_NUMERIC, boundary_heaping
from analytics.objectivity.journal import journal_mismatch
from analytics.objectivity.levels import _LEVELS_NUMERIC, basic_vs_advanced
from analytics.objectivity.settings import DEFAULT_OBJECTIVITY_SETTINGS, ObjectivitySettings

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
