"""Proportions with Wilson intervals and sample-size tiers, vectorised.

Two forms of the same formulas:

* Polars expressions (`wilson_exprs`, `proportion_exprs`, `sample_tier`) for use inside lazy pipelines:
  the z value is a scalar computed once, everything else runs in the engine over whole columns;
* numpy arrays (`wilson_interval`) for callers that already hold arrays (reports, tests, notebooks).

Wilson score interval for k successes out of n trials, with z the two-sided normal quantile::

    p = k / n
    centre = (p + z² / 2n) / (1 + z² / n)
    half   = z · sqrt(p (1 − p) / n + z² / 4n²) / (1 + z² / n)
    [centre − half, centre + half]

It is defined for n ≥ 1 (n = 0 gives null / NaN), stays inside [0, 1] and behaves well at k = 0 and k = n,
which is why it is used for school shares with small N (DOMAIN.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import norm

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_TIERS",
    "EXACT_RESOLUTION",
    "SAMPLE_TIERS",
    "SAMPLE_TIER_DTYPE",
    "TierThresholds",
    "exact_sum",
    "proportion_exprs",
    "sample_tier",
    "wilson_exprs",
    "wilson_interval",
    "z_value",
]

DEFAULT_CONFIDENCE: Final = 0.95

SAMPLE_TIERS: Final = ("informative", "approximate", "limited")
SAMPLE_TIER_DTYPE: Final = pl.Enum(SAMPLE_TIERS)


@dataclass(frozen=True)
class TierThresholds:
    """Sample-size tiers: N ≥ `informative` is informative, N ≥ `approximate` approximate, else limited."""

    informative: int = 50
    approximate: int = 20
    source: str = "DOMAIN.md §5: N ≥ 50 informative, 20-49 approximate, < 20 limited"

    def __post_init__(self) -> None:
        if not 0 < self.approximate <= self.informative:
            raise ValueError(
                f"tier thresholds need 0 < approximate ≤ informative, got "
                f"approximate={self.approximate}, informative={self.informative}"
            )


DEFAULT_TIERS: Final = TierThresholds()


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Two-sided standard-normal quantile for a confidence level: z_value(0.95) ≈ 1.959964."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Wilson interval bounds as fractions in [0, 1]; NaN where trials == 0.

    >>> low, high = wilson_interval([2], [10])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.0567, 0.5098)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 ≤ successes ≤ trials for every pair")
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denominator
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator
    # The bounds are exactly 0 at k = 0 and 1 at k = n; rounding would leave ±1e-17 there.
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _as_expr(value: pl.Expr | str) -> pl.Expr:
    return pl.col(value) if isinstance(value, str) else value


def wilson_exprs(
    successes: pl.Expr | str,
    trials: pl.Expr | str,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    scale: float = 100.0,
) -> tuple[pl.Expr, pl.Expr]:
    """Wilson (low, high) as Float64 expressions, times `scale` (100 = percent); null where trials is 0.

    >>> low, high = wilson_exprs("k", "n")
    >>> pl.DataFrame({"k": [2], "n": [10]}).select(low.round(2).alias("lo"), high.round(2).alias("hi")).row(0)
    (5.67, 50.98)
    """
    z = z_value(confidence)
    z2 = z * z
    k = _as_expr(successes).cast(pl.Float64)
    n = _as_expr(trials).cast(pl.Float64)
    p = k / n
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator
    # The bounds are exactly 0 at k = 0 and 1 at k = n; rounding would leave ±1e-17 there.
    low = pl.when(k == 0).then(0.0).otherwise((centre - half).clip(0.0, 1.0))
    high = pl.when(k == n).then(1.0).otherwise((centre + half).clip(0.0, 1.0))
    defined = n > 0
    return pl.when(defined).then(low * scale), pl.when(defined).then(high * scale)


def proportion_exprs(
    name: str,
    successes: pl.Expr | str,
    trials: pl.Expr | str,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> list[pl.Expr]:
    """Columns `{name}_pct`, `{name}_ci_low`, `{name}_ci_high` (percent); null where trials is 0."""
    k = _as_expr(successes).cast(pl.Float64)
    n = _as_expr(trials).cast(pl.Float64)
    low, high = wilson_exprs(k, n, confidence=confidence)
    return [
        pl.when(n > 0).then(100.0 * k / n).otherwise(None).alias(f"{name}_pct"),
        low.alias(f"{name}_ci_low"),
        high.alias(f"{name}_ci_high"),
    ]


def sample_tier(n: pl.Expr | str, thresholds: TierThresholds = DEFAULT_TIERS) -> pl.Expr:
    """Sample-size tier of a count as an Enum expression: informative, approximate or limited.

    >>> pl.DataFrame({"n": [5, 20, 49, 50]}).select(sample_tier("n")).to_series().to_list()
    ['limited', 'approximate', 'approximate', 'informative']
    """
    count = _as_expr(n)
    return (
        pl.when(count >= thresholds.informative)
        .then(pl.lit("informative"))
        .when(count >= thresholds.approximate)
        .then(pl.lit("approximate"))
        .when(count.is_not_null())
        .then(pl.lit("limited"))
        .otherwise(None)
        .cast(SAMPLE_TIER_DTYPE)
    )


#: `exact_sum` rounds each value to this resolution (1e-9): far below any share or score that is reported.
EXACT_RESOLUTION: Final = 1e9


def exact_sum(value: pl.Expr) -> pl.Expr:
    """The sum of `value`, each rounded to 1e-9, added as 64-bit integers.

    Integer addition does not depend on order, so the same rows give the same bits whichever way Polars'
    threads split and combine them; a float sum may differ in its last digit between runs, which would
    break the promise that a rerun reproduces a run exactly. Values up to about 10^9 in absolute size.
    """
    return (value * EXACT_RESOLUTION).round().cast(pl.Int64).sum() / EXACT_RESOLUTION
