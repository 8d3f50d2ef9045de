"""What can be searched: architectures as data, the scaling rules, the MnasNet space, and the
network builder.

Specs, rules and spaces import without torch; ``build_model`` and ``ArchNet`` load torch on first
use, so ``import search_spaces`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search_spaces import nb_macro
from search_spaces.mnasnet import MnasSpace
from search_spaces.nb_macro import NbMacroSpace
from search_spaces.rounding import round_channels
from search_spaces.rules import (
    FamilyMember,
    compound,
    flops_factor,
    formula_family,
    grid_points,
    round_filters,
    round_repeats,
    round_resolution,
    scale,
)
from search_spaces.spaces import (
    DEFAULT_SPACE,
    SPACES,
    SPACES_WITH_REFERENCE,
    efficientnet_v2_space,
    make_space,
    space_from_record,
    space_name,
    space_record,
)
from search_spaces.spec import (
    ArchSpec,
    BlockSpec,
    LayerSpec,
    decode,
    encode,
    from_dict,
    from_json,
    layer_plan,
    to_dict,
    to_json,
)

if TYPE_CHECKING:
    from search_spaces.network import ArchNet, build_model

_LAZY = {"ArchNet", "build_model"}  # from search_spaces.network, which imports torch


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from search_spaces import network

        return getattr(network, name)
    raise AttributeError(f"module 'search_spaces' has no attribute {name!r}")


__all__ = [
    "DEFAULT_SPACE",
    "SPACES",
    "SPACES_WITH_REFERENCE",
    "ArchNet",
    "ArchSpec",
    "BlockSpec",
    "FamilyMember",
    "LayerSpec",
    "MnasSpace",
    "NbMacroSpace",
    "build_model",
    "compound",
    "decode",
    "efficientnet_v2_space",
    "encode",
    "flops_factor",
    "formula_family",
    "from_dict",
    "from_json",
    "grid_points",
    "layer_plan",
    "make_space",
    "space_from_record",
    "space_name",
    "space_record",
    "nb_macro",
    "round_channels",
    "round_filters",
    "round_repeats",
    "round_resolution",
    "scale",
    "to_dict",
    "to_json",
]
