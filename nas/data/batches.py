"""Normalised training and validation batches drawn from ProxyData, on its device."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from nas.data._util import is_int
from nas.data.config import ProxyData
from nas.data.transforms import augment
from nas.errors import ConfigError, InputError


def _affine(data: ProxyData, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift), each (C, 1, 1), with uint8 * scale + shift = (x / 255 - mean) / std."""
    mean = torch.tensor(data.mean, dtype=torch.float32, device=device).view(-1, 1, 1)
    std = torch.tensor(data.std, dtype=torch.float32, device=device).view(-1, 1, 1)
    return 1.0 / (255.0 * std), -mean / std


def normalize(images_uint8: torch.Tensor, data: ProxyData) -> torch.Tensor:
    """uint8 images ((N,) C, H, W) as float32, normalised by the data's mean and std."""
    if images_uint8.dtype != torch.uint8:
        raise InputError(f"normalize expects uint8 images, got {images_uint8.dtype}")
    if images_uint8.dim() < 3 or images_uint8.shape[-3] != data.in_channels:
        raise InputError(
            f"normalize expects images with {data.in_channels} channels, "
            f"got shape {tuple(images_uint8.shape)}"
        )
    scale, shift = _affine(data, images_uint8.device)
    return images_uint8.to(torch.float32) * scale + shift


def _check_batch_size(batch_size: object) -> None:
    if not is_int(batch_size) or batch_size < 1:
        raise ConfigError("batch_size", batch_size, "must be an integer >= 1")


def train_batches(
    data: ProxyData, batch_size: int, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of augmented, normalised training batches in a fresh random order.

    Incomplete batches are dropped, except that a set smaller than ``batch_size`` is one batch.
    ``generator`` may live on the data's device or on the CPU."""
    _check_batch_size(batch_size)
    if not isinstance(generator, torch.Generator):
        raise InputError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    return _train_epoch(data, batch_size, generator)


def _train_epoch(
    data: ProxyData, batch_size: int, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    images, labels = data.train_images, data.train_labels
    count = images.shape[0]
    size = min(batch_size, count)
    order = torch.randperm(count, generator=generator, device=generator.device).to(images.device)
    scale, shift = _affine(data, images.device)
    for start in range(0, count - size + 1, size):
        index = order[start : start + size]
        batch = augment(images[index], generator)
        yield batch.to(torch.float32) * scale + shift, labels[index]


def eval_batches(data: ProxyData, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The validation set in order, normalised, without augmentation; the last batch may be
    smaller."""
    _check_batch_size(batch_size)
    return _eval_epoch(data, batch_size)


def _eval_epoch(data: ProxyData, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    scale, shift = _affine(data, data.val_images.device)
    for start in range(0, data.val_images.shape[0], batch_size):
        batch = data.val_images[start : start + batch_size]
        yield batch.to(torch.float32) * scale + shift, data.val_labels[start : start + batch_size]
