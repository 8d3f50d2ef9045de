"""Training: a candidate's brief proxy run, full training with progressive learning
(``python -m nas.train``), and trained networks saved as checkpoint folders."""

from __future__ import annotations

from nas.train.progressive import ProgressiveSchedule, StageSettings
from nas.train.proxy import (
    OPTIMIZERS,
    TrainConfig,
    TrainingFailed,
    TrainResult,
    build_for,
    evaluate,
    make_optimizer,
    recalibrate_batchnorm,
    train,
    train_arch,
)

__all__ = [
    "OPTIMIZERS",
    "ProgressiveSchedule",
    "StageSettings",
    "TrainConfig",
    "TrainResult",
    "TrainingFailed",
    "build_for",
    "evaluate",
    "make_optimizer",
    "recalibrate_batchnorm",
    "train",
    "train_arch",
]
