"""The canvas every report figure is drawn on: a matplotlib Figure on an Agg canvas, saved as a PNG.

Neither pyplot nor a global backend is touched, so a caller's own plotting (a notebook's, say)
is left alone; matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nas.errors import MissingExtra

DPI = 160
INSTALL_HINT = "matplotlib is missing: pip install 'efficientnas[plots]'"


class PlotsUnavailable(MissingExtra):
    """matplotlib is not installed; the message says how to install it."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


def require_matplotlib() -> None:
    """PlotsUnavailable, with the install hint, when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotsUnavailable() from None


def new_figure(rows: int = 1, columns: int = 1, **options: Any) -> tuple[Any, Any]:
    """A Figure on its own Agg canvas, and its axes (``options`` go to ``Figure.subplots``,
    ``figsize`` to the Figure)."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=options.pop("figsize"))
    FigureCanvasAgg(figure)
    return figure, figure.subplots(rows, columns, **options)


def save(figure: Any, path: Path) -> list[str]:
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
    """The colour of the index-th study (or family line) in every figure."""
    return f"C{index % 10}"


def log_ticks(axis: Any, which: str = "x") -> None:
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


def legend_below(axis: Any) -> None:
    """The legend under the axes, where it hides no point, in two columns."""
    axis.legend(
        fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False
    )


def show_image(axis: Any, pixels: np.ndarray) -> None:
    """A uint8 (H, W, C) image, greyscale when C is 1."""
    if pixels.shape[-1] == 1:
        axis.imshow(pixels[..., 0], cmap="gray", vmin=0, vmax=255)
    else:
        axis.imshow(pixels)
