"""CIFAR-10's training batches: found, or downloaded and extracted, and unpickled safely."""

from __future__ import annotations

import importlib
import logging
import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from nas.data._util import one_line
from nas.data.download import cache_dir, download_tree
from nas.data.splits import Splits, hold_out
from nas.errors import InputError, MissingFile

if TYPE_CHECKING:
    from nas.data.config import DataConfig

CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_MD5 = "c58f30108f718f92721af3b95e74349a"  # of the archive at CIFAR_URL
CIFAR_URL_ENV = "EFFICIENTNAS_CIFAR10_URL"  # a mirror's URL, when DataConfig.download_url is None
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))

logger = logging.getLogger(__name__)


def _numpy_global(name: str) -> object:
    if name in ("ndarray", "dtype"):
        return getattr(np, name)
    suffix = "multiarray" if name == "_reconstruct" else "numeric"
    for module in (f"numpy._core.{suffix}", f"numpy.core.{suffix}"):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise InputError(f"numpy has no {name}")  # pragma: no cover - every numpy has one of them


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): "_reconstruct",
    ("numpy._core.multiarray", "_reconstruct"): "_reconstruct",
    ("numpy.core.numeric", "_frombuffer"): "_frombuffer",  # numpy arrays at pickle protocol 5
    ("numpy._core.numeric", "_frombuffer"): "_frombuffer",
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
}


class RefusedGlobal(InputError):
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


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as stream:
            batch = ArrayUnpickler(stream, str(path)).load()
    except RefusedGlobal:
        raise
    except Exception as error:  # a corrupt pickle can fail in many ways; none runs code
        raise InputError(f"{path} is not a CIFAR-10 batch: {one_line(error)}") from None
    if not isinstance(batch, dict):
        raise InputError(f"{path} is not a CIFAR-10 batch: it holds a {type(batch).__name__}")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise InputError(f"{path} is not a CIFAR-10 batch: 'data' is not a uint8 (n, 3072) array")
    if data.shape[1] != 3 * 32 * 32:
        raise InputError(f"{path} holds rows of {data.shape[1]} bytes, CIFAR-10 has 3072")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise InputError(f"{path} is not a CIFAR-10 batch: 'labels' are not integers") from None
    if labels.shape != (data.shape[0],):
        raise InputError(f"{path} holds {data.shape[0]} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= 10):
        raise InputError(f"{path} holds a label outside 0..9")
    return data.reshape(-1, 3, 32, 32), labels


def download_source(config: DataConfig) -> tuple[str, str]:
    """(URL, MD5) of the archive to download: ``download_url``, else ``$EFFICIENTNAS_CIFAR10_URL``,
    else the official URL; ``download_md5``, else the official archive's MD5."""
    url = config.download_url or os.environ.get(CIFAR_URL_ENV) or CIFAR_URL
    return url, config.download_md5 or CIFAR_MD5


def _batch_folder(config: DataConfig) -> Path:
    """The folder holding the five batches: in ``data_dir`` (or it itself, or torchvision's
    ``data_dir/cifar-10-batches-py``), else in the cache; downloaded and extracted there when
    missing and allowed."""
    if config.data_dir is not None:
        root = Path(config.data_dir).expanduser()
        candidates = [root / CIFAR_FOLDER, root]
    else:
        root = cache_dir() / "cifar10"
        candidates = [root / CIFAR_FOLDER]

    def find() -> Path | None:
        return next((c for c in candidates if all((c / b).is_file() for b in CIFAR_BATCHES)), None)

    folder = find()
    if folder is not None:
        return folder
    url, md5 = download_source(config)
    partial = root / CIFAR_FOLDER
    if partial.exists():  # the user's: never replaced by a download
        missing = next(b for b in CIFAR_BATCHES if not (partial / b).is_file())
        reason = f"{partial} exists without {missing}"
    elif not config.download:
        reason = "download=False"
    else:
        logger.info("downloading CIFAR-10 from %s into %s", url, root)
        reason = f"{url} did not hold the five batches"
        try:
            download_tree(url, md5, root, CIFAR_FOLDER, CIFAR_BATCHES)
        except OSError as error:
            reason = f"download failed: {one_line(error)}"
        folder = find()
    if folder is None:
        raise MissingFile(
            f"CIFAR-10 batches ({CIFAR_FOLDER}/data_batch_1..5) not found in {root} "
            f"({reason}); download and extract {url} there, or point the data folder "
            "setting data_dir at a folder holding them"
        )
    return folder


def load(config: DataConfig, path: str | None = None) -> Splits:
    """The training images (3 x 32 x 32, 50,000 in the real batches) and labels, split by
    ``config``."""
    folder = _batch_folder(config)
    parts = [_read_batch(folder / name) for name in CIFAR_BATCHES]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return hold_out(torch.from_numpy(images), torch.from_numpy(labels), config, 10)


CIFAR_TEST_BATCH = "test_batch"


def load_test(config: DataConfig, path: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The official 10,000 test images and labels (``test_batch`` beside the training batches)."""
    folder = _batch_folder(config)
    if not (folder / CIFAR_TEST_BATCH).is_file():
        raise MissingFile(f"CIFAR-10's {CIFAR_TEST_BATCH} not found in {folder}")
    images, labels = _read_batch(folder / CIFAR_TEST_BATCH)
    return torch.from_numpy(images), torch.from_numpy(labels)
