"""load_data: the images a DataConfig names, split, with their statistics, on a device."""

from __future__ import annotations

import logging

import torch

from nas.data.config import DataConfig, ProxyData, as_device
from nas.data.registry import source
from nas.data.splits import channel_stats
from nas.errors import InputError

logger = logging.getLogger(__name__)


def load_data(config: DataConfig, device: str | torch.device = "cpu") -> ProxyData:
    """The training and held-out validation images ``config`` names, on ``device``; its
    ``notes`` (also logged) say which capped subsets the data made smaller."""
    if not isinstance(config, DataConfig):
        raise InputError(f"config must be a DataConfig, got {type(config).__name__}")
    target = as_device(device)
    dataset, path = source(config.dataset)
    splits = dataset.load(config, path)
    train_x, train_y, val_x, val_y, num_classes = splits[:5]
    for note in splits.notes:
        logger.info("%s: %s", config.dataset, note)
    mean, std = channel_stats(train_x)
    data = ProxyData(
        name=config.dataset,
        train_images=train_x.contiguous(),
        train_labels=train_y.to(torch.int64),
        val_images=val_x.contiguous(),
        val_labels=val_y.to(torch.int64),
        num_classes=num_classes,
        in_channels=train_x.shape[1],
        image_size=train_x.shape[2],
        mean=mean,
        std=std,
        notes=splits.notes,
        class_names=splits.classes,
        skipped=splits.skipped,
    )
    return data if target == data.device else data.to(device)


def load_test(config: DataConfig, data: ProxyData) -> tuple[torch.Tensor, torch.Tensor]:
    """The dataset's test images (uint8, with ``data``'s channels and size) and labels, on
    ``data``'s device. Only a final figure reads them: the search never does."""
    dataset, path = source(config.dataset)
    images, labels = dataset.load_test(config, path)
    if images.shape[1] != data.in_channels:  # an image folder's test/ decoded otherwise
        images = (
            images.float().mean(1, keepdim=True).round().to(torch.uint8)
            if data.in_channels == 1
            else images.expand(-1, data.in_channels, -1, -1).contiguous()
        )
    if images.shape[-1] != data.image_size or images.shape[-2] != data.image_size:
        raise InputError(
            f"{config.dataset}: test images are {images.shape[-2]}x{images.shape[-1]}, the "
            f"training images {data.image_size}x{data.image_size}"
        )
    if labels.numel() and int(labels.max()) >= data.num_classes:
        raise InputError(f"{config.dataset}: a test label is outside the training classes")
    return images.to(data.device), labels.to(torch.int64).to(data.device)
