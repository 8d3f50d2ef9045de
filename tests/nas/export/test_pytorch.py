"""Checkpoint folders: what the pytorch format writes loads back with the same outputs."""

from __future__ import annotations

import torch

from nas.cli.export import export_lines
from nas.export import ExportConfig, export_pytorch, run_export, untrained_network
from nas.train import checkpoint
from search_spaces import decode
from tests.nas.export.helpers import SMALL, images, randomized


def test_pytorch_format_loads_back_with_the_same_outputs(tmp_path):
    out = tmp_path / "small"
    config = ExportConfig(SMALL, format="pytorch", out=str(out), num_classes=7, in_channels=1)
    exported = run_export(config)
    assert exported.path == out and exported.format == "pytorch"
    assert f'nas.train.checkpoint.load("{out}")' in "\n".join(export_lines(exported))
    model, info = checkpoint.load(out)
    assert (info.num_classes, info.in_channels, info.arch) == (7, 1, decode(SMALL))
    fresh = untrained_network(decode(SMALL), 7, 1, seed=0)
    for ours, loaded in zip(
        fresh.model.state_dict().values(), model.state_dict().values(), strict=True
    ):
        assert torch.equal(ours, loaded)

    network = randomized(decode(SMALL))
    model, _ = checkpoint.load(export_pytorch(network, tmp_path / "random"))
    batch = images(network)
    with torch.no_grad():
        torch.testing.assert_close(model(batch), network.model(batch), rtol=0, atol=0)
