"""Writes of assessment data shared by every importer: pupil rows written in bulk, and the stored school
indicators recomputed (now, or once at the end of a batch of imports).

- `rows`: bulk writes by the database's fastest path.
- `indicators`: the pupil-level indicators, recomputed now or at the end of a deferred block.
- `pupil_frames`, `indicator_rows`, `ahead`: their inputs read as frames, their computation, and the
  computation beside a large write.
- `aggregates`: the indicators of aggregate-only results. `procedures`: procedures created by imports.
"""

from opora.assessments.services.aggregates import school_aggregate_indicators_recompute
from opora.assessments.services.indicators import (
    WRITTEN_LIMIT,
    pupil_results_insert,
    school_indicators_deferred,
    school_indicators_recompute,
    school_indicators_stale,
)
from opora.assessments.services.procedures import procedure_regional_get_or_create
from opora.assessments.services.rows import PUPIL_RESULT_COLUMNS, rows_insert

__all__ = [
    "PUPIL_RESULT_COLUMNS",
    "WRITTEN_LIMIT",
    "procedure_regional_get_or_create",
    "pupil_results_insert",
    "rows_insert",
    "school_aggregate_indicators_recompute",
    "school_indicators_deferred",
    "school_indicators_recompute",
    "school_indicators_stale",
]
