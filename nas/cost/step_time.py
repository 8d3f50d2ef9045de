"""Training step time: what EfficientNetV2's training-aware search prices instead of FLOPs.

One step is what the proxy trainer does per batch: forward (bf16 autocast and channels_last on
CUDA, fp32 on the CPU), cross-entropy, backward and an optimizer step. The first ``warmup``
steps are run and discarded: they pay for memory allocation, cuDNN's kernel choice and lazy
initialisation, which the steps of a real run do not. The median of ``repeats`` timed steps is
the figure; the spread of the samples is kept so that callers can see how noisy it was.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn

from nas.errors import InputError


@dataclass(frozen=True)
class StepTime:
    """Seconds per training step: the median of ``samples``."""

    seconds: float
    samples: tuple[float, ...]

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median: how far apart the timed steps were."""
        return (max(self.samples) - min(self.samples)) / self.seconds


def _check_count(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InputError(f"{name}={value!r} is invalid: must be an integer >= {least}")


def step_time(
    model: nn.Module,
    batch_shape: tuple[int, int, int, int],
    num_classes: int,
    device: str | torch.device = "cpu",
    warmup: int = 3,
    repeats: int = 10,
) -> StepTime:
    """Time training steps of ``model`` on random (N, C, H, W) batches on ``device``.

    The model's weights are changed by the steps: time a copy, not the network you train.
    Dropout's draws come from a forked random state, so the caller's is left as it was.
    """
    _check_count("warmup", warmup, 0)
    _check_count("repeats", repeats, 1)
    _check_count("num_classes", num_classes, 1)
    if len(batch_shape) != 4 or any(not isinstance(n, int) or n < 1 for n in batch_shape):
        raise InputError(f"batch_shape={batch_shape!r} is invalid: must be (N, C, H, W) >= 1")
    device = torch.device(device)
    cuda = device.type == "cuda"
    model.train().to(device)
    generator = torch.Generator(device=device).manual_seed(0)
    images = torch.randn(batch_shape, generator=generator, device=device)
    labels = torch.randint(0, num_classes, batch_shape[:1], generator=generator, device=device)
    model.to(memory_format=torch.channels_last)  # as the trainers train
    images = images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    synchronize = torch.cuda.synchronize if cuda else (lambda: None)

    def one_step() -> None:
        with torch.autocast(device.type, torch.bfloat16, enabled=cuda):
            loss = loss_fn(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    samples = []
    with torch.random.fork_rng(devices=[device] if cuda else []):
        for _ in range(warmup):
            one_step()
        synchronize()
        for _ in range(repeats):
            start = time.perf_counter()
            one_step()
            synchronize()
            samples.append(time.perf_counter() - start)
    return StepTime(statistics.median(samples), tuple(samples))
