"""The rewards, pure functions of numbers: MnasNet / EfficientNet's ACC(m) x (FLOPS(m) / T) ** w,
and EfficientNetV2's training-aware ACC x S ** w x P ** v."""

from __future__ import annotations

import math
from dataclasses import dataclass

from nas.errors import ConfigError

DEFAULT_TARGET_FLOPS = 400e6  # T: EfficientNet-B0's budget, in multiply-adds
DEFAULT_W = -0.07  # the soft constraint's exponent


@dataclass(frozen=True)
class RewardConfig:
    """``w = alpha`` when FLOPs <= target, else ``beta``.

    EfficientNet's soft constraint is alpha = beta = -0.07; the hard constraint alpha = 0,
    beta = -1 leaves networks under the target unpenalised and punishes those above it.
    """

    target_flops: float = DEFAULT_TARGET_FLOPS
    alpha: float = DEFAULT_W
    beta: float = DEFAULT_W

    def __post_init__(self) -> None:
        if not (isinstance(self.target_flops, (int, float)) and self.target_flops > 0):
            raise ConfigError("target_flops", self.target_flops, "must be > 0")
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ConfigError(name, value, "must be a finite number")

    def __call__(self, accuracy: float, flops: float) -> float:
        return reward(accuracy, flops, self.target_flops, self.alpha, self.beta)

    @classmethod
    def soft(
        cls,
        target_flops: float = DEFAULT_TARGET_FLOPS,
        w: float = DEFAULT_W,
        alpha: float | None = None,
        beta: float | None = None,
    ) -> RewardConfig:
        """EfficientNet's soft constraint, ``w`` on both sides of T, unless ``alpha`` and
        ``beta`` say otherwise: the one place the rule lives."""
        return cls(target_flops, w if alpha is None else alpha, w if beta is None else beta)


@dataclass(frozen=True)
class LatencyReward:
    """MnasNet's reward on measured latency: ACC x (LAT / T) ** w, T in milliseconds, with
    ``w = alpha`` at or under the target and ``beta`` above it (soft: alpha = beta = -0.07;
    hard: alpha = 0, beta = -1)."""

    target_ms: float
    alpha: float = DEFAULT_W
    beta: float = DEFAULT_W

    def __post_init__(self) -> None:
        value = self.target_ms
        if isinstance(value, bool) or not (
            isinstance(value, (int, float)) and math.isfinite(value) and value > 0
        ):
            raise ConfigError("target_latency_ms", value, "must be a positive number")
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ConfigError(name, value, "must be a finite number")

    def __call__(self, accuracy: float, latency_ms: float) -> float:
        if not latency_ms > 0:
            raise ConfigError("latency_ms", latency_ms, "must be > 0")
        return reward(accuracy, latency_ms, self.target_ms, self.alpha, self.beta)


def reward(
    accuracy: float,
    flops: float,
    target_flops: float = DEFAULT_TARGET_FLOPS,
    alpha: float = DEFAULT_W,
    beta: float = DEFAULT_W,
) -> float:
    """ACC x (FLOPS / T) ** w, with w = alpha at or under the target and beta above it."""
    if flops <= 0:
        raise ConfigError("flops", flops, "must be > 0")
    exponent = alpha if flops <= target_flops else beta
    return accuracy * (flops / target_flops) ** exponent


DEFAULT_V = -0.05  # EfficientNetV2's exponent on the parameter count


@dataclass(frozen=True)
class TrainingAwareReward:
    """EfficientNetV2's training-aware reward: ACC x S ** w x P ** v, with S the training step
    time and P the parameter count, each as a ratio to the reference's."""

    w: float = DEFAULT_W
    v: float = DEFAULT_V

    def __post_init__(self) -> None:
        for name in ("w", "v"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ConfigError(name, value, "must be a finite number")

    def __call__(self, accuracy: float, step_ratio: float, params_ratio: float) -> float:
        for name, value in (("step_ratio", step_ratio), ("params_ratio", params_ratio)):
            if not value > 0:
                raise ConfigError(name, value, "must be > 0")
        return accuracy * step_ratio**self.w * params_ratio**self.v
