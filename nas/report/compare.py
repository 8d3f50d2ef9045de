"""The sampler benchmark's figure: the median true reward of each sampler's incumbent by trial,
one panel per noise level, at the benchmark's largest budget."""

from __future__ import annotations

from pathlib import Path

from nas.compare import CompareResult, noise_label
from nas.report.canvas import new_figure, save


def anytime_figure(result: CompareResult, path: Path) -> list[str]:
    """Draw ``anytime.png`` to ``path``; the labels of its legend. PlotsUnavailable without
    matplotlib."""
    curves = result.curves
    panels = list(curves)
    figure, axes = new_figure(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    repeats = result.config.repeats
    for axis, noise in zip(axes[0], panels, strict=True):
        for index, (sampler, curve) in enumerate(curves[noise].items()):
            trials = range(1, len(curve) + 1)
            style = "--" if sampler == "random" else "-"
            axis.plot(trials, curve, style, color=f"C{index}", label=sampler, linewidth=1.4)
        described = "one table run per study" if noise == noise_label(None) else f"sd {noise}"
        axis.set_title(f"noise: {described}", fontsize=9)
        axis.set_xlabel("trials")
        axis.set_ylabel(f"true reward of the incumbent (median of {repeats})")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="lower right")
    return save(figure, Path(path))
