"""The fidelity check's table and figures: from the runs' accuracies to tau, rho and the rest.

The proxy's accuracy of a network is the mean over its proxy seeds, the yardstick's the mean over
its yardstick seeds. Tau and rho compare the two rankings, with bootstrap intervals over the
networks; the proxy's own seeds show how much one search's ranking can be trusted; the
yardstick's own seeds give the noise ceiling, the agreement a perfect proxy could expect; and
the ranking by reward, what the search sorts by, stands beside the floor that the FLOPs term
alone reaches, every accuracy equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nas.fidelity.networks import Network
from nas.fidelity.runs import BUDGETS, PROXY, YARDSTICK
from nas.fidelity.stats import (
    Interval,
    bootstrap,
    fraction,
    kendall,
    mean_cv,
    plain,
    seed_agreement,
)
from nas.reward import RewardConfig

Accuracies = Mapping[tuple[int, str, int], float]  # (network, budget, repeat) -> accuracy


def seed_column(budget: str, repeat: int) -> str:
    return f"{budget}_acc_{repeat}"


def mean_column(budget: str) -> str:
    return f"{budget}_acc"


def seconds_column(budget: str) -> str:
    return f"{budget}_seconds"


def build_table(
    networks: Sequence[Network],
    accuracy: Accuracies,
    seconds: Mapping[tuple[int, str, int], float],
    seeds: Mapping[str, int],
) -> pd.DataFrame:
    """One row per network: name, arch, flops, params, each proxy seed's accuracy and their mean,
    each yardstick seed's and their mean, and each budget's mean seconds per run; a run that did
    not finish is NaN (and so is its mean)."""
    rows = []
    for i, network in enumerate(networks):
        row: dict[str, Any] = {
            "name": network.name,
            "arch": network.string,
            "flops": network.flops,
            "params": network.params,
        }
        for budget in BUDGETS:
            values = [accuracy.get((i, budget, r), np.nan) for r in range(seeds[budget])]
            row.update({seed_column(budget, r): v for r, v in enumerate(values)})
            row[mean_column(budget)] = float(np.mean(values))
        for budget in BUDGETS:
            times = [
                seconds[i, budget, r] for r in range(seeds[budget]) if (i, budget, r) in seconds
            ]
            row[seconds_column(budget)] = float(np.mean(times)) if times else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def seed_columns(table: pd.DataFrame, budget: str) -> list[str]:
    prefix = f"{budget}_acc_"
    return [c for c in table.columns if c.startswith(prefix) and c[len(prefix) :].isdigit()]


@dataclass(frozen=True)
class Figures:
    """Every figure of one fidelity check."""

    networks: int
    kendall: Interval  # the proxy's mean against the yardstick's mean
    spearman: Interval
    seed_taus: tuple[float, ...]  # each proxy seed against the yardstick's mean
    proxy_agreement: float | None  # mean tau over pairs of proxy seeds
    proxy_cv: float | None  # mean over networks of the CV of accuracy across proxy seeds
    yardstick_agreement: float | None  # the noise ceiling: mean tau over yardstick seed pairs
    yardstick_cv: float | None
    ceiling_fraction: float | None  # kendall.value / yardstick_agreement
    reward_tau: float  # by reward: the proxy's mean x price against the yardstick's
    flops_alone_tau: float  # the price alone against the yardstick's reward ranking
    target_flops: float
    w: float
    resamples: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "networks": self.networks,
            "kendall_tau": self.kendall.as_dict(),
            "spearman_rho": self.spearman.as_dict(),
            "bootstrap_resamples": self.resamples,
            "tau_per_proxy_seed": [plain(tau) for tau in self.seed_taus],
            "proxy_seed_agreement_tau": plain(self.proxy_agreement),
            "proxy_cv": plain(self.proxy_cv),
            "yardstick_seed_agreement_tau": plain(self.yardstick_agreement),
            "yardstick_cv": plain(self.yardstick_cv),
            "tau_fraction_of_ceiling": plain(self.ceiling_fraction),
            "by_reward": {
                "target_flops": self.target_flops,
                "w": self.w,
                "kendall_tau": plain(self.reward_tau),
                "flops_term_alone_tau": plain(self.flops_alone_tau),
            },
        }


def measure(
    table: pd.DataFrame, reward: RewardConfig, resamples: int, confidence: float, seed: int
) -> Figures:
    """The figures of a complete table (no NaN accuracies)."""
    proxy = table[mean_column(PROXY)].to_numpy(float)
    yard = table[mean_column(YARDSTICK)].to_numpy(float)
    proxy_seeds = [table[c].to_numpy(float) for c in seed_columns(table, PROXY)]
    yard_seeds = [table[c].to_numpy(float) for c in seed_columns(table, YARDSTICK)]
    # The search ranks by the reward: the accuracy times the exact FLOPs term.
    price = np.array([reward(1.0, flops) for flops in table["flops"]])
    tau = bootstrap(proxy, yard, "kendall", resamples, confidence, seed)
    ceiling = seed_agreement(yard_seeds)
    return Figures(
        networks=len(table),
        kendall=tau,
        spearman=bootstrap(proxy, yard, "spearman", resamples, confidence, seed),
        seed_taus=tuple(kendall(s, yard) for s in proxy_seeds),
        proxy_agreement=seed_agreement(proxy_seeds),
        proxy_cv=mean_cv(proxy_seeds),
        yardstick_agreement=ceiling,
        yardstick_cv=mean_cv(yard_seeds),
        ceiling_fraction=fraction(tau.value, ceiling),
        reward_tau=kendall(proxy * price, yard * price),
        flops_alone_tau=kendall(price, yard * price),
        target_flops=reward.target_flops,
        w=reward.alpha,
        resamples=resamples,
    )
