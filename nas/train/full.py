"""Full training with progressive learning: the loop, its per-epoch record, and resuming.

Every epoch ends with a checkpoint (``state.pt``: weights, optimizer, schedule, the records so
far), written atomically, so that a killed run continues from its last finished epoch. Each
epoch draws its data order, crops, RandAugment, mixup and dropout from ``seed`` and its own
number, so a resumed run trains exactly as an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nas.atomic import replacing
from nas.data import ProxyData, augment
from nas.errors import ConfigError, InputError
from nas.train.augment import BatchAugment, mixup_loss
from nas.train.progressive import ProgressiveSchedule, StageSettings
from nas.train.proxy import OPTIMIZERS, OUT_OF_MEMORY, TrainConfig, TrainingFailed, make_optimizer

STATE_FILE = "state.pt"  # the resumable checkpoint, rewritten every epoch


@dataclass(frozen=True)
class FullTrainConfig:
    """A whole training run: optimizer and schedule, the progressive stages, evaluation."""

    schedule: ProgressiveSchedule
    epochs: int = 30
    batch_size: int = 128
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float | None = None  # default: 0.05 for AdamW, 5e-5 for SGD
    warmup: float = 0.05  # fraction of the steps spent warming up
    label_smoothing: float = 0.1
    drop_path: float = 0.1
    randaug_ops: int = 2
    eval_size: int | None = None  # None: the schedule's max_size
    eval_batch_size: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, ProgressiveSchedule):
            raise ConfigError("schedule", self.schedule, "must be a ProgressiveSchedule")
        for name in ("epochs", "batch_size", "randaug_ops", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "must be an integer >= 1")
        self.schedule.stage_of(0, self.epochs)  # at least one epoch a stage
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                "optimizer", self.optimizer, f"must be one of {', '.join(OPTIMIZERS)}"
            )
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ConfigError("lr", self.lr, "must be > 0")
        for name in ("warmup", "label_smoothing", "drop_path"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < 1):
                raise ConfigError(name, value, "must be in [0, 1)")
        if self.eval_size is not None and (
            not isinstance(self.eval_size, int) or self.eval_size < 8
        ):
            raise ConfigError("eval_size", self.eval_size, "must be an integer >= 8")

    @property
    def final_size(self) -> int:
        return self.eval_size or self.schedule.max_size

    def optimizer_config(self) -> TrainConfig:
        return TrainConfig(
            optimizer=self.optimizer,
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
        )

    def identity(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run it continues."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EpochRecord:
    """One row of the learning curve."""

    epoch: int  # 1-based
    stage: int  # 1-based
    image_size: int
    dropout: float
    randaug: float
    mixup: float
    lr: float  # at the end of the epoch
    train_loss: float
    train_accuracy: float  # on the augmented batches, against each image's own label
    val_accuracy: float  # at the evaluation size
    seconds: float  # training wall time of the epoch, evaluation excluded
    images_per_s: float


def _normalizer(data: ProxyData) -> Callable[[torch.Tensor], torch.Tensor]:
    device = data.device
    mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)
    return lambda images: (images - mean) / std


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Float images in [0, 1] at ``size`` x ``size`` (bilinear, antialiased when shrinking)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True)


def _prepare(images: torch.Tensor) -> torch.Tensor:
    return images.contiguous(memory_format=torch.channels_last)  # as the proxy trains


@torch.no_grad()
def accuracy_at(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    data: ProxyData,
    size: int,
    batch_size: int = 512,
) -> float:
    """Top-1 of ``model`` on uint8 ``images`` resized to ``size``, normalised like ``data``."""
    model.eval()
    normalize = _normalizer(data)
    cuda = images.device.type == "cuda"
    correct = 0
    for start in range(0, images.shape[0], batch_size):
        batch = _resize(images[start : start + batch_size].float() / 255, size)
        with torch.autocast(images.device.type, torch.bfloat16, enabled=cuda):
            logits = model(_prepare(normalize(batch)))
        correct += (logits.argmax(1) == labels[start : start + batch_size]).sum().item()
    return correct / max(images.shape[0], 1)


def _set_dropout(model: nn.Module, p: float) -> None:
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = p


def _save_state(folder: Path, state: dict[str, Any]) -> None:
    with replacing(folder / STATE_FILE) as temporary:
        torch.save(state, temporary)


def load_state(folder: Path, identity: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint of a run in ``folder`` made with ``identity``; None when there is none;
    ValueError when its settings differ."""
    path = folder / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as error:
        first = (str(error).splitlines() or [type(error).__name__])[0]
        raise InputError(f"{str(path)!r} is damaged ({first}): remove it to train afresh") from None
    if not isinstance(state, dict) or "records" not in state:
        raise InputError(f"{str(path)!r} is not a training checkpoint: remove it to train afresh")
    if state.get("identity") != identity:
        recorded = state.get("identity") or {}
        changed = [k for k in identity if recorded.get(k) != identity[k]]
        raise InputError(
            f"{folder} holds a run made with other settings ({', '.join(changed)}): use another "
            "output folder, or the same settings to resume it"
        )
    return state


def train_full(
    model: nn.Module,
    data: ProxyData,
    config: FullTrainConfig,
    folder: str | Path,
    identity: dict[str, Any],
    on_epoch: Callable[[EpochRecord], None] | None = None,
    on_step: Callable[[StageSettings], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> list[EpochRecord]:
    """Train ``model`` on ``data`` by ``config``, checkpointing into ``folder`` every epoch and
    resuming from it; returns the learning curve. ``identity`` (the settings plus what the
    caller trains) must match a checkpoint's to resume it. ``on_start(total_steps, done_steps)``
    is called once the checkpoint is read, ``on_step`` after every step, ``on_epoch`` after
    every epoch's checkpoint."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    device = data.device
    cuda = device.type == "cuda"
    model.to(device).to(memory_format=torch.channels_last)
    count = data.train_images.shape[0]
    batch = min(config.batch_size, count)
    steps_per_epoch = max(1, count // batch)
    optimizer = make_optimizer(model, config.optimizer_config())
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.lr,
        total_steps=config.epochs * steps_per_epoch,
        pct_start=max(config.warmup, 1e-3),
        anneal_strategy="cos",
        cycle_momentum=False,
        div_factor=25.0,
        final_div_factor=1e3,
    )
    records: list[EpochRecord] = []
    state = load_state(folder, identity)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        records = [EpochRecord(**row) for row in state["records"]]
    if on_start is not None:
        on_start(config.epochs * steps_per_epoch, len(records) * steps_per_epoch)
    normalize = _normalizer(data)
    augmenter = BatchAugment(ops=config.randaug_ops)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing, reduction="none")
    for epoch in range(len(records), config.epochs):
        settings = config.schedule.at(config.schedule.stage_of(epoch, config.epochs))
        _set_dropout(model, settings.dropout)
        epoch_seed = config.seed * 100_003 + epoch
        torch.manual_seed(epoch_seed)  # kornia, dropout and stochastic depth draw from it
        generator = torch.Generator(device=device).manual_seed(epoch_seed)
        order = torch.randperm(count, generator=generator, device=device)
        model.train()
        start = time.perf_counter()
        total_loss, correct, seen = 0.0, 0, 0
        try:
            for step in range(steps_per_epoch):
                index = order[step * batch : (step + 1) * batch]
                labels = data.train_labels[index]
                images = augment(data.train_images[index], generator).float() / 255
                images = _resize(images, settings.image_size)
                images = augmenter.randaugment(images, settings.randaug)
                images, mixed = augmenter.mixup(normalize(images), labels, settings.mixup)
                with torch.autocast(device.type, torch.bfloat16, enabled=cuda):
                    logits = model(_prepare(images))
                losses = (
                    loss_fn(logits.float(), labels)
                    if mixed is None
                    else mixup_loss(loss_fn, logits.float(), mixed)
                )
                loss = losses.mean()
                if not torch.isfinite(loss):
                    raise TrainingFailed(f"loss became {loss.item()} in epoch {epoch + 1}")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                total_loss += loss.item() * labels.numel()
                correct += (logits.argmax(1) == labels).sum().item()
                seen += labels.numel()
                if on_step is not None:
                    on_step(settings)
        except OUT_OF_MEMORY as error:
            raise TrainingFailed(f"out of memory: {str(error).splitlines()[0]}") from None
        seconds = time.perf_counter() - start
        val = accuracy_at(
            model,
            data.val_images,
            data.val_labels,
            data,
            config.final_size,
            config.eval_batch_size,
        )
        record = EpochRecord(
            epoch=epoch + 1,
            stage=settings.stage + 1,
            image_size=settings.image_size,
            dropout=settings.dropout,
            randaug=settings.randaug,
            mixup=settings.mixup,
            lr=scheduler.get_last_lr()[0],
            train_loss=total_loss / max(seen, 1),
            train_accuracy=correct / max(seen, 1),
            val_accuracy=val,
            seconds=seconds,
            images_per_s=seen / max(seconds, 1e-9),
        )
        records.append(record)
        _save_state(
            folder,
            {
                "identity": identity,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "records": [dataclasses.asdict(r) for r in records],
            },
        )
        if on_epoch is not None:
            on_epoch(record)
    return records


__all__ = [
    "STATE_FILE",
    "EpochRecord",
    "FullTrainConfig",
    "accuracy_at",
    "load_state",
    "train_full",
]
