"""The report's figures, drawn with matplotlib (imported lazily, Agg) and saved as PNGs.

Each figure function writes one file and returns the labels of its legend, so a caller (or a
test) can see which studies a figure shows without reading pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from nas.reward import RewardConfig

if TYPE_CHECKING:
    from nas.cam import CamColumn, SourceImage
    from nas.report import Scaling, Study

DPI = 160
INSTALL_HINT = "matplotlib is missing: pip install 'efficientnas[plots]'"
MAX_IMPORTANCE_BARS = 20
ABLATION_ORDER = ("depth", "width", "resolution", "compound")


def require_matplotlib() -> None:
    """ValueError with the install hint when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError(INSTALL_HINT) from None


def new_figure(rows: int = 1, columns: int = 1, **options: Any) -> tuple[Any, Any]:
    """A matplotlib Figure and its axes, drawn with Agg when saved. Neither pyplot nor a global
    backend is touched, so a caller's own plotting (a notebook's, say) is left alone."""
    require_matplotlib()
    from matplotlib.figure import Figure

    figsize = options.pop("figsize")
    figure = Figure(figsize=figsize)
    return figure, figure.subplots(rows, columns, **options)


def _save(figure: Any, path: Path) -> list[str]:
    """Lay out and save ``figure`` as a PNG at DPI; the labels of all its legends."""
    labels = [
        text.get_text()
        for axis in figure.axes
        if axis.get_legend() is not None
        for text in axis.get_legend().get_texts()
    ]
    figure.tight_layout()
    figure.savefig(path, dpi=DPI, format="png")
    return labels


def study_color(index: int) -> str:
    return f"C{index % 10}"


def pareto_mask(flops: Sequence[float], accuracy: Sequence[float]) -> np.ndarray:
    """True for the points no other point beats: as accurate or more with fewer or equal FLOPs
    (and strictly better in one of them)."""
    flops = np.asarray(flops, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    order = np.lexsort((-accuracy, flops))  # by FLOPs, the more accurate first on ties
    mask = np.zeros(len(flops), dtype=bool)
    best = -np.inf
    for index in order:
        if accuracy[index] > best:
            mask[index] = True
            best = accuracy[index]
    return mask


def describe_reward(config: RewardConfig) -> str:
    exponent = (
        f"w = {config.alpha:g}"
        if config.alpha == config.beta
        else f"alpha = {config.alpha:g}, beta = {config.beta:g}"
    )
    return f"T = {config.target_flops / 1e6:g}M, {exponent}"


def _log_ticks(axis: Any, which: str = "x") -> None:
    """Plain numbers on a log axis, more of them the fewer decades it spans (a narrow range
    would otherwise show one label or none)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    low, high = axis.get_xlim() if which == "x" else axis.get_ylim()
    decades = np.log10(high / low) if low > 0 and high > low else 3.0
    subs = tuple(range(1, 10)) if decades < 0.8 else (1, 2, 3, 5) if decades < 2.5 else (1,)
    target = axis.xaxis if which == "x" else axis.yaxis
    target.set_major_locator(LogLocator(base=10, subs=subs))
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())


def _isolines(axis: Any, config: RewardConfig, levels: Sequence[float], label: str) -> None:
    """Curves of equal reward, ACC = R / (FLOPs/T)^w, in the axis's current limits."""
    left, right = axis.get_xlim()
    bottom, top = axis.get_ylim()
    millions = np.geomspace(left, right, 200)
    factor = np.array([config(1.0, m * 1e6) for m in millions])
    for number, level in enumerate(levels):
        accuracy = 100 * level / factor
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


def pareto_figure(studies: Sequence[Study], path: Path) -> list[str]:
    """Accuracy against FLOPs (log) for every complete trial, each study's Pareto front joined,
    reward isolines, references starred and each study's winner labelled."""
    figure, axis = new_figure(figsize=(8, 5.4))
    for index, study in enumerate(studies):
        done = study.complete
        if done.empty:
            continue
        color = study_color(index)
        millions = done["flops"] / 1e6
        percent = 100 * done["accuracy"]
        axis.scatter(millions, percent, s=22, color=color, alpha=0.7, zorder=3, label=study.label)
        front = done[pareto_mask(done["flops"], done["accuracy"])].sort_values("flops")
        axis.plot(
            front["flops"] / 1e6,
            100 * front["accuracy"],
            color=color,
            linewidth=1.6,
            marker="o",
            markerfacecolor="none",
            markersize=7,
            zorder=4,
            label=f"{study.label}: Pareto front",
        )
        for name, rows in done[done["reference"] != ""].groupby("reference"):
            axis.scatter(
                rows["flops"] / 1e6,
                100 * rows["accuracy"],
                marker="*",
                s=220,
                color=color,
                edgecolor="black",
                linewidth=0.8,
                zorder=5,
                label=f"{study.label}: reference {name}",
            )
        winner = study.winner
        if winner is not None:
            axis.annotate(
                f"#{int(winner['number'])}: reward {winner['reward']:.4f}",
                (winner["flops"] / 1e6, 100 * winner["accuracy"]),
                xytext=(12, 12),
                textcoords="offset points",
                fontsize=8,
                color=color,
                arrowprops={"arrowstyle": "->", "color": color, "linewidth": 0.8},
                zorder=6,
            )
    axis.set_xscale("log")
    axis.margins(x=0.08, y=0.12)
    axis.autoscale_view()
    _log_ticks(axis)
    configs: dict[RewardConfig, list[Study]] = {}
    for study in studies:
        configs.setdefault(study.reward, []).append(study)
    for config, members in configs.items():
        rewards = pd.concat([s.complete["reward"] for s in members]).dropna()
        if rewards.empty:
            continue
        levels = sorted({round(float(q), 4) for q in np.quantile(rewards, [0.1, 0.5, 1.0])})
        owner = "" if len(configs) == 1 else f"{members[0].label}: "
        _isolines(axis, config, levels, f"{owner}equal reward ({describe_reward(config)})")
        left, right = axis.get_xlim()
        if left < config.target_flops / 1e6 < right:
            axis.axvline(
                config.target_flops / 1e6,
                color="grey",
                linestyle="--",
                linewidth=0.8,
                zorder=1,
                label=f"{owner}target T = {config.target_flops / 1e6:g}M",
            )
    resolutions = {study.resolution for study in studies}
    at = f"{resolutions.pop()} px" if len(resolutions) == 1 else "the deployment resolution"
    axis.set_xlabel(f"FLOPs (millions of multiply-adds at {at}, log scale)")
    axis.set_ylabel("proxy validation top-1 accuracy (%)")
    axis.set_title("Accuracy against FLOPs: every complete trial and the Pareto front")
    axis.grid(True, which="major", alpha=0.3)
    _legend_below(axis)
    return _save(figure, path)


def history_figure(studies: Sequence[Study], path: Path) -> list[str]:
    """Each complete trial's reward by trial number, and the best so far as a step line."""
    from matplotlib.ticker import MaxNLocator

    figure, axis = new_figure(figsize=(8, 4.6))
    for index, study in enumerate(studies):
        done = study.complete.sort_values("number")
        if done.empty:
            continue
        color = study_color(index)
        axis.scatter(
            done["number"], done["reward"], s=16, color=color, alpha=0.55, label=study.label
        )
        axis.step(
            done["number"],
            done["reward"].cummax(),
            where="post",
            color=color,
            linewidth=1.8,
            label=f"{study.label}: best so far",
        )
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("trial number")
    axis.set_ylabel("reward  ACC x (FLOPs / T)^w")
    axis.set_title("Best reward against trial number")
    axis.grid(True, alpha=0.3)
    _legend_below(axis)
    return _save(figure, path)


def _legend_below(axis: Any) -> None:
    """The legend under the axes, where it hides no point, in two columns."""
    axis.legend(
        fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False
    )


def importances_figure(table: pd.DataFrame, path: Path, method: str) -> list[str]:
    """Horizontal bars of each parameter's importance (``table``: study, parameter,
    importance), one colour per study; the most important parameters only."""
    labels = list(dict.fromkeys(table["study"]))
    wide = table.pivot_table(index="parameter", columns="study", values="importance").fillna(0.0)
    wide = wide[labels]
    order = wide.mean(axis=1).sort_values(ascending=False).index[:MAX_IMPORTANCE_BARS]
    wide = wide.loc[order[::-1]]  # the largest at the top
    height = 0.8 / len(labels)
    figure, axis = new_figure(figsize=(8, 1.2 + 0.3 * len(wide) * max(1, len(labels) / 2)))
    positions = np.arange(len(wide))
    for index, label in enumerate(labels):
        offset = ((len(labels) - 1) / 2 - index) * height  # the first study on top
        axis.barh(
            positions + offset, wide[label], height=height, color=study_color(index), label=label
        )
    axis.set_yticks(positions, wide.index, fontsize=8)
    axis.set_xlabel("importance (normalised to sum to 1 per study)")
    shown = f"top {len(wide)} of {table['parameter'].nunique()} parameters"
    axis.set_title(f"Parameter importances for the reward, {method}\n({shown})", fontsize=10)
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    return _save(figure, path)


def _flops_unit(values: Sequence[float]) -> tuple[float, str]:
    return (1e9, "billions") if max(values, default=0) >= 1e9 else (1e6, "millions")


def _family_lines(scalings: Sequence[Scaling]) -> list[tuple[str, str, pd.DataFrame]]:
    """(label, colour, rows by phi) per family line; the baseline (phi 0) first where known."""
    lines = []
    for index, scaling in enumerate(scalings):
        for number, (source, rows) in enumerate(scaling.family.groupby("source", sort=False)):
            rows = rows.sort_values("phi")
            if scaling.baseline is not None:
                rows = pd.concat([scaling.baseline.to_frame().T, rows], ignore_index=True)
            label = f"{source} family" if len(scalings) == 1 else f"{scaling.label}: {source}"
            lines.append((label, study_color(index * 2 + number), rows))
    return lines


def _annotate_models(axis: Any, xs: Sequence[float], ys: Sequence[float], names: Sequence) -> None:
    for x, y, name in zip(xs, ys, names, strict=True):
        if pd.notna(x) and pd.notna(y):
            axis.annotate(str(name), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")


def family_figure(scalings: Sequence[Scaling], path: Path) -> list[str]:
    """The family as in the EfficientNet paper's Figure 1: accuracy against FLOPs and against
    parameters when it was trained; else its FLOPs and parameters against phi, saying so."""
    from matplotlib.ticker import MaxNLocator

    scalings = [s for s in scalings if s.family is not None]
    lines = _family_lines(scalings)
    trained = any(s.trained for s in scalings)
    every_flops = [float(f) for _, _, rows in lines for f in rows["flops"]]
    divisor, unit = _flops_unit(every_flops)
    figure, (left, right) = new_figure(1, 2, figsize=(11, 4.6))
    for label, color, rows in lines:
        flops = rows["flops"].astype(float) / divisor
        params = rows["params"].astype(float) / 1e6
        if trained:
            accuracy = 100 * pd.to_numeric(rows.get("accuracy"), errors="coerce")
            for axis, xs in ((left, flops), (right, params)):
                axis.plot(xs, accuracy, marker="o", color=color, label=label)
                _annotate_models(axis, xs, accuracy, rows["model"])
        else:
            phis = rows["phi"].astype(float)
            for axis, ys in ((left, flops), (right, params)):
                axis.plot(phis, ys, marker="o", color=color, label=label)
                _annotate_models(axis, phis, ys, rows["model"])
    if trained:
        left.set(xlabel=f"FLOPs ({unit} of multiply-adds, log scale)", xscale="log")
        right.set(xlabel="parameters (millions, log scale)", xscale="log")
        for axis in (left, right):
            axis.set_ylabel("proxy validation top-1 accuracy (%)")
            _log_ticks(axis, "x")
        left.set_title("Accuracy against FLOPs along the family")
        right.set_title("Accuracy against parameters along the family")
    else:
        _doubling_line(left, scalings, divisor)
        left.set(ylabel=f"FLOPs ({unit} of multiply-adds, log scale)", yscale="log")
        right.set(ylabel="parameters (millions, log scale)", yscale="log")
        for axis in (left, right):
            axis.set_xlabel("phi (compound coefficient)")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            _log_ticks(axis, "y")
        left.set_title("FLOPs along the family")
        right.set_title("Parameters along the family")
        figure.suptitle(
            "The family was not trained, so there is no accuracy to plot "
            "(python -m nas.scale --train adds it)",
            fontsize=10,
        )
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    return _save(figure, path)


def _doubling_line(axis: Any, scalings: Sequence[Scaling], divisor: float) -> None:
    """The baseline's FLOPs times 2^phi, the target compound scaling aims at."""
    family = scalings[0].family
    if family is None or "flops_ratio" not in family or family.empty:
        return
    base = float((family["flops"] / family["flops_ratio"]).median())
    phis = np.arange(0, int(family["phi"].max()) + 1)
    axis.plot(
        phis,
        base * 2.0**phis / divisor,
        linestyle="--",
        color="grey",
        marker="s",
        markersize=4,
        label="baseline FLOPs x 2^phi",
    )


def ablation_figure(scalings: Sequence[Scaling], path: Path) -> list[str]:
    """Depth, width, resolution and compound scaling at the same FLOPs, as in the paper's
    Figure 5: accuracy against FLOPs, each a line from the baseline; FLOPs only if untrained."""
    figure, axis = new_figure(figsize=(7.5, 4.8))
    tables = [(s, s.ablation) for s in scalings if s.ablation is not None]
    trained = any(t["accuracy"].notna().any() for _, t in tables if "accuracy" in t)
    divisor, unit = _flops_unit([float(f) for _, t in tables for f in t["flops"]])
    markers = dict(zip(ABLATION_ORDER, "s^Dv", strict=True))
    for index, (scaling, table) in enumerate(tables):
        prefix = "" if len(tables) == 1 else f"{scaling.label}: "
        rows = table.set_index("scaling")
        base = rows.loc["baseline"] if "baseline" in rows.index else None
        if not trained:
            named = [name for name in ABLATION_ORDER if name in rows.index]
            positions = np.arange(len(named)) + index * 0.8 / len(tables)
            axis.bar(
                positions,
                rows.loc[named, "flops_ratio"],
                width=0.8 / len(tables),
                color=study_color(index),
                label=f"{prefix}FLOPs / baseline FLOPs",
            )
            axis.set_xticks(np.arange(len(named)), named)
            continue
        if base is not None:
            axis.scatter(
                base["flops"] / divisor,
                100 * base["accuracy"],
                color="black",
                marker="o",
                zorder=4,
                label=f"{prefix}baseline" if index == 0 or prefix else None,
            )
        for number, name in enumerate(ABLATION_ORDER):
            if name not in rows.index:
                continue
            row = rows.loc[name]
            factor = f"phi {row['factor']:g}" if name == "compound" else f"x{row['factor']:g}"
            points = [row] if base is None else [base, row]
            axis.plot(
                [p["flops"] / divisor for p in points],
                [100 * p["accuracy"] for p in points],
                marker=markers[name],
                color=f"C{number}",
                linestyle="-" if index == 0 else "--",
                label=f"{prefix}{name} scaling ({factor})",
            )
    if trained:
        axis.set_xlabel(f"FLOPs ({unit} of multiply-adds)")
        axis.set_ylabel("proxy validation top-1 accuracy (%)")
        axis.set_title("Scaling one dimension against compound scaling, at the same FLOPs")
    else:
        axis.set_ylabel("FLOPs / baseline FLOPs")
        axis.set_title("Scaled to the same FLOPs; not trained, so no accuracy to plot", fontsize=10)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    return _save(figure, path)


def cam_figure(sources: Sequence[SourceImage], columns: Sequence[CamColumn], path: Path) -> None:
    """One row per image: the image, then each model's CAM over it, titled with that model's
    predicted class and probability."""
    rows, width = len(sources), 1 + len(columns)
    figure, axes = new_figure(rows, width, figsize=(2.1 * width, 2.15 * rows + 0.5), squeeze=False)
    for row, source in enumerate(sources):
        _show_image(axes[row][0], source.pixels)
        axes[row][0].set_title(
            ("image\n" if row == 0 else "") + source.caption, fontsize=7, loc="center"
        )
        for number, column in enumerate(columns, start=1):
            axis = axes[row][number]
            _show_image(axis, column.inputs[row])
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
    _save(figure, path)


def _show_image(axis: Any, pixels: np.ndarray) -> None:
    """A uint8 (H, W, C) image, greyscale when C is 1."""
    if pixels.shape[-1] == 1:
        axis.imshow(pixels[..., 0], cmap="gray", vmin=0, vmax=255)
    else:
        axis.imshow(pixels)
