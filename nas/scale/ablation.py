"""The ablation: the baseline scaled by depth only, width only, resolution only and compound,
each to the same FLOPs target, and each trained on the same proxy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from nas import cost
from nas.scale.config import ScaleConfig
from nas.scale.stages import run_stage, stage_frame
from nas.scale.trainer import ProxyTrainer
from nas.study.keys import LABEL
from nas.study.progress import ProgressFactory, Silent
from search_spaces import ArchSpec, encode
from search_spaces.rules import compound, scale

DIMENSIONS = ("depth", "width", "resolution")

Coefficients = tuple[float, float, float]


def solve_factor(
    target: float,
    make: Callable[[float], ArchSpec],
    start: float = 1.0,
    step: float = 0.01,
    limit: float = 20.0,
) -> tuple[float, ArchSpec]:
    """The factor (on a ``step`` grid from ``start``) whose scaled network's FLOPs are nearest
    ``target``, by the closed-form cost: FLOPs grow in steps, so scan rather than bisect."""
    best: tuple[float, float, ArchSpec] | None = None
    factor = start
    while factor <= limit:
        arch = make(factor)
        flops = cost.flops(arch)
        gap = abs(flops - target)
        if best is None or gap < best[0]:
            best = (gap, factor, arch)
        if flops > target and best[0] < gap:
            break
        factor = round(factor + step, 6)
    assert best is not None
    return best[1], best[2]


def ablation_rows(config: ScaleConfig, coefficients: Coefficients) -> list[dict[str, Any]]:
    """Baseline, depth-only, width-only, resolution-only and compound, each near the target
    of ``ablation_factor`` times the baseline's FLOPs; each row holds its ArchSpec."""
    base = config.arch
    base_flops = cost.flops(base)
    target = config.ablation_factor * base_flops
    alpha, beta, gamma = coefficients
    makers: dict[str, Callable[[float], ArchSpec]] = {
        "depth": lambda d: scale(base, depth=d),
        "width": lambda w: scale(base, width=w),
        "resolution": lambda r: scale(base, resolution=r),
        "compound": lambda phi: scale(base, *compound(phi, alpha, beta, gamma)),
    }
    rows: list[dict[str, Any]] = [
        {
            "scaling": "baseline",
            "factor": 1.0,
            "depth": 1.0,
            "width": 1.0,
            "resolution_factor": 1.0,
            "arch": base,
        }
    ]
    for name, make in makers.items():
        factor, arch = solve_factor(target, make, start=0.0 if name == "compound" else 1.0)
        if name == "compound":  # the factor is phi
            d, w, r = compound(factor, alpha, beta, gamma)
        else:
            d, w, r = (factor if name == dim else 1.0 for dim in DIMENSIONS)
        rows.append(
            {
                "scaling": name,
                "factor": factor,
                "depth": d,
                "width": w,
                "resolution_factor": arch.resolution / base.resolution,
                "arch": arch,
            }
        )
    for row in rows:
        row["resolution"] = row["arch"].resolution
        row["params"] = cost.params(row["arch"])
        row["flops"] = cost.flops(row["arch"])
        row["flops_ratio"] = row["flops"] / base_flops
    return rows


def run_ablation(
    config: ScaleConfig,
    coefficients: Coefficients,
    trainer: ProxyTrainer,
    progress: ProgressFactory = Silent,
) -> pd.DataFrame:
    """The ablation's table (ablation.csv): every row of ``ablation_rows`` with its accuracy
    on the proxy and its architecture string."""
    rows = ablation_rows(config, coefficients)
    by_label = {row["scaling"]: row for row in rows}

    def evaluate(label: str, number: int) -> dict[str, Any]:
        row = by_label[label]
        return trainer.accuracy(row["arch"], row["resolution_factor"], config.proxy.seed)

    plan = {
        label: f"{encode(row['arch'])}@{row['resolution_factor']:g}"
        for label, row in by_label.items()
    }
    trained = stage_frame(run_stage(config, "ablation", plan, evaluate, progress))
    accuracy = (
        dict(zip(trained[LABEL], trained["accuracy"], strict=True)) if "accuracy" in trained else {}
    )
    return pd.DataFrame(
        [
            {k: v for k, v in row.items() if k != "arch"}
            | {"accuracy": accuracy.get(row["scaling"]), "arch": encode(row["arch"])}
            for row in rows
        ]
    )
