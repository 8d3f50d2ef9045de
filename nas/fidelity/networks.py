"""Choosing the networks the fidelity check trains: the reference and samples of the space around
it, spread evenly over the space's FLOPs range.

A seeded pool of random samples is priced at the deployment shape (as the search prices its
candidates) and the samples at evenly spaced FLOPs quantiles are taken, so the networks cover the
cheap end, the expensive end and what lies between instead of bunching where the space is dense.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import baselines
from nas import cost
from nas.errors import ConfigError, InputError
from nas.truth import TruthTable
from search_spaces import ArchSpec, MnasSpace, encode, nb_macro

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
        raise InputError(f"cannot take {count} of {size} items")
    if count == 1:
        return [(size - 1) // 2]
    step = (size - 1) / (count - 1)  # >= 1, so rounding keeps them distinct
    return [int(k * step + 0.5) for k in range(count)]


def choose_networks(
    reference: ArchSpec,
    count: int,
    seed: int = 0,
    resolution: int = baselines.DEPLOYMENT_RESOLUTION,
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


def choose_truth_networks(table: TruthTable, count: int, seed: int = 0) -> tuple[Network, ...]:
    """``count`` networks of NAS-Bench-Macro's space for a check against its table: half (rounded
    up) drawn from the top quartile of the truth, where a search decides, the rest from the other
    three quartiles, alternating top and rest so that any first k of them are as balanced. Named
    by their keys; priced as the table's networks are deployed (32x32, 10 classes)."""
    if count < 2:
        raise ConfigError("networks", count, "must be an integer >= 2")
    if count > len(table):
        raise ConfigError("networks", count, f"the table has {len(table):,} networks")
    cut = table.quantile(0.75)
    keys = sorted(table.keys())
    top = [key for key in keys if table[key].accuracy > cut]
    rest = [key for key in keys if table[key].accuracy <= cut]
    rng = random.Random(seed)
    rng.shuffle(top)
    rng.shuffle(rest)
    from_top = (count + 1) // 2
    chosen = []
    for index in range(count):
        pool = top if (index % 2 == 0 and index // 2 < from_top) or not rest else rest
        chosen.append(pool.pop())
    networks = []
    for key in chosen:
        arch = nb_macro.arch(key)
        networks.append(
            Network(
                key,
                arch,
                cost.flops(arch, nb_macro.RESOLUTION, DEPLOYMENT_CHANNELS, nb_macro.NUM_CLASSES),
                cost.params(arch, nb_macro.NUM_CLASSES, DEPLOYMENT_CHANNELS),
            )
        )
    return tuple(networks)
