"""Image transforms on the data's device: random crop-and-flip augmentation, resizing."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from nas.data._util import is_int
from nas.data.config import ProxyData
from nas.errors import InputError


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random crop with zero padding of ``max(2, size // 8)`` pixels, then a random horizontal
    flip, drawn per image from ``generator``; vectorised over the uint8 batch, on its device."""
    count, _, height, width = images.shape
    device = images.device
    pad = max(2, height // 8)
    draws = torch.randint(0, 2 * pad + 1, (2, count), generator=generator, device=generator.device)
    flips = torch.randint(0, 2, (count,), generator=generator, device=generator.device)
    draws, flips = draws.to(device), flips.to(device).bool()
    padded = F.pad(images, (pad, pad, pad, pad))
    rows = draws[0, :, None] + torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    cols = torch.where(flips[:, None], cols.flip(0), cols) + draws[1, :, None]
    batch = torch.arange(count, device=device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def resized(data: ProxyData, size: int) -> ProxyData:
    """The same images resized to ``size`` x ``size`` (bilinear, antialiased), still uint8 on
    their device: compound scaling trains a network at the proxy resolution times gamma."""
    if not is_int(size) or size < 8:
        raise InputError(f"size={size!r} is invalid: must be an integer >= 8")
    if size == data.image_size:
        return data

    def resize(images: torch.Tensor) -> torch.Tensor:
        scaled = F.interpolate(
            images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
        return scaled.round().clamp(0, 255).to(torch.uint8)

    return dataclasses.replace(
        data,
        train_images=resize(data.train_images),
        val_images=resize(data.val_images),
        image_size=size,
    )
