"""What the rule shares with analytics.dynamics: one row per school × assessment, pupil-level first."""

from __future__ import annotations

import polars as pl

from analytics.low_results.settings import Frame
from analytics.schema import ASSESSMENT_KEY


def prefer_pupils(indicators: Frame) -> pl.LazyFrame:
    """Keep one row per school × assessment: the pupil-level one where both sources are present."""
    lazy = indicators.lazy()
    from_pupils = (pl.col("source") == "pupils").fill_null(False)
    keys = [*ASSESSMENT_KEY, "school_id"]
    pupils = lazy.filter(from_pupils)
    # An anti-join, not a window over the keys: 10× faster on a country's rows.
    others = lazy.filter(~from_pupils).join(pupils.select(keys), on=keys, how="anti", nulls_equal=True)
    return pl.concat([pupils, others])
