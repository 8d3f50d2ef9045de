"""The one list of datasets: each name, what it is, and the loader that reads it.

Every other place that names datasets (help texts, config checks) reads this list. A dataset
is named either by its kind (``cifar10``) or, for a kind that takes a folder, ``kind:PATH``
(``imagefolder:/data/flowers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nas.data import cifar10, fashion_mnist, imagefolder, synthetic
from nas.data.splits import Splits
from nas.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from nas.data.config import DataConfig


@dataclass(frozen=True)
class Source:
    """One kind of dataset."""

    kind: str  # the name, or the prefix before ":PATH"
    takes_path: bool  # named "kind:PATH" (a folder of the user's), not by a fixed name
    load: Callable[[DataConfig, str | None], Splits]  # (config, PATH or None) -> both splits
    # (config, PATH or None) -> the test images and labels, which only a final figure reads
    load_test: Callable[[DataConfig, str | None], tuple[torch.Tensor, torch.Tensor]]

    @property
    def shown(self) -> str:
        """How lists and messages show it: ``cifar10``, ``imagefolder:PATH``."""
        return f"{self.kind}:PATH" if self.takes_path else self.kind


SOURCES: tuple[Source, ...] = (
    Source("fashion-mnist", False, fashion_mnist.load, fashion_mnist.load_test),
    Source("cifar10", False, cifar10.load, cifar10.load_test),
    Source("synthetic", False, synthetic.load, synthetic.load_test),
    Source("imagefolder", True, imagefolder.load, imagefolder.load_test),
)
_BY_KIND = {source.kind: source for source in SOURCES}

DATASETS = tuple(source.shown for source in SOURCES)


def dataset_names() -> tuple[str, ...]:
    """Every dataset as help texts and messages show it:
    ("fashion-mnist", "cifar10", "synthetic", "imagefolder:PATH")."""
    return DATASETS


def fixed_datasets() -> tuple[str, ...]:
    """The datasets named without a folder, whose images are always the same:
    ("fashion-mnist", "cifar10", "synthetic")."""
    return tuple(source.kind for source in SOURCES if not source.takes_path)


def dataset_kind(name: object, field: str = "dataset") -> tuple[str, str | None]:
    """(kind, PATH) of a ``kind:PATH`` name, or (name, None); ConfigError naming ``field``
    for a name that is not in the list or a ``kind:`` without a folder."""
    if isinstance(name, str):
        kind, colon, path = name.partition(":")
        source = _BY_KIND.get(kind)
        if source is not None and source.takes_path == bool(colon):
            if source.takes_path and not path:
                raise ConfigError(field, name, f"names no folder: use {source.shown}")
            return kind, path if source.takes_path else None
    raise ConfigError(field, name, f"must be one of {', '.join(DATASETS)}")


def check_dataset(name: object, field: str = "dataset") -> None:
    """ConfigError naming ``field`` unless ``name`` is one of the datasets."""
    dataset_kind(name, field)


_NATIVE_SIZES = {"fashion-mnist": 28, "cifar10": 32, "synthetic": 28}


def image_size_of(name: str, image_size: int | None = None) -> int:
    """The side of dataset ``name``'s images as loaded (an image folder's: ``image_size`` or
    its default), known before anything is read."""
    kind, _ = dataset_kind(name)
    if kind in _NATIVE_SIZES:
        return _NATIVE_SIZES[kind]
    from nas.data.imagefolder import DEFAULT_IMAGE_SIZE

    return image_size or DEFAULT_IMAGE_SIZE


def source(name: str) -> tuple[Source, str | None]:
    """The source of dataset ``name`` and its PATH (None for a fixed dataset)."""
    kind, path = dataset_kind(name)
    return _BY_KIND[kind], path
