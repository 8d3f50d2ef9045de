"""The seeded validation hold-out, subsets of a split, and per-channel statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch

from nas.data._util import is_int
from nas.errors import ConfigError, InputError

if TYPE_CHECKING:
    from nas.data.config import DataConfig

LARGE_SET = 50_000  # a set this large holds out 10,000 validation images by default, else 10%
LARGE_VAL_SIZE = 10_000


class Splits(NamedTuple):
    """What a dataset's loader gives: uint8 images (N, C, H, W) and labels of both splits."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    num_classes: int
    notes: tuple[str, ...] = ()  # what was capped to fit the data, how an image folder was read
    classes: tuple[str, ...] = ()  # the class names, where the data has them
    skipped: tuple[tuple[str, str], ...] = ()  # (file, why) an image folder could not read


def _check_size(name: str, value: object) -> None:
    if value is not None and (not is_int(value) or value < 1):
        raise ConfigError(name, value, "must be an integer >= 1 or None")


def default_val_size(num_images: int) -> int:
    """Validation images held out when val_subset is None: 10,000 of a large set, else 10%."""
    return LARGE_VAL_SIZE if num_images >= LARGE_SET else max(1, num_images // 10)


def _held_out_share(num_images: int) -> str:
    return f"{LARGE_VAL_SIZE:,}" if num_images >= LARGE_SET else "10%"


def split_sizes(
    num_images: int,
    val_subset: int | None,
    train_subset: int | None,
    val_cap: bool = False,
    train_cap: bool = False,
) -> tuple[int, int, tuple[str, ...]]:
    """(held-out, training, notes) sizes for a set of ``num_images``.

    A size that is None takes its default (``default_val_size``; all that remains). A capped
    size is a maximum: the held-out part is at most ``default_val_size``, the training part at
    most what remains, and a note says what was capped. An uncapped size larger than the data
    is a ConfigError."""
    _check_size("val_subset", val_subset)
    _check_size("train_subset", train_subset)
    if num_images < 2:
        raise InputError(f"a validation hold-out needs at least 2 images, the set has {num_images}")
    notes = []
    default = default_val_size(num_images)
    n_val = default if val_subset is None else val_subset
    if val_cap and n_val > default:
        n_val = default
        notes.append(
            f"val_subset {val_subset:,} capped at {n_val:,}: the held-out part is "
            f"{_held_out_share(num_images)} of {num_images:,} images"
        )
    if n_val > num_images - 1:
        raise ConfigError(
            None,
            None,
            f"{{val_subset}}={val_subset} is larger than the {num_images - 1} images available "
            f"for validation (the set has {num_images}; at least one stays for training)",
        )
    remaining = num_images - n_val
    n_train = remaining if train_subset is None else train_subset
    if train_cap and n_train > remaining:
        n_train = remaining
        notes.append(f"train_subset {train_subset:,} capped at {n_train:,}: all that remains")
    if n_train > remaining:
        raise ConfigError(
            None,
            None,
            f"{{train_subset}}={train_subset} is larger than the {remaining} training images "
            f"available after holding out {n_val} for validation (None uses them all)",
        )
    return n_val, n_train, tuple(notes)


def split_indices(
    num_images: int,
    val_subset: int | None,
    train_subset: int | None,
    seed: int,
    val_cap: bool = False,
    train_cap: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, val) indices into a set of ``num_images``: a permutation seeded by ``seed``
    whose first entries are validation and the next training, as many as ``split_sizes``
    says."""
    n_val, n_train, _ = split_sizes(num_images, val_subset, train_subset, val_cap, train_cap)
    return _split(num_images, n_val, n_train, seed)


def _split(num_images: int, n_val: int, n_train: int, seed: int) -> tuple[torch.Tensor, ...]:
    order = torch.randperm(num_images, generator=torch.Generator().manual_seed(seed))
    return order[n_val : n_val + n_train], order[:n_val]


def hold_out(
    images: torch.Tensor, labels: torch.Tensor, config: DataConfig, num_classes: int
) -> Splits:
    """One set of images split into training and validation by ``split_indices``, with notes
    on what was capped."""
    n_val, n_train, notes = split_sizes(
        len(images), config.val_subset, config.train_subset, config.val_cap, config.train_cap
    )
    train, val = _split(len(images), n_val, n_train, config.seed)
    return Splits(images[train], labels[train], images[val], labels[val], num_classes, notes)


def subset(
    num_images: int,
    size: int | None,
    generator: torch.Generator,
    split: str,
    cap: bool = False,
) -> tuple[torch.Tensor, tuple[str, ...]]:
    """A seeded subset of ``size`` of a split folder's indices (all, shuffled, when None), and
    a note when ``cap`` made a larger ``size`` all of the folder."""
    notes: tuple[str, ...] = ()
    if size is not None and size > num_images:
        if not cap:
            raise ConfigError(
                None,
                None,
                f"{{{split}_subset}}={size} is larger than the {num_images} images in {split}/",
            )
        notes = (f"{split}_subset {size:,} capped at {num_images:,}: all of {split}/",)
        size = num_images
    order = torch.randperm(num_images, generator=generator)
    return (order if size is None else order[:size]), notes


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images, in [0, 1] pixel units."""
    channels = images.shape[1]
    total = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    for chunk in images.split(4096):
        values = chunk.to(torch.float64)
        total += values.sum(dim=(0, 2, 3))
        squares += values.square().sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (squares / count - mean.square()).clamp(min=0).sqrt()
    std = torch.where(std < 1e-3, torch.ones_like(std) * 255, std)  # constant channel: no scaling
    return tuple((mean / 255).tolist()), tuple((std / 255).tolist())


MIN_VAL_PER_CLASS = 2  # held-out images per class at least, when the hold-out is stratified


def stratified_split(
    labels: torch.Tensor, n_val: int, seed: int, class_names: tuple[str, ...]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, val) indices: each class gives its share of ``n_val`` held-out images (at
    least MIN_VAL_PER_CLASS, at least one left to train), drawn with a permutation seeded by
    ``seed``. A class too small for that is refused, with its name and count."""
    generator = torch.Generator().manual_seed(seed)
    total = len(labels)
    train, val = [], []
    for label, name in enumerate(class_names):
        members = (labels == label).nonzero().flatten()
        count = len(members)
        if count < MIN_VAL_PER_CLASS + 1:
            raise InputError(
                f"class {name!r} has {count} usable image(s): a held-out split needs at least "
                f"{MIN_VAL_PER_CLASS + 1} per class ({MIN_VAL_PER_CLASS} to validate, 1 to train)"
            )
        share = max(MIN_VAL_PER_CLASS, round(n_val * count / total))
        share = min(share, count - 1)
        order = members[torch.randperm(count, generator=generator)]
        val.append(order[:share])
        train.append(order[share:])
    return torch.cat(train), torch.cat(val)
