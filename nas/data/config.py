"""What the data floor takes and gives: a DataConfig names the images, ProxyData holds them."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import torch

from nas.data._util import is_int
from nas.data.image_decode import RESIZE_POLICIES
from nas.data.registry import dataset_kind
from nas.errors import ConfigError, InputError

_MD5 = re.compile(r"[0-9a-fA-F]{32}")
MAX_VAL_FRACTION = 0.9


@dataclass(frozen=True)
class DataConfig:
    """Which images a proxy trains and validates on."""

    dataset: str = "fashion-mnist"  # a name of registry.dataset_names(), e.g. "imagefolder:PATH"
    data_dir: str | None = None  # where to look for / download the files
    train_subset: int | None = 5000  # None: all that remain after the validation hold-out
    val_subset: int | None = 2000  # held out of the training set; None: 10,000 or 10% if small
    seed: int = 0  # fixes which images are held out and which form the subsets
    download: bool = True  # try to download when the files are missing
    image_size: int | None = None  # imagefolder only: square size (>= 8) to resize to; None: 64
    resize: str | None = None  # imagefolder only: "crop" (shorter side, centre) or "stretch"
    val_fraction: float | None = None  # imagefolder only: share held out of the training images
    strict_images: bool = False  # imagefolder only: refuse a folder with unreadable files
    train_cap: bool = False  # train_subset is a budget: at most what remains after the hold-out
    val_cap: bool = False  # val_subset is a budget: at most default_val_size (10,000 or 10%)
    download_url: str | None = None  # cifar10 only: a mirror; None: $EFFICIENTNAS_CIFAR10_URL
    download_md5: str | None = None  # cifar10 only: the mirror's MD5; None: the official one

    def __post_init__(self) -> None:
        kind, _ = dataset_kind(self.dataset)
        for name in ("train_subset", "val_subset"):
            value = getattr(self, name)
            if value is not None and (not is_int(value) or value < 1):
                raise ConfigError(name, value, "must be an integer >= 1 or None")
        if self.image_size is not None and (not is_int(self.image_size) or self.image_size < 8):
            raise ConfigError("image_size", self.image_size, "must be an integer >= 8 or None")
        if not is_int(self.seed):
            raise ConfigError("seed", self.seed, "must be an integer")
        if self.resize is not None and self.resize not in RESIZE_POLICIES:
            raise ConfigError("resize", self.resize, f"must be one of {', '.join(RESIZE_POLICIES)}")
        if self.val_fraction is not None and not (
            isinstance(self.val_fraction, (int, float))
            and not isinstance(self.val_fraction, bool)
            and 0 < self.val_fraction <= MAX_VAL_FRACTION
        ):
            raise ConfigError(
                "val_fraction", self.val_fraction, f"must be a number in (0, {MAX_VAL_FRACTION}]"
            )
        for name in ("download", "train_cap", "val_cap", "strict_images"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, getattr(self, name), "must be True or False")
        if self.download_url is not None and (
            not isinstance(self.download_url, str) or not self.download_url.strip()
        ):
            raise ConfigError("download_url", self.download_url, "must be a URL or None")
        if self.download_md5 is not None and (
            not isinstance(self.download_md5, str) or not _MD5.fullmatch(self.download_md5)
        ):
            raise ConfigError("download_md5", self.download_md5, "must be 32 hex digits or None")
        only = {
            "image_size": "imagefolder",
            "resize": "imagefolder",
            "val_fraction": "imagefolder",
            "download_url": "cifar10",
            "download_md5": "cifar10",
        }
        for name, allowed in only.items():
            value = getattr(self, name)
            if value is not None and kind != allowed:
                raise ConfigError(
                    None,
                    None,
                    f"{{{name}}}={value} applies only to {allowed} datasets, not {self.dataset!r}",
                )


@dataclass(frozen=True, eq=False)
class ProxyData:
    """Training and validation images (uint8, N x C x H x W) and labels (int64), on one device."""

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]  # per channel, in [0, 1] pixel units, of the training images
    std: tuple[float, ...]
    notes: tuple[str, ...] = ()  # what was capped to fit the data, e.g. "val_subset 10,000 ..."
    class_names: tuple[str, ...] = ()  # where the data names its classes (an image folder)
    skipped: tuple[tuple[str, str], ...] = ()  # (file, why): files an image folder could not read

    def __post_init__(self) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        for split in ("train", "val"):
            images = getattr(self, f"{split}_images")
            labels = getattr(self, f"{split}_labels")
            if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1:] != expected:
                raise InputError(
                    f"{split}_images must be uint8 (N, {', '.join(map(str, expected))}), "
                    f"got {images.dtype} {tuple(images.shape)}"
                )
            if labels.dtype != torch.int64 or labels.shape != images.shape[:1]:
                raise InputError(
                    f"{split}_labels must be int64 ({images.shape[0]},), "
                    f"got {labels.dtype} {tuple(labels.shape)}"
                )
        if len(self.mean) != self.in_channels or len(self.std) != self.in_channels:
            raise InputError(f"mean and std need {self.in_channels} values, one per channel")
        if not isinstance(self.notes, tuple) or not all(isinstance(n, str) for n in self.notes):
            raise InputError(f"notes must be a tuple of strings, got {self.notes!r}")

    @property
    def device(self) -> torch.device:
        return self.train_images.device

    def to(self, device: str | torch.device) -> ProxyData:
        """The same data with its tensors on ``device``."""
        target = as_device(device)
        moved = {
            field: _move(getattr(self, field), target, device)
            for field in ("train_images", "train_labels", "val_images", "val_labels")
        }
        return dataclasses.replace(self, **moved)

    def __repr__(self) -> str:
        return (
            f"ProxyData({self.name!r}, train={self.train_images.shape[0]}, "
            f"val={self.val_images.shape[0]}, classes={self.num_classes}, "
            f"shape={self.in_channels}x{self.image_size}x{self.image_size}, device={self.device})"
        )


def as_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device; ValueError naming it when torch cannot parse it."""
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise InputError(f"device {device!r} is invalid: {error}") from None


def _move(tensor: torch.Tensor, target: torch.device, asked: object) -> torch.Tensor:
    try:
        return tensor.to(target)
    except (RuntimeError, AssertionError) as error:  # torch asserts for a missing CUDA build
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"device {asked!r} is not usable: {message}") from None
