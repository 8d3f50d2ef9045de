"""RandAugment and mixup on device batches, through kornia.

Why kornia: it runs random augmentation on a batch tensor on its device with per-sample
parameters, and it does not pin torch's release (torchvision's v2 transforms do, and users bring
their own torch). kornia's RandAugment draws its ``ops`` operations once per call, with random
signs and probabilities per sample; the batch is cut into ``groups`` slices, each with its own
draw, so that the samples of one batch do not all get the same operations. Mixup is kornia's
RandomMixUpV2: each sample is mixed with another of the batch, its weight drawn uniformly from
0 to ``strength``.
"""

from __future__ import annotations

import importlib
from typing import Any

import torch
from torch import nn

from nas.errors import MissingExtra

KORNIA_HINT = "pip install 'efficientnas[train]' (or pip install kornia)"


def _kornia() -> Any:
    try:
        return importlib.import_module("kornia.augmentation")
    except ImportError:
        raise MissingExtra(f"RandAugment and mixup need kornia: {KORNIA_HINT}") from None


class BatchAugment:
    """RandAugment (``ops`` operations at a magnitude of 0 to 29) and mixup on float batches
    in [0, 1]; a magnitude or strength of 0 leaves the batch as it is."""

    def __init__(self, ops: int = 2, groups: int = 4) -> None:
        self.ops = ops
        self.groups = groups
        self._randaug: dict[float, nn.Module] = {}

    def randaugment(self, images: torch.Tensor, magnitude: float) -> torch.Tensor:
        if magnitude <= 0:
            return images
        if magnitude not in self._randaug:
            _kornia()  # one clear line when kornia is missing
            auto = importlib.import_module("kornia.augmentation.auto")
            self._randaug[magnitude] = auto.RandAugment(n=self.ops, m=magnitude)
        augment = self._randaug[magnitude]
        grey = images.shape[1] == 1  # kornia's colour operations take RGB: grey goes as RGB
        rgb = images.expand(-1, 3, -1, -1) if grey else images
        slices = rgb.chunk(min(self.groups, images.shape[0]))
        out = torch.cat([augment(part) for part in slices]).clamp_(0, 1)
        return out.mean(1, keepdim=True) if grey else out

    def mixup(
        self, images: torch.Tensor, labels: torch.Tensor, strength: float
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(mixed images, (B, 3) targets: label, partner's label, partner's weight), or the
        images and None when ``strength`` is 0."""
        if strength <= 0:
            return images, None
        mix = _kornia().RandomMixUpV2(
            lambda_val=(0.0, strength), p=1.0, data_keys=["input", "class"]
        )
        mixed, targets = mix(images, labels)
        return mixed, targets


def mixup_loss(loss_fn: nn.Module, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The loss of mixed samples: each label's loss weighted by its share."""
    weight = targets[:, 2]
    own = loss_fn(logits, targets[:, 0].long())
    partner = loss_fn(logits, targets[:, 1].long())
    return ((1 - weight) * own + weight * partner).mean()
