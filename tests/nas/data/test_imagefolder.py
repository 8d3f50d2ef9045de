from __future__ import annotations

import os

import pytest
import torch

from nas.data import DataConfig, imagefolder, load_data
from tests.nas.data.helpers import write_images


def test_imagefolder_split_layout_decodes_labels_and_caches(tmp_path, cache_home, monkeypatch):
    root = tmp_path / "images"
    write_images(root, {"cat": 6, "dog": 6, "frog": 6})
    config = DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=6, image_size=8)
    data = load_data(config)
    assert data.train_images.shape == (12, 3, 8, 8) and data.val_images.shape == (6, 3, 8, 8)
    assert torch.bincount(data.val_labels).tolist() == [2, 2, 2]  # held out per class
    assert (data.num_classes, data.in_channels, data.image_size) == (3, 3, 8)
    for images, labels in (
        (data.train_images, data.train_labels),
        (data.val_images, data.val_labels),
    ):
        assert (images == images[:, :, :1, :1]).all()  # solid colours stay solid
        assert torch.equal(images[:, 0, 0, 0].long(), 60 * labels)
    cached = list(cache_home.glob("imagefolder-*.pt"))
    assert len(cached) == 1

    calls = []
    real = imagefolder.decode_files
    monkeypatch.setattr(imagefolder, "decode_files", lambda *a: calls.append(a[0]) or real(*a))
    again = load_data(config)
    assert not calls  # decoded from the cache
    assert torch.equal(again.train_images, data.train_images)
    os.utime(root / "dog" / "2.png", ns=(1, 1))  # a file changed: decode again
    load_data(config)
    assert len(calls) == 1 and len(calls[0]) == 18

    default = load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None))
    # 10% of 18 is 1, but every class keeps 2 to validate; at the default 64x64
    assert default.val_images.shape == (6, 3, 64, 64)


def test_imagefolder_train_val_layout_and_greyscale(tmp_path, cache_home):
    root = tmp_path / "images"
    write_images(root / "train", {"a": 3, "b": 4}, mode="L")
    write_images(root / "val", {"a": 2, "b": 1}, mode="L", first=5)
    data = load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None))
    assert data.train_images.shape == (7, 1, 64, 64) and data.val_images.shape == (3, 1, 64, 64)
    assert sorted(data.train_labels.tolist()) == [0, 0, 0, 1, 1, 1, 1]
    assert sorted(data.val_labels.tolist()) == [0, 0, 1]
    subset = load_data(DataConfig(f"imagefolder:{root}", train_subset=5, val_subset=2))
    assert (len(subset.train_labels), len(subset.val_labels)) == (5, 2)
    with pytest.raises(ValueError, match=r"val_subset=4 is larger than the 3 images in val/"):
        load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=4))
    write_images(root / "val", {"c": 1})
    with pytest.raises(ValueError, match=r"val/c is not a class of train/"):
        load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None))


def test_imagefolder_errors_name_the_path(tmp_path, cache_home):
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        load_data(DataConfig(f"imagefolder:{missing}"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=rf"{empty}.* has no class folders; a classifier needs"):
        load_data(DataConfig(f"imagefolder:{empty}"))
    (empty / "cat").mkdir()
    with pytest.raises(ValueError, match=r"has only cat/; a classifier needs at least 2 classes"):
        load_data(DataConfig(f"imagefolder:{empty}"))
    (empty / "dog").mkdir()
    (empty / "cat" / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=rf"{empty}.* has no image files in its class folders"):
        load_data(DataConfig(f"imagefolder:{empty}"))
    (empty / "dog" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"class 'cat' has no usable image in it"):
        load_data(DataConfig(f"imagefolder:{empty}"))
    write_images(empty, {"cat": 4})
    with pytest.raises(ValueError, match=r"class 'dog' has no usable image"):
        load_data(DataConfig(f"imagefolder:{empty}"))
