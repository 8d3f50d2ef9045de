"""Pricing a candidate as EfficientNetV2's training-aware search does: its training step time
and parameter count, each as a ratio to the reference's, measured in this process.

The reference is timed once per process, on the same device and batch shape as the candidates,
so that a worker on another GPU (or a busier CPU) compares like with like. Each network is timed
on a copy built from its own seed: timing never touches the network that trains or the global
random state.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nas import cost
from nas.data import ProxyData
from search_spaces import ArchSpec, build_model

STEP_WARMUP = 3  # steps run and discarded before timing (allocation, cuDNN's choice, lazy init)
STEP_REPEATS = 10  # timed steps; their median is the figure


@dataclass(frozen=True)
class StepCost:
    """One candidate's price: its step time and both ratios the reward takes."""

    step_seconds: float
    step_ratio: float  # S: step_seconds / the reference's
    params_ratio: float  # P: parameters / the reference's
    spread: float  # (slowest - fastest) / median of the timed steps

    def attrs(self) -> dict[str, float]:
        """The trial attributes (and trials.csv columns) it is recorded as."""
        return {
            "step_seconds": self.step_seconds,
            "step_ratio": self.step_ratio,
            "params_ratio": self.params_ratio,
        }


class StepCoster:
    """Times candidates against ``reference`` on ``data``'s device and training batch shape."""

    def __init__(
        self,
        reference: ArchSpec,
        data: ProxyData,
        batch_size: int,
        warmup: int = STEP_WARMUP,
        repeats: int = STEP_REPEATS,
    ) -> None:
        self.reference = reference
        self.data = data
        self.batch_shape = (
            min(batch_size, data.train_images.shape[0]),
            data.in_channels,
            data.image_size,
            data.image_size,
        )
        self.warmup = warmup
        self.repeats = repeats
        self._reference_seconds: float | None = None

    def seconds(self, arch: ArchSpec) -> cost.StepTime:
        """The step time of ``arch`` (a fresh copy, built under a forked random state)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = build_model(
                arch, num_classes=self.data.num_classes, in_channels=self.data.in_channels
            )
        return cost.step_time(
            model,
            self.batch_shape,
            self.data.num_classes,
            self.data.device,
            warmup=self.warmup,
            repeats=self.repeats,
        )

    @property
    def reference_seconds(self) -> float:
        """The reference's step time, measured on first use in this process."""
        if self._reference_seconds is None:
            self._reference_seconds = self.seconds(self.reference).seconds
        return self._reference_seconds

    def __call__(self, arch: ArchSpec) -> StepCost:
        reference = self.reference_seconds
        timed = self.seconds(arch)
        classes, channels = self.data.num_classes, self.data.in_channels
        return StepCost(
            step_seconds=timed.seconds,
            step_ratio=timed.seconds / reference,
            params_ratio=cost.params(arch, classes, channels)
            / cost.params(self.reference, classes, channels),
            spread=timed.spread,
        )
