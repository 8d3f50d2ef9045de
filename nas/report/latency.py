"""The latency check's figure: predicted against measured milliseconds, one point a network."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nas.cost.latency_build import CheckFigures
from nas.report.canvas import new_figure, save


def latency_check_figure(
    frame: pd.DataFrame, figures: CheckFigures, title: str, path: Path
) -> list[str]:
    """A scatter of ``predicted_ms`` against ``measured_ms`` with the line of equality and a
    band of +-10%; the figures in the title. Returns the legend's labels."""
    figure, axis = new_figure(figsize=(5.2, 5.0))
    low = float(min(frame["predicted_ms"].min(), frame["measured_ms"].min())) * 0.9
    high = float(max(frame["predicted_ms"].max(), frame["measured_ms"].max())) * 1.1
    line = [low, high]
    axis.plot(line, line, color="black", linewidth=0.8, label="predicted = measured")
    axis.fill_between(
        line, [v * 0.9 for v in line], [v * 1.1 for v in line], color="0.9", label="+-10%"
    )
    axis.scatter(
        frame["measured_ms"],
        frame["layers_sum_ms"],
        s=10,
        color="tab:gray",
        alpha=0.6,
        label="sum of layers (unscaled)",
    )
    axis.scatter(
        frame["measured_ms"], frame["predicted_ms"], s=14, color="tab:blue", label="predicted"
    )
    axis.set_xlim(low, high)
    axis.set_ylim(low, high)
    axis.set_xlabel("measured latency (ms)")
    axis.set_ylabel("predicted latency (ms)")
    axis.set_title(
        f"{title}\n{figures.networks} networks: mean |error| {figures.mape:.1%}, "
        f"worst {figures.worst:.1%}, tau {figures.tau:.3f}",
        fontsize=9,
    )
    axis.legend(fontsize=8, loc="upper left")
    return save(figure, path)
