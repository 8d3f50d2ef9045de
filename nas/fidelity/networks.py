"""Choosing the networks the fidelity check trains: the reference and samples of the space around
it, spread evenly over the space's FLOPs range.

A seeded pool of random samples is priced at the deployment shape (as the search prices its
candidates) and the samples at evenly spaced FLOPs quantiles are taken, so the networks cover the
cheap end, the expensive end and what lies between instead of bunching where the space is dense.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from nas import cost
from nas.errors import ConfigError
from search_spaces import ArchSpec, MnasSpace, encode

DEPLOYMENT_CLASSES = 1000  # FLOPs and params are priced as the search prices them
DEPLOYMENT_CHANNELS = 3


@dataclass(frozen=True)
class Network:
    """One network of the check, priced at the deployment shape."""

    name: str
    arch: ArchSpec
    flops: int  # multiply-adds at the deployment resolution, 3 channels, 1000 classes
    params: int

    @property
    def string(self) -> str:
        return encode(self.arch)


def priced(name: str, arch: ArchSpec, resolution: int) -> Network:
    return Network(
        name=name,
        arch=arch,
        flops=cost.flops(arch, resolution, DEPLOYMENT_CHANNELS, DEPLOYMENT_CLASSES),
        params=cost.params(arch, DEPLOYMENT_CLASSES, DEPLOYMENT_CHANNELS),
    )


def spread_indices(size: int, count: int) -> list[int]:
    """``count`` distinct indices into ``size`` sorted items at evenly spaced quantiles, the
    first and the last included (the middle one for a count of 1)."""
    if not 1 <= count <= size:
        raise ValueError(f"cannot take {count} of {size} items")
    if count == 1:
        return [(size - 1) // 2]
    step = (size - 1) / (count - 1)  # >= 1, so rounding keeps them distinct
    return [int(k * step + 0.5) for k in range(count)]


def choose_networks(
    reference: ArchSpec,
    count: int,
    seed: int = 0,
    resolution: int = 224,
    pool: int = 400,
    reference_name: str = "reference",
) -> tuple[Network, ...]:
    """The reference first, then ``count - 1`` distinct samples of ``MnasSpace(reference)`` at
    evenly spaced FLOPs quantiles of ``pool`` samples drawn with ``random.Random(seed)``, cheapest
    first, named ``sample 1``, ``sample 2``..."""
    if count < 2:
        raise ConfigError("networks", count, "must be an integer >= 2")
    space = MnasSpace(reference)
    rng = random.Random(seed)
    seen = {encode(reference)}
    samples = []
    for _ in range(pool):
        arch = space.sample_random(rng)
        string = encode(arch)
        if string not in seen:
            seen.add(string)
            samples.append(priced("", arch, resolution))
    if len(samples) < count - 1:
        raise ConfigError(
            "networks",
            count,
            f"the space around the reference gave only {len(samples)} distinct networks "
            f"besides it in {pool} samples",
        )
    samples.sort(key=lambda network: (network.flops, network.string))
    chosen = [samples[i] for i in spread_indices(len(samples), count - 1)]
    named = [
        Network(f"sample {i}", n.arch, n.flops, n.params) for i, n in enumerate(chosen, start=1)
    ]
    return (priced(reference_name, reference, resolution), *named)
