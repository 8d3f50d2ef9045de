"""The named search spaces.

``mnasnet``: the MnasNet factorized space as the EfficientNet paper searched it (every op,
kernel {3, 5}, expansion {1, 3, 6}). ``v2``: EfficientNetV2's space ({MBConv, Fused-MBConv},
kernel {3, 5}, expansion {1, 4, 6}); the other choices (SE, skip, filters, layers) are the same.
Both are built around a reference architecture. ``nb-macro``: NAS-Bench-Macro's fixed space of
6,561 networks for 32x32 inputs, whose true CIFAR-10 accuracies are known (``nas.truth``).
"""

from __future__ import annotations

from search_spaces import nb_macro
from search_spaces.errors import SpecError
from search_spaces.mnasnet import MnasSpace
from search_spaces.nb_macro import NbMacroSpace
from search_spaces.spec import ArchSpec

SPACES: tuple[str, ...] = ("mnasnet", "v2", nb_macro.NAME)
DEFAULT_SPACE = "mnasnet"
# The spaces built around a reference architecture; the others are fixed.
SPACES_WITH_REFERENCE: tuple[str, ...] = ("mnasnet", "v2")


def efficientnet_v2_space(reference: ArchSpec) -> MnasSpace:
    """EfficientNetV2's search space around ``reference``."""
    return MnasSpace(reference, ops=("mbconv", "fused_mbconv"), expansions=(1, 4, 6))


def make_space(name: str, reference: ArchSpec | None = None) -> MnasSpace | NbMacroSpace:
    """The space called ``name`` (one of ``SPACES``): around ``reference`` for ``mnasnet`` and
    ``v2`` (which need one), fixed for ``nb-macro`` (which takes none)."""
    if name == nb_macro.NAME:
        if reference is not None:
            raise SpecError(f"space={name!r} is fixed: it takes no reference architecture")
        return NbMacroSpace()
    if name in SPACES_WITH_REFERENCE and reference is None:
        raise SpecError(f"space={name!r} is built around a reference: give an ArchSpec")
    if name == "mnasnet":
        return MnasSpace(reference)
    if name == "v2":
        return efficientnet_v2_space(reference)
    raise SpecError(f"space={name!r} is invalid: must be one of {', '.join(SPACES)}")
