from __future__ import annotations

import numpy as np
import pytest
import torch

from nas.data import DataConfig, fashion_mnist, load_data, read_idx, split_indices
from tests.nas.data.helpers import needs_fashion, write_idx


@needs_fashion
def test_fashion_mnist_loads_as_uint8_tensors(fashion):
    assert fashion.train_images.shape == (5000, 1, 28, 28)
    assert fashion.val_images.shape == (2000, 1, 28, 28)
    assert fashion.train_images.dtype == fashion.val_images.dtype == torch.uint8
    assert fashion.train_labels.dtype == fashion.val_labels.dtype == torch.int64
    assert fashion.train_labels.shape == (5000,) and fashion.val_labels.shape == (2000,)
    assert (fashion.num_classes, fashion.in_channels, fashion.image_size) == (10, 1, 28)
    assert fashion.name == "fashion-mnist"
    for labels in (fashion.train_labels, fashion.val_labels):
        assert labels.min() >= 0 and labels.max() <= 9
        assert len(labels.unique()) == 10
    pixels = fashion.train_images.double() / 255
    assert fashion.mean[0] == pytest.approx(pixels.mean().item(), abs=1e-9)
    assert fashion.std[0] == pytest.approx(pixels.std(unbiased=False).item(), abs=1e-9)
    assert 0.25 < fashion.mean[0] < 0.32 and 0.3 < fashion.std[0] < 0.4  # Fashion-MNIST's


@needs_fashion
def test_fashion_split_is_the_seeded_hold_out_and_disjoint(fashion, fashion_raw):
    images, labels = fashion_raw
    assert images.shape == (60000, 28, 28)  # the training file, never the test file
    train, val = split_indices(60000, 2000, 5000, seed=3)
    assert len(set(train.tolist())) == 5000 and len(set(val.tolist())) == 2000
    assert not set(train.tolist()) & set(val.tolist())
    assert torch.equal(fashion.train_images[:, 0], images[train])
    assert torch.equal(fashion.val_images[:, 0], images[val])
    assert torch.equal(fashion.train_labels, labels[train])
    assert torch.equal(fashion.val_labels, labels[val])


@needs_fashion
def test_fashion_subsets_sized_as_asked_and_hold_out_independent_of_train_size(fashion):
    small = load_data(DataConfig(seed=3, train_subset=300, val_subset=2000, download=False))
    assert small.train_images.shape[0] == 300 and small.val_images.shape[0] == 2000
    assert torch.equal(small.val_images, fashion.val_images)  # same seed: same hold-out
    assert torch.equal(small.train_images, fashion.train_images[:300])
    every = load_data(DataConfig(seed=3, train_subset=None, val_subset=None, download=False))
    assert every.train_images.shape[0] == 50000 and every.val_images.shape[0] == 10000


@needs_fashion
def test_fashion_other_seed_gives_other_split(fashion):
    other = load_data(DataConfig(seed=4, train_subset=500, val_subset=500, download=False))
    assert not torch.equal(other.val_images, fashion.val_images[:500])


def test_idx_files_in_data_dir_gzipped_or_not(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    labels = np.arange(30, dtype=np.uint8) % 10
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    config = DataConfig(data_dir=str(tmp_path), train_subset=None, val_subset=5, download=False)
    data = load_data(config)
    train, val = split_indices(30, 5, None, seed=0)
    assert torch.equal(data.train_images[:, 0], torch.from_numpy(images)[train])
    assert torch.equal(data.val_labels, torch.from_numpy(labels).long()[val])


def test_corrupt_idx_file_is_named(tmp_path):
    bad_magic = tmp_path / "train-images-idx3-ubyte"
    bad_magic.write_bytes(b"\x00\x00\x09\x03" + bytes(12))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte is not an idx file"):
        read_idx(bad_magic, ndim=3)
    labels = tmp_path / "labels"
    write_idx(labels, np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"labels holds a 1-d array"):
        read_idx(labels, ndim=3)
    truncated = tmp_path / "short"
    truncated.write_bytes(labels.read_bytes()[:-1])
    with pytest.raises(ValueError, match=r"short has 12 bytes, its header \(5,\) needs 13"):
        read_idx(truncated)
    not_gzip = tmp_path / "x.gz"
    not_gzip.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=r"x\.gz cannot be read"):
        read_idx(not_gzip)


def test_fashion_mnist_downloads_into_the_cache(tmp_path, cache_home, monkeypatch):
    server = tmp_path / "server"
    server.mkdir()
    write_idx(server / "train-images-idx3-ubyte.gz", np.zeros((20, 28, 28), dtype=np.uint8))
    write_idx(server / "train-labels-idx1-ubyte.gz", np.arange(20, dtype=np.uint8) % 10)
    monkeypatch.setattr(fashion_mnist, "FASHION_URL", server.as_uri() + "/")
    monkeypatch.setattr(fashion_mnist, "SYSTEM_FASHION_DIR", tmp_path / "not-installed")
    data = load_data(DataConfig(train_subset=None, val_subset=None))
    assert (len(data.train_labels), len(data.val_labels)) == (18, 2)
    assert sorted(p.name for p in (cache_home / "fashion-mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]


def test_a_data_dir_that_did_not_exist_is_not_left_behind_by_a_failed_download(
    tmp_path, monkeypatch
):
    """The first file downloads, the second is missing on the server: the named data folder
    (and its new parent) are removed again, with what was fetched into them."""
    server = tmp_path / "server"
    server.mkdir()
    write_idx(server / "train-images-idx3-ubyte.gz", np.zeros((20, 28, 28), dtype=np.uint8))
    monkeypatch.setattr(fashion_mnist, "FASHION_URL", server.as_uri() + "/")
    wanted = tmp_path / "new" / "fashion"
    with pytest.raises(FileNotFoundError, match="download failed"):
        load_data(DataConfig(data_dir=str(wanted), train_subset=None, val_subset=None))
    assert not (tmp_path / "new").exists()
