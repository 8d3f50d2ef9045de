"""Capped subsets: a preset's sizes are budgets that a small dataset meets with what it has."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from nas.data import DataConfig, load_data, split_indices, split_sizes
from nas.errors import ConfigError
from tests.nas.data.helpers import write_images

CAPPED = {"train_subset": 10_000, "val_subset": 10_000, "train_cap": True, "val_cap": True}


def _digits_like(root, count: int = 1797) -> None:
    """``count`` 8x8 greyscale PNGs in 10 class folders (sklearn's digits has 1,797)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (count, 8, 8), dtype=np.uint8)
    for index in range(count):
        folder = root / f"digit{index % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels[index], "L").save(folder / f"{index}.png", compress_level=0)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    _digits_like(root)
    return root


def test_capped_presets_fit_a_small_image_folder(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = load_data(DataConfig(f"imagefolder:{digits}", image_size=8, **CAPPED))
    held = data.val_images.shape[0]  # 179 held out per class: each class's share, rounded
    assert abs(held - 179) <= 5 and data.train_images.shape[0] == 1797 - held
    assert data.notes[-2:] == (
        f"held out {held} of 1,797 images per class (the default share, at least 2 a class)",
        f"train_subset 10,000 capped at {1797 - held:,}: all left",
    )
    assert (data.num_classes, data.in_channels, data.image_size) == (10, 1, 8)
    assert f"train={1797 - held}, val={held}" in repr(data)
    every = torch.cat([data.train_images, data.val_images]).flatten(1)
    assert len(torch.unique(every, dim=0)) == 1797  # disjoint: every image once

    uncapped = DataConfig(f"imagefolder:{digits}", image_size=8, train_subset=10_000)
    with pytest.raises(ConfigError) as error:  # the same sizes, demanded: today's error
        load_data(dataclasses.replace(uncapped, val_subset=10_000))
    message = str(error.value)
    assert message.startswith("val_subset=10000 is larger than the 1796 images available")
    assert "\n" not in message
    with pytest.raises(ConfigError, match=r"^train_subset=10000 is larger than the 1697 training"):
        load_data(dataclasses.replace(uncapped, val_subset=100))


def test_caps_are_logged(digits, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with caplog.at_level("INFO", logger="nas.data.load"):
        load_data(DataConfig(f"imagefolder:{digits}", image_size=8, **CAPPED))
    assert "train_subset 10,000 capped at 1,617: all left" in caplog.text  # 180 held out


def test_sizes_that_fit_are_not_capped_and_give_no_notes():
    assert split_sizes(1797, 100, 1000, val_cap=True, train_cap=True) == (100, 1000, ())
    assert split_sizes(1797, None, None, val_cap=True, train_cap=True) == (179, 1618, ())
    # the held-out part is at most the default share, even where more would fit
    assert split_sizes(5000, 2000, 1000, val_cap=True)[:2] == (500, 1000)
    assert split_sizes(5000, 2000, 1000) == (2000, 1000, ())


def test_large_set_caps_the_held_out_part_at_ten_thousand():
    n_val, n_train, notes = split_sizes(60_000, 20_000, 80_000, val_cap=True, train_cap=True)
    assert (n_val, n_train) == (10_000, 50_000)
    assert notes == (
        "val_subset 20,000 capped at 10,000: the held-out part is 10,000 of 60,000 images",
        "train_subset 80,000 capped at 50,000: all that remains",
    )


def test_one_cap_leaves_the_other_a_demand():
    with pytest.raises(ConfigError, match=r"train_subset=2000 is larger than the 1618"):
        split_sizes(1797, 5000, 2000, val_cap=True)
    with pytest.raises(ConfigError, match=r"val_subset=5000 is larger than the 1796"):
        split_sizes(1797, 5000, 100, train_cap=True)
    assert split_sizes(1797, 1000, 5000, train_cap=True)[:2] == (1000, 797)


def test_split_indices_with_caps_matches_split_sizes():
    train, val = split_indices(1797, 10_000, 10_000, seed=4, val_cap=True, train_cap=True)
    assert (len(val), len(train)) == (179, 1618)
    assert sorted(train.tolist() + val.tolist()) == list(range(1797))


def test_capped_val_folder_uses_all_of_it(tmp_path, cache_home):
    root = tmp_path / "images"
    write_images(root / "train", {"a": 5, "b": 4})
    write_images(root / "val", {"a": 2, "b": 1}, first=5)
    config = DataConfig(f"imagefolder:{root}", image_size=8, **CAPPED)
    data = load_data(config)
    assert (data.train_images.shape[0], data.val_images.shape[0]) == (9, 3)
    assert data.notes[-2:] == (
        "val_subset 10,000 capped at 3: all of val/",
        "train_subset 10,000 capped at 9: all of train/",
    )
    fits = DataConfig(f"imagefolder:{root}", None, None, 2, image_size=8, val_cap=True)
    fits = load_data(fits)
    assert fits.val_images.shape[0] == 2 and not any("capped" in n for n in fits.notes)
    with pytest.raises(ConfigError, match=r"^val_subset=10000 is larger than the 3 images in val/"):
        load_data(DataConfig(f"imagefolder:{root}", None, None, 10_000, image_size=8))


def test_caps_apply_to_cifar10_and_fashion_style_hold_out(tmp_path):
    from tests.nas.data.helpers import write_cifar

    write_cifar(tmp_path, per_batch=10)  # 50 images: 5 held out, 45 to train
    data = load_data(DataConfig("cifar10", str(tmp_path), download=False, **CAPPED))
    assert (data.val_images.shape[0], data.train_images.shape[0]) == (5, 45)
    assert len(data.notes) == 2


def test_synthetic_makes_what_is_asked_and_notes_nothing():
    data = load_data(DataConfig("synthetic", train_subset=64, val_subset=32, **_caps()))
    assert (data.train_images.shape[0], data.val_images.shape[0], data.notes) == (64, 32, ())


def _caps() -> dict[str, bool]:
    return {"train_cap": True, "val_cap": True}
