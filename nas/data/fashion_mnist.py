"""Fashion-MNIST's training idx files: found on disk or downloaded, read and held out."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from nas.data._util import one_line
from nas.data.download import cache_dir, download_file, new_folders, remove_folders
from nas.data.splits import Splits, hold_out
from nas.errors import InputError, MissingFile

if TYPE_CHECKING:
    from nas.data.config import DataConfig

FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
FASHION_TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist


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
        raise MissingFile(f"idx file {path} does not exist") from None
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"idx file {path} cannot be read: {one_line(error)}") from None
    magic = data[:4]
    if len(magic) < 4 or magic[:3] != b"\x00\x00\x08" or magic[3] == 0:
        raise InputError(f"{path} is not an idx file of unsigned bytes (magic {magic.hex()!r})")
    if ndim is not None and magic[3] != ndim:
        raise InputError(
            f"{path} holds a {magic[3]}-d array (magic {magic.hex()}), expected {ndim}-d "
            f"(magic 0000080{ndim})"
        )
    header = 4 + 4 * magic[3]
    if len(data) < header:
        raise InputError(f"{path} is truncated: {len(data)} bytes, shorter than its header")
    dims = struct.unpack(f">{magic[3]}I", data[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise InputError(f"{path} has {len(data)} bytes, its header {dims} needs {expected}")
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


def _training_files(config: DataConfig) -> list[Path]:
    """The images and labels files: in ``data_dir``, else Debian's folder or the cache;
    downloaded into ``data_dir`` or the cache when missing and allowed."""
    if config.data_dir is not None:
        target = Path(config.data_dir).expanduser()
        searched = [target]
    else:
        target = cache_dir() / "fashion-mnist"
        searched = [SYSTEM_FASHION_DIR, target]
    files = next((f for f in map(_find_idx_files, searched) if f is not None), None)
    if files is not None:
        return files
    reason = "download=False"
    if config.download:
        created = new_folders(target)  # a data folder that did not exist is not left behind
        try:
            for stem in FASHION_FILES:
                download_file(FASHION_URL + stem + ".gz", target / (stem + ".gz"))
            return [target / (stem + ".gz") for stem in FASHION_FILES]
        except OSError as error:
            reason = f"download failed: {one_line(error)}"
            if created:
                for stem in FASHION_FILES:
                    (target / (stem + ".gz")).unlink(missing_ok=True)
                remove_folders(created)
    raise MissingFile(
        "Fashion-MNIST training files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        f".gz or not) not found in {' or '.join(map(str, searched))} ({reason}); install "
        "Debian's dataset-fashion-mnist or point the data folder setting data_dir at a folder "
        "holding them"
    )


def _read_pair(files: list[Path]) -> tuple[torch.Tensor, torch.Tensor]:
    images = read_idx(files[0], ndim=3)
    labels = read_idx(files[1], ndim=1)
    if images.shape[1] != images.shape[2]:
        raise InputError(f"{files[0]} holds {images.shape[1]}x{images.shape[2]} images, not square")
    if labels.shape[0] != images.shape[0]:
        raise InputError(
            f"{files[1]} holds {labels.shape[0]} labels but {files[0]} {images.shape[0]} images"
        )
    if labels.size and labels.max() >= 10:
        raise InputError(f"{files[1]} holds label {labels.max()}, Fashion-MNIST has 10 classes")
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels).to(torch.int64)


def load_test(config: DataConfig, path: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The official 10,000 test images and labels (the t10k files beside the training files,
    downloaded there when missing and allowed)."""
    folder = _training_files(config)[0].parent
    files = [
        next((folder / n for n in (stem, stem + ".gz") if (folder / n).is_file()), None)
        for stem in FASHION_TEST_FILES
    ]
    if not all(files) and config.download:
        try:
            for stem in FASHION_TEST_FILES:
                download_file(FASHION_URL + stem + ".gz", folder / (stem + ".gz"))
            files = [folder / (stem + ".gz") for stem in FASHION_TEST_FILES]
        except OSError as error:
            raise MissingFile(
                f"Fashion-MNIST test files not found in {folder} and the download failed: "
                f"{one_line(error)}"
            ) from None
    if not all(files):
        raise MissingFile(
            f"Fashion-MNIST test files ({', '.join(FASHION_TEST_FILES)}) not found in {folder}"
        )
    return _read_pair(files)  # type: ignore[arg-type]


def load(config: DataConfig, path: str | None = None) -> Splits:
    """The training images (1 x 28 x 28, 60,000 in the real files) and labels, split by
    ``config``."""
    tensors = _read_pair(_training_files(config))
    return hold_out(*tensors, config, 10)
