"""The proxy trainer: brief training that ranks candidates as longer training would.

The defaults are a measured choice (bench/fidelity.py): AdamW with a one-cycle schedule (warm-up,
then cosine decay), label smoothing, and BatchNorm statistics recomputed on training batches
before each evaluation, which short training otherwise leaves far from the weights. Networks and
images are channels_last on every device (on the CPU 1.2-1.6x faster for most networks' training
steps, the same fp32 arithmetic); on CUDA the loop runs in bf16 autocast (cudnn.benchmark only if
asked), on the CPU in fp32 (bf16 was slower there, depthwise convolutions dominating).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from nas.data import ProxyData, eval_batches, resized, train_batches
from nas.errors import InputError, NASError
from search_spaces import ArchSpec, build_model

OPTIMIZERS = ("adamw", "sgd")
# torch.OutOfMemoryError is torch >= 2.5; torch.cuda's exists in every release we support.
OUT_OF_MEMORY = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
NAN_CHECK_EVERY = 25  # steps; checking every step would synchronise the GPU each time


class TrainingFailed(NASError, RuntimeError):
    """The candidate could not be trained (NaN loss, out of memory); the reason is the message."""


ACCURACY_AT = "accuracy_at_"  # a run log's score: the accuracy after this many images


@dataclass(frozen=True)
class TrainConfig:
    """One proxy training run. ``epochs`` may be fractional (0.5 = half the training set)."""

    epochs: float = 1.0
    batch_size: int = 64
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float | None = None  # default: 0.05 for AdamW, 5e-5 for SGD
    momentum: float = 0.9  # SGD (Nesterov)
    warmup: float = 0.15  # fraction of the steps spent warming up
    label_smoothing: float = 0.1
    dropout: float = 0.0
    drop_path: float = 0.0
    bn_recalibration_batches: int = 20
    eval_batch_size: int = 512
    evaluations: int | None = None  # validation points; default one per (started) epoch
    # Also evaluate once this many training images have been seen (a halving search's rungs
    # when a promoted candidate keeps training); points past the training's end are ignored.
    eval_images: tuple[int, ...] = ()
    # Train and evaluate at this input size (the images resized once, bilinear); None: as given.
    resolution: int | None = None
    # Evaluate an exponential moving average of the weights with this decay per step; None: the
    # weights themselves.
    ema: float | None = None
    # Off: every candidate is a new network. On an H100 autotuning B0's first steps took
    # 7-37 s (bench/cuda_settings.py) and a search's trials took as long with it as without.
    cudnn_benchmark: bool = False

    def __post_init__(self) -> None:
        positive = {
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "eval_batch_size": self.eval_batch_size,
        }
        for name, value in positive.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise InputError(f"{name}={value!r} is invalid: must be > 0")
        for name in ("batch_size", "eval_batch_size", "bn_recalibration_batches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{name}={value!r} is invalid: must be a whole number")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(
                f"optimizer={self.optimizer!r} is invalid: must be one of {', '.join(OPTIMIZERS)}"
            )
        for name in ("warmup", "label_smoothing", "dropout", "drop_path"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value < 1):
                raise InputError(f"{name}={value!r} is invalid: must be in [0, 1)")
        if self.resolution is not None and (
            isinstance(self.resolution, bool)
            or not isinstance(self.resolution, int)
            or self.resolution < 8
        ):
            raise InputError(f"resolution={self.resolution!r} is invalid: must be an integer >= 8")
        if self.ema is not None and not (isinstance(self.ema, float) and 0 < self.ema < 1):
            raise InputError(f"ema={self.ema!r} is invalid: must be a decay in (0, 1)")
        if self.evaluations is not None and (
            not isinstance(self.evaluations, int) or self.evaluations < 1
        ):
            raise InputError(f"evaluations={self.evaluations!r} is invalid: must be >= 1")
        if not isinstance(self.eval_images, tuple) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in self.eval_images
        ):
            raise InputError(
                f"eval_images={self.eval_images!r} is invalid: must be a tuple of image counts > 0"
            )

    @property
    def decay(self) -> float:
        if self.weight_decay is not None:
            return self.weight_decay
        return 0.05 if self.optimizer == "adamw" else 5e-5


@dataclass(frozen=True)
class TrainResult:
    accuracy: float  # validation top-1 at the end, in [0, 1]
    history: tuple[float, ...]  # validation accuracy at each evaluation
    seconds: float  # wall time, evaluation included
    images_per_s: float  # training images per second of training
    steps: int
    # Mean training loss over every step and over the last quarter of the steps: the
    # training-speed scores of Ru et al. 2021 ("Speedy performance estimation"), lower is better.
    loss_all: float = math.nan
    loss_last: float = math.nan
    balanced_accuracy: float = math.nan  # the mean of each class's accuracy, at the end
    # The validation accuracy at each of the config's ``eval_images`` reached, by images seen.
    accuracy_at: tuple[tuple[int, float], ...] = ()

    @property
    def train_fit(self) -> float:
        """exp(-loss_last): the geometric mean of the probability the network gave the true
        class over the last quarter of its training, in [0, 1]; 0 for a training that diverged.
        A score like an accuracy that ranks as ``loss_last`` does (``--metric train_fit``)."""
        return math.exp(-self.loss_last) if math.isfinite(self.loss_last) else 0.0

    def scores(self) -> dict[str, float]:
        """The run's scores besides its accuracy, for run logs: the training losses and the
        accuracy at each ``eval_images`` point (``accuracy_at_<images>``)."""
        at = {f"{ACCURACY_AT}{images}": accuracy for images, accuracy in self.accuracy_at}
        return {"loss_all": self.loss_all, "loss_last": self.loss_last} | at


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW or Nesterov SGD at ``config.lr``, with weight decay on conv and linear weights only."""
    decay, no_decay = [], []
    for parameter in model.parameters():
        (no_decay if parameter.ndim <= 1 else decay).append(parameter)  # no decay on BN, bias
    groups = [
        {"params": decay, "weight_decay": config.decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=True)
    return torch.optim.AdamW(groups, lr=config.lr)


@torch.no_grad()
def recalibrate_batchnorm(
    model: nn.Module, data: ProxyData, batches: int, batch_size: int, generator: torch.Generator
) -> None:
    """Recompute BatchNorm running statistics as a plain average over training batches."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or batches == 0:
        return
    was_training = model.training
    model.eval()
    saved = []
    for norm in norms:
        saved.append(norm.momentum)
        norm.reset_running_stats()
        norm.momentum = None  # cumulative moving average
        norm.train()
    for index, (images, _) in enumerate(train_batches(data, batch_size, generator)):
        if index == batches:
            break
        model(_prepare(images, model))
    for norm, momentum in zip(norms, saved, strict=True):
        norm.momentum = momentum
    model.train(was_training)


def _prepare(images: torch.Tensor, model: nn.Module) -> torch.Tensor:
    return images.contiguous(memory_format=torch.channels_last)


def evaluate(model: nn.Module, data: ProxyData, batch_size: int) -> float:
    """Top-1 accuracy on the validation split."""
    return evaluate_scores(model, data, batch_size)[0]


@torch.no_grad()
def evaluate_scores(model: nn.Module, data: ProxyData, batch_size: int) -> tuple[float, float]:
    """(top-1 accuracy, balanced accuracy) on the validation split; balanced accuracy is the
    mean over the classes present of each class's accuracy (recall)."""
    model.eval()
    classes = data.num_classes
    hits = torch.zeros(classes, dtype=torch.int64, device=data.val_labels.device)
    counts = torch.zeros_like(hits)
    device_type = data.val_images.device.type
    for images, labels in eval_batches(data, batch_size):
        with torch.autocast(device_type, torch.bfloat16, enabled=device_type == "cuda"):
            logits = model(_prepare(images, model))
        correct = (logits.argmax(1) == labels).long()
        hits += torch.bincount(labels, weights=correct, minlength=classes).long()
        counts += torch.bincount(labels, minlength=classes)
    total = int(counts.sum())
    accuracy = int(hits.sum()) / max(total, 1)
    present = counts > 0
    balanced = (hits[present].double() / counts[present].double()).mean().item() if total else 0.0
    return accuracy, balanced


def train(
    model: nn.Module,
    data: ProxyData,
    config: TrainConfig,
    seed: int = 0,
    report: Callable[[float, int, bool], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``data`` for ``config.epochs`` and return its validation accuracy.

    ``report(accuracy, step, last)`` is called at each evaluation point; it may raise (a
    pruner's TrialPruned, say) to stop early; ``last`` marks the final evaluation. A NaN loss
    or running out of memory raises TrainingFailed.
    """
    device = data.train_images.device
    start = time.perf_counter()
    if config.resolution is not None:
        data = resized(data, config.resolution)
    model.to(device).to(memory_format=torch.channels_last)
    if device.type == "cuda" and config.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    generator = torch.Generator(device=device).manual_seed(seed)
    train_size = data.train_images.shape[0]
    steps_per_epoch = max(1, train_size // config.batch_size)
    total_steps = max(1, math.ceil(config.epochs * steps_per_epoch))
    evaluations = config.evaluations or max(1, math.ceil(config.epochs))
    eval_steps = {math.ceil(total_steps * (i + 1) / evaluations) for i in range(evaluations)}
    # The extra points, by the step at which each is reached.
    extra = {
        math.ceil(images / config.batch_size): images
        for images in config.eval_images
        if math.ceil(images / config.batch_size) < total_steps
    }
    eval_steps |= set(extra)
    accuracy_at: list[tuple[int, float]] = []
    optimizer = make_optimizer(model, config)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.lr,
        total_steps=total_steps,
        pct_start=max(config.warmup, 1e-3),
        anneal_strategy="cos",
        cycle_momentum=False,
        div_factor=25.0,
        final_div_factor=1e3,
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    averaged = _ema_model(model, config.ema)
    losses: list[torch.Tensor] = []  # on the device: reading each would synchronise a GPU
    history: list[float] = []
    balanced = math.nan
    train_seconds = 0.0
    step = 0
    try:
        while step < total_steps:
            model.train()
            tick = time.perf_counter()
            for images, labels in train_batches(data, config.batch_size, generator):
                with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
                    loss = loss_fn(model(_prepare(images, model)), labels)
                if step % NAN_CHECK_EVERY == 0 and not torch.isfinite(loss):
                    raise TrainingFailed(f"loss became {loss.item()} at step {step + 1}")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                losses.append(loss.detach())
                if averaged is not None:
                    averaged.update_parameters(model)
                step += 1
                if step in eval_steps or step == total_steps:
                    if not torch.isfinite(loss):
                        raise TrainingFailed(f"loss became {loss.item()} at step {step}")
                    train_seconds += time.perf_counter() - tick
                    # Its own generator: evaluating must not change the training that follows.
                    recalibration = torch.Generator(device=device).manual_seed(seed + 1)
                    scored = averaged.module if averaged is not None else model
                    recalibrate_batchnorm(
                        scored,
                        data,
                        config.bn_recalibration_batches,
                        config.batch_size,
                        recalibration,
                    )
                    accuracy, balanced = evaluate_scores(scored, data, config.eval_batch_size)
                    history.append(accuracy)
                    if step in extra:
                        accuracy_at.append((extra[step], accuracy))
                    if report is not None:
                        report(history[-1], step, step == total_steps)
                    model.train()
                    tick = time.perf_counter()
                if step == total_steps:
                    break
            else:
                train_seconds += time.perf_counter() - tick
    except OUT_OF_MEMORY as error:
        if device.type == "cuda":
            torch.cuda.empty_cache()
        raise TrainingFailed(f"out of memory: {str(error).splitlines()[0]}") from None
    images_seen = step * config.batch_size
    per_step = torch.stack(losses).float().cpu()
    return TrainResult(
        accuracy=history[-1],
        history=tuple(history),
        seconds=time.perf_counter() - start,
        images_per_s=images_seen / max(train_seconds, 1e-9),
        steps=step,
        loss_all=float(per_step.mean()),
        loss_last=float(per_step[-max(1, len(losses) // 4) :].mean()),
        balanced_accuracy=balanced,
        accuracy_at=tuple(accuracy_at),
    )


def _ema_model(model: nn.Module, decay: float | None) -> nn.Module | None:
    """A copy of ``model`` whose weights follow an exponential moving average, or None."""
    if decay is None:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)


def train_arch(
    arch: ArchSpec,
    data: ProxyData,
    config: TrainConfig,
    seed: int = 0,
    report: Callable[[float, int, bool], None] | None = None,
) -> TrainResult:
    """Build ``arch`` for ``data`` (seeded) and train it: one candidate's whole proxy run."""
    model = build_for(arch, data, config, seed)
    return train(model, data, config, seed=seed, report=report)


def build_for(arch: ArchSpec, data: ProxyData, config: TrainConfig, seed: int = 0) -> nn.Module:
    """``arch`` built for ``data``'s classes and channels, its initial weights seeded."""
    torch.manual_seed(seed)
    return build_model(
        arch,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        dropout=config.dropout,
        drop_path=config.drop_path,
    )
