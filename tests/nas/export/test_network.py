"""The network to export: a fresh one is seeded and leaves the caller's random state alone."""

from __future__ import annotations

import torch

from nas.export import untrained_network
from search_spaces import decode
from tests.nas.export.helpers import SMALL


def test_untrained_networks_are_seeded_and_leave_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = untrained_network(decode(SMALL), num_classes=4, in_channels=2, seed=7)
    assert torch.equal(torch.rand(3), expected)
    second = untrained_network(decode(SMALL), num_classes=4, in_channels=2, seed=7)
    pairs = zip(first.model.state_dict().values(), second.model.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    info = first.info
    assert (info.num_classes, info.in_channels, info.image_size) == (4, 2, 64)
    assert info.mean == (0.0, 0.0) and info.std == (1.0, 1.0) and info.metrics == {}
