"""Named reference architectures: ``baselines.get(name)``, ``baselines.names()`` and
``baselines.dropout(name)``."""

from __future__ import annotations

from baselines.efficientnet import EFFICIENTNET_DROPOUT, EFFICIENTNET_FAMILY, EFFICIENTNETS
from baselines.efficientnet_v2 import EFFICIENTNET_V2_DROPOUT, EFFICIENTNETS_V2
from baselines.reference import MNASNET_A1, MOBILENET_V2
from search_spaces.errors import SpecError
from search_spaces.rules import FamilyMember
from search_spaces.spec import ArchSpec

_REGISTRY: dict[str, ArchSpec] = {
    **EFFICIENTNETS,  # efficientnet_b0 .. efficientnet_b7
    **EFFICIENTNETS_V2,  # efficientnet_v2_s, _m, _l
    "mobilenet_v2": MOBILENET_V2,
    "mnasnet_a1": MNASNET_A1,
}
DEFAULT_DROPOUT = 0.2
# The reference a search space is built around unless told otherwise, and the shape networks
# are priced at (ImageNet's, as EfficientNet priced its): every module reads them from here.
DEFAULT_REFERENCE = "efficientnet_b0"
DEPLOYMENT_RESOLUTION = 224
DEPLOYMENT_CHANNELS = 3
DEPLOYMENT_CLASSES = 1000


def names() -> list[str]:
    """The names ``get`` accepts, in a stable order."""
    return list(_REGISTRY)


def get(name: str) -> ArchSpec:
    """The named architecture; an unknown name raises ValueError listing the known ones."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise SpecError(f"unknown baseline {name!r}; known: {', '.join(_REGISTRY)}") from None


def dropout(name: str) -> float:
    """The dropout before the classifier: the official one for EfficientNets (V1 and V2), 0.2
    otherwise."""
    get(name)
    return {**EFFICIENTNET_DROPOUT, **EFFICIENTNET_V2_DROPOUT}.get(name, DEFAULT_DROPOUT)


def official_family() -> tuple[FamilyMember, ...]:
    """EfficientNet-B0..B7 (phi 0..7) from the official hand-picked table; names are the
    baseline names ``efficientnet_b0``...``efficientnet_b7``."""
    return EFFICIENTNET_FAMILY


__all__ = [
    "DEFAULT_REFERENCE",
    "DEPLOYMENT_CHANNELS",
    "DEPLOYMENT_CLASSES",
    "DEPLOYMENT_RESOLUTION",
    "dropout",
    "get",
    "names",
    "official_family",
]
