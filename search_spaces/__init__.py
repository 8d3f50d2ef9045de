"""What can be searched: architectures as data, the networks built from them, the MnasNet space."""

from __future__ import annotations

from search_spaces.network import ArchNet, build_model
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

__all__ = [
    "ArchNet",
    "ArchSpec",
    "BlockSpec",
    "LayerSpec",
    "build_model",
    "decode",
    "encode",
    "from_dict",
    "from_json",
    "layer_plan",
    "to_dict",
    "to_json",
]
