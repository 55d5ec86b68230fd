"""Wilson intervals and sample-size tiers, checked by hand and against statsmodels."""

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from analytics.stats import (
    TierThresholds,
    exact_sum,
    proportion_exprs,
    sample_tier,
    wilson_exprs,
    wilson_interval,
    z_value,
)


def _polars_wilson(k: list[int], n: list[int], confidence: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = wilson_exprs("k", "n", confidence=confidence, scale=1.0)
    frame = pl.DataFrame({"k": k, "n": n}).select(low.alias("low"), high.alias("high"))
    return frame["low"].to_numpy(), frame["high"].to_numpy()


def test_it_computes_wilson_for_2_of_10_by_hand() -> None:
    # k = 2, n = 10, z = 1.9599640 (95 %), z² = 3.8414588.
    # p = 0.2; 1 + z²/n = 1.3841459
    # centre = (0.2 + z²/(2n)) / 1.3841459 = (0.2 + 0.1920729) / 1.3841459 = 0.2832598
    # half   = z · sqrt(p(1 − p)/n + z²/(4n²)) / 1.3841459
    #        = 1.9599640 · sqrt(0.016 + 0.0096036) / 1.3841459 = 1.9599640 · 0.1600114 / 1.3841459 = 0.2265777
    # interval = [0.2832598 − 0.2265777, 0.2832598 + 0.2265777] = [0.0566821, 0.5098375]
    low, high = wilson_interval([2], [10])
    assert low[0] == pytest.approx(0.0566821, abs=1e-6)
    assert high[0] == pytest.approx(0.5098375, abs=1e-6)
    polars_low, polars_high = _polars_wilson([2], [10], 0.95)
    assert polars_low[0] == pytest.approx(0.0566821, abs=1e-6)
    assert polars_high[0] == pytest.approx(0.5098375, abs=1e-6)


def test_it_gives_the_closed_form_bounds_at_zero_and_all() -> None:
    # At k = 0 the interval is [0, z²/(n + z²)]; at k = n it is [n/(n + z²), 1].
    z2 = z_value(0.95) ** 2
    low, high = wilson_interval([0, 7], [7, 7])
    assert low[0] == 0.0
    assert high[0] == pytest.approx(z2 / (7 + z2), rel=1e-12)
    assert low[1] == pytest.approx(7 / (7 + z2), rel=1e-12)
    assert high[1] == 1.0
    polars_low, polars_high = _polars_wilson([0, 7], [7, 7], 0.95)
    assert (polars_low[0], polars_high[1]) == (0.0, 1.0)
    assert polars_high[0] == pytest.approx(z2 / (7 + z2), rel=1e-12)


def test_it_takes_z_from_the_normal_quantile() -> None:
    assert z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489004, rel=1e-12)
    assert z_value(0.90) == pytest.approx(1.6448536269514722, rel=1e-12)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_it_rejects_a_confidence_outside_0_1(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        z_value(confidence)


def test_it_agrees_with_statsmodels_on_every_pair_up_to_n_60() -> None:
    # Exhaustive over small n: covers n = 1, k = 0 and k = n for every n.
    pairs = [(k, n) for n in range(1, 61) for k in range(n + 1)]
    k = np.array([pair[0] for pair in pairs])
    n = np.array([pair[1] for pair in pairs])
    expected_low, expected_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    low, high = wilson_interval(k, n)
    np.testing.assert_allclose(low, expected_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, expected_high, rtol=0, atol=1e-12)
    polars_low, polars_high = _polars_wilson(k.tolist(), n.tolist(), 0.95)
    np.testing.assert_allclose(polars_low, expected_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(polars_high, expected_high, rtol=0, atol=1e-12)


@st.composite
def _counts(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=100_000))
    k = draw(st.one_of(st.just(0), st.just(n), st.integers(min_value=0, max_value=n)))
    return k, n


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(_counts(), min_size=1, max_size=50),
    confidence=st.floats(min_value=0.5, max_value=0.999),
)
def test_it_agrees_with_statsmodels_for_any_counts_and_confidence(
    pairs: list[tuple[int, int]], confidence: float
) -> None:
    k = [pair[0] for pair in pairs]
    n = [pair[1] for pair in pairs]
    expected_low, expected_high = proportion_confint(
        np.array(k), np.array(n), alpha=1 - confidence, method="wilson"
    )
    low, high = wilson_interval(k, n, confidence=confidence)
    np.testing.assert_allclose(low, expected_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, expected_high, rtol=0, atol=1e-12)
    polars_low, polars_high = _polars_wilson(k, n, confidence)
    np.testing.assert_allclose(polars_low, expected_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(polars_high, expected_high, rtol=0, atol=1e-12)


def test_it_leaves_the_interval_undefined_without_trials() -> None:
    low, high = wilson_interval([0], [0])
    assert math.isnan(low[0]) and math.isnan(high[0])
    polars_low, polars_high = wilson_exprs("k", "n")
    frame = pl.DataFrame({"k": [0], "n": [0]}).select(polars_low.alias("low"), polars_high.alias("high"))
    assert frame.row(0) == (None, None)


@pytest.mark.parametrize(("k", "n"), [(3, 2), (-1, 5), (1, -1)])
def test_it_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval([k], [n])


def test_it_widens_the_interval_with_the_confidence() -> None:
    low_95, high_95 = wilson_interval([5], [20], confidence=0.95)
    low_99, high_99 = wilson_interval([5], [20], confidence=0.99)
    assert low_99[0] < low_95[0] < 0.25 < high_95[0] < high_99[0]


def test_it_names_and_scales_a_proportion_in_percent() -> None:
    frame = pl.DataFrame({"k": [1, 0], "n": [4, 0]}).select(proportion_exprs("share", "k", "n"))
    assert frame.columns == ["share_pct", "share_ci_low", "share_ci_high"]
    assert frame.row(0)[0] == 25.0
    low, high = wilson_interval([1], [4])
    assert frame.row(0)[1:] == pytest.approx((100 * low[0], 100 * high[0]), rel=1e-12)
    assert frame.row(1) == (None, None, None)


def test_it_puts_the_tier_boundaries_where_the_domain_says() -> None:
    frame = pl.DataFrame({"n": [0, 19, 20, 49, 50, 4000, None]}, schema={"n": pl.Int64})
    tiers = frame.select(sample_tier("n")).to_series().to_list()
    assert tiers == ["limited", "limited", "approximate", "approximate", "informative", "informative", None]


def test_it_takes_the_tier_thresholds_as_parameters() -> None:
    frame = pl.DataFrame({"n": [9, 10, 29, 30]})
    tiers = frame.select(sample_tier("n", TierThresholds(informative=30, approximate=10))).to_series()
    assert tiers.to_list() == ["limited", "approximate", "approximate", "informative"]


@pytest.mark.parametrize(("informative", "approximate"), [(20, 50), (50, 0)])
def test_it_rejects_thresholds_out_of_order(informative: int, approximate: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        TierThresholds(informative=informative, approximate=approximate)


def test_an_exact_sum_does_not_depend_on_the_order_of_the_rows() -> None:
    values = np.random.default_rng(7).uniform(-100, 100, 200_000)
    frame = pl.DataFrame({"v": values})
    sums = {
        frame.sample(fraction=1.0, shuffle=True, seed=s).select(exact_sum(pl.col("v"))).item()
        for s in range(5)
    }
    assert len(sums) == 1
    assert sums.pop() == pytest.approx(math.fsum(values), abs=1e-4)
