from __future__ import annotations

import torch
import torch.nn.functional as F

from nas.data import DataConfig, eval_batches, load_data, train_batches


def test_synthetic_is_deterministic_from_seed():
    config = DataConfig("synthetic", train_subset=300, val_subset=100, seed=7)
    first, second = load_data(config), load_data(config)
    other = load_data(DataConfig("synthetic", train_subset=300, val_subset=100, seed=8))
    assert torch.equal(first.train_images, second.train_images)
    assert torch.equal(first.val_labels, second.val_labels)
    assert not torch.equal(first.train_images, other.train_images)
    assert first.train_images.shape == (300, 1, 28, 28) and first.train_images.dtype == torch.uint8
    assert (first.num_classes, first.in_channels, first.image_size) == (10, 1, 28)
    default = load_data(DataConfig("synthetic", train_subset=None, val_subset=None))
    assert (len(default.train_labels), len(default.val_labels)) == (5000, 2000)


def test_synthetic_is_learnt_in_one_short_epoch():
    torch.manual_seed(0)
    data = load_data(DataConfig("synthetic", train_subset=2000, val_subset=500))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for images, labels in train_batches(data, 64, torch.Generator().manual_seed(0)):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        correct = sum(
            (model(images).argmax(1) == labels).sum().item()
            for images, labels in eval_batches(data, 250)
        )
    assert correct / 500 > 0.6  # chance is 0.1
