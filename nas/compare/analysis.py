"""The sampler benchmark's figures from its run log: per sampler, budget and noise level, the
winner's median truth, its percentile in the space, and the paired comparison with random search
of the same seed (win rate with a bootstrap interval, one-sided Wilcoxon signed-rank p); the
anytime curve (the incumbent's true reward by trial)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, wilcoxon

from nas.compare.config import CompareConfig

SUMMARY_COLUMNS = [
    "sampler",
    "trials",
    "noise_sd",
    "repeats",
    "median_true_accuracy",
    "median_true_reward",
    "median_percentile",
    "median_accuracy_percentile",
    "win_rate",
    "win_rate_low",
    "win_rate_high",
    "wilcoxon_p",
    "median_gap",
]


def runs_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The run log's rows with numbers as numbers."""
    frame = pd.DataFrame(list(rows))
    numeric = ["trials", "seed", "observed_reward", "true_accuracy", "true_reward"]
    numeric += ["accuracy_percentile", "reward_percentile", "distinct", "seconds"]
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column])
    frame["noise_sd"] = frame["noise_sd"].astype(str)
    return frame


def win_interval(
    wins: np.ndarray, resamples: int, confidence: float, seed: int = 0
) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of ``wins`` (repetitions resampled)."""
    rng = np.random.default_rng(seed)
    means = wins[rng.integers(0, len(wins), size=(resamples, len(wins)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def one_sided_wilcoxon(gaps: np.ndarray) -> float:
    """p of the one-sided Wilcoxon signed-rank test that the gaps lean positive (zero gaps,
    the same winner, dropped); 1.0 when every gap is zero."""
    if not np.any(gaps != 0):
        return 1.0
    return float(wilcoxon(gaps, alternative="greater", zero_method="wilcox").pvalue)


def sign_test(gaps: np.ndarray) -> float:
    """p of the one-sided sign test that positive gaps are the likelier (zero gaps dropped);
    1.0 when every gap is zero."""
    nonzero = gaps[gaps != 0]
    if not len(nonzero):
        return 1.0
    return float(binomtest(int((nonzero > 0).sum()), len(nonzero), 0.5, "greater").pvalue)


def paired_figures(gaps: np.ndarray, resamples: int, confidence: float) -> dict[str, float]:
    """A sampler against random search of the same seeds, from the gaps (its winner's value
    less random's, seed by seed): the win rate (a tie counts half) with its bootstrap interval,
    the one-sided Wilcoxon and sign-test p and the median gap."""
    wins = (gaps > 0) + 0.5 * (gaps == 0)
    low, high = win_interval(wins, resamples, confidence)
    return {
        "win_rate": float(wins.mean()),
        "win_rate_low": low,
        "win_rate_high": high,
        "wilcoxon_p": one_sided_wilcoxon(gaps),
        "sign_p": sign_test(gaps),
        "median_gap": float(np.median(gaps)),
    }


def summarize(frame: pd.DataFrame, config: CompareConfig) -> pd.DataFrame:
    """One row per sampler, budget and noise level (SUMMARY_COLUMNS); random's own row has no
    pairing figures."""
    rows = []
    for (sampler, trials, noise), group in frame.groupby(
        ["sampler", "trials", "noise_sd"], sort=False
    ):
        row: dict[str, Any] = {
            "sampler": sampler,
            "trials": int(trials),
            "noise_sd": noise,
            "repeats": int(len(group)),
            "median_true_accuracy": float(group["true_accuracy"].median()),
            "median_true_reward": float(group["true_reward"].median()),
            "median_percentile": float(group["reward_percentile"].median()),
            "median_accuracy_percentile": float(group["accuracy_percentile"].median()),
        }
        baseline = frame[
            (frame["sampler"] == config.baseline)
            & (frame["trials"] == trials)
            & (frame["noise_sd"] == noise)
        ].set_index("seed")["true_reward"]
        mine = group.set_index("seed")["true_reward"]
        seeds = mine.index.intersection(baseline.index)
        if sampler != config.baseline and len(seeds) >= 2:
            gaps = (mine.loc[seeds] - baseline.loc[seeds]).to_numpy(float)
            figures = paired_figures(gaps, config.resamples, config.confidence)
            figures.pop("sign_p")  # not a column of the summary
            row |= figures
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def anytime(frame: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """Per noise level and sampler, at the largest budget: the median over repetitions of the
    incumbent's true reward after each trial (a halving arm's repetitions start different
    numbers of trials: each curve is held at its last value to the longest's length)."""
    curves: dict[str, dict[str, list[float]]] = {}
    for noise, at_noise in frame.groupby("noise_sd", sort=False):
        largest = at_noise[at_noise["trials"] == at_noise["trials"].max()]
        curves[str(noise)] = {}
        for sampler, group in largest.groupby("sampler", sort=False):
            each = [json.loads(curve) for curve in group["curve"]]
            longest = max(map(len, each))
            values = np.array([c + c[-1:] * (longest - len(c)) for c in each], dtype=float)
            curves[str(noise)][str(sampler)] = [float(v) for v in np.median(values, axis=0)]
    return curves


def plain(value: Any) -> Any:
    """A JSON value: NaN and missing become None, numpy numbers plain ones."""
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def summary_text(summary: pd.DataFrame, baseline: str = "random") -> str:
    """The summary as a table a person reads."""
    width = max([15, *(len(str(name)) + 2 for name in summary["sampler"])])
    against = f"win vs {baseline} [90% CI]"
    column = max(25, len(against) + 2)
    lines = [
        f"{'sampler':<{width}}{'trials':>7}{'noise':>7}{'reps':>6}{'true acc':>10}{'true rwd':>10}"
        f"{'pctile':>8}{against:>{column}}{'Wilcoxon p':>12}"
    ]
    for row in summary.itertuples(index=False):
        win = (
            "-"
            if pd.isna(row.win_rate)
            else f"{row.win_rate:.2f} [{row.win_rate_low:.2f}, {row.win_rate_high:.2f}]"
        )
        p = "-" if pd.isna(row.wilcoxon_p) else f"{row.wilcoxon_p:.3g}"
        lines.append(
            f"{row.sampler:<{width}}{row.trials:>7}{row.noise_sd:>7}{row.repeats:>6}"
            f"{row.median_true_accuracy:>10.2%}{row.median_true_reward:>10.4f}"
            f"{row.median_percentile:>8.2f}{win:>{column}}{p:>12}"
        )
    lines.append(
        "medians over the repetitions; pctile: the winner's true reward's percentile among the "
        f"space's 6,561 networks; win: its true reward above {baseline}'s winner of the same "
        "seed (ties half); noise 'run': one table run per study, chosen by its seed; trials: "
        "the budget, in a plain search's trials (every arm sees their training images)"
    )
    return "\n".join(lines)
