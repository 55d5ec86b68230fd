"""Empirical-Bayes shrinkage, checked against an independent fit and by hand."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.stats import betabinom

from analytics.shrinkage import fit_beta_prior, shrunken_shares


def _independent_fit(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    # SciPy's own beta-binomial distribution (the fit writes its log-likelihood term for term, for speed),
    # maximised by another method over every school's pair (identical pairs not merged into weights).
    def nll(params: np.ndarray) -> float:
        a, b = np.exp(params)
        return -float(np.sum(betabinom.logpmf(k, n, a, b)))

    result = minimize(nll, np.log([1.0, 1.0]), method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8})
    a, b = np.exp(result.x)
    return float(a), float(b)


def test_it_recovers_a_known_prior_and_agrees_with_an_independent_fit() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(10, 80, 3000)
    k = rng.binomial(n, rng.beta(2.0, 6.0, n.size))
    prior = fit_beta_prior(k, n)
    assert prior.method == "mle"
    assert prior.alpha == pytest.approx(2.0, rel=0.2)
    assert prior.beta == pytest.approx(6.0, rel=0.2)
    alpha, beta = _independent_fit(k.astype(float), n.astype(float))
    assert prior.alpha == pytest.approx(alpha, rel=1e-3)
    assert prior.beta == pytest.approx(beta, rel=1e-3)


def test_it_falls_back_on_degenerate_input() -> None:
    # All zeros: mean (0 + 0.5) / (12 + 1) = 0.03846, α + β = 2.
    prior = fit_beta_prior([0, 0], [5, 7])
    assert prior.method == "fallback"
    assert prior.alpha + prior.beta == pytest.approx(2.0)
    assert prior.mean == pytest.approx(0.5 / 13)
    assert fit_beta_prior([3], [10]).method == "fallback"
    assert fit_beta_prior([0, 0], [0, 0]).mean == pytest.approx(0.5)


def test_it_computes_the_posterior_mean_by_hand() -> None:
    frame = pl.DataFrame({"k": [0, 3, 1, 9, 2], "n": [10] * 5})
    out = shrunken_shares(frame, "k", "n").collect()
    alpha, beta = out["shrunken_prior_alpha"][0], out["shrunken_prior_beta"][0]
    # Posterior mean of school 2 (k = 3, n = 10): 100 · (α + 3) / (α + β + 10).
    assert out["shrunken_pct"][1] == pytest.approx(100 * (alpha + 3) / (alpha + beta + 10))
    assert out["shrunken_ci_low"][1] < out["shrunken_pct"][1] < out["shrunken_ci_high"][1]


def test_it_fits_one_prior_per_group_and_leaves_empty_totals_null() -> None:
    frame = pl.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "k": [0, 1, 2, 8, 9, 7], "n": [10, 10, 0, 10, 10, 10]})
    out = shrunken_shares(frame, "k", "n", by=["g"]).collect()
    assert out["shrunken_pct"][2] is None
    priors = out.group_by("g").agg(pl.col("shrunken_prior_pct").first()).sort("g")["shrunken_prior_pct"]
    assert priors[0] < 50 < priors[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 60)), min_size=3, max_size=30))
def test_it_never_moves_a_share_away_from_the_prior_mean(pairs: list[tuple[int, int]]) -> None:
    k = [min(a, b) for a, b in pairs]
    n = [b for _, b in pairs]
    out = shrunken_shares(pl.DataFrame({"k": k, "n": n}), "k", "n").collect()
    prior = out["shrunken_prior_pct"][0]
    raw = 100.0 * np.array(k) / np.array(n)
    shrunk = out["shrunken_pct"].to_numpy()
    assert np.all(np.abs(shrunk - prior) <= np.abs(raw - prior) + 1e-9)
    # Same raw share, more participants: pulled less.
    big = shrunken_shares(pl.DataFrame({"k": [*k, 1, 10], "n": [*n, 5, 50]}), "k", "n").collect()
    small_pull, big_pull = np.abs(big["shrunken_pct"].to_numpy()[-2:] - 20.0)
    assert big_pull <= small_pull + 1e-9
