"""The MnasNet / EfficientNet reward: ACC(m) x (FLOPS(m) / T) ** w. Pure functions of numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RewardConfig:
    """``w = alpha`` when FLOPs <= target, else ``beta``.

    EfficientNet's soft constraint is alpha = beta = -0.07; the hard constraint alpha = 0,
    beta = -1 leaves networks under the target unpenalised and punishes those above it.
    """

    target_flops: float = 400e6
    alpha: float = -0.07
    beta: float = -0.07

    def __post_init__(self) -> None:
        if not (isinstance(self.target_flops, (int, float)) and self.target_flops > 0):
            raise ValueError(f"target_flops={self.target_flops!r} is invalid: must be > 0")
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ValueError(f"{name}={value!r} is invalid: must be a finite number")

    def __call__(self, accuracy: float, flops: float) -> float:
        return reward(accuracy, flops, self.target_flops, self.alpha, self.beta)


def reward(
    accuracy: float,
    flops: float,
    target_flops: float = 400e6,
    alpha: float = -0.07,
    beta: float = -0.07,
) -> float:
    """ACC x (FLOPS / T) ** w, with w = alpha at or under the target and beta above it."""
    if flops <= 0:
        raise ValueError(f"flops={flops!r} is invalid: must be > 0")
    exponent = alpha if flops <= target_flops else beta
    return accuracy * (flops / target_flops) ** exponent
