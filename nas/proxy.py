"""The proxy task every command trains candidates on: ``ProxyConfig``, its presets, the device.

One ``ProxyConfig`` (dataset, data folder, budget, optimizer, device, seed) is shared by the
search, compound scaling and export; a field left ``None`` takes its preset's value.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from nas.data import DataConfig, check_dataset
from nas.errors import ConfigError
from nas.train import OPTIMIZERS, TrainConfig

DEFAULT_DATASET = "fashion-mnist"


@dataclass(frozen=True)
class Preset:
    """Proxy-training defaults; any value given explicitly wins."""

    train_subset: int | None
    val_subset: int | None
    epochs: float
    batch_size: int
    lr: float
    optimizer: str
    label_smoothing: float
    evaluations: int  # validation points per candidate when pruning; the last is never pruned
    pruner: str  # the search's default pruner with this budget


# The ProxyConfig fields where None means the preset's value.
PRESET_FIELDS = ("train_subset", "val_subset", "epochs", "batch_size", "lr", "optimizer")

PRESETS: dict[str, Preset] = {
    # Measured on a 2-core CPU: see docs/benchmarks.md ("The proxy must rank").
    "cpu": Preset(
        train_subset=10000,
        val_subset=10000,
        epochs=1.0,
        batch_size=64,
        lr=3e-3,
        optimizer="adamw",
        label_smoothing=0.1,
        evaluations=2,
        # The default search must train every candidate to the end; with the median pruner it
        # stopped 7 of its 12 trials half-way, on a proxy already too noisy to rank closely.
        pruner="none",
    ),
    # The full training set less the held-out validation images, several epochs.
    "gpu": Preset(
        train_subset=None,
        val_subset=10000,
        epochs=5.0,
        batch_size=256,
        lr=4e-3,
        optimizer="adamw",
        label_smoothing=0.1,
        evaluations=5,
        pruner="median",
    ),
}


def check_positive(owner: object, name: str, integer: bool = False, optional: bool = False) -> None:
    """Raise ConfigError unless ``owner.name`` is a positive (integer) number, or None if
    ``optional``."""
    value = getattr(owner, name)
    if value is None and optional:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        raise ConfigError(name, value, "must be a positive " + ("integer" if integer else "number"))
    if not math.isfinite(value):
        raise ConfigError(name, value, "must be finite")


def check_seed(value: object, name: str = "seed") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
        raise ConfigError(name, value, "must be an integer from 0 to 2**32 - 1")


@dataclass(frozen=True)
class ProxyConfig:
    """The proxy data and training; ``None`` means the preset's value."""

    dataset: str = DEFAULT_DATASET
    data_dir: str | None = None
    preset: str = "cpu"
    train_subset: int | None = None
    val_subset: int | None = None
    epochs: float | None = None
    batch_size: int | None = None
    lr: float | None = None
    optimizer: str | None = None
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError("preset", self.preset, f"must be one of {', '.join(PRESETS)}")
        for name in ("epochs", "lr"):
            check_positive(self, name, optional=True)
        for name in ("train_subset", "val_subset", "batch_size"):
            check_positive(self, name, integer=True, optional=True)
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                "optimizer", self.optimizer, f"must be one of {', '.join(OPTIMIZERS)}"
            )
        check_dataset(self.dataset)
        check_seed(self.seed)
        resolve_device(self.device)

    def value(self, name: str) -> Any:
        """The field's value, or the preset's where it was left None."""
        own = getattr(self, name)
        return getattr(PRESETS[self.preset], name) if own is None else own

    @property
    def preset_values(self) -> Preset:
        return PRESETS[self.preset]

    def train_config(self, evaluations: int = 1) -> TrainConfig:
        """How a candidate trains; ``evaluations`` validation points (for a pruner)."""
        return TrainConfig(
            epochs=float(self.value("epochs")),
            batch_size=self.value("batch_size"),
            lr=float(self.value("lr")),
            optimizer=self.value("optimizer"),
            label_smoothing=self.preset_values.label_smoothing,
            evaluations=evaluations,
        )

    @property
    def data_config(self) -> DataConfig:
        return DataConfig(
            dataset=self.dataset,
            data_dir=self.data_dir,
            train_subset=self.value("train_subset"),
            val_subset=self.value("val_subset"),
            seed=self.seed,
        )

    def identity(self) -> dict[str, Any]:
        """The proxy's part of what gives a study its meaning (the data and the training)."""
        return {
            "dataset": self.dataset,
            **{name: self.value(name) for name in PRESET_FIELDS},
            "label_smoothing": self.preset_values.label_smoothing,
        }

    def replace(self, **changes: Any) -> ProxyConfig:
        return dataclasses.replace(self, **changes)


PROXY_FIELDS = tuple(field.name for field in dataclasses.fields(ProxyConfig))


def resolve_device(device: str, field: str = "device"):
    """``auto`` is CUDA when available, else the CPU; a bad name raises ConfigError."""
    import torch

    rule = "use auto, cpu or cuda[:N]"
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(field, device, rule) from None
    if resolved.type not in ("cpu", "cuda"):
        raise ConfigError(field, device, rule)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(field, device, "CUDA is not available on this machine")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ConfigError(field, device, f"only {torch.cuda.device_count()} GPU(s)")
    return resolved
