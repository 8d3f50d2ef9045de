"""Class-per-folder images: the layout found (``folder_layout``), every file decoded once to one
square size (``image_decode``) and cached, unreadable files skipped and listed, validation held
out per class when the folder has no ``val/``."""

from __future__ import annotations

import hashlib
import json
import statistics
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from nas.atomic import replacing
from nas.data.download import cache_dir
from nas.data.folder_layout import FolderLayout, find_layout, image_files
from nas.data.image_decode import decode_files
from nas.data.splits import (
    MIN_VAL_PER_CLASS,
    Splits,
    split_sizes,
    stratified_split,
    subset,
)
from nas.errors import ConfigError, InputError, MissingFile

if TYPE_CHECKING:
    from nas.data.config import DataConfig

DEFAULT_IMAGE_SIZE = 64
DEFAULT_RESIZE = "crop"
SHOWN_UNREADABLE = 3  # unreadable files named in the one warning line
_CACHE_VERSION = 2

Items = list[tuple[Path, int]]  # (file, label)


def _labelled_files(folder: Path, classes: tuple[str, ...]) -> Items:
    return [
        (path, label)
        for label, name in enumerate(classes)
        if (folder / name).is_dir()
        for path in image_files(folder / name)
    ]


def _cache_path(root: Path, size: int, policy: str, items: Items) -> Path:
    """A cache file named by the folder, the size, the policy and every file's name, label,
    time and size."""
    listing = []
    for path, label in items:
        stat = path.stat()
        listing.append([str(path.relative_to(root)), label, stat.st_mtime_ns, stat.st_size])
    key = json.dumps([_CACHE_VERSION, str(root), size, policy, listing])
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_dir() / f"imagefolder-{digest}.pt"


def _load_cache(path: Path, count: int) -> dict | None:
    if not path.is_file():
        return None
    try:
        cached = torch.load(path, map_location="cpu", weights_only=True)
        if len(cached["kept"]) + len(cached["unreadable"]) != count:
            return None
        if cached["images"].dtype != torch.uint8 or len(cached["images"]) != len(cached["kept"]):
            return None
        return cached
    except Exception:  # a stale or corrupt cache is decoded again, never an error
        return None


def _save_cache(path: Path, decoded: dict) -> None:
    try:
        with replacing(path) as temporary:
            torch.save(decoded, temporary)
    except OSError as error:
        # stacklevel 4: the warning points at load_data (_decode, load, load_data)
        warnings.warn(f"cannot cache decoded images in {path}: {error}", stacklevel=4)


def _decode(root: Path, items: Items, size: int, policy: str) -> dict:
    """The readable files of ``items`` decoded (or read from the cache): ``images`` (N, C, size,
    size) uint8, ``kept`` (indices into ``items``), ``unreadable`` ([path, why]), ``sides``."""
    path = _cache_path(root, size, policy, items)
    cached = _load_cache(path, len(items))
    if cached is not None:
        return cached
    decoded = decode_files([file for file, _ in items], size, policy)
    result = {
        "images": torch.from_numpy(decoded.images).permute(0, 3, 1, 2).contiguous(),
        "kept": list(decoded.kept),
        "unreadable": [[str(file.relative_to(root)), why] for file, why in decoded.unreadable],
        "sides": list(decoded.shorter_sides),
    }
    _save_cache(path, result)
    return result


def _unreadable_note(text: str, unreadable: list, strict: bool) -> str | None:
    if not unreadable:
        return None
    first = ", ".join(f"{name} ({why})" for name, why in unreadable[:SHOWN_UNREADABLE])
    more = ", ..." if len(unreadable) > SHOWN_UNREADABLE else ""
    if strict:
        raise ConfigError(
            None,
            None,
            f"image folder {text!r}: {len(unreadable)} file(s) cannot be read as images: "
            f"{first}{more} (without {{strict_images}} they are skipped)",
        )
    return f"{len(unreadable)} unreadable file(s) skipped: {first}{more}"


def _check_classes(text: str, layout: FolderLayout, labels: torch.Tensor, where: str) -> None:
    counts = torch.bincount(labels, minlength=len(layout.classes)).tolist()
    empty = [name for name, count in zip(layout.classes, counts, strict=True) if count == 0]
    if empty:
        raise InputError(
            f"image folder {text!r}: class {empty[0]!r} has no usable image in {where} "
            f"({len(empty)} such class(es)); every class needs images to learn from"
        )


def _size_note(sides: list[int], size: int, policy: str, channels: int) -> str:
    colour = "greyscale" if channels == 1 else "RGB"
    how = "shorter side resized, centre cropped" if policy == "crop" else "stretched"
    if not sides:
        return f"images {colour}, {how} to {size}x{size}"
    upsampled = sum(side < size for side in sides) / len(sides)
    return (
        f"images {colour}, {how} to {size}x{size} (shorter sides {min(sides)}-{max(sides)} px, "
        f"median {statistics.median(sides):g}; {upsampled:.0%} upsampled)"
    )


def _class_counts(classes: tuple[str, ...], train: torch.Tensor, val: torch.Tensor) -> str:
    n = len(classes)
    trains = torch.bincount(train, minlength=n).tolist()
    vals = torch.bincount(val, minlength=n).tolist()
    parts = [f"{c} {t}/{v}" for c, t, v in zip(classes, trains, vals, strict=True)]
    note = f"per class (training/held-out): {', '.join(parts)}"
    if min(trains) and max(trains) >= 3 * min(trains):
        note += f" (imbalanced {max(trains) / min(trains):.1f}:1; balanced accuracy is recorded)"
    return note


def _held_out(
    config: DataConfig, text: str, images: torch.Tensor, labels: torch.Tensor, classes
) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """(train, val) indices held out per class, and notes on what was capped."""
    count = len(labels)
    if config.val_fraction is not None:
        n_val, n_train = max(1, round(config.val_fraction * count)), None
        asked = f"val_fraction {config.val_fraction:g}"
    else:
        n_val, n_train, _ = split_sizes(
            count, config.val_subset, config.train_subset, config.val_cap, config.train_cap
        )
        demanded = config.val_subset is not None and not config.val_cap
        asked = f"{config.val_subset:,} asked" if demanded else "the default share"
    try:
        train, val = stratified_split(labels, n_val, config.seed, classes)
    except ValueError as error:
        raise InputError(f"image folder {text!r}: {error}") from None
    if config.val_fraction is not None and config.train_subset is not None:
        n_train = config.train_subset
        if n_train > len(train) and not config.train_cap:
            raise ConfigError(
                None,
                None,
                f"{{train_subset}}={n_train} is larger than the {len(train)} training images "
                f"left after holding out {len(val)}",
            )
    notes = [
        f"held out {len(val):,} of {count:,} images per class ({asked}, at least "
        f"{MIN_VAL_PER_CLASS} a class)"
    ]
    if n_train is not None and n_train < len(train):
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(config.seed))
        train = train[order[:n_train]]
    elif n_train is not None and n_train > len(train) and config.train_subset is not None:
        notes.append(f"train_subset {config.train_subset:,} capped at {len(train):,}: all left")
    return train, val, tuple(notes)


def load(config: DataConfig, path: str | None = None) -> Splits:
    """The images under folder ``path`` (layouts: ``folder_layout``), decoded to
    ``config.image_size`` (default 64) by ``config.resize``: ``val/`` as it is (seeded subsets
    when ``config`` asks for them), else validation held out of the training images per class
    (``config.val_fraction`` of them, else the subset sizes' rule). Unreadable files are skipped
    and listed in ``Splits.skipped`` (``config.strict_images``: refused)."""
    text = str(path)
    layout = find_layout(text)
    size = config.image_size or DEFAULT_IMAGE_SIZE
    policy = config.resize or DEFAULT_RESIZE
    train_items = _labelled_files(layout.train, layout.classes)
    val_items = _labelled_files(layout.val, layout.classes) if layout.val else []
    if layout.val is not None and config.val_fraction is not None:
        raise ConfigError(
            "val_fraction",
            config.val_fraction,
            f"holds validation out of the training images, but {text!r} has a val/ folder: "
            "remove one of them",
        )
    items = train_items + val_items
    if not train_items:
        raise InputError(f"image folder {text!r} has no image files in its class folders")
    decoded = _decode(layout.root, items, size, policy)
    kept = torch.tensor(decoded["kept"], dtype=torch.int64)
    all_labels = torch.tensor([label for _, label in items], dtype=torch.int64)
    labels = all_labels[kept]
    in_val = kept >= len(train_items)
    images = decoded["images"]
    notes = [layout.describe()]
    skipped = _unreadable_note(text, decoded["unreadable"], config.strict_images)
    if skipped:
        notes.append(skipped)
    notes.append(_size_note(decoded["sides"], size, policy, images.shape[1]))
    train_images, train_labels = images[~in_val], labels[~in_val]
    _check_classes(text, layout, train_labels, "train/" if layout.kind != "flat" else "it")
    if layout.val is not None:
        val_images, val_labels = images[in_val], labels[in_val]
        if not len(val_labels):
            raise InputError(f"image folder {text!r} has no usable image in val/")
        generator = torch.Generator().manual_seed(config.seed)
        val, val_notes = subset(
            len(val_images), config.val_subset, generator, "val", config.val_cap
        )
        train, train_notes = subset(
            len(train_images), config.train_subset, generator, "train", config.train_cap
        )
        capped = val_notes + train_notes
        val_images, val_labels = val_images[val], val_labels[val]
        train_images, train_labels = train_images[train], train_labels[train]
    else:
        train, val, capped = _held_out(config, text, train_images, train_labels, layout.classes)
        val_images, val_labels = train_images[val], train_labels[val]
        train_images, train_labels = train_images[train], train_labels[train]
    notes.append(_class_counts(layout.classes, train_labels, val_labels))
    return Splits(
        train_images,
        train_labels,
        val_images,
        val_labels,
        len(layout.classes),
        tuple(notes) + tuple(capped),
        classes=layout.classes,
        skipped=tuple((name, why) for name, why in decoded["unreadable"]),
    )


def load_test(config: DataConfig, path: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The images of ``path/test/<class>/``, the classes those of the training images; files
    that cannot be read are left out."""
    layout = find_layout(str(path))
    if layout.test is None:
        raise MissingFile(
            f"image folder {path!r} has no test/ folder (PATH/test/<class>/<image>) to report "
            "a final accuracy on"
        )
    items = _labelled_files(layout.test, layout.classes)
    if not items:
        raise InputError(f"image folder {path!r} has no images in test/")
    size = config.image_size or DEFAULT_IMAGE_SIZE
    decoded = _decode(layout.root, items, size, config.resize or DEFAULT_RESIZE)
    labels = torch.tensor([label for _, label in items], dtype=torch.int64)
    return decoded["images"], labels[torch.tensor(decoded["kept"], dtype=torch.int64)]
