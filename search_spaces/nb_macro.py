"""NAS-Bench-Macro's space (Su et al. 2021): 3^8 = 6,561 MobileNetV2-block networks for 32x32.

A 3x3 stem of stride 1 and 32 channels, then 8 searched layers in 3 stages of 2, 3 and 3 layers
(the first layer of a stage has stride 2 and doubles the channels: 64, 128, 256), then a 1x1 head
to 1280 channels and a linear classifier for 10 classes; ReLU throughout. Each layer is one of:

    0  identity (a 1x1 projection conv + BatchNorm where the stride or channels change)
    1  inverted residual, expansion 3, kernel 3
    2  inverted residual, expansion 6, kernel 5

A network's key is its 8 digits in layer order, as in the benchmark's table: ``arch("22212220")``
builds the table's best network. The space is data like any other: each layer is a one-layer
stage, the identity an ``identity`` op, the stem's stride 1 a field of the ArchSpec.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from search_spaces.errors import SpecError
from search_spaces.mnasnet import CategoricalTrial, _RandomTrial
from search_spaces.spec import ArchSpec, BlockSpec, encode

NAME = "nb-macro"
LAYERS = 8
DIGITS = "012"
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
RESOLUTION = 32
NUM_CLASSES = 10  # the table's networks are CIFAR-10 classifiers
# The default T of a search in this space: the table's median network costs 55.4M multiply-adds.
TARGET_FLOPS = 55e6
# Each layer's output channels and stride: 3 stages of 2, 3 and 3 layers, the first of a stage
# halving the feature map and doubling the channels.
WIDTHS: tuple[int, ...] = (64, 64, 128, 128, 128, 256, 256, 256)
STRIDES: tuple[int, ...] = (2, 1, 2, 1, 1, 2, 1, 1)
# The choice of each digit: (op, kernel, expansion); residual wherever shapes allow (the builder's
# rule), never around an identity.
CHOICES: dict[str, tuple[str, int, int]] = {
    "0": ("identity", 1, 1),
    "1": ("mbconv", 3, 3),
    "2": ("mbconv", 5, 6),
}
# The Optuna parameter of layer i (1-based) and its values: the digits, so trials.csv reads as
# the table's keys.
PARAMETER = "b{}_choice"


def check_key(key: object) -> str:
    """``key`` if it is one of the space's keys (8 digits, each 0, 1 or 2), else ValueError."""
    if not isinstance(key, str) or len(key) != LAYERS or any(d not in DIGITS for d in key):
        raise SpecError(
            f"key={key!r} is invalid: a NAS-Bench-Macro key is {LAYERS} digits, each 0, 1 or 2 "
            "(0 identity, 1 MB e3 k3, 2 MB e6 k5), such as '22212220'"
        )
    return key


def _layer(digit: str, index: int) -> BlockSpec:
    op, kernel, expansion = CHOICES[digit]
    return BlockSpec(
        op=op,
        kernel=kernel,
        stride=STRIDES[index],
        expansion=expansion,
        se_ratio=0.0,
        skip=op != "identity",
        out_channels=WIDTHS[index],
        repeats=1,
    )


def arch(key: str) -> ArchSpec:
    """The network of table key ``key`` as an ArchSpec."""
    check_key(key)
    return ArchSpec(
        stem_channels=STEM_CHANNELS,
        stages=tuple(_layer(digit, index) for index, digit in enumerate(key)),
        head_channels=HEAD_CHANNELS,
        activation="relu",
        resolution=RESOLUTION,
        stem_stride=1,
    )


_ARCH_KEYS: dict[ArchSpec, str] = {}


def key(network: ArchSpec) -> str:
    """The table key of ``network``; ValueError if it is not one of the space's networks."""
    if not isinstance(network, ArchSpec):
        raise SpecError(f"expected an ArchSpec, got {type(network).__name__}")
    if not _ARCH_KEYS:
        _ARCH_KEYS.update((arch(k), k) for k in keys())
    found = _ARCH_KEYS.get(network)
    if found is None:
        raise SpecError(f"{encode(network)} is not a network of the NAS-Bench-Macro space")
    return found


def keys() -> Iterator[str]:
    """Every key of the space, in order: 00000000 ... 22222222."""
    return ("".join(digits) for digits in itertools.product(DIGITS, repeat=LAYERS))


@dataclass(frozen=True)
class NbMacroSpace:
    """The space as a search samples it: one categorical choice per layer, the digit."""

    name: str = NAME
    num_classes: int = NUM_CLASSES
    resolution: int = RESOLUTION

    @property
    def reference(self) -> ArchSpec:
        """The network the space is described by (every layer MB e3 k3); no search enqueues it."""
        return arch("1" * LAYERS)

    @staticmethod
    def param_name(layer: int) -> str:
        """The Optuna parameter of layer ``layer`` (0-based): ``b1_choice`` ... ``b8_choice``."""
        return PARAMETER.format(layer + 1)

    def sample(self, trial: CategoricalTrial) -> ArchSpec:
        """One network, chosen through ``trial.suggest_categorical`` alone."""
        digits = [
            trial.suggest_categorical(self.param_name(layer), tuple(DIGITS))
            for layer in range(LAYERS)
        ]
        return arch("".join(str(digit) for digit in digits))

    def sample_random(self, rng: random.Random | int | None = None) -> ArchSpec:
        """A uniformly random network, without Optuna."""
        if not isinstance(rng, random.Random):
            rng = random.Random(rng)
        return self.sample(_RandomTrial(rng))

    def params_of(self, network: ArchSpec) -> dict[str, Any]:
        """The trial parameters that make ``sample`` return ``network`` (ValueError outside)."""
        found = key(network)
        return {self.param_name(layer): digit for layer, digit in enumerate(found)}

    def size(self) -> int:
        return len(DIGITS) ** LAYERS

    def archs(self) -> Iterator[ArchSpec]:
        """Every network of the space, in key order."""
        return (arch(found) for found in keys())

    def __contains__(self, network: object) -> bool:
        try:
            key(network)  # type: ignore[arg-type]
        except ValueError:
            return False
        return True

    def describe(self) -> str:
        lines = [
            "NAS-Bench-Macro space (Su et al. 2021): 8 layers at 32x32, stem 32 (stride 1), "
            "head 1280, ReLU",
        ]
        for layer in range(LAYERS):
            lines.append(
                f"  layer {layer + 1} (stride {STRIDES[layer]}, {WIDTHS[layer]} channels): "
                "0 identity, 1 MB e3 k3, 2 MB e6 k5"
            )
        lines.append(f"  distinct networks: {self.size():,}")
        return "\n".join(lines)
