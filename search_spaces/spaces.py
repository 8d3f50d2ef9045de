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
from search_spaces.spec import ArchSpec, from_dict, to_dict

SPACES: tuple[str, ...] = ("mnasnet", "v2", nb_macro.NAME)
DEFAULT_SPACE = "mnasnet"
# The spaces built around a reference architecture; the others are fixed.
SPACES_WITH_REFERENCE: tuple[str, ...] = ("mnasnet", "v2")
CUSTOM = "custom"  # the name of a space built in Python that no name makes
# MnasSpace's choice lists, as a record keeps them.
_MNAS_CHOICES = (
    "ops",
    "kernels",
    "expansions",
    "se_ratios",
    "skips",
    "filter_multipliers",
    "layer_deltas",
    "divisor",
)


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


def space_name(space: MnasSpace | NbMacroSpace) -> str:
    """The name that makes ``space`` (``make_space(name, space.reference)``), else ``custom``."""
    if isinstance(space, NbMacroSpace):
        return nb_macro.NAME
    for name in SPACES_WITH_REFERENCE:
        if make_space(name, space.reference) == space:
            return name
    return CUSTOM


def space_record(space: MnasSpace | NbMacroSpace) -> dict:
    """A space as JSON data: its name, and for one around a reference the reference and every
    choice list, so that ``space_from_record`` rebuilds an equal space."""
    if isinstance(space, NbMacroSpace):
        return {"name": nb_macro.NAME}
    if not isinstance(space, MnasSpace):
        raise SpecError(
            f"space {space!r} cannot be recorded: only MnasSpace and NbMacroSpace have a record"
        )
    choices = {name: list(getattr(space, name)) for name in _MNAS_CHOICES[:-1]}
    return {
        "name": space_name(space),
        "reference": to_dict(space.reference),
        **choices,
        "divisor": space.divisor,
    }


def space_from_record(record: object) -> MnasSpace | NbMacroSpace:
    """The space a ``space_record`` describes; SpecError naming what is wrong."""
    if not isinstance(record, dict) or not isinstance(record.get("name"), str):
        raise SpecError(f"a space record must be an object with a name, got {record!r}")
    if record["name"] == nb_macro.NAME:
        return NbMacroSpace()
    unknown = set(record) - {"name", "reference", *_MNAS_CHOICES}
    if unknown:
        raise SpecError(f"a space record has unknown fields: {', '.join(sorted(unknown))}")
    choices = {name: record[name] for name in _MNAS_CHOICES if name in record}
    for name, value in choices.items():
        if isinstance(value, list):
            choices[name] = tuple(value)
    return MnasSpace(from_dict(record.get("reference")), **choices)
