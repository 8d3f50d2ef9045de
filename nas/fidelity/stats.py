"""Rank agreement of two measurements of the same networks: Kendall tau, Spearman rho, the slope
of one on the other, bootstrap intervals, the agreement of seeds with each other and their
spread. Pure functions of numbers.

Kendall's tau is tau-b (ties counted as scipy counts them); a statistic that is undefined (a
constant input) is NaN. The bootstrap resamples networks with replacement and takes the
percentile interval; its resamples are computed together in numpy, equal to scipy's one by one.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau, rankdata, spearmanr

from nas.errors import InputError

Numbers = Sequence[float] | np.ndarray


def kendall(x: Numbers, y: Numbers) -> float:
    """Kendall's tau-b of ``x`` against ``y``; NaN where one of them is constant."""
    _check_pair(x, y)
    return float(kendalltau(x, y).statistic)


def spearman(x: Numbers, y: Numbers) -> float:
    """Spearman's rho of ``x`` against ``y``; NaN where one of them is constant."""
    _check_pair(x, y)
    if _constant(x) or _constant(y):  # scipy warns, then gives NaN
        return math.nan
    return float(spearmanr(x, y).statistic)


def _constant(values: Numbers) -> bool:
    return len(set(np.asarray(values, dtype=float).tolist())) < 2


def _check_pair(x: Numbers, y: Numbers) -> None:
    if len(x) != len(y):
        raise InputError(f"the two measurements differ in length: {len(x)} and {len(y)}")
    if len(x) < 2:
        raise InputError(f"a rank correlation needs at least 2 values, got {len(x)}")


def kendall_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each row of ``x`` against the same row of ``y`` (NaN where a row is
    constant): (concordant - discordant) / sqrt(pairs untied in x * pairs untied in y)."""
    sx = np.sign(x[:, :, None] - x[:, None, :])
    sy = np.sign(y[:, :, None] - y[:, None, :])
    numerator = (sx * sy).sum(axis=(1, 2))
    denominator = np.sqrt((sx * sx).sum(axis=(1, 2)) * (sy * sy).sum(axis=(1, 2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row of ``x`` against the same row of ``y``: the Pearson
    correlation of their average ranks (NaN where a row is constant)."""
    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx = rx - rx.mean(axis=1, keepdims=True)
    ry = ry - ry.mean(axis=1, keepdims=True)
    denominator = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (rx * ry).sum(axis=1) / denominator, np.nan)


def slope_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares slope of each row of ``x`` on the same row of ``y`` (how far ``x``
    moves per unit of ``y``; NaN where a row of ``y`` is constant)."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    spread = (yc * yc).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(spread > 0, (xc * yc).sum(axis=1) / spread, np.nan)


def slope(x: Numbers, y: Numbers) -> float:
    """The least-squares slope of ``x`` on ``y``; NaN where ``y`` is constant."""
    _check_pair(x, y)
    rows = (np.asarray(v, dtype=float)[None, :] for v in (x, y))
    return float(slope_rows(*rows)[0])


ROWS = {"kendall": kendall_rows, "spearman": spearman_rows, "slope": slope_rows}
POINTS = {"kendall": kendall, "spearman": spearman, "slope": slope}


@dataclass(frozen=True)
class Interval:
    """A statistic and its bootstrap percentile interval at ``confidence``."""

    value: float
    low: float
    high: float
    confidence: float

    def as_dict(self) -> dict[str, float | None]:
        return {
            "value": plain(self.value),
            "low": plain(self.low),
            "high": plain(self.high),
            "confidence": self.confidence,
        }


def _check_settings(statistic: str, confidence: float) -> None:
    if statistic not in ROWS:
        raise InputError(f"statistic={statistic!r} is invalid: use {', '.join(ROWS)}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence={confidence!r} is invalid: must be between 0 and 1")


def _interval(value: float, resampled: np.ndarray, confidence: float) -> Interval:
    """``value`` with the percentile interval of its resamples (the undefined, NaN, left out)."""
    resampled = resampled[~np.isnan(resampled)]
    if resampled.size == 0:
        return Interval(value, math.nan, math.nan, confidence)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return Interval(value, float(low), float(high), confidence)


def bootstrap(
    x: Numbers,
    y: Numbers,
    statistic: str = "kendall",
    resamples: int = 2000,
    confidence: float = 0.9,
    seed: int = 0,
) -> Interval:
    """``statistic`` (kendall, spearman, or slope: of ``x`` on ``y``) of ``x`` against ``y``,
    with the percentile interval of ``resamples`` bootstrap resamples of the pairs (drawn with
    replacement, seeded); resamples where the statistic is undefined (every pair the same
    network) are left out."""
    _check_settings(statistic, confidence)
    value = POINTS[statistic](x, y)
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(xs), size=(resamples, len(xs)))
    values = ROWS[statistic](xs[picks], ys[picks])
    return _interval(value, values, confidence)


def paired_gain(
    x: Numbers,
    base: Numbers,
    y: Numbers,
    statistic: str = "kendall",
    resamples: int = 2000,
    confidence: float = 0.9,
    seed: int = 0,
) -> tuple[Interval, float]:
    """How much better ``x`` ranks ``y`` than ``base`` does (both scores of the same networks):
    the difference of ``statistic``, its percentile interval over bootstrap resamples of the
    networks (one resample serves both scores: the comparison is paired), and the share of
    resamples in which ``x`` ranks better (ties half)."""
    _check_settings(statistic, confidence)
    xs, bs, ys = (np.asarray(v, dtype=float) for v in (x, base, y))
    if not len(xs) == len(bs) == len(ys):
        raise InputError(f"scores of {len(xs)}, {len(bs)} and {len(ys)} networks: must be equal")
    value = POINTS[statistic](xs, ys) - POINTS[statistic](bs, ys)
    picks = np.random.default_rng(seed).integers(0, len(xs), size=(resamples, len(xs)))
    gains = ROWS[statistic](xs[picks], ys[picks]) - ROWS[statistic](bs[picks], ys[picks])
    gains = gains[~np.isnan(gains)]
    better = float(np.mean(gains > 0) + np.mean(gains == 0) / 2) if gains.size else math.nan
    return _interval(value, gains, confidence), better


def seed_agreement(seeds: Sequence[Numbers]) -> float | None:
    """The mean Kendall tau over every pair of seeds (each a measurement of every network);
    None with fewer than two seeds."""
    if len(seeds) < 2:
        return None
    taus = [kendall(a, b) for a, b in itertools.combinations(seeds, 2)]
    return statistics.fmean(taus)


def mean_cv(seeds: Sequence[Numbers]) -> float | None:
    """The spread of a measurement across seeds: the coefficient of variation (sample standard
    deviation over the mean) of each network across the seeds, averaged over the networks (those
    with a positive mean); None with fewer than two seeds."""
    if len(seeds) < 2:
        return None
    values = np.asarray(seeds, dtype=float)  # seeds x networks
    means = values.mean(axis=0)
    positive = means > 0  # a network at 0% on every seed has no relative spread
    if not positive.any():
        return None
    return float((values[:, positive].std(axis=0, ddof=1) / means[positive]).mean())


def fraction(value: float, ceiling: float | None) -> float | None:
    """``value`` as a fraction of ``ceiling``; None where the ceiling is missing or not positive
    (a yardstick that does not agree with itself sets no ceiling)."""
    if ceiling is None or not ceiling > 0 or math.isnan(value):
        return None
    return value / ceiling


def plain(value: float | None) -> float | None:
    """A float for JSON: NaN becomes None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value
