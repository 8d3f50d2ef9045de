"""Compound scaling (EfficientNet, Tan & Le 2019): the rounding rules, the alpha/beta/gamma grid and
the B0..B7 families, as pure functions of ArchSpec data.

depth d = alpha^phi, width w = beta^phi, resolution r = gamma^phi, with
alpha * beta^2 * gamma^2 ~= 2 so that FLOPs grow by about 2^phi. Channels follow the official
rule (``round_filters``), layer counts ``ceil(d * repeats)``, resolutions the nearest multiple
of 8.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from search_spaces.errors import SpecError
from search_spaces.rounding import round_channels
from search_spaces.spec import ArchSpec

# Products are rounded to this many decimals before ceil/floor, so 1.1 * 10 gives 11, not 12.
_DECIMALS = 9
# Grid values are rounded to this many decimals, so 1.0 + 4 * 0.05 is 1.2 exactly.
_GRID_DECIMALS = 6
# Above this many (alpha, beta) pairs the grid is refused as too fine.
_MAX_GRID_PAIRS = 1_000_000
# The official dropout grows from 0.2 (B0) to 0.5 (B7): 0.3 over 7 steps of phi.
DROPOUT_SLOPE = 0.3 / 7
MAX_DROPOUT = 0.9


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(name: str, value: Any) -> float:
    if not (_is_number(value) and math.isfinite(value) and value > 0):
        raise SpecError(f"{name}={value!r} is invalid: must be a positive finite number")
    return float(value)


def _finite(name: str, value: Any) -> float:
    if not (_is_number(value) and math.isfinite(value)):
        raise SpecError(f"{name}={value!r} is invalid: must be a finite number")
    return float(value)


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if not (_is_int(value) and value >= minimum):
        raise SpecError(f"{name}={value!r} is invalid: must be an integer >= {minimum}")
    return value


# ----------------------------------------------------------------------------- rounding rules


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """Channels after width scaling, the official rule: nearest multiple of ``divisor`` (at least
    ``divisor``), plus ``divisor`` when that lost more than 10% of ``channels * width``."""
    _count("channels", channels)
    _positive("width", width)
    return round_channels(channels, width, divisor)


def round_repeats(repeats: int, depth: float) -> int:
    """Layers after depth scaling: ``ceil(depth * repeats)``, float noise removed first."""
    _count("repeats", repeats)
    _positive("depth", depth)
    return max(1, math.ceil(round(depth * repeats, _DECIMALS)))


def round_resolution(resolution: int, factor: float, multiple: int = 8) -> int:
    """``resolution * factor`` rounded to the nearest multiple of ``multiple`` (halves up), at
    least ``multiple``."""
    _count("resolution", resolution)
    _positive("factor", factor)
    _count("multiple", multiple)
    steps = math.floor(round(resolution * factor / multiple, _DECIMALS) + 0.5)
    return max(1, steps) * multiple


def scale(
    arch: ArchSpec, depth: float = 1.0, width: float = 1.0, resolution: float = 1.0
) -> ArchSpec:
    """``arch`` scaled: every stage's repeats (``round_repeats``) and out_channels, the stem and the
    head (``round_filters``), and the deployment resolution (``round_resolution``).

    A factor of exactly 1 leaves its dimension as it is (so ``scale(arch) == arch`` even for
    channels or resolutions that are not multiples of 8)."""
    if not isinstance(arch, ArchSpec):
        raise SpecError(f"arch must be an ArchSpec, got {type(arch).__name__}")
    depth = _positive("depth", depth)
    width = _positive("width", width)
    resolution = _positive("resolution", resolution)

    def filters(channels: int) -> int:
        return channels if width == 1.0 else round_filters(channels, width)

    stages = tuple(
        dataclasses.replace(
            stage,
            out_channels=filters(stage.out_channels),
            repeats=stage.repeats if depth == 1.0 else round_repeats(stage.repeats, depth),
        )
        for stage in arch.stages
    )
    return arch.replace(
        stem_channels=filters(arch.stem_channels),
        stages=stages,
        head_channels=filters(arch.head_channels),
        resolution=(
            arch.resolution if resolution == 1.0 else round_resolution(arch.resolution, resolution)
        ),
    )


# ----------------------------------------------------------------------------- compound factors


def _coefficients(alpha: Any, beta: Any, gamma: Any) -> tuple[float, float, float]:
    return _positive("alpha", alpha), _positive("beta", beta), _positive("gamma", gamma)


def compound(phi: float, alpha: float, beta: float, gamma: float) -> tuple[float, float, float]:
    """``(alpha**phi, beta**phi, gamma**phi)``: the (depth, width, resolution) factors."""
    phi = _finite("phi", phi)
    alpha, beta, gamma = _coefficients(alpha, beta, gamma)
    return alpha**phi, beta**phi, gamma**phi


def flops_factor(alpha: float, beta: float, gamma: float) -> float:
    """``alpha * beta**2 * gamma**2``: how much one step of phi multiplies FLOPs (ideally)."""
    alpha, beta, gamma = _coefficients(alpha, beta, gamma)
    return alpha * beta**2 * gamma**2


def grid_points(
    step: float = 0.05, tolerance: float = 0.1, target: float = 2.0
) -> list[tuple[float, float, float]]:
    """Step 1 of compound scaling: every (alpha, beta, gamma) on the grid 1, 1 + step, 1 + 2 step...
    (values rounded to 6 decimals) with ``|alpha * beta^2 * gamma^2 - target| <= tolerance``,
    sorted. The default grid holds the paper's (1.2, 1.1, 1.15), whose product is 1.92."""
    step = _positive("step", step)
    if step < 10**-_GRID_DECIMALS:
        raise SpecError(f"step={step!r} is invalid: must be at least 1e-06")
    if not (_is_number(tolerance) and math.isfinite(tolerance) and tolerance >= 0):
        raise SpecError(f"tolerance={tolerance!r} is invalid: must be a finite number >= 0")
    target = _positive("target", target)
    high = target + tolerance
    if high < 1:
        raise SpecError(
            f"target={target!r} is invalid: with tolerance={tolerance!r} no point with all three"
            " values >= 1 reaches it"
        )
    slack = 1e-9  # products on the boundary count despite float noise

    def values(limit: float) -> list[float]:
        count = math.floor(round((limit - 1) / step, _DECIMALS)) + 1
        return [round(1 + index * step, _GRID_DECIMALS) for index in range(count)]

    alphas, betas = values(high), values(math.sqrt(high))
    if len(alphas) * len(betas) > _MAX_GRID_PAIRS:
        raise SpecError(f"step={step!r} is invalid: too fine for target={target!r}")
    points = []
    for alpha in alphas:
        for beta in betas:
            base = alpha * beta**2
            if base > high + slack:
                break
            for gamma in betas:
                product = base * gamma**2
                if product > high + slack:
                    break
                if abs(product - target) <= tolerance + slack:
                    points.append((alpha, beta, gamma))
    return sorted(points)


# ----------------------------------------------------------------------------- families


@dataclass(frozen=True)
class FamilyMember:
    """One scaled model: its (depth, width) factors, deployment resolution and dropout."""

    name: str
    phi: float
    depth: float
    width: float
    resolution: int
    dropout: float

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name):
            raise SpecError(f"FamilyMember.name={self.name!r} is invalid: must be a non-empty str")
        _finite("FamilyMember.phi", self.phi)
        _positive("FamilyMember.depth", self.depth)
        _positive("FamilyMember.width", self.width)
        _count("FamilyMember.resolution", self.resolution, 8)
        if not (_is_number(self.dropout) and 0 <= self.dropout < 1):
            raise SpecError(f"FamilyMember.dropout={self.dropout!r} is invalid: must be in [0, 1)")

    def apply(self, base: ArchSpec) -> ArchSpec:
        """``base`` scaled by this member's depth and width, deployed at its resolution exactly."""
        return scale(base, self.depth, self.width).replace(resolution=self.resolution)


def formula_family(
    alpha: float,
    beta: float,
    gamma: float,
    phis: Iterable[float] = range(1, 8),
    base_resolution: int = 224,
    base_dropout: float = 0.2,
) -> tuple[FamilyMember, ...]:
    """Step 2 of compound scaling: members ``phi1``, ``phi2``... with depth ``alpha**phi``, width
    ``beta**phi`` and resolution ``round_resolution(base_resolution, gamma**phi)``.

    Dropout grows like the official table's (0.2 at B0 to 0.5 at B7): ``base_dropout + 0.3 * phi /
    7`` rounded to one decimal and kept within [0, 0.9]; for phi 1..7 from 0.2 this gives the
    official 0.2, 0.3, 0.3, 0.4, 0.4, 0.5, 0.5."""
    flops_factor(alpha, beta, gamma)  # validates them even when phis is empty
    _count("base_resolution", base_resolution, 8)
    if not (_is_number(base_dropout) and 0 <= base_dropout < 1):
        raise SpecError(f"base_dropout={base_dropout!r} is invalid: must be in [0, 1)")
    members = []
    for phi in phis:
        depth, width, factor = compound(phi, alpha, beta, gamma)
        dropout = min(MAX_DROPOUT, max(0.0, round(base_dropout + DROPOUT_SLOPE * phi, 1)))
        members.append(
            FamilyMember(
                name=f"phi{phi:g}",
                phi=phi,
                depth=depth,
                width=width,
                resolution=round_resolution(base_resolution, factor),
                dropout=dropout,
            )
        )
    return tuple(members)


__all__ = [
    "FamilyMember",
    "compound",
    "flops_factor",
    "formula_family",
    "grid_points",
    "round_filters",
    "round_repeats",
    "round_resolution",
    "scale",
]
