"""The synthetic dataset: ten smooth class templates plus seeded noise, made in memory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from nas.data.splits import Splits

if TYPE_CHECKING:
    from nas.data.config import DataConfig

DEFAULT_TRAIN_SUBSET = 5000  # sizes when a subset is None
DEFAULT_VAL_SUBSET = 2000
_SYNTHETIC_TEMPLATE_SEED = 20_190_528  # the templates are the same task for every seed
_SYNTHETIC_NOISE = 45.0


def synthetic_templates() -> torch.Tensor:
    """The ten class templates, float (10, 1, 28, 28) in [0, 1]: class k is random values on a
    (k + 2) x (k + 2) grid, mirror-symmetric, upsampled bilinearly. Each class has its own
    smoothness (a local cue that even a tiny network with global pooling picks up) and layout;
    the symmetry keeps a flipped image in its class."""
    generator = torch.Generator().manual_seed(_SYNTHETIC_TEMPLATE_SEED)
    templates = []
    for label in range(10):
        coarse = torch.rand(1, 1, label + 2, label + 2, generator=generator)
        coarse = (coarse + coarse.flip(-1)) / 2
        templates.append(F.interpolate(coarse, size=(28, 28), mode="bilinear", align_corners=False))
    stacked = torch.cat(templates)
    low = stacked.amin(dim=(1, 2, 3), keepdim=True)
    high = stacked.amax(dim=(1, 2, 3), keepdim=True)
    return (stacked - low) / (high - low)


def load(config: DataConfig, path: str | None = None) -> Splits:
    """``val_subset`` then ``train_subset`` noisy template images (uint8, 1 x 28 x 28) with
    labels drawn from ``config.seed``."""
    n_val = config.val_subset or DEFAULT_VAL_SUBSET
    n_train = config.train_subset or DEFAULT_TRAIN_SUBSET
    images, labels = _draw(n_val + n_train, config.seed)
    return Splits(images[n_val:], labels[n_val:], images[:n_val], labels[:n_val], 10)


def _draw(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` noisy template images (uint8) and their labels, drawn from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (count,), generator=generator)
    noise = torch.randn(count, 1, 28, 28, generator=generator) * _SYNTHETIC_NOISE
    images = (30 + 195 * synthetic_templates()[labels] + noise).round().clamp(0, 255)
    return images.to(torch.uint8), labels


SYNTHETIC_TEST_SIZE = 2000
_TEST_SEED_OFFSET = 1_000_003  # test images come from a stream no training seed draws


def load_test(config: DataConfig, path: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """2,000 test images of the same task, drawn apart from any training seed's."""
    return _draw(SYNTHETIC_TEST_SIZE, config.seed + _TEST_SEED_OFFSET)
