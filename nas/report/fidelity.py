"""The fidelity check's figure: the proxy's mean accuracy against the yardstick's, one point per
network, each seed's range as error bars, the reference marked, tau and rho in the title.

The points are computed first (``fidelity_info``), then drawn (``fidelity_figure``), so what the
figure shows can be tested without reading pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nas.fidelity import FidelityResult, TruthCheckResult
from nas.fidelity.analysis import mean_column, seed_columns
from nas.fidelity.runs import PROXY, YARDSTICK
from nas.report.canvas import new_figure, save


@dataclass(frozen=True)
class FidelityInfo:
    """What the figure shows, in percent."""

    names: tuple[str, ...]
    proxy: np.ndarray  # mean over the proxy's seeds
    yardstick: np.ndarray
    proxy_range: np.ndarray  # (2, N): below and above the mean, lowest and highest seed
    yardstick_range: np.ndarray
    reference: int  # the reference's index
    title: str


def _range(table, budget: str) -> np.ndarray:
    values = table[seed_columns(table, budget)].to_numpy(float) * 100
    mean = table[mean_column(budget)].to_numpy(float) * 100
    return np.vstack([mean - values.min(axis=1), values.max(axis=1) - mean])


def fidelity_info(result: FidelityResult) -> FidelityInfo:
    table, figures = result.table, result.figures
    tau, rho = figures.kendall, figures.spearman
    share = f"{tau.confidence:.0%}"
    title = (
        f"{result.config.proxy.dataset}, {figures.networks} networks: Kendall tau "
        f"{tau.value:.2f} [{tau.low:.2f}, {tau.high:.2f}], Spearman rho {rho.value:.2f} "
        f"[{rho.low:.2f}, {rho.high:.2f}] ({share} intervals)"
    )
    return FidelityInfo(
        names=tuple(table["name"]),
        proxy=table[mean_column(PROXY)].to_numpy(float) * 100,
        yardstick=table[mean_column(YARDSTICK)].to_numpy(float) * 100,
        proxy_range=_range(table, PROXY),
        yardstick_range=_range(table, YARDSTICK),
        reference=0,
        title=title,
    )


def fidelity_figure(result: FidelityResult, path: Path) -> list[str]:
    """Draw the figure to ``path`` (a PNG); the labels of its legend. PlotsUnavailable without
    matplotlib."""
    info = fidelity_info(result)
    figure, axis = new_figure(figsize=(7, 5.6))
    others = np.arange(len(info.names)) != info.reference
    config = result.config
    axis.errorbar(
        info.yardstick[others],
        info.proxy[others],
        xerr=info.yardstick_range[:, others],
        yerr=info.proxy_range[:, others],
        fmt="o",
        color="C0",
        ecolor="lightsteelblue",
        markersize=5,
        label=f"samples of the space ({config.proxy_seeds} proxy, {config.yardstick_seeds} "
        "yardstick seeds: mean and range)",
        zorder=3,
    )
    ref = info.reference
    axis.errorbar(
        info.yardstick[ref],
        info.proxy[ref],
        xerr=info.yardstick_range[:, ref : ref + 1],
        yerr=info.proxy_range[:, ref : ref + 1],
        fmt="*",
        color="C3",
        ecolor="lightcoral",
        markersize=13,
        label=f"{info.names[ref]} (the reference)",
        zorder=4,
    )
    for name, x, y in zip(info.names, info.yardstick, info.proxy, strict=True):
        axis.annotate(
            name.removeprefix("sample "),
            (x, y),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
            color="dimgrey",
        )
    axis.set_xlabel(
        f"yardstick accuracy, % ({result.yardstick.images_seen:,} images seen, "
        f"{result.yardstick.times(result.proxy):.3g}x the proxy)"
    )
    axis.set_ylabel(f"proxy accuracy, % ({result.proxy.images_seen:,} images seen)")
    axis.set_title(info.title, fontsize=9)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7.5, loc="best")
    return save(figure, Path(path))


def truth_figure(result: TruthCheckResult, path: Path) -> list[str]:
    """The check against the truth: the proxy's mean accuracy against the table's, one point per
    network, the top quartile of the truth marked. PlotsUnavailable without matplotlib."""
    table = result.table
    figures = result.figures["variants"]["base"]
    tau, rho = figures["kendall_tau"], figures["spearman_rho"]
    top_tau = figures["top_quartile_kendall_tau"] or {"value": float("nan")}
    figure, axis = new_figure(figsize=(7, 5.6))
    top = table["top_quartile"].astype(bool)
    for mask, label, color in (
        (~top, "lower three quartiles of the truth", "C0"),
        (top, "top quartile of the truth", "C3"),
    ):
        axis.scatter(
            table["truth"][mask] * 100,
            table["proxy_mean"][mask] * 100,
            s=22,
            color=color,
            label=label,
            zorder=3,
        )
    axis.set_xlabel("true accuracy, % (NAS-Bench-Macro: 50 epochs, mean of 3 runs)")
    axis.set_ylabel(f"proxy accuracy, % ({result.proxy.images_seen:,} images seen)")
    axis.set_title(
        f"{len(table)} networks: Kendall tau {tau['value']:.2f}, Spearman rho "
        f"{rho['value']:.2f}; top quartile tau {top_tau['value']:.2f}",
        fontsize=9,
    )
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7.5, loc="best")
    return save(figure, Path(path))
