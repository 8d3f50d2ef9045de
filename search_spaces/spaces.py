"""The named search spaces, each built around a reference architecture.

``mnasnet``: the MnasNet factorized space as the EfficientNet paper searched it (every op,
kernel {3, 5}, expansion {1, 3, 6}). ``v2``: EfficientNetV2's space ({MBConv, Fused-MBConv},
kernel {3, 5}, expansion {1, 4, 6}); the other choices (SE, skip, filters, layers) are the same.
"""

from __future__ import annotations

from search_spaces.mnasnet import MnasSpace
from search_spaces.spec import ArchSpec

SPACES: tuple[str, ...] = ("mnasnet", "v2")
DEFAULT_SPACE = "mnasnet"


def efficientnet_v2_space(reference: ArchSpec) -> MnasSpace:
    """EfficientNetV2's search space around ``reference``."""
    return MnasSpace(reference, ops=("mbconv", "fused_mbconv"), expansions=(1, 4, 6))


def make_space(name: str, reference: ArchSpec) -> MnasSpace:
    """The space called ``name`` (one of ``SPACES``) around ``reference``."""
    if name == "mnasnet":
        return MnasSpace(reference)
    if name == "v2":
        return efficientnet_v2_space(reference)
    raise ValueError(f"space={name!r} is invalid: must be one of {', '.join(SPACES)}")
