"""The proxy task every command trains candidates on: ``ProxyConfig``, its presets, the device.

One ``ProxyConfig`` (dataset, data folder, budget, optimizer, device, seed) is shared by the
search, compound scaling and export; a field left ``None`` takes its preset's value.

Presets are budgets, not demands: their subset sizes are caps on what the data has, and the cpu
preset counts its budget in images seen, so a small dataset trains several epochs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import SimpleNamespace
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
    images_seen: int | None  # the budget in training images; None: ``epochs`` of the set
    evaluations: int  # validation points per candidate when pruning; the last is never pruned
    pruner: str  # the search's default pruner with this budget


# The ProxyConfig fields where None means the preset's value.
PRESET_FIELDS = ("train_subset", "val_subset", "epochs", "batch_size", "lr", "optimizer")

PRESETS: dict[str, Preset] = {
    # Measured on a 2-core CPU: see docs/benchmarks.md ("The proxy must rank").
    "cpu": Preset(
        train_subset=20000,
        val_subset=10000,
        epochs=1.0,
        batch_size=64,
        lr=3e-3,
        optimizer="adamw",
        label_smoothing=0.1,
        # One epoch of 20,000 images; several of a smaller set. On NAS-Bench-Macro, 20,000
        # images rank the truth at Kendall tau 0.57, 10,000 at -0.16 (docs/fidelity.md).
        images_seen=20_000,
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
        images_seen=None,
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
    images_seen: int | None = None  # the budget in training images; None: the preset's
    image_size: int | None = None  # imagefolder datasets: the square size images are resized to
    resize: str | None = None  # imagefolder datasets: "crop" (the default) or "stretch"
    val_fraction: float | None = None  # imagefolder datasets: the share held out per class
    strict_images: bool = False  # imagefolder datasets: refuse unreadable files, not skip them
    download_url: str | None = None  # cifar10: a mirror of the official tarball to download from

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError("preset", self.preset, f"must be one of {', '.join(PRESETS)}")
        for name in ("epochs", "lr"):
            check_positive(self, name, optional=True)
        for name in ("train_subset", "val_subset", "batch_size", "images_seen", "image_size"):
            check_positive(self, name, integer=True, optional=True)
        if self.epochs is not None and self.images_seen is not None:
            raise ConfigError(
                None, None, "give {epochs} or {images_seen}, not both: they are the same budget"
            )
        for name in ("image_size", "resize", "val_fraction"):
            value = getattr(self, name)
            if value is not None and not self.dataset.startswith("imagefolder:"):
                raise ConfigError(
                    name, value, f"applies to imagefolder datasets, not {self.dataset}"
                )
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                "optimizer", self.optimizer, f"must be one of {', '.join(OPTIMIZERS)}"
            )
        check_dataset(self.dataset)
        check_seed(self.seed)
        resolve_device(self.device)
        self.data_config  # noqa: B018 -- the data settings are checked together, here

    def value(self, name: str) -> Any:
        """The field's value, or the preset's where it was left None."""
        own = getattr(self, name)
        return getattr(PRESETS[self.preset], name) if own is None else own

    @property
    def preset_values(self) -> Preset:
        return PRESETS[self.preset]

    @property
    def budget_images(self) -> int | None:
        """The budget in training images seen, when it is counted so (else None: epochs).

        Given ``images_seen`` counts; else the preset's, unless ``epochs`` or ``train_subset`` was
        given (then the epochs are the budget, as the flags say)."""
        if self.images_seen is not None:
            return self.images_seen
        if self.epochs is not None or self.train_subset is not None:
            return None
        return self.preset_values.images_seen

    def epochs_for(self, train_images: int | None = None) -> float:
        """Epochs over ``train_images`` training images: the ``epochs`` given, else the images-seen
        budget over that many images, else the preset's epochs. Without ``train_images`` an
        images-seen budget is spread over the training subset's nominal size."""
        budget = self.budget_images
        if budget is None:
            return float(self.value("epochs"))
        count = train_images if train_images is not None else self.value("train_subset")
        if not count:
            raise ConfigError(
                "images_seen", budget, "needs the number of training images to spread over"
            )
        return budget / count

    def train_config(self, evaluations: int = 1, train_images: int | None = None) -> TrainConfig:
        """How a candidate trains on ``train_images`` images (the budget's epochs follow from
        it); ``evaluations`` validation points (for a pruner)."""
        return TrainConfig(
            epochs=self.epochs_for(train_images),
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
            image_size=self.image_size,
            resize=self.resize,
            val_fraction=self.val_fraction,
            strict_images=self.strict_images,
            download_url=self.download_url,
            # A preset's sizes are caps on what the data has; sizes given are demands.
            train_cap=self.train_subset is None,
            val_cap=self.val_subset is None,
        )

    def identity(self) -> dict[str, Any]:
        """The proxy's part of what gives a study its meaning (the data and the training)."""
        identity = {
            "dataset": self.dataset,
            **{name: self.value(name) for name in PRESET_FIELDS},
            "label_smoothing": self.preset_values.label_smoothing,
        }
        # Only where given, so that studies made before these settings existed still resume.
        for name in ("images_seen", "image_size", "val_fraction"):
            if getattr(self, name) is not None:
                identity[name] = getattr(self, name)
        if self.dataset.startswith("imagefolder:"):  # crop since 2026-12; stretch before
            identity["resize"] = self.resize or "crop"
        return identity

    def describe(self, train_images: int, val_images: int, notes: tuple[str, ...] = ()) -> str:
        """One line on what the proxy uses on loaded data: sizes, epochs and images seen."""
        epochs = self.epochs_for(train_images)
        line = (
            f"proxy: {self.dataset}, {train_images:,} training and {val_images:,} held-out "
            f"images, {epochs:.3g} epoch(s) = {round(epochs * train_images):,} images seen"
        )
        return "; ".join([line, *notes])

    def replace(self, **changes: Any) -> ProxyConfig:
        return dataclasses.replace(self, **changes)

    def images_seen_on(self, train_images: int) -> int:
        """Training images seen in one candidate's training on ``train_images`` images."""
        return round(self.epochs_for(train_images) * train_images)

    def seeing(self, images_seen: int, available: int) -> ProxyConfig:
        """The same proxy seeing ``images_seen`` training images: as many distinct images as the
        ``available`` ones allow, then more epochs. The held-out images stay the same."""
        check_positive(SimpleNamespace(images_seen=images_seen), "images_seen", integer=True)
        images = min(available, images_seen)
        return dataclasses.replace(self, train_subset=images, epochs=None, images_seen=images_seen)

    def yardstick(self, factor: float, train_images: int, available: int) -> ProxyConfig:
        """The same proxy with ``factor`` times the images seen, on ``train_images`` now (see
        ``seeing``)."""
        if not (isinstance(factor, (int, float)) and factor >= 1):
            raise ConfigError("factor", factor, "must be a number >= 1")
        return self.seeing(round(self.images_seen_on(train_images) * factor), available)


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
