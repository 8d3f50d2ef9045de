"""Training a candidate on the proxy data, and trained networks saved as checkpoint folders."""

from __future__ import annotations

from nas.train.proxy import (
    OPTIMIZERS,
    TrainConfig,
    TrainingFailed,
    TrainResult,
    build_for,
    evaluate,
    recalibrate_batchnorm,
    train,
    train_arch,
)

__all__ = [
    "OPTIMIZERS",
    "TrainConfig",
    "TrainResult",
    "TrainingFailed",
    "build_for",
    "evaluate",
    "recalibrate_batchnorm",
    "train",
    "train_arch",
]
