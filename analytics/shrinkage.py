"""Empirical-Bayes beta-binomial shrinkage of school shares (DOMAIN.md §5: never rank a small school by a
share alone).

Model: school i has k_i of n_i participants counted (e.g. below the minimum); its true share p_i is drawn
from a Beta(α, β) common to the schools of one assessment, and k_i ~ Binomial(n_i, p_i). The prior
(α, β) is fitted by maximising the beta-binomial marginal likelihood over the schools; the posterior of
school i is Beta(α + k_i, β + n_i − k_i), so its mean is (α + k_i) / (α + β + n_i): a small school is
pulled towards the prior mean α / (α + β) more than a large one.

* `fit_beta_prior(counts, totals)` — the prior of one group, from numpy-like arrays;
* `shrunken_shares(frame, count_col, total_col, by=...)` — one prior per group (e.g. per assessment across
  the region's schools) and per row the posterior mean and credible interval, in percent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.optimize import minimize
from scipy.special import betaln, digamma
from scipy.stats import beta as beta_dist

__all__ = [
    "FALLBACK_STRENGTH",
    "BetaPrior",
    "fit_beta_prior",
    "shrunken_shares",
]

Frame = pl.DataFrame | pl.LazyFrame
FitMethod = Literal["mle", "fallback"]

#: α + β of the fallback prior: as much weight as two participants, so it barely moves any school.
FALLBACK_STRENGTH: Final = 2.0
#: Bounds of log α and log β during the fit. An upper bound keeps the optimiser finite when the schools
#: vary no more than binomial noise (the MLE of α + β is then infinite: complete pooling); e^14 ≈ 1.2e6
#: pseudo-participants is complete pooling for any school.
_LOG_BOUNDS: Final = (-9.0, 14.0)


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(α, β) prior of a share; `method` says whether it was fitted ("mle") or a fallback."""

    alpha: float
    beta: float
    method: FitMethod = "mle"

    @property
    def mean(self) -> float:
        """The prior mean share as a fraction: α / (α + β)."""
        return self.alpha / (self.alpha + self.beta)


def _fallback(k: npt.NDArray[np.float64], n: npt.NDArray[np.float64]) -> BetaPrior:
    """A weak prior (α + β = FALLBACK_STRENGTH) centred on the pooled share with a half-count correction.

    The correction (K + ½) / (N + 1) keeps the mean strictly inside (0, 1) when every school has 0 (or every
    school has all) counted, and gives ½ (a uniform prior) when there is no participant at all.
    """
    mean = (float(k.sum()) + 0.5) / (float(n.sum()) + 1.0)
    return BetaPrior(FALLBACK_STRENGTH * mean, FALLBACK_STRENGTH * (1.0 - mean), method="fallback")


def _moments_start(k: npt.NDArray[np.float64], n: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Method-of-moments (α, β) for the optimiser's start.

    With ρ = 1 / (α + β + 1) the intra-school correlation, Var(k_i / n_i) = m (1 − m) (1/n_i + (1 − 1/n_i) ρ);
    averaging over schools gives ρ = (S / (m (1 − m)) − E[1/n]) / (1 − E[1/n]), clipped into (0, 1).
    """
    m = float(k.sum() / n.sum())
    m = min(max(m, 1e-3), 1.0 - 1e-3)
    shares = k / n
    inverse_n = float(np.mean(1.0 / n))
    spread = float(np.var(shares, ddof=1)) if shares.size > 1 else 0.0
    rho = (spread / (m * (1.0 - m)) - inverse_n) / (1.0 - inverse_n) if inverse_n < 1.0 else 0.5
    rho = min(max(rho, 1e-4), 0.5)
    strength = 1.0 / rho - 1.0
    return m * strength, (1.0 - m) * strength


def fit_beta_prior(counts: npt.ArrayLike, totals: npt.ArrayLike) -> BetaPrior:
    """The beta-binomial prior maximising the marginal likelihood of (counts, totals), one pair per school.

    Pairs with a total of 0 (or a missing value) carry no information and are dropped. The log-likelihood
    Σ log BetaBinom(k_i | n_i, α, β) is maximised over (log α, log β) by L-BFGS-B from the method-of-moments
    start with the analytic gradient; identical (k, n) pairs are weighted, not repeated, so a group of
    40,000 schools costs as much as its distinct pairs.

    Fallback (`method="fallback"`, see `_fallback`): fewer than two schools with participants, or every
    school with 0 counted, or every school with all counted — the likelihood then has no finite maximum.

    >>> prior = fit_beta_prior([0, 0], [5, 7])
    >>> prior.method, round(prior.mean, 4)
    ('fallback', 0.0385)
    """
    k = np.asarray(counts, dtype=np.float64).ravel()
    n = np.asarray(totals, dtype=np.float64).ravel()
    if k.shape != n.shape:
        raise ValueError(f"counts and totals differ in length: {k.size} and {n.size}")
    keep = np.isfinite(k) & np.isfinite(n) & (n > 0)
    k, n = k[keep], n[keep]
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 ≤ count ≤ total for every school")
    if n.size < 2 or k.sum() == 0 or np.all(k == n):
        return _fallback(k, n)

    # Identical (k, n) pairs are weighted, not repeated: a 1-D unique on k · (max n + 1) + n.
    width = float(n.max()) + 1.0
    codes, weights = np.unique(k * width + n, return_counts=True)
    unique_k, unique_n = np.floor(codes / width), np.mod(codes, width)

    # log BetaBinom(k | n, α, β) = log C(n, k) + log B(k + α, n − k + β) − log B(α, β), term for term as
    # scipy.stats.betabinom computes it: the binomial term once, and per call only the two betaln (the
    # distribution's own argument checks on every call cost more than its arithmetic).
    log_binomial = -np.log(unique_n + 1) - betaln(unique_n - unique_k + 1, unique_k + 1)

    def negative_log_likelihood(log_params: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        a, b = np.exp(log_params)
        log_pmf = log_binomial + betaln(unique_k + a, unique_n - unique_k + b) - betaln(a, b)
        value = -float(np.dot(weights, log_pmf))
        # d/dα log BB = ψ(k + α) − ψ(n + α + β) − ψ(α) + ψ(α + β), and likewise for β with n − k;
        # times α (β) for the log-parametrisation.
        common = digamma(a + b) - digamma(unique_n + a + b)
        d_alpha = np.dot(weights, digamma(unique_k + a) - digamma(a) + common)
        d_beta = np.dot(weights, digamma(unique_n - unique_k + b) - digamma(b) + common)
        return value, -np.array([a * d_alpha, b * d_beta])

    start = np.log(np.array(_moments_start(k, n)))
    start = np.clip(start, *_LOG_BOUNDS)
    result = minimize(
        negative_log_likelihood,
        start,
        method="L-BFGS-B",
        jac=True,
        bounds=[_LOG_BOUNDS, _LOG_BOUNDS],
    )
    alpha, beta = (float(value) for value in np.exp(result.x))
    if not (math.isfinite(alpha) and math.isfinite(beta)):
        return _fallback(k, n)
    return BetaPrior(alpha, beta)


def shrunken_shares(
    frame: Frame,
    count_col: str,
    total_col: str,
    *,
    by: Sequence[str] = (),
    prefix: str = "shrunken",
    confidence: float = 0.95,
) -> pl.LazyFrame:
    """`frame` with the empirical-Bayes estimate of the share count_col / total_col added, in percent.

    One prior is fitted per group of `by` (e.g. the assessment key: one prior per assessment across the
    region's schools; `by=()` fits one prior to all rows). Added columns:

    * ``{prefix}_pct`` — posterior mean 100 · (α + k) / (α + β + n);
    * ``{prefix}_ci_low``, ``{prefix}_ci_high`` — equal-tailed posterior credible interval (`confidence`);
    * ``{prefix}_prior_pct`` — the group's prior mean 100 · α / (α + β);
    * ``{prefix}_prior_alpha``, ``{prefix}_prior_beta`` — the group's prior.

    A row whose total is null or 0 gets null estimates (no participant: nothing to shrink). The frame is
    collected here (the fit needs the numbers) and returned lazy.

    >>> frame = pl.DataFrame({"k": [0, 3, 1, 9, 2], "n": [10, 10, 10, 10, 10]})
    >>> shrunken_shares(frame, "k", "n").collect()["shrunken_pct"].round(1).to_list()
    [4.9, 30.3, 13.4, 81.1, 21.8]
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    data = frame.lazy().collect()
    keys = list(by)
    temporary_key = not keys
    if temporary_key:
        keys = ["__shrinkage_group"]
        data = data.with_columns(pl.lit(0).alias(keys[0]))
    k = pl.col(count_col).cast(pl.Float64)
    n = pl.col(total_col).cast(pl.Float64)
    usable = data.select(*keys, k.alias("_k"), n.alias("_n")).filter(
        pl.col("_n") > 0, pl.col("_k").is_not_null()
    )
    # One numpy fit per group: partitions hand over contiguous arrays, no Python lists of values.
    parts = usable.partition_by(keys, maintain_order=True)
    priors = [fit_beta_prior(part["_k"].to_numpy(), part["_n"].to_numpy()) for part in parts]
    group_keys = (
        pl.concat([part.select(keys).head(1) for part in parts]) if parts else usable.select(keys).clear()
    )
    prior_table = group_keys.with_columns(
        pl.Series("_alpha", [prior.alpha for prior in priors], dtype=pl.Float64),
        pl.Series("_beta", [prior.beta for prior in priors], dtype=pl.Float64),
    )

    # The credible interval needs beta.ppf, which is slow per call: compute it once per distinct
    # (α, β, k, n), far fewer than the rows of a region.
    posteriors = (
        usable.unique([*keys, "_k", "_n"])
        .join(prior_table, on=keys, how="left", nulls_equal=True)
        .with_columns(
            _post_a=pl.col("_alpha") + pl.col("_k"),
            _post_b=pl.col("_beta") + pl.col("_n") - pl.col("_k"),
        )
    )
    tail = (1.0 - confidence) / 2.0
    post_a = posteriors["_post_a"].to_numpy()
    post_b = posteriors["_post_b"].to_numpy()
    posteriors = posteriors.with_columns(
        pl.Series("_low", 100.0 * beta_dist.ppf(tail, post_a, post_b), dtype=pl.Float64),
        pl.Series("_high", 100.0 * beta_dist.ppf(1.0 - tail, post_a, post_b), dtype=pl.Float64),
    ).select(*keys, "_k", "_n", "_low", "_high")

    defined = (n > 0) & k.is_not_null()
    alpha, beta = pl.col("_alpha"), pl.col("_beta")
    result = (
        data.with_columns(k.alias("_k"), n.alias("_n"))
        .join(prior_table, on=keys, how="left", nulls_equal=True, maintain_order="left")
        .join(posteriors, on=[*keys, "_k", "_n"], how="left", nulls_equal=True, maintain_order="left")
        .with_columns(
            pl.when(defined)
            .then(100.0 * (alpha + pl.col("_k")) / (alpha + beta + pl.col("_n")))
            .alias(f"{prefix}_pct"),
            pl.when(defined).then(pl.col("_low")).alias(f"{prefix}_ci_low"),
            pl.when(defined).then(pl.col("_high")).alias(f"{prefix}_ci_high"),
            (100.0 * alpha / (alpha + beta)).alias(f"{prefix}_prior_pct"),
            alpha.alias(f"{prefix}_prior_alpha"),
            beta.alias(f"{prefix}_prior_beta"),
        )
        .drop("_k", "_n", "_alpha", "_beta", "_low", "_high")
    )
    if temporary_key:
        result = result.drop(keys)
    return result.lazy()
