from __future__ import annotations

import dataclasses

import pytest
import torch

from nas.data import augment, resized
from tests.nas.data.helpers import crop_and_flip, tiny_data


def test_augment_pads_by_an_eighth_and_flips():
    generator = torch.Generator().manual_seed(5)
    images = torch.randint(0, 256, (64, 1, 32, 32), generator=generator).to(torch.uint8)
    out = augment(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.uint8
    found = [crop_and_flip(a, b, pad=4) for a, b in zip(out, images, strict=True)]
    assert None not in found  # every image is a crop of its padded original, maybe flipped
    assert {flipped for _, _, flipped in found} == {False, True}
    assert {dy for dy, _, _ in found} == set(range(-4, 5))  # pad 32 // 8 = 4, every offset
    assert {dx for _, dx, _ in found} == set(range(-4, 5))


def test_resized_keeps_uint8_and_labels_and_checks_size():
    data = tiny_data(size=16)
    bigger = resized(data, 24)
    assert bigger.image_size == 24 and bigger.train_images.shape == (40, 3, 24, 24)
    assert bigger.train_images.dtype == torch.uint8 and bigger.val_images.shape == (7, 3, 24, 24)
    assert torch.equal(bigger.train_labels, data.train_labels)
    assert resized(data, 16) is data
    flat = dataclasses.replace(data, train_images=torch.full_like(data.train_images, 77))
    assert (resized(flat, 8).train_images == 77).all()  # a solid image stays solid
    with pytest.raises(ValueError, match="size=4 is invalid"):
        resized(data, 4)
