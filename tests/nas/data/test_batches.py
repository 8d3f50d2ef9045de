from __future__ import annotations

import pytest
import torch

from nas.data import eval_batches, normalize, train_batches
from tests.nas.data.helpers import crop_and_flip, needs_fashion, tiny_data, to_uint8


@needs_fashion
def test_train_batches_shapes_and_normalisation(fashion):
    batches = list(train_batches(fashion, 128, torch.Generator().manual_seed(0)))
    assert len(batches) == 5000 // 128
    for images, labels in batches:
        assert images.shape == (128, 1, 28, 28) and images.dtype == torch.float32
        assert labels.shape == (128,) and labels.dtype == torch.int64
    everything = torch.cat([images for images, _ in batches])
    assert abs(everything.mean().item()) < 0.15  # padding adds some black, so not exactly 0
    assert 0.8 < everything.std().item() < 1.2


def test_train_batches_drop_last_permute_and_keep_labels():
    data = tiny_data(40)
    batches = list(train_batches(data, 16, torch.Generator().manual_seed(0)))
    assert [len(labels) for _, labels in batches] == [16, 16]
    seen = torch.cat([labels for _, labels in batches]).tolist()
    assert len(set(seen)) == 32 and seen != sorted(seen)  # no repeats, shuffled
    (images, labels), *rest = list(train_batches(data, 64, torch.Generator().manual_seed(0)))
    assert not rest and images.shape == (40, 3, 16, 16)  # fewer than a batch: one smaller batch
    again = list(train_batches(data, 16, torch.Generator().manual_seed(0)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again, strict=True))
    with pytest.raises(ValueError, match="batch_size=0"):
        train_batches(data, 0, torch.Generator())


def test_train_batches_augment_changes_images_but_not_labels():
    data = tiny_data(40)
    changed = 0
    for images, labels in train_batches(data, 8, torch.Generator().manual_seed(0)):
        restored = to_uint8(images, data)
        for image, label in zip(restored, labels, strict=True):
            assert image.shape == data.train_images[label].shape
            changed += not torch.equal(image, data.train_images[label])
            assert crop_and_flip(image, data.train_images[label], pad=2) is not None
    assert changed >= 30


def test_eval_batches_cover_validation_once_in_order():
    data = tiny_data(40)
    batches = list(eval_batches(data, 3))
    assert [len(labels) for _, labels in batches] == [3, 3, 1]
    assert torch.equal(torch.cat([labels for _, labels in batches]), data.val_labels)
    images = torch.cat([images for images, _ in batches])
    assert torch.equal(images, normalize(data.val_images, data))
    assert torch.allclose(images, (data.val_images / 255 - 0.5) / 0.25, atol=1e-5)


def test_normalize_rejects_float_images():
    with pytest.raises(ValueError, match="uint8"):
        normalize(torch.zeros(1, 3, 16, 16), tiny_data())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_batches_on_cuda_with_either_generator():
    data = tiny_data().to("cuda")
    for generator in (torch.Generator(device="cuda"), torch.Generator()):
        images, labels = next(iter(train_batches(data, 8, generator.manual_seed(0))))
        assert images.device.type == labels.device.type == "cuda"
