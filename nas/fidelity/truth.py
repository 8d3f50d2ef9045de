"""A proxy judged against the truth (NAS-Bench-Macro's table) instead of a yardstick of our own.

For each way of scoring (a proxy recipe, or a score of its runs such as the training loss), over
the networks it scored: Kendall tau and Spearman rho against the table's mean accuracy with
bootstrap intervals, over all of them and within the top quartile of the truth (where a search
decides), each seed's tau, the seeds' agreement, the seconds per candidate, the ceiling (the
table's own runs against each other), and the proxy's error in the truth's units: the residual
standard deviation of the truth about a monotone (isotonic) fit on the proxy's score, and the
Gaussian noise on the truth whose ranking agrees with the truth as well as the proxy's does.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from nas.fidelity.networks import Network
from nas.fidelity.runs import Logged, Run
from nas.fidelity.stats import bootstrap, kendall, paired_gain, plain, seed_agreement
from nas.truth import TruthTable

TOP_QUARTILE = 0.75  # networks above this quantile of the table's accuracy are its top quartile
LOSS = "loss"  # scores named so are training losses: the lower, the better
COLUMNS = [
    "variant",
    "network",
    "seed",
    "score",
    "log_metric",
    "accuracy",
    "seconds",
    "truth",
    "top",
]


def variant_table(
    table: TruthTable,
    networks: tuple[Network, ...],
    runs: Iterable[tuple[str, Run]],
    logged: Mapping[tuple, Logged],
    score_variants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per logged run and way of scoring it: the variant, the network's key, the seed,
    the score (the accuracy; for a score variant, the named score of the ``base`` runs, a
    training loss negated), the seconds, the truth and whether the truth is in the top quartile."""
    cut = table.quantile(TOP_QUARTILE)
    rows = []
    for variant, run in runs:
        found = logged.get(run.key)
        if found is None:
            continue
        key = networks[run.network].name
        truth = table[key].accuracy
        common = {"network": key, "seed": run.seed, "accuracy": found.accuracy}
        common |= {"seconds": found.seconds, "truth": truth, "top": truth > cut}
        rows.append(
            {"variant": variant, "score": found.accuracy, "log_metric": _log(found.accuracy)}
            | common
        )
        if variant == "base":
            for name, score in (score_variants or {}).items():
                value = found.scores.get(score, math.nan)
                if math.isfinite(value):
                    # A loss L scores as -L (lower is better), the log of train_fit's exp(-L).
                    loss = score.startswith(LOSS)
                    value = -value if loss else value
                    log_metric = value if loss else _log(value)
                    scored = {"variant": name, "score": value, "log_metric": log_metric}
                    rows.append(scored | common)
    return pd.DataFrame(rows, columns=COLUMNS)


def _log(value: float) -> float:
    return math.log(value) if value > 0 else math.nan


def monotone_residual_sd(score: np.ndarray, truth: np.ndarray) -> float:
    """The standard deviation of the truth about its best non-decreasing fit on the score
    (isotonic regression, ties in the score pooled): the proxy's error in the truth's units."""
    order = np.lexsort((truth, score))
    fitted = isotonic_regression(truth[order]).x
    # Networks with the same score get one fitted value: the mean of their truths.
    scores = score[order]
    for value in np.unique(scores):
        same = scores == value
        fitted[same] = fitted[same].mean()
    return float(np.sqrt(np.mean((truth[order] - fitted) ** 2)))


def equivalent_noise_sd(
    tau: float, truth: np.ndarray, draws: int = 200, seed: int = 0, limit: float = 0.2
) -> float:
    """The sd of Gaussian noise added to the truth whose ranking agrees with the truth at
    Kendall ``tau`` on these networks (the mean over ``draws`` noise draws; bisection)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((draws, truth.size))

    def mean_tau(sd: float) -> float:
        return statistics.fmean(kendall(truth + sd * row, truth) for row in noise)

    if not math.isfinite(tau) or tau >= mean_tau(1e-9):
        return 0.0
    low, high = 0.0, limit
    if mean_tau(high) > tau:
        return high
    for _ in range(30):
        middle = (low + high) / 2
        low, high = (middle, high) if mean_tau(middle) > tau else (low, middle)
    return (low + high) / 2


def _figures(group: pd.DataFrame, resamples: int, confidence: float) -> dict[str, Any]:
    by_network = group.groupby("network").agg(
        score=("score", "mean"),
        log_metric=("log_metric", "mean"),
        truth=("truth", "first"),
        top=("top", "first"),
    )
    score = by_network["score"].to_numpy(float)
    truth = by_network["truth"].to_numpy(float)
    top = by_network["top"].to_numpy(bool)
    tau = bootstrap(score, truth, "kendall", resamples, confidence)
    figures: dict[str, Any] = {
        "networks": int(len(by_network)),
        "top_quartile_networks": int(top.sum()),
        "seeds": sorted(int(seed) for seed in group["seed"].unique()),
        "kendall_tau": tau.as_dict(),
        "spearman_rho": bootstrap(score, truth, "spearman", resamples, confidence).as_dict(),
        "top_quartile_kendall_tau": (
            bootstrap(score[top], truth[top], "kendall", resamples, confidence).as_dict()
            if top.sum() >= 3
            else None
        ),
        # How far the log of the search's metric moves per unit of the truth's log: below 1
        # the proxy compresses the accuracy's differences, and the reward's exact cost term
        # weighs 1 / slope times as much in the search as in the true reward.
        "log_slope": bootstrap(
            by_network["log_metric"].to_numpy(float),
            np.log(truth),
            "slope",
            resamples,
            confidence,
        ).as_dict(),
        "seconds_per_candidate": plain(group["seconds"].mean()),
        "monotone_residual_sd": plain(monotone_residual_sd(score, truth)),
        "equivalent_noise_sd": plain(equivalent_noise_sd(tau.value, truth)),
    }
    seeds = {seed: part.set_index("network")["score"] for seed, part in group.groupby("seed")}
    common = sorted(set.intersection(*(set(s.index) for s in seeds.values())))
    truth_of = by_network["truth"]
    figures["tau_per_seed"] = {
        int(seed): plain(kendall(s.loc[common].to_numpy(float), truth_of.loc[common]))
        for seed, s in seeds.items()
    }
    figures["seed_agreement_tau"] = plain(
        seed_agreement([s.loc[common].to_numpy(float) for s in seeds.values()])
        if len(common) >= 3
        else None
    )
    return figures


def _gain(
    group: pd.DataFrame, base: pd.DataFrame, resamples: int, confidence: float
) -> dict[str, Any]:
    """A variant's Kendall tau less the base recipe's on the same networks and seeds, over all
    and within the top quartile: the paired bootstrap interval and the share of resamples in
    which the variant ranks better."""
    mine = group[group["network"].isin(base["network"]) & group["seed"].isin(base["seed"])]
    frame = pd.DataFrame(
        {
            "score": mine.groupby("network")["score"].mean(),
            "base": base.groupby("network")["score"].mean(),
            "truth": base.groupby("network")["truth"].first(),
            "top": base.groupby("network")["top"].first(),
        }
    ).dropna()
    gains: dict[str, Any] = {}
    for name, part in (("all", frame), ("top_quartile", frame[frame["top"].astype(bool)])):
        if len(part) < 3:
            gains[name] = None
            continue
        interval, better = paired_gain(
            part["score"], part["base"], part["truth"], "kendall", resamples, confidence
        )
        gains[name] = interval.as_dict() | {"share_better": plain(better)}
    return gains


def truth_ceiling(table: TruthTable, keys: Iterable[str]) -> dict[str, Any]:
    """How well the table agrees with itself on these networks: the mean Kendall tau of one of
    its runs against another, over all and within the top quartile."""
    keys = list(keys)
    cut = table.quantile(TOP_QUARTILE)
    runs = np.array([table[key].runs for key in keys]).T  # runs x networks
    top = np.array([table[key].accuracy > cut for key in keys])

    def agreement(mask: np.ndarray) -> float | None:
        if mask.sum() < 3:
            return None
        pairs = itertools.combinations(range(runs.shape[0]), 2)
        return statistics.fmean(kendall(runs[a][mask], runs[b][mask]) for a, b in pairs)

    return {"kendall_tau": agreement(np.ones(len(keys), bool)), "top_quartile": agreement(top)}


def truth_figures(
    rows: pd.DataFrame, table: TruthTable, resamples: int = 2000, confidence: float = 0.9
) -> dict[str, Any]:
    """Per variant, its figures over all its networks, and the base recipe's on exactly the
    networks and seeds each variant has (a paired comparison); the table's own ceiling."""
    variants: dict[str, Any] = {}
    base = rows[rows["variant"] == "base"]
    for variant, group in rows.groupby("variant", sort=False):
        figures = _figures(group, resamples, confidence)
        if variant != "base" and not base.empty:
            paired = base[base["network"].isin(group["network"]) & base["seed"].isin(group["seed"])]
            if paired["network"].nunique() >= 3:
                figures["base_on_same_networks"] = _figures(paired, resamples, confidence)
                figures["gain_over_base"] = _gain(group, paired, resamples, confidence)
        variants[str(variant)] = figures
    keys = rows["network"].unique()
    return {"variants": variants, "ceiling": truth_ceiling(table, keys)}


def _cell(interval: dict[str, Any] | None) -> str:
    if interval is None or interval.get("value") is None:
        return "-"
    return f"{interval['value']:.3f} [{interval['low']:.2f}, {interval['high']:.2f}]"


def figures_text(figures: dict[str, Any]) -> str:
    """The figures as a table a person reads: one row per variant."""
    lines = []
    ceiling = figures["ceiling"]
    header = (
        f"{'variant':<10} {'nets':>4} {'seeds':>5} {'tau (all)':>22} {'rho (all)':>22} "
        f"{'tau (top quartile)':>22} {'base tau top, same':>18} {'s/cand':>6} "
        f"{'resid sd':>8} {'noise sd':>8} {'log-log slope':>18}"
    )
    lines.append(header)
    for name, v in figures["variants"].items():
        same = v.get("base_on_same_networks")
        same_top = _cell(same["top_quartile_kendall_tau"]) if same else "-"
        lines.append(
            f"{name:<10} {v['networks']:>4} {len(v['seeds']):>5} {_cell(v['kendall_tau']):>22} "
            f"{_cell(v['spearman_rho']):>22} {_cell(v['top_quartile_kendall_tau']):>22} "
            f"{same_top.split(' ')[0]:>18} {v['seconds_per_candidate'] or 0:>6.0f} "
            f"{100 * (v['monotone_residual_sd'] or 0):>7.2f}p "
            f"{100 * (v['equivalent_noise_sd'] or 0):>7.2f}p "
            f"{_cell(v.get('log_slope')):>18}"
        )
    lines.append(
        "ceiling (the table's runs against each other): tau "
        f"{_fmt(ceiling['kendall_tau'])} all, {_fmt(ceiling['top_quartile'])} top quartile"
    )
    gains = [
        f"{name:<10} tau {_gain_cell(v['gain_over_base']['all'])}, "
        f"top quartile {_gain_cell(v['gain_over_base']['top_quartile'])}"
        for name, v in figures["variants"].items()
        if v.get("gain_over_base")
    ]
    if gains:
        lines.append(
            "against base on the same networks and seeds (paired bootstrap; the share of "
            "resamples in which the variant ranks better):"
        )
        lines.extend("  " + line for line in gains)
    base = figures["variants"].get("base")
    if base:
        lines.append(
            "base: tau per seed "
            + ", ".join(f"{seed}: {_fmt(tau)}" for seed, tau in base["tau_per_seed"].items())
            + f"; seed agreement {_fmt(base['seed_agreement_tau'])}"
        )
    lines.append(
        "resid sd: the truth's sd about a monotone fit on the score; noise sd: Gaussian noise "
        "on the truth that ranks as the score does (accuracy points); log-log slope: the "
        "search's metric against the truth, both logged (below 1: the proxy compresses the "
        "truth's differences, and the reward's cost term weighs 1 / slope times as much in a "
        "search as in the true reward)"
    )
    return "\n".join(lines)


def _gain_cell(gain: dict[str, Any] | None) -> str:
    if gain is None or gain.get("value") is None:
        return "-"
    return (
        f"{gain['value']:+.3f} [{gain['low']:+.2f}, {gain['high']:+.2f}] "
        f"(better in {gain['share_better']:.0%})"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
