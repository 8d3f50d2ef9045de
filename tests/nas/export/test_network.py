"""The network to export: a fresh one is seeded and leaves the caller's random state alone;
its input and classes default to the architecture's (NAS-Bench-Macro's: 32 px, 10 classes)."""

from __future__ import annotations

import torch

from nas.export import ExportConfig, prepare_network, untrained_network
from search_spaces import decode, nb_macro
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


def test_nb_macro_networks_default_to_32_pixels_and_10_classes():
    info = untrained_network(nb_macro.arch("10201012")).info
    assert (info.num_classes, info.in_channels, info.image_size) == (10, 3, 32)
    assert untrained_network(decode(SMALL)).info.num_classes == 1000
    config = ExportConfig("nb-macro:22212220", format="onnx", out="unused.onnx")
    info = prepare_network(config).info
    assert (info.num_classes, info.in_channels, info.image_size) == (10, 3, 32)
    told = prepare_network(ExportConfig("nb-macro:22212220", num_classes=100)).info
    assert told.num_classes == 100
