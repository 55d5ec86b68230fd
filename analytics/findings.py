"""The common shape of what every identification method returns: one row per school (and year) it judged.

Every method of `analytics` (low results, dynamics, context, value added, signs of non-objective results)
returns a frame whose first columns are `FINDING_SCHEMA`, followed by its own numeric columns:

* ``school_id``, ``year`` — which school, and the year of identification the finding is for;
* ``method`` — which method (``low_results``, ``dynamics``, ``shnsu``, ``resilient`` …);
* ``status`` — ``flagged`` (the rule holds), ``cleared`` (it does not), or ``insufficient_data`` (too few
  participants to say either way: neither flagged nor cleared);
* ``reason_codes`` — machine-readable codes of why, e.g. ``["below_min_two_procedures"]``;
* ``reason`` — the same in a plain Russian sentence with the numbers, for the lists and the school card.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["FINDING_COLUMNS", "FINDING_SCHEMA", "STATUSES", "STATUS_DTYPE"]

STATUSES: Final = ("flagged", "cleared", "insufficient_data")
STATUS_DTYPE: Final = pl.Enum(STATUSES)

FINDING_SCHEMA: Final = pl.Schema(
    {
        "school_id": pl.String(),
        "year": pl.Int16(),
        "method": pl.String(),
        "status": STATUS_DTYPE,
        "reason_codes": pl.List(pl.String()),
        "reason": pl.String(),
    }
)
FINDING_COLUMNS: Final = tuple(FINDING_SCHEMA.names())
