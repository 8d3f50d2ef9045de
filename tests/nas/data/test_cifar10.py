from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from nas.data import CIFAR_URL_ENV, DataConfig, load_data, split_indices
from tests.nas.data.helpers import cifar_tarball, write_cifar


@pytest.mark.parametrize("protocol", [4, 5])
def test_cifar10_fake_batches(tmp_path, protocol):
    folder, images, labels = write_cifar(tmp_path, protocol=protocol)
    for data_dir in (tmp_path, folder):  # the parent, or the batch folder itself
        config = DataConfig("cifar10", str(data_dir), train_subset=None, val_subset=5, seed=2)
        data = load_data(config)
        train, val = split_indices(20, 5, None, seed=2)
        assert data.train_images.shape == (15, 3, 32, 32) and data.in_channels == 3
        assert (data.num_classes, data.image_size, len(data.mean)) == (10, 32, 3)
        assert torch.equal(data.train_images, images[train])
        assert torch.equal(data.val_labels, labels[val])


class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_cifar10_pickle_calling_os_system_is_refused(tmp_path):
    folder, _, _ = write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    with open(folder / "data_batch_3", "wb") as stream:
        pickle.dump({b"data": Evil(marker), b"labels": [0]}, stream)
    with pytest.raises(ValueError, match=r"data_batch_3 references (posix|os|nt)\.system"):
        load_data(DataConfig("cifar10", str(tmp_path), download=False))
    assert not marker.exists()


def test_cifar10_corrupt_batch_is_named(tmp_path):
    folder, _, _ = write_cifar(tmp_path)
    (folder / "data_batch_2").write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match=r"data_batch_2 is not a CIFAR-10 batch"):
        load_data(DataConfig("cifar10", str(tmp_path), download=False))


def test_cifar10_downloads_into_data_dir_and_extracts(tmp_path, monkeypatch):
    monkeypatch.delenv(CIFAR_URL_ENV, raising=False)
    archive, md5 = cifar_tarball(tmp_path / "cifar-10-python.tar.gz")
    target = tmp_path / "data"
    config = DataConfig(
        "cifar10",
        str(target),
        train_subset=None,
        val_subset=4,
        download_url=archive.as_uri(),
        download_md5=md5,
    )
    data = load_data(config)
    assert data.train_images.shape == (16, 3, 32, 32)
    assert os.listdir(target) == ["cifar-10-batches-py"]  # no archive, no temporary folder
    assert (target / "cifar-10-batches-py" / "data_batch_5").is_file()


def test_cifar10_incomplete_folder_is_named_not_downloaded_over(tmp_path):
    folder, _, _ = write_cifar(tmp_path)
    (folder / "data_batch_4").unlink()
    with pytest.raises(FileNotFoundError, match=r"cifar-10-batches-py exists without data_batch_4"):
        load_data(DataConfig("cifar10", str(tmp_path), download_url="http://127.0.0.1:9/x"))
    assert sorted(os.listdir(folder)) == [f"data_batch_{i}" for i in (1, 2, 3, 5)]
