"""The report's figures: each computes its info (``frames``), draws it with matplotlib, saves a PNG.

Each figure function writes one file and returns the labels of its legend, so a caller (or a
test) can see which studies a figure shows without reading pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nas.report import frames
from nas.report.canvas import legend_below, log_ticks, new_figure, save, show_image

if TYPE_CHECKING:
    from nas.report.cam import CamColumn, SourceImage
    from nas.report.inputs import Scaling, Study


def _isolines(axis: Any, lines: frames.RewardLines) -> None:
    """Curves of equal reward in the axis's current limits, each labelled with its reward."""
    left, right = axis.get_xlim()
    bottom, top = axis.get_ylim()
    millions = np.geomspace(left, right, 200)
    label = f"{lines.owner}equal reward ({frames.describe_reward(lines.config)})"
    for number, level in enumerate(lines.levels):
        accuracy = frames.isoline(lines.config, level, millions)
        axis.plot(
            millions,
            accuracy,
            color="grey",
            linestyle=":",
            linewidth=1,
            zorder=1,
            label=label if number == 0 else None,
        )
        margin = 0.05 * (top - bottom)  # keep the label clear of the frame and the title
        inside = np.flatnonzero((accuracy >= bottom) & (accuracy <= top - margin))
        if inside.size:
            where = inside[-1]
            axis.annotate(
                f"R = {level:.3f}",
                (millions[where], accuracy[where]),
                fontsize=7,
                color="dimgrey",
                ha="right",
                va="bottom",
            )
    axis.set_xlim(left, right)
    axis.set_ylim(bottom, top)


def _trials_and_front(
    axis: Any, points: pd.DataFrame, front: pd.DataFrame, x: str, color: str, label: str
) -> None:
    """A study's complete trials (``x`` against ``percent``) and its Pareto front joined."""
    axis.scatter(points[x], points["percent"], s=22, color=color, alpha=0.7, zorder=3, label=label)
    axis.plot(
        front[x],
        front["percent"],
        color=color,
        linewidth=1.6,
        marker="o",
        markerfacecolor="none",
        markersize=7,
        zorder=4,
        label=f"{label}: Pareto front",
    )


def _winner(axis: Any, winner: tuple[int, float, float, float] | None, color: str) -> None:
    """An arrow to a study's winner (number, reward, x, percent) with its reward."""
    if winner is None:
        return
    number, reward, x, percent = winner
    axis.annotate(
        f"#{number}: reward {reward:.4f}",
        (x, percent),
        xytext=(12, 12),
        textcoords="offset points",
        fontsize=8,
        color=color,
        arrowprops={"arrowstyle": "->", "color": color, "linewidth": 0.8},
        zorder=6,
    )


def pareto_figure(studies: Sequence[Study], path: Path) -> list[str]:
    """Accuracy against FLOPs (log) for every complete trial, each study's Pareto front joined,
    reward isolines, references starred and each study's winner labelled."""
    info = frames.pareto_info(studies)
    figure, axis = new_figure(figsize=(8, 5.4))
    for study in info.studies:
        color = study.color
        _trials_and_front(axis, study.points, study.front, "millions", color, study.label)
        for name, rows in study.references:
            axis.scatter(
                rows["millions"],
                rows["percent"],
                marker="*",
                s=220,
                color=color,
                edgecolor="black",
                linewidth=0.8,
                zorder=5,
                label=f"{study.label}: reference {name}",
            )
        _winner(axis, study.winner, color)
    axis.set_xscale("log")
    axis.margins(x=0.08, y=0.12)
    axis.autoscale_view()
    log_ticks(axis)
    for lines in info.rewards:
        _isolines(axis, lines)
        target = lines.config.target_flops / 1e6
        left, right = axis.get_xlim()
        if left < target < right:
            axis.axvline(
                target,
                color="grey",
                linestyle="--",
                linewidth=0.8,
                zorder=1,
                label=f"{lines.owner}target T = {target:g}M",
            )
    axis.set_xlabel(f"FLOPs (millions of multiply-adds at {info.resolution}, log scale)")
    axis.set_ylabel("proxy validation top-1 accuracy (%)")
    axis.set_title("Accuracy against FLOPs: every complete trial and the Pareto front")
    axis.grid(True, which="major", alpha=0.3)
    legend_below(axis)
    return save(figure, path)


def history_figure(studies: Sequence[Study], path: Path) -> list[str]:
    """Each complete trial's reward by trial number, and the best so far as a step line."""
    from matplotlib.ticker import MaxNLocator

    figure, axis = new_figure(figsize=(8, 4.6))
    for line in frames.history_info(studies):
        axis.scatter(
            line.numbers, line.rewards, s=16, color=line.color, alpha=0.55, label=line.label
        )
        axis.step(
            line.numbers,
            line.best,
            where="post",
            color=line.color,
            linewidth=1.8,
            label=f"{line.label}: best so far",
        )
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("trial number")
    axis.set_ylabel("reward  ACC x (FLOPs / T)^w")
    axis.set_title("Best reward against trial number")
    axis.grid(True, alpha=0.3)
    legend_below(axis)
    return save(figure, path)


def importances_figure(table: pd.DataFrame, path: Path, method: str) -> list[str]:
    """Horizontal bars of each parameter's importance (``table``: study, parameter,
    importance), one colour per study; the most important parameters only."""
    bars = frames.importance_bars(table)
    wide, labels = bars.wide, list(bars.wide.columns)
    height = 0.8 / len(labels)
    figure, axis = new_figure(figsize=(8, 1.2 + 0.3 * len(wide) * max(1, len(labels) / 2)))
    positions = np.arange(len(wide))
    for index, label in enumerate(labels):
        offset = ((len(labels) - 1) / 2 - index) * height  # the first study on top
        axis.barh(
            positions + offset, wide[label], height=height, color=bars.colors[index], label=label
        )
    axis.set_yticks(positions, wide.index, fontsize=8)
    axis.set_xlabel("importance (normalised to sum to 1 per study)")
    shown = f"top {len(wide)} of {bars.total} parameters"
    axis.set_title(f"Parameter importances for the reward, {method}\n({shown})", fontsize=10)
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    return save(figure, path)


def _annotate_models(axis: Any, xs: Sequence[float], ys: Sequence[float], names: Sequence) -> None:
    for x, y, name in zip(xs, ys, names, strict=True):
        if pd.notna(x) and pd.notna(y):
            axis.annotate(str(name), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")


def family_figure(scalings: Sequence[Scaling], path: Path) -> list[str]:
    """The family as in the EfficientNet paper's Figure 1: accuracy against FLOPs and against
    parameters when it was trained; else its FLOPs and parameters against phi, saying so."""
    from matplotlib.ticker import MaxNLocator

    info = frames.family_info(scalings)
    figure, (left, right) = new_figure(1, 2, figsize=(11, 4.6))
    for line in info.lines:
        if info.trained:
            for axis, xs in ((left, line.flops), (right, line.params)):
                axis.plot(xs, line.percent, marker="o", color=line.color, label=line.label)
                _annotate_models(axis, xs, line.percent, line.models)
        else:
            for axis, ys in ((left, line.flops), (right, line.params)):
                axis.plot(line.phi, ys, marker="o", color=line.color, label=line.label)
                _annotate_models(axis, line.phi, ys, line.models)
    if info.trained:
        left.set(xlabel=f"FLOPs ({info.unit} of multiply-adds, log scale)", xscale="log")
        right.set(xlabel="parameters (millions, log scale)", xscale="log")
        for axis in (left, right):
            axis.set_ylabel("proxy validation top-1 accuracy (%)")
            log_ticks(axis, "x")
        left.set_title("Accuracy against FLOPs along the family")
        right.set_title("Accuracy against parameters along the family")
    else:
        if info.doubling is not None:
            phis, flops = info.doubling
            left.plot(
                phis,
                flops,
                linestyle="--",
                color="grey",
                marker="s",
                markersize=4,
                label="baseline FLOPs x 2^phi",
            )
        left.set(ylabel=f"FLOPs ({info.unit} of multiply-adds, log scale)", yscale="log")
        right.set(ylabel="parameters (millions, log scale)", yscale="log")
        for axis in (left, right):
            axis.set_xlabel("phi (compound coefficient)")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            log_ticks(axis, "y")
        left.set_title("FLOPs along the family")
        right.set_title("Parameters along the family")
        figure.suptitle(
            "The family was not trained, so there is no accuracy to plot "
            "(training the family adds it)",
            fontsize=10,
        )
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    return save(figure, path)


def ablation_figure(scalings: Sequence[Scaling], path: Path) -> list[str]:
    """Depth, width, resolution and compound scaling at the same FLOPs, as in the paper's
    Figure 5: accuracy against FLOPs, each a line from the baseline; FLOPs only if untrained."""
    info = frames.ablation_info(scalings)
    figure, axis = new_figure(figsize=(7.5, 4.8))
    count = len(info.groups)
    for index, group in enumerate(info.groups):
        if group.bars is not None:
            named, ratios, label, color = group.bars
            positions = np.arange(len(named)) + index * 0.8 / count
            axis.bar(positions, ratios, width=0.8 / count, color=color, label=label)
            axis.set_xticks(np.arange(len(named)), named)
            continue
        if group.base is not None:
            x, y, label = group.base
            axis.scatter(x, y, color="black", marker="o", zorder=4, label=label)
        for line in group.lines:
            axis.plot(
                line.xs,
                line.ys,
                marker=line.marker,
                color=line.color,
                linestyle=line.linestyle,
                label=line.label,
            )
    if info.trained:
        axis.set_xlabel(f"FLOPs ({info.unit} of multiply-adds)")
        axis.set_ylabel("proxy validation top-1 accuracy (%)")
        axis.set_title("Scaling one dimension against compound scaling, at the same FLOPs")
    else:
        axis.set_ylabel("FLOPs / baseline FLOPs")
        axis.set_title("Scaled to the same FLOPs; not trained, so no accuracy to plot", fontsize=10)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    return save(figure, path)


def cam_figure(sources: Sequence[SourceImage], columns: Sequence[CamColumn], path: Path) -> None:
    """One row per image: the image, then each model's CAM over it, titled with that model's
    predicted class and probability."""
    rows, width = len(sources), 1 + len(columns)
    figure, axes = new_figure(rows, width, figsize=(2.1 * width, 2.15 * rows + 0.5), squeeze=False)
    for row, source in enumerate(sources):
        show_image(axes[row][0], source.pixels)
        axes[row][0].set_title(
            ("image\n" if row == 0 else "") + source.caption, fontsize=7, loc="center"
        )
        for number, column in enumerate(columns, start=1):
            axis = axes[row][number]
            show_image(axis, column.inputs[row])
            axis.imshow(column.maps[row], cmap="jet", alpha=0.45, vmin=0.0, vmax=1.0)
            prediction = f"{column.classes[row]} ({column.probabilities[row]:.0%})"
            axis.set_title(
                (f"{column.title}\n" if row == 0 else "") + prediction, fontsize=7, loc="center"
            )
    for axis in axes.ravel():
        axis.set_axis_off()
    figure.suptitle(
        "Class activation maps for the predicted class (red: most activation)", fontsize=10
    )
    save(figure, path)


def latency_figure(studies: Sequence[Study], path: Path) -> list[str]:
    """Accuracy against predicted latency for every complete trial of the studies that
    predicted it, each study's Pareto front joined, its target T and, for a latency reward,
    curves of equal reward (ACC = R / (LAT / T) ** w)."""
    shown = frames.latency_info(studies)
    figure, axis = new_figure(figsize=(8, 5.4))
    for study in shown:
        _trials_and_front(axis, study.points, study.front, "ms", study.color, study.label)
        _winner(axis, study.winner, study.color)
    axis.margins(x=0.08, y=0.12)
    axis.autoscale_view()
    left, right = axis.get_xlim()
    bottom, top = axis.get_ylim()
    for study in shown:
        reward = study.reward
        if reward is None:
            continue
        ms = np.linspace(max(left, 1e-6), right, 200)
        values = (
            study.points["percent"]
            / 100
            * (study.points["ms"] / reward.target_ms)
            ** (np.where(study.points["ms"] <= reward.target_ms, reward.alpha, reward.beta))
        )
        levels = sorted({round(float(q), 4) for q in np.quantile(values, (0.5, 0.9))})
        for number, level in enumerate(levels):
            factor = np.array([reward(1.0, value) for value in ms])
            axis.plot(
                ms,
                100 * level / factor,
                color="grey",
                linestyle=":",
                linewidth=1,
                zorder=1,
                label=f"{study.label}: equal reward" if number == 0 else None,
            )
        if left < reward.target_ms < right:
            axis.axvline(
                reward.target_ms,
                color="grey",
                linestyle="--",
                linewidth=0.8,
                zorder=1,
                label=f"{study.label}: target T = {reward.target_ms:g} ms",
            )
    axis.set_xlim(left, right)
    axis.set_ylim(bottom, top)
    axis.set_xlabel("predicted latency (ms, from the study's latency table)")
    axis.set_ylabel("proxy validation top-1 accuracy (%)")
    axis.set_title("Accuracy against latency: every complete trial and the Pareto front")
    axis.grid(True, which="major", alpha=0.3)
    legend_below(axis)
    return save(figure, path)
