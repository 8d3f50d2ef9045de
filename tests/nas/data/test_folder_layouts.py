"""Image folders as users have them: layouts, unreadable files, sizes, colours, the split."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from nas.data import DataConfig, load_data, load_test
from nas.data.folder_layout import find_layout
from nas.data.splits import MIN_VAL_PER_CLASS
from nas.errors import ConfigError
from tests.nas.data.helpers import MESSY_CLASSES, messy_folder, write_images

USABLE = {"airplane": 14, "cat": 9, "dog": 7, "ship": 5}  # the broken and empty files left out


def _config(root, **fields) -> DataConfig:
    return DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None, **fields)


def test_train_and_test_folders_hold_validation_out_of_train_per_class(tmp_path, cache_home):
    root = messy_folder(tmp_path / "messy")
    layout = find_layout(str(root))
    assert (layout.kind, layout.classes) == ("train+test", tuple(MESSY_CLASSES))
    data = load_data(_config(root, image_size=16))
    assert data.class_names == tuple(MESSY_CLASSES)  # train and test are not classes
    assert data.num_classes == 4
    held = torch.bincount(data.val_labels, minlength=4).tolist()
    trained = torch.bincount(data.train_labels, minlength=4).tolist()
    assert all(count >= MIN_VAL_PER_CLASS for count in held)  # every class is validated
    assert [h + t for h, t in zip(held, trained, strict=True)] == list(USABLE.values())
    assert data.in_channels == 3  # half the images are grey, the rest colour
    notes = " | ".join(data.notes)
    assert "4 classes (airplane, cat, dog, ship); layout train/ + test/" in notes
    assert "2 unreadable file(s) skipped" in notes and "broken.jpg" in notes
    assert "empty.jpg (the file is empty)" in notes
    assert "shorter sides 20-56 px" in notes and "centre cropped to 16x16" in notes
    assert f"airplane {trained[0]}/{held[0]}" in notes
    assert {name.split("/")[-1] for name, _ in data.skipped} == {"broken.jpg", "empty.jpg"}
    images, labels = load_test(_config(root, image_size=16), data)
    assert images.shape == (12, 3, 16, 16) and sorted(set(labels.tolist())) == [0, 1, 2, 3]


def test_train_and_val_folders_are_used_as_they_are(tmp_path, cache_home):
    root = messy_folder(tmp_path / "messy", layout="train+val")
    data = load_data(_config(root, image_size=16))
    assert len(data.val_labels) == 12 and len(data.train_labels) == sum(USABLE.values())
    with pytest.raises(ConfigError, match=r"val_fraction=0.2 .* has a val/ folder"):
        load_data(_config(root, val_fraction=0.2))


def test_a_flat_folder_and_an_explicit_fraction(tmp_path, cache_home):
    root = messy_folder(tmp_path / "messy", layout="flat")
    assert find_layout(str(root)).kind == "flat"
    half = load_data(_config(root, image_size=16, val_fraction=0.5))
    held = torch.bincount(half.val_labels, minlength=4).tolist()
    total = sum(USABLE.values())
    assert held == [round(round(total / 2) * count / total) for count in USABLE.values()]
    assert len(half.train_labels) + len(half.val_labels) == sum(USABLE.values())


def test_unreadable_files_are_refused_when_strict(tmp_path, cache_home):
    root = messy_folder(tmp_path / "messy")
    with pytest.raises(ValueError, match=r"2 file\(s\) cannot be read as images: .*broken\.jpg"):
        load_data(_config(root, strict_images=True))


def test_class_folders_of_class_folders_are_refused(tmp_path, cache_home):
    root = tmp_path / "wrapped"
    write_images(root / "training", {"cat": 3, "dog": 3})
    write_images(root / "testing", {"cat": 3, "dog": 3})
    with pytest.raises(ValueError, match=r"class folders hold folders, not images \(testing/ "):
        load_data(_config(root))


def test_a_class_too_small_to_hold_out_is_refused(tmp_path, cache_home):
    root = tmp_path / "small"
    write_images(root, {"cat": 8, "dog": MIN_VAL_PER_CLASS})
    with pytest.raises(ValueError, match=r"class 'dog' has 2 usable image\(s\): a held-out split"):
        load_data(_config(root))


def test_crop_keeps_the_centre_and_stretch_the_whole(tmp_path, cache_home):
    root = tmp_path / "wide"
    for name in ("a", "b", "c"):
        (root / name).mkdir(parents=True)
        for index in range(3):
            image = Image.new("L", (30, 10), 0)  # black edges, a white centre 10 wide
            image.paste(255, (10, 0, 20, 10))
            image.save(root / name / f"{index}.png")
    crop = load_data(_config(root, image_size=10))
    stretch = load_data(_config(root, image_size=10, resize="stretch"))
    assert crop.in_channels == 1  # every image is grey: one channel
    assert crop.train_images.float().mean() > 250  # the centre only
    assert 70 < stretch.train_images.float().mean() < 110  # a third of the width is white


def test_bad_settings_name_the_value():
    with pytest.raises(ConfigError, match=r"resize='fill' is invalid: must be one of crop"):
        DataConfig("imagefolder:/x", resize="fill")
    with pytest.raises(ConfigError, match=r"val_fraction=1.5 is invalid"):
        DataConfig("imagefolder:/x", val_fraction=1.5)
    with pytest.raises(ConfigError, match=r"resize=stretch applies only to imagefolder"):
        DataConfig("cifar10", resize="stretch")


def test_grey_images_with_transparency_stay_grey(tmp_path, cache_home):
    root = tmp_path / "grey"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for index in range(3):
            Image.new("LA", (12, 10), (90, 128)).save(root / name / f"{index}.png")
    data = load_data(_config(root, image_size=8))
    assert data.in_channels == 1
