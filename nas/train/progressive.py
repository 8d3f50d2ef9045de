"""EfficientNetV2's progressive learning with adaptive regularization (Algorithm 1).

Training is split into ``stages`` equal runs of epochs. In stage i of M the image size is
S_i = S_0 + (S_e - S_0) * i / (M - 1), and each regularization magnitude (dropout, RandAugment
magnitude, mixup strength) grows the same way from its min to its max: small images with weak
regularization first, full-size images with strong regularization last. Fixed-size training
is the same schedule with ``min_size == max_size``.
"""

from __future__ import annotations

from dataclasses import dataclass

from nas.errors import ConfigError, InputError

# (min, max) pairs, their allowed range and whether they are whole numbers.
_RANGES: dict[str, tuple[float, float, bool]] = {
    "size": (8, 4096, True),
    "dropout": (0.0, 0.95, False),
    "randaug": (0.0, 29.0, False),  # kornia's RandAugment magnitude, 0 (off) to 29 of 30
    "mixup": (0.0, 1.0, False),  # the largest mixing weight drawn (0: no mixup)
}


@dataclass(frozen=True)
class StageSettings:
    """What one stage trains with."""

    stage: int
    image_size: int
    dropout: float
    randaug: float
    mixup: float


@dataclass(frozen=True)
class ProgressiveSchedule:
    """M stages from (min_size, min_dropout, ...) to (max_size, max_dropout, ...)."""

    min_size: int
    max_size: int
    stages: int = 4
    min_dropout: float = 0.1
    max_dropout: float = 0.3
    min_randaug: float = 5.0
    max_randaug: float = 15.0
    min_mixup: float = 0.0
    max_mixup: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.stages, bool) or not isinstance(self.stages, int) or self.stages < 1:
            raise ConfigError("stages", self.stages, "must be an integer >= 1")
        for name, (low, high, whole) in _RANGES.items():
            for end in ("min", "max"):
                field = f"{end}_{name}"
                value = getattr(self, field)
                kinds = (int,) if whole else (int, float)
                if (
                    isinstance(value, bool)
                    or not isinstance(value, kinds)
                    or not (low <= value <= high)
                ):
                    kind = "an integer" if whole else "a number"
                    raise ConfigError(field, value, f"must be {kind} from {low:g} to {high:g}")
            if getattr(self, f"min_{name}") > getattr(self, f"max_{name}"):
                raise ConfigError(
                    f"min_{name}",
                    getattr(self, f"min_{name}"),
                    f"must not exceed {{max_{name}}}={getattr(self, f'max_{name}')!r}",
                )

    @property
    def progressive(self) -> bool:
        return self.min_size != self.max_size

    def _grow(self, name: str, stage: int) -> float:
        low, high = getattr(self, f"min_{name}"), getattr(self, f"max_{name}")
        if self.stages == 1:
            return high
        return low + (high - low) * stage / (self.stages - 1)

    def at(self, stage: int) -> StageSettings:
        """The settings of stage ``stage`` (0-based)."""
        if not 0 <= stage < self.stages:
            raise InputError(f"stage={stage} is invalid: the schedule has {self.stages}")
        return StageSettings(
            stage=stage,
            image_size=round(self._grow("size", stage)),
            dropout=self._grow("dropout", stage),
            randaug=self._grow("randaug", stage),
            mixup=self._grow("mixup", stage),
        )

    def stage_of(self, epoch: int, epochs: int) -> int:
        """The stage that epoch ``epoch`` (0-based) of ``epochs`` belongs to: equal shares,
        the earlier stages one epoch shorter when they do not divide evenly."""
        if epochs < self.stages:
            raise ConfigError(
                "epochs", epochs, f"must be at least {{stages}}={self.stages}: one epoch a stage"
            )
        return min(self.stages - 1, (epoch * self.stages) // epochs)

    def describe(self) -> str:
        rows = [self.at(i) for i in range(self.stages)]
        return "; ".join(
            f"stage {r.stage + 1}: {r.image_size}px, dropout {r.dropout:.2f}, "
            f"RandAugment {r.randaug:.1f}, mixup {r.mixup:.2f}"
            for r in rows
        )
