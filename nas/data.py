"""Datasets as uint8 tensors on the training device, with a seeded validation hold-out and
vectorised on-device augmentation.

Only a dataset's TRAINING files are read: the validation images a search scores candidates on
are held out of them, so the official test set stays untouched. Known datasets:

- ``fashion-mnist`` (default): the idx files, from ``data_dir``, Debian's ``dataset-fashion-mnist``
  (/usr/share/datasets/fashion-mnist) or the cache, downloaded when missing and allowed.
- ``cifar10``: the python-pickle batches ``cifar-10-batches-py/data_batch_1..5``, read with an
  unpickler that can build numpy arrays and nothing else.
- ``imagefolder:PATH``: class-per-folder images (``PATH/<class>/*``, or ``PATH/train`` and
  ``PATH/val``), decoded with Pillow, resized to a square and cached.
- ``synthetic``: ten smooth class templates plus noise, generated in memory (for tests).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import importlib
import json
import os
import pickle
import struct
import tarfile
import urllib.request
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

DATASETS = ("fashion-mnist", "cifar10", "imagefolder:PATH", "synthetic")
DEFAULT_TRAIN_SUBSET = 5000  # synthetic sizes when a subset is None
DEFAULT_VAL_SUBSET = 2000
DEFAULT_IMAGE_SIZE = 64  # imagefolder
LARGE_SET = 50_000  # a set this large holds out 10,000 validation images by default, else 10%
DOWNLOAD_TIMEOUT_S = 30

FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm"}
)
_GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
_CACHE_VERSION = 1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _dataset_kind(dataset: object) -> tuple[str, str | None]:
    """("imagefolder", PATH) or (name, None); ValueError for an unknown name."""
    if isinstance(dataset, str):
        if dataset.startswith("imagefolder:"):
            path = dataset[len("imagefolder:") :]
            if not path:
                raise ValueError("dataset 'imagefolder:' names no folder: use imagefolder:PATH")
            return "imagefolder", path
        if dataset in ("fashion-mnist", "cifar10", "synthetic"):
            return dataset, None
    raise ValueError(f"unknown dataset {dataset!r}: known are {', '.join(DATASETS)}")


@dataclass(frozen=True)
class DataConfig:
    """Which images a proxy trains and validates on."""

    dataset: str = "fashion-mnist"  # "fashion-mnist" | "cifar10" | "imagefolder:PATH" | "synthetic"
    data_dir: str | None = None  # where to look for / download the files
    train_subset: int | None = 5000  # None: all that remain after the validation hold-out
    val_subset: int | None = 2000  # held out of the training set; None: 10,000 or 10% if small
    seed: int = 0  # fixes which images are held out and which form the subsets
    download: bool = True  # try to download when the files are missing
    image_size: int | None = None  # imagefolder only: square size to resize to (default 64)

    def __post_init__(self) -> None:
        kind, _ = _dataset_kind(self.dataset)
        for name in ("train_subset", "val_subset", "image_size"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 1):
                raise ValueError(f"{name}={value!r} is invalid: must be an integer >= 1 or None")
        if not _is_int(self.seed):
            raise ValueError(f"seed={self.seed!r} is invalid: must be an integer")
        if self.image_size is not None and kind != "imagefolder":
            raise ValueError(
                f"image_size={self.image_size} applies only to imagefolder datasets, "
                f"not {self.dataset!r}"
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

    def __post_init__(self) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        for split in ("train", "val"):
            images = getattr(self, f"{split}_images")
            labels = getattr(self, f"{split}_labels")
            if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1:] != expected:
                raise ValueError(
                    f"{split}_images must be uint8 (N, {', '.join(map(str, expected))}), "
                    f"got {images.dtype} {tuple(images.shape)}"
                )
            if labels.dtype != torch.int64 or labels.shape != images.shape[:1]:
                raise ValueError(
                    f"{split}_labels must be int64 ({images.shape[0]},), "
                    f"got {labels.dtype} {tuple(labels.shape)}"
                )
        if len(self.mean) != self.in_channels or len(self.std) != self.in_channels:
            raise ValueError(f"mean and std need {self.in_channels} values, one per channel")

    @property
    def device(self) -> torch.device:
        return self.train_images.device

    def to(self, device: str | torch.device) -> ProxyData:
        """The same data with its tensors on ``device``."""
        target = _device(device)
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


def _device(device: str | torch.device) -> torch.device:
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device {device!r} is invalid: {error}") from None


def _move(tensor: torch.Tensor, target: torch.device, asked: object) -> torch.Tensor:
    try:
        return tensor.to(target)
    except (RuntimeError, AssertionError) as error:  # torch asserts for a missing CUDA build
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"device {asked!r} is not usable: {message}") from None


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/efficientnas``, or ``~/.cache/efficientnas``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "efficientnas"


# ---------------------------------------------------------------------------------------------
# Hold-out


def default_val_size(num_images: int) -> int:
    """Validation images held out when val_subset is None: 10,000 of a large set, else 10%."""
    return 10_000 if num_images >= LARGE_SET else max(1, num_images // 10)


def split_indices(
    num_images: int, val_subset: int | None, train_subset: int | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, val) indices into a set of ``num_images``: a permutation seeded by ``seed``
    whose first ``val_subset`` entries are validation and the next ``train_subset`` training."""
    for name, value in (("val_subset", val_subset), ("train_subset", train_subset)):
        if value is not None and (not _is_int(value) or value < 1):
            raise ValueError(f"{name}={value!r} is invalid: must be an integer >= 1 or None")
    if num_images < 2:
        raise ValueError(f"a validation hold-out needs at least 2 images, the set has {num_images}")
    n_val = default_val_size(num_images) if val_subset is None else val_subset
    if n_val > num_images - 1:
        raise ValueError(
            f"val_subset={val_subset} is larger than the {num_images - 1} images available for "
            f"validation (the set has {num_images}; at least one stays for training)"
        )
    remaining = num_images - n_val
    n_train = remaining if train_subset is None else train_subset
    if n_train > remaining:
        raise ValueError(
            f"train_subset={train_subset} is larger than the {remaining} training images "
            f"available after holding out {n_val} for validation (None uses them all)"
        )
    order = torch.randperm(num_images, generator=torch.Generator().manual_seed(seed))
    return order[n_val : n_val + n_train], order[:n_val]


def _hold_out(
    images: torch.Tensor, labels: torch.Tensor, config: DataConfig
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train images, train labels, val images, val labels) by ``split_indices``."""
    train, val = split_indices(len(images), config.val_subset, config.train_subset, config.seed)
    return images[train], labels[train], images[val], labels[val]


def _subset(num_images: int, size: int | None, generator: torch.Generator, split: str):
    """A seeded subset of ``size`` of a split folder's indices (all, shuffled, when None)."""
    if size is not None and size > num_images:
        raise ValueError(
            f"{split}_subset={size} is larger than the {num_images} images in {split}/"
        )
    order = torch.randperm(num_images, generator=generator)
    return order if size is None else order[:size]


def _channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
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


# ---------------------------------------------------------------------------------------------
# Downloads


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _download(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` (written whole or not at all); OSError when it cannot."""
    if dest.is_file():
        return
    part = dest.with_name(dest.name + f".{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            expected = response.headers.get("Content-Length")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(part, "wb") as out:
                while block := response.read(1 << 20):
                    out.write(block)
        if expected is not None and part.stat().st_size != int(expected):
            raise OSError(f"{url} ended after {part.stat().st_size} of {expected} bytes")
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """An idx file of unsigned bytes (gzipped when its name ends in .gz) as a numpy array;
    ValueError naming the file when it is corrupt or not ``ndim``-dimensional."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                data = stream.read()
        else:
            data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"idx file {path} does not exist") from None
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"idx file {path} cannot be read: {_one_line(error)}") from None
    magic = data[:4]
    if len(magic) < 4 or magic[:3] != b"\x00\x00\x08" or magic[3] == 0:
        raise ValueError(f"{path} is not an idx file of unsigned bytes (magic {magic.hex()!r})")
    if ndim is not None and magic[3] != ndim:
        raise ValueError(
            f"{path} holds a {magic[3]}-d array (magic {magic.hex()}), expected {ndim}-d "
            f"(magic 0000080{ndim})"
        )
    header = 4 + 4 * magic[3]
    if len(data) < header:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, shorter than its header")
    dims = struct.unpack(f">{magic[3]}I", data[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise ValueError(f"{path} has {len(data)} bytes, its header {dims} needs {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def _find_idx_files(folder: Path) -> list[Path] | None:
    for candidate in (folder, folder / "fashion-mnist"):
        found = [
            next((candidate / n for n in (stem, stem + ".gz") if (candidate / n).is_file()), None)
            for stem in FASHION_FILES
        ]
        if all(found):
            return found
    return None


def _load_fashion(config: DataConfig) -> tuple[torch.Tensor, torch.Tensor, int]:
    if config.data_dir is not None:
        target = Path(config.data_dir).expanduser()
        searched = [target]
    else:
        target = cache_dir() / "fashion-mnist"
        searched = [SYSTEM_FASHION_DIR, target]
    files = next((f for f in map(_find_idx_files, searched) if f is not None), None)
    if files is None:
        reason = "download=False"
        if config.download:
            try:
                for stem in FASHION_FILES:
                    _download(FASHION_URL + stem + ".gz", target / (stem + ".gz"))
                files = [target / (stem + ".gz") for stem in FASHION_FILES]
            except OSError as error:
                reason = f"download failed: {_one_line(error)}"
        if files is None:
            raise FileNotFoundError(
                "Fashion-MNIST training files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                f".gz or not) not found in {' or '.join(map(str, searched))} ({reason}); install "
                "Debian's dataset-fashion-mnist or pass --data-dir DIR holding them"
            )
    images = read_idx(files[0], ndim=3)
    labels = read_idx(files[1], ndim=1)
    if images.shape[1] != images.shape[2]:
        raise ValueError(f"{files[0]} holds {images.shape[1]}x{images.shape[2]} images, not square")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"{files[1]} holds {labels.shape[0]} labels but {files[0]} {images.shape[0]} images"
        )
    if labels.size and labels.max() >= 10:
        raise ValueError(f"{files[1]} holds label {labels.max()}, Fashion-MNIST has 10 classes")
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels).to(torch.int64), 10


# ---------------------------------------------------------------------------------------------
# CIFAR-10


def _numpy_global(name: str) -> object:
    if name in ("ndarray", "dtype"):
        return getattr(np, name)
    suffix = "multiarray" if name == "_reconstruct" else "numeric"
    for module in (f"numpy._core.{suffix}", f"numpy.core.{suffix}"):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise ValueError(f"numpy has no {name}")  # pragma: no cover - every numpy has one of them


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): "_reconstruct",
    ("numpy._core.multiarray", "_reconstruct"): "_reconstruct",
    ("numpy.core.numeric", "_frombuffer"): "_frombuffer",  # numpy arrays at pickle protocol 5
    ("numpy._core.numeric", "_frombuffer"): "_frombuffer",
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
}


class RefusedGlobal(ValueError):
    """A pickle asked for a global other than numpy's array reconstruction."""


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain data and numpy arrays; any other global raises ValueError, so a pickle
    cannot run code."""

    def __init__(self, file, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> object:
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise RefusedGlobal(
                f"{self.source} references {module}.{name}: refused, only numpy arrays may be "
                "unpickled"
            )
        return _numpy_global(allowed)


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as stream:
            batch = ArrayUnpickler(stream, str(path)).load()
    except RefusedGlobal:
        raise
    except Exception as error:  # a corrupt pickle can fail in many ways; none runs code
        raise ValueError(f"{path} is not a CIFAR-10 batch: {_one_line(error)}") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{path} is not a CIFAR-10 batch: it holds a {type(batch).__name__}")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise ValueError(f"{path} is not a CIFAR-10 batch: 'data' is not a uint8 (n, 3072) array")
    if data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path} holds rows of {data.shape[1]} bytes, CIFAR-10 has 3072")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise ValueError(f"{path} is not a CIFAR-10 batch: 'labels' are not integers") from None
    if labels.shape != (data.shape[0],):
        raise ValueError(f"{path} holds {data.shape[0]} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= 10):
        raise ValueError(f"{path} holds a label outside 0..9")
    return data.reshape(-1, 3, 32, 32), labels


def _extract_cifar(archive: Path, root: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.isfile()
                and m.name.startswith(CIFAR_FOLDER + "/")
                and ".." not in Path(m.name).parts
            ]
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(root, members=members, **extra)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        archive.unlink(missing_ok=True)  # downloaded again next time
        raise ValueError(f"{archive} is not a valid CIFAR-10 archive: {_one_line(error)}") from None
    archive.unlink()


def _load_cifar(config: DataConfig) -> tuple[torch.Tensor, torch.Tensor, int]:
    if config.data_dir is not None:
        root = Path(config.data_dir).expanduser()
        candidates = [root / CIFAR_FOLDER, root]
    else:
        root = cache_dir() / "cifar10"
        candidates = [root / CIFAR_FOLDER]

    def find() -> Path | None:
        return next((c for c in candidates if all((c / b).is_file() for b in CIFAR_BATCHES)), None)

    folder = find()
    if folder is None:
        reason = "download=False"
        if config.download:
            try:
                archive = root / "cifar-10-python.tar.gz"
                _download(CIFAR_URL, archive)
                _extract_cifar(archive, root)
                reason = f"{CIFAR_URL} did not hold the batches"
            except OSError as error:
                reason = f"download failed: {_one_line(error)}"
            folder = find()
        if folder is None:
            raise FileNotFoundError(
                f"CIFAR-10 batches ({CIFAR_FOLDER}/data_batch_1..5) not found in {root} "
                f"({reason}); download and extract {CIFAR_URL} there, or pass --data-dir DIR "
                "holding them"
            )
    parts = [_read_cifar_batch(folder / name) for name in CIFAR_BATCHES]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return torch.from_numpy(images), torch.from_numpy(labels), 10


# ---------------------------------------------------------------------------------------------
# Image folders


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
        raise ValueError(f"{path} cannot be decoded as an image: {_one_line(error)}") from None


def _decode_image(path: Path, mode: str, size: int) -> np.ndarray:
    """One image as a uint8 (size, size, channels) array."""
    Image = _pil()
    try:
        with Image.open(path) as image:
            image = image.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
            array = np.asarray(image, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path} cannot be decoded as an image: {_one_line(error)}") from None
    return array.reshape(size, size, -1)


def _decode_folder(parts: dict[str, list[tuple[Path, int]]], size: int) -> dict[str, torch.Tensor]:
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


def _cache_path(root: Path, size: int, parts: dict[str, list[tuple[Path, int]]]) -> Path:
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


def _load_cache(path: Path, parts: dict[str, list[tuple[Path, int]]], size: int):
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
        warnings.warn(f"cannot cache decoded images in {path}: {error}", stacklevel=3)
        temporary.unlink(missing_ok=True)


def _labelled_files(folder: Path, classes: list[str]) -> list[tuple[Path, int]]:
    return [
        (path, label)
        for label, name in enumerate(classes)
        if (folder / name).is_dir()
        for path in _image_files(folder / name)
    ]


def _load_imagefolder(config: DataConfig, text: str) -> tuple[dict[str, torch.Tensor], int]:
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
    else:
        classes = _class_names(root)
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


# ---------------------------------------------------------------------------------------------
# Synthetic

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


def _synthetic(config: DataConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    n_val = config.val_subset or DEFAULT_VAL_SUBSET
    n_train = config.train_subset or DEFAULT_TRAIN_SUBSET
    generator = torch.Generator().manual_seed(config.seed)
    labels = torch.randint(0, 10, (n_val + n_train,), generator=generator)
    noise = torch.randn(n_val + n_train, 1, 28, 28, generator=generator) * _SYNTHETIC_NOISE
    images = (30 + 195 * synthetic_templates()[labels] + noise).round().clamp(0, 255)
    images = images.to(torch.uint8)
    return images[n_val:], labels[n_val:], images[:n_val], labels[:n_val]


# ---------------------------------------------------------------------------------------------
# Loading


def load_data(config: DataConfig, device: str | torch.device = "cpu") -> ProxyData:
    """The training and held-out validation images ``config`` names, on ``device``."""
    if not isinstance(config, DataConfig):
        raise ValueError(f"config must be a DataConfig, got {type(config).__name__}")
    target = _device(device)
    kind, path = _dataset_kind(config.dataset)
    if kind == "synthetic":
        train_x, train_y, val_x, val_y = _synthetic(config)
        num_classes = 10
    elif kind == "imagefolder":
        decoded, num_classes = _load_imagefolder(config, path)
        if "all_images" in decoded:
            train_x, train_y, val_x, val_y = _hold_out(
                decoded["all_images"], decoded["all_labels"], config
            )
        else:
            generator = torch.Generator().manual_seed(config.seed)
            val_idx = _subset(len(decoded["val_images"]), config.val_subset, generator, "val")
            train_idx = _subset(
                len(decoded["train_images"]), config.train_subset, generator, "train"
            )
            train_x, train_y = (
                decoded["train_images"][train_idx],
                decoded["train_labels"][train_idx],
            )
            val_x, val_y = decoded["val_images"][val_idx], decoded["val_labels"][val_idx]
    else:
        loader = _load_fashion if kind == "fashion-mnist" else _load_cifar
        images, labels, num_classes = loader(config)
        train_x, train_y, val_x, val_y = _hold_out(images, labels, config)
    mean, std = _channel_stats(train_x)
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
    )
    return data if target == data.device else data.to(device)


# ---------------------------------------------------------------------------------------------
# Batches


def _affine(data: ProxyData, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift), each (C, 1, 1), with uint8 * scale + shift = (x / 255 - mean) / std."""
    mean = torch.tensor(data.mean, dtype=torch.float32, device=device).view(-1, 1, 1)
    std = torch.tensor(data.std, dtype=torch.float32, device=device).view(-1, 1, 1)
    return 1.0 / (255.0 * std), -mean / std


def normalize(images_uint8: torch.Tensor, data: ProxyData) -> torch.Tensor:
    """uint8 images ((N,) C, H, W) as float32, normalised by the data's mean and std."""
    if images_uint8.dtype != torch.uint8:
        raise ValueError(f"normalize expects uint8 images, got {images_uint8.dtype}")
    if images_uint8.dim() < 3 or images_uint8.shape[-3] != data.in_channels:
        raise ValueError(
            f"normalize expects images with {data.in_channels} channels, "
            f"got shape {tuple(images_uint8.shape)}"
        )
    scale, shift = _affine(data, images_uint8.device)
    return images_uint8.to(torch.float32) * scale + shift


def _check_batch_size(batch_size: object) -> None:
    if not _is_int(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} is invalid: must be an integer >= 1")


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


def train_batches(
    data: ProxyData, batch_size: int, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of augmented, normalised training batches in a fresh random order.

    Incomplete batches are dropped, except that a set smaller than ``batch_size`` is one batch.
    ``generator`` may live on the data's device or on the CPU."""
    _check_batch_size(batch_size)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
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


def resized(data: ProxyData, size: int) -> ProxyData:
    """The same images resized to ``size`` x ``size`` (bilinear, antialiased), still uint8 on
    their device: compound scaling trains a network at the proxy resolution times gamma."""
    if not _is_int(size) or size < 8:
        raise ValueError(f"size={size!r} is invalid: must be an integer >= 8")
    if size == data.image_size:
        return data

    def resize(images: torch.Tensor) -> torch.Tensor:
        scaled = torch.nn.functional.interpolate(
            images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
        return scaled.round().clamp(0, 255).to(torch.uint8)

    return dataclasses.replace(
        data,
        train_images=resize(data.train_images),
        val_images=resize(data.val_images),
        image_size=size,
    )
