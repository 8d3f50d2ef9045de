"""Named reference architectures: ``baselines.get(name)`` and ``baselines.names()``."""

from __future__ import annotations

from baselines.reference import EFFICIENTNET_B0, MNASNET_A1, MOBILENET_V2
from search_spaces.spec import ArchSpec

_REGISTRY: dict[str, ArchSpec] = {
    "efficientnet_b0": EFFICIENTNET_B0,
    "mobilenet_v2": MOBILENET_V2,
    "mnasnet_a1": MNASNET_A1,
}


def names() -> list[str]:
    """The names ``get`` accepts, in a stable order."""
    return list(_REGISTRY)


def get(name: str) -> ArchSpec:
    """The named architecture; an unknown name raises ValueError listing the known ones."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown baseline {name!r}; known: {', '.join(_REGISTRY)}") from None


__all__ = ["get", "names"]
