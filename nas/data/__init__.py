"""Datasets as uint8 tensors on the training device, with a seeded validation hold-out and
vectorised on-device augmentation.

A search reads only a dataset's TRAINING files: the validation images it scores candidates on
are held out of them. ``load_test`` reads the official test set, for a final figure only.
The datasets (``registry``): ``fashion-mnist`` (default), ``cifar10``, ``synthetic`` (made in
memory, for tests) and ``imagefolder:PATH`` (class-per-folder images, decoded once and cached).

Subset sizes a preset chose are budgets (``DataConfig.train_cap``/``val_cap``): a small dataset
gives what it has, and ``ProxyData.notes`` says what was capped. CIFAR-10 downloads are checked
against their MD5 and land whole or not at all; ``$EFFICIENTNAS_CIFAR10_URL`` names a mirror.
"""

from __future__ import annotations

from nas.data.batches import eval_batches, normalize, train_batches
from nas.data.cifar10 import CIFAR_URL_ENV, ArrayUnpickler, RefusedGlobal
from nas.data.config import DataConfig, ProxyData
from nas.data.download import ChecksumError, cache_dir
from nas.data.fashion_mnist import read_idx
from nas.data.folder_layout import IMAGE_EXTENSIONS
from nas.data.load import load_data, load_test
from nas.data.registry import (
    DATASETS,
    check_dataset,
    dataset_kind,
    dataset_names,
    fixed_datasets,
    image_size_of,
)
from nas.data.splits import default_val_size, split_indices, split_sizes
from nas.data.synthetic import synthetic_templates
from nas.data.transforms import augment, resized

__all__ = [
    "CIFAR_URL_ENV",
    "DATASETS",
    "IMAGE_EXTENSIONS",
    "ArrayUnpickler",
    "ChecksumError",
    "DataConfig",
    "ProxyData",
    "RefusedGlobal",
    "augment",
    "cache_dir",
    "check_dataset",
    "dataset_kind",
    "dataset_names",
    "default_val_size",
    "eval_batches",
    "fixed_datasets",
    "image_size_of",
    "load_data",
    "load_test",
    "normalize",
    "read_idx",
    "resized",
    "split_indices",
    "split_sizes",
    "synthetic_templates",
    "train_batches",
]
