"""The learning curve of ``python -m nas.train``: accuracy and image size per epoch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nas.report import canvas


def learning_curve_figure(curve_csv: str | Path, path: str | Path) -> Path:
    """Draw ``curve.csv`` (train and validation accuracy per epoch, with the stage's image
    size on a second axis) into the PNG ``path``."""
    frame = pd.read_csv(curve_csv)
    figure, axis = canvas.new_figure(figsize=(6.0, 3.6))
    axis.plot(frame["epoch"], frame["val_accuracy"] * 100, "o-", label="validation (final size)")
    axis.plot(frame["epoch"], frame["train_accuracy"] * 100, "s--", label="training batches")
    axis.set_xlabel("epoch")
    axis.set_ylabel("top-1 accuracy (%)")
    sizes = axis.twinx()
    sizes.step(frame["epoch"], frame["image_size"], where="mid", color="grey", alpha=0.6)
    sizes.set_ylabel("training image size (px)", color="grey")
    axis.legend(fontsize=8, loc="lower right")
    path = Path(path)
    canvas.save(figure, path)
    return path
