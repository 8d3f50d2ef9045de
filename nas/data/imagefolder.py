"""Class-per-folder images: listed, decoded with Pillow to one square size, cached, split."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from nas.data._util import one_line
from nas.data.download import cache_dir
from nas.data.splits import Splits, hold_out, subset

if TYPE_CHECKING:
    from nas.data.config import DataConfig

DEFAULT_IMAGE_SIZE = 64
IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm"}
)
_GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
_CACHE_VERSION = 1

Parts = dict[str, list[tuple[Path, int]]]  # "train" and "val", or "all": (file, label) pairs


def _class_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_EXTENSIONS
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.is_file()
    )


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ValueError("imagefolder datasets need Pillow: pip install pillow") from None
    return Image


def _image_mode(path: Path) -> str:
    Image = _pil()
    try:
        with Image.open(path) as image:
            return image.mode
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path} cannot be decoded as an image: {one_line(error)}") from None


def _decode_image(path: Path, mode: str, size: int) -> np.ndarray:
    """One image as a uint8 (size, size, channels) array."""
    Image = _pil()
    try:
        with Image.open(path) as image:
            image = image.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path} cannot be decoded as an image: {one_line(error)}") from None
    return array.reshape(size, size, -1)


def _decode_folder(parts: Parts, size: int) -> dict[str, torch.Tensor]:
    """Decode every part's files: RGB, or L if every image of every part is greyscale."""
    files = [path for items in parts.values() for path, _ in items]
    mode = "L" if all(_image_mode(path) in _GREY_MODES for path in files) else "RGB"
    channels = 1 if mode == "L" else 3
    decoded = {}
    for part, items in parts.items():
        images = np.empty((len(items), size, size, channels), dtype=np.uint8)
        for index, (path, _) in enumerate(items):
            images[index] = _decode_image(path, mode, size)
        decoded[f"{part}_images"] = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
        decoded[f"{part}_labels"] = torch.tensor([label for _, label in items], dtype=torch.int64)
    return decoded


def _cache_path(root: Path, size: int, parts: Parts) -> Path:
    """A cache file named by the folder, the size and every file's name, label, time and size."""
    listing = []
    for part, items in parts.items():
        for path, label in items:
            stat = path.stat()
            listing.append(
                [part, str(path.relative_to(root)), label, stat.st_mtime_ns, stat.st_size]
            )
    key = json.dumps([_CACHE_VERSION, str(root), size, listing])
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_dir() / f"imagefolder-{digest}.pt"


def _load_cache(path: Path, parts: Parts, size: int):
    if not path.is_file():
        return None
    try:
        cached = torch.load(path, map_location="cpu", weights_only=True)
        for part, items in parts.items():
            images, labels = cached[f"{part}_images"], cached[f"{part}_labels"]
            ok = images.dtype == torch.uint8 and images.shape[0] == len(items)
            if not ok or images.shape[2:] != (size, size) or labels.shape != (len(items),):
                return None
        return cached
    except Exception:  # a stale or corrupt cache is decoded again, never an error
        return None


def _save_cache(path: Path, decoded: dict[str, torch.Tensor]) -> None:
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(decoded, temporary)
        os.replace(temporary, path)
    except OSError as error:
        # stacklevel 4: the warning points at load_data (_decoded, load, load_data)
        warnings.warn(f"cannot cache decoded images in {path}: {error}", stacklevel=4)
        temporary.unlink(missing_ok=True)


def _labelled_files(folder: Path, classes: list[str]) -> list[tuple[Path, int]]:
    return [
        (path, label)
        for label, name in enumerate(classes)
        if (folder / name).is_dir()
        for path in _image_files(folder / name)
    ]


def _decoded(config: DataConfig, text: str) -> tuple[dict[str, torch.Tensor], int]:
    """Decoded parts ("train" and "val", or "all") and the number of classes."""
    root = Path(text).expanduser().resolve()
    if not root.exists():
        raise FileNotFoundError(f"image folder {text!r} does not exist")
    if not root.is_dir():
        raise ValueError(f"image folder {text!r} is not a folder")
    layout = "PATH/<class>/<image>, or PATH/train/<class>/... and PATH/val/<class>/..."
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes = _class_names(root / "train")
        unknown = sorted(set(_class_names(root / "val")) - set(classes))
        if unknown:
            raise ValueError(f"image folder {text!r}: val/{unknown[0]} is not a class of train/")
        parts = {split: _labelled_files(root / split, classes) for split in ("train", "val")}
    else:  # a test/ folder beside the class folders is the test split, not a class
        classes = [name for name in _class_names(root) if name != "test"]
        parts = {"all": _labelled_files(root, classes)}
    if not classes:
        raise ValueError(f"image folder {text!r} has no class folders (expected {layout})")
    for part, items in parts.items():
        if not items:
            where = "" if part == "all" else f" in {part}/"
            raise ValueError(
                f"image folder {text!r} has no images{where} (extensions: "
                f"{', '.join(sorted(IMAGE_EXTENSIONS))})"
            )
    size = config.image_size or DEFAULT_IMAGE_SIZE
    path = _cache_path(root, size, parts)
    decoded = _load_cache(path, parts, size)
    if decoded is None:
        decoded = _decode_folder(parts, size)
        _save_cache(path, decoded)
    return decoded, len(classes)


def load(config: DataConfig, path: str | None = None) -> Splits:
    """The images under folder ``path``, resized to ``config.image_size`` (default 64):
    ``path/train`` and ``path/val`` as they are (seeded subsets when ``config`` asks for them; a
    capped subset larger than its folder is all of it), or one set split by ``config``'s
    hold-out."""
    decoded, num_classes = _decoded(config, path)
    if "all_images" in decoded:
        return hold_out(decoded["all_images"], decoded["all_labels"], config, num_classes)
    generator = torch.Generator().manual_seed(config.seed)
    val, val_notes = subset(
        len(decoded["val_images"]), config.val_subset, generator, "val", config.val_cap
    )
    train, train_notes = subset(
        len(decoded["train_images"]), config.train_subset, generator, "train", config.train_cap
    )
    return Splits(
        decoded["train_images"][train],
        decoded["train_labels"][train],
        decoded["val_images"][val],
        decoded["val_labels"][val],
        num_classes,
        val_notes + train_notes,
    )


def load_test(config: DataConfig, path: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The images of ``path/test/<class>/``, the classes those of the training images."""
    root = Path(str(path)).expanduser().resolve()
    train_root = root / "train" if (root / "train").is_dir() else root
    classes = [name for name in _class_names(train_root) if name != "test"]
    if not (root / "test").is_dir():
        raise FileNotFoundError(
            f"image folder {path!r} has no test/ folder (PATH/test/<class>/<image>) to report "
            "a final accuracy on"
        )
    unknown = sorted(set(_class_names(root / "test")) - set(classes))
    if unknown:
        raise ValueError(f"image folder {path!r}: test/{unknown[0]} is not a training class")
    items = _labelled_files(root / "test", classes)
    if not items:
        raise ValueError(f"image folder {path!r} has no images in test/")
    decoded = _decode_folder({"test": items}, config.image_size or DEFAULT_IMAGE_SIZE)
    return decoded["test_images"], decoded["test_labels"]
