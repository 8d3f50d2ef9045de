"""A small architecture and networks whose every tensor matters, for the nas.export tests."""

from __future__ import annotations

import torch

from nas.export import Network, untrained_network
from search_spaces import ArchSpec

# Small enough that building, training and exporting it take a second or two.
SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"


def randomized(arch: ArchSpec, num_classes: int | None = 10, in_channels: int = 3) -> Network:
    """A network whose every tensor matters (a fresh one has a zero classifier and
    activations that shrink to nothing through identity BatchNorm statistics); ``num_classes``
    None: the export's default for ``arch``."""
    network = untrained_network(arch, num_classes, in_channels)
    generator = torch.Generator().manual_seed(1)

    def fill(tensor: torch.Tensor, low: float, high: float) -> None:
        tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)

    with torch.no_grad():
        for module in network.model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                bound = 2.0 / module.weight[0].numel() ** 0.5
                fill(module.weight, -bound, bound)
                if module.bias is not None:
                    fill(module.bias, -0.1, 0.1)
            elif isinstance(module, torch.nn.BatchNorm2d):
                fill(module.weight, 0.5, 1.5)
                fill(module.bias, -0.2, 0.2)
                fill(module.running_mean, -0.2, 0.2)
                fill(module.running_var, 0.5, 1.5)
    return network


def images(network: Network, batch: int = 2) -> torch.Tensor:
    info = network.info
    return torch.randn(batch, info.in_channels, info.image_size, info.image_size)
