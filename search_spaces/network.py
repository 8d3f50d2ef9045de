"""build_model: an ArchSpec becomes an nn.Module. Knows nothing of strings or Optuna."""

from __future__ import annotations

import torch
from torch import nn

from search_spaces.blocks import BODY_BUILDERS, ConvBnAct, ResidualLayer
from search_spaces.errors import SpecError
from search_spaces.spec import ArchSpec, layer_plan

STEM_KERNEL = 3


class ArchNet(nn.Module):
    """stem -> stages -> 1x1 head -> global pool -> dropout -> linear classifier."""

    def __init__(
        self, arch: ArchSpec, num_classes: int, in_channels: int, dropout: float, drop_path: float
    ) -> None:
        super().__init__()
        self.arch = arch
        self.stem = ConvBnAct(
            in_channels,
            arch.stem_channels,
            STEM_KERNEL,
            arch.stem_stride,
            activation=arch.activation,
        )
        plan = layer_plan(arch)
        stages: list[nn.Module] = []
        position = 0
        for stage in arch.stages:
            layers = []
            for layer in plan[position : position + stage.repeats]:
                body = BODY_BUILDERS[layer.op](
                    layer.in_channels,
                    layer.out_channels,
                    layer.kernel,
                    layer.stride,
                    layer.expansion,
                    layer.se_ratio,
                    arch.activation,
                )
                # Stochastic depth grows linearly with depth, as in torchvision and timm.
                rate = drop_path * position / len(plan)
                layers.append(ResidualLayer(body, layer.residual, rate))
                position += 1
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.head = ConvBnAct(
            arch.stages[-1].out_channels, arch.head_channels, 1, activation=arch.activation
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(arch.head_channels, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                # Zero, not the paper's uniform(1/sqrt(classes)): with 10 classes that starts
                # the logits at a std near 5 (loss ~4 instead of ln 10), which costs a short
                # proxy run most of its steps and leaves deep plain stacks near chance.
                nn.init.zeros_(module.weight)
                nn.init.zeros_(module.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.pool(self.forward_features(x)).flatten(1)
        return self.classifier(self.dropout(features))


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{name}={value!r} is invalid: must be an integer >= 1")


def _check_rate(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise SpecError(f"{name}={value!r} is invalid: must be a number in [0, 1)")


def build_model(
    arch: ArchSpec,
    num_classes: int = 1000,
    in_channels: int = 3,
    dropout: float = 0.2,
    drop_path: float = 0.2,
) -> ArchNet:
    """Build the network for any input size from 28x28 up; ``arch`` must be an ArchSpec."""
    if not isinstance(arch, ArchSpec):
        raise SpecError(f"arch must be an ArchSpec, got {type(arch).__name__}")
    _check_count("num_classes", num_classes)
    _check_count("in_channels", in_channels)
    _check_rate("dropout", dropout)
    _check_rate("drop_path", drop_path)
    return ArchNet(arch, num_classes, in_channels, float(dropout), float(drop_path))
