"""The rank statistics on numbers whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from nas.fidelity.stats import (
    bootstrap,
    fraction,
    kendall,
    kendall_rows,
    mean_cv,
    paired_gain,
    seed_agreement,
    slope,
    slope_rows,
    spearman,
    spearman_rows,
)

UP = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def test_perfect_agreement_is_one_with_a_tight_interval():
    for statistic in ("kendall", "spearman"):
        interval = bootstrap(UP, [2 * x + 1 for x in UP], statistic, 500, 0.9, seed=3)
        assert (interval.value, interval.low, interval.high) == pytest.approx((1, 1, 1))


def test_reversed_order_is_minus_one():
    down = UP[::-1]
    assert kendall(UP, down) == pytest.approx(-1)
    assert spearman(UP, down) == pytest.approx(-1)
    interval = bootstrap(UP, down, "kendall", 500)
    assert (interval.low, interval.high) == pytest.approx((-1, -1))


def test_hand_counted_tau_and_rho():
    # pairs of [1, 2, 3, 4] against [1, 3, 2, 4]: 5 concordant, 1 discordant -> tau 4/6
    assert kendall([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # rank differences 0, 1, 1, 0: rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)


def test_a_constant_measurement_has_no_correlation():
    assert math.isnan(kendall([1, 1, 1], [1, 2, 3]))
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_the_rows_equal_scipy_one_by_one_ties_included():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(50, 9)).astype(float)  # many ties
    y = rng.integers(0, 4, size=(50, 9)).astype(float)
    rows_tau, rows_rho = kendall_rows(x, y), spearman_rows(x, y)
    for i in range(50):
        if len(set(x[i])) > 1 and len(set(y[i])) > 1:
            assert rows_tau[i] == pytest.approx(kendalltau(x[i], y[i]).statistic)
            assert rows_rho[i] == pytest.approx(spearmanr(x[i], y[i]).statistic)
        else:
            assert math.isnan(rows_tau[i]) and math.isnan(rows_rho[i])


def test_the_interval_holds_the_value_and_is_seeded():
    rng = np.random.default_rng(1)
    x = rng.normal(size=16)
    y = x + rng.normal(size=16)
    first = bootstrap(x, y, "kendall", 2000, 0.9, seed=7)
    assert first == bootstrap(x, y, "kendall", 2000, 0.9, seed=7)
    assert -1 <= first.low < first.value < first.high <= 1
    wider = bootstrap(x, y, "kendall", 2000, 0.99, seed=7)
    assert wider.low <= first.low and wider.high >= first.high


def test_bad_inputs():
    with pytest.raises(ValueError, match="differ in length"):
        kendall([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="statistic='pearson'"):
        bootstrap(UP, UP, "pearson")


def test_seed_agreement_is_the_mean_tau_over_pairs():
    # pairs: (0, 1) tau 1, (0, 2) tau -1, (1, 2) tau -1
    assert seed_agreement([[1, 2, 3, 4], [1, 2, 3, 4], [4, 3, 2, 1]]) == pytest.approx(-1 / 3)
    assert seed_agreement([[1, 2, 3]]) is None


def test_mean_cv_is_the_spread_across_seeds():
    # network 0: 0.4 and 0.6 (mean 0.5, sample sd 0.1414); network 1: 0.8 twice (no spread)
    assert mean_cv([[0.4, 0.8], [0.6, 0.8]]) == pytest.approx((0.1 * 2**0.5 / 0.5) / 2)
    assert mean_cv([[0.4, 0.8]]) is None
    assert mean_cv([[0.0, 0.4], [0.0, 0.6]]) == pytest.approx(0.1 * 2**0.5 / 0.5)


def test_fraction_of_the_ceiling():
    assert fraction(0.35, 0.7) == pytest.approx(0.5)
    assert fraction(0.35, None) is None
    assert fraction(0.35, -0.1) is None  # a yardstick that disagrees with itself sets none


def test_paired_gain_is_the_difference_on_the_same_resamples():
    truth = np.arange(12.0)
    perfect = truth + 100
    swapped = truth.copy()
    swapped[[0, 1, 4, 5, 8, 9]] = swapped[[1, 0, 5, 4, 9, 8]]  # three neighbours swapped
    interval, better = paired_gain(perfect, swapped, truth, "kendall", 400, 0.9, seed=1)
    assert interval.value == pytest.approx(1 - kendall(swapped, truth))
    assert interval.value == pytest.approx(6 / 66)  # 3 discordant pairs of 66: tau 60/66
    assert 0 <= interval.low <= interval.value <= interval.high
    assert better > 0.9  # in no resample does the swapped order rank better
    back, worse = paired_gain(swapped, perfect, truth, "kendall", 400, 0.9, seed=1)
    assert back.value == pytest.approx(-interval.value)
    assert (back.low, back.high) == pytest.approx((-interval.high, -interval.low))
    assert worse == pytest.approx(1 - better)


def test_paired_gain_of_a_score_against_itself_is_zero_half_better():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=20)
    score = truth + rng.normal(size=20)
    interval, better = paired_gain(score, score, truth, "spearman", 300)
    assert (interval.value, interval.low, interval.high) == (0, 0, 0)
    assert better == 0.5


def test_paired_gain_bad_inputs():
    with pytest.raises(Exception, match="must be equal"):
        paired_gain([1, 2, 3], [1, 2], [1, 2, 3])
    with pytest.raises(Exception, match="statistic='pearson'"):
        paired_gain([1, 2, 3], [1, 2, 3], [1, 2, 3], "pearson")


def test_the_slope_of_one_measurement_on_the_other():
    """The least-squares slope of x on y, as numpy's polyfit gives it, row by row; exact data
    has a tight interval; a constant y has none."""
    y = np.array(UP)
    assert slope(2 * y + 1, y) == pytest.approx(2)
    interval = bootstrap(2 * y + 1, y, "slope", resamples=200)
    assert interval.value == pytest.approx(2)
    assert interval.low == pytest.approx(2) and interval.high == pytest.approx(2)
    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=(5, 9)), rng.normal(size=(5, 9))
    expected = [np.polyfit(row_y, row_x, 1)[0] for row_x, row_y in zip(xs, ys, strict=True)]
    assert slope_rows(xs, ys) == pytest.approx(expected)
    assert math.isnan(slope(UP, [0.3] * len(UP)))
