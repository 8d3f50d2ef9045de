"""Step 1 of compound scaling, the grid search: the best (alpha, beta, gamma) at phi = 1.

The baseline scaled by every grid point with alpha * beta^2 * gamma^2 ~= 2 trains on the proxy
at the proxy resolution times gamma; the best mean validation accuracy wins (ties: fewer FLOPs).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from nas import cost
from nas.errors import InputError
from nas.scale.config import ScaleConfig
from nas.scale.stages import run_stage, stage_frame
from nas.scale.trainer import ProxyTrainer
from nas.study.keys import LABEL
from nas.study.progress import ProgressFactory, Silent
from search_spaces import encode
from search_spaces.rules import flops_factor, scale

log = logging.getLogger(__name__)

Coefficients = tuple[float, float, float]


def point_label(alpha: float, beta: float, gamma: float, repeat: int) -> str:
    """A grid point's trial label: ``alpha,beta,gamma#repeat``."""
    return f"{alpha:g},{beta:g},{gamma:g}#{repeat}"


def describe_grid(config: ScaleConfig) -> str:
    """The grid's points, one per line under a summary line."""
    points = config.grid()
    lines = [
        f"grid: {len(points)} points (step {config.grid_step:g}, |alpha*beta^2*gamma^2 - 2| "
        f"<= {config.tolerance:g}) x {config.repeats} seed(s) = "
        f"{len(points) * config.repeats} trainings"
    ]
    lines += [
        f"  alpha {alpha:<5g} beta {beta:<5g} gamma {gamma:<5g} "
        f"product {flops_factor(alpha, beta, gamma):.3f}"
        for alpha, beta, gamma in points
    ]
    return "\n".join(lines)


def grid_search(
    config: ScaleConfig, trainer: ProxyTrainer, progress: ProgressFactory = Silent
) -> tuple[pd.DataFrame, Coefficients]:
    """Train the baseline scaled by every grid point at phi = 1; the table (best first) and the
    winning coefficients. A grid that finished no point raises ValueError."""
    arch = config.arch
    labels = [point_label(*point, k) for point in config.grid() for k in range(config.repeats)]
    log.info(describe_grid(config))

    def evaluate(label: str, number: int) -> dict[str, Any]:
        point, repeat = label.split("#")
        alpha, beta, gamma = (float(x) for x in point.split(","))
        scaled = scale(arch, alpha, beta, gamma)
        values = trainer.accuracy(scaled, gamma, config.proxy.seed * 1000 + int(repeat))
        return values | {"flops": cost.flops(scaled), "params": cost.params(scaled)}

    plan = {label: f"{encode(arch)} scaled by {label.split('#')[0]}" for label in labels}
    frame = stage_frame(run_stage(config, "grid", plan, evaluate, progress))
    if frame.empty or "accuracy" not in frame:
        raise InputError("the grid search finished no point: see the failures above")
    frame[["alpha", "beta", "gamma"]] = (
        frame[LABEL].str.split("#").str[0].str.split(",", expand=True).astype(float)
    )
    frame["product"] = [
        flops_factor(a, b, g)
        for a, b, g in zip(frame["alpha"], frame["beta"], frame["gamma"], strict=True)
    ]
    table = (
        frame.dropna(subset=["accuracy"])
        .groupby(["alpha", "beta", "gamma"], as_index=False)
        .agg(
            product=("product", "first"),
            accuracy=("accuracy", "mean"),
            accuracy_std=("accuracy", "std"),
            seeds=("accuracy", "size"),
            flops=("flops", "first"),
            params=("params", "first"),
            proxy_resolution=("proxy_resolution", "first"),
        )
        .sort_values(["accuracy", "flops"], ascending=[False, True])
    )
    best = table.iloc[0]
    return table, (float(best["alpha"]), float(best["beta"]), float(best["gamma"]))
