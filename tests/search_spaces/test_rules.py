from __future__ import annotations

import dataclasses
import math
import re

import pytest

import baselines
from nas.cost import flops, params
from search_spaces import encode
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

B0 = baselines.get("efficientnet_b0")
PAPER = (1.2, 1.1, 1.15)


@pytest.mark.parametrize(
    ("channels", "width", "expected"),
    [
        (24, 0.75, 24),  # 18 -> 16 lost > 10%: bumped to 24
        (20, 0.95, 24),  # 19 -> 16 lost > 10%: bumped
        (19, 1.0, 24),  # nearest is 16, 15.8% below: bumped
        (17, 1.0, 16),  # 16 is within 10% of 17
        (20, 1.0, 24),  # 20 + 4 = 24: halves round up
        (40, 1.1, 48),  # 44 is a tie: up
        (32, 1.1, 32),  # 35.2 -> 32
        (16, 1.2, 24),  # 19.2 -> 16, below 17.28: bumped (B3's first stage)
        (16, 1.4, 24),  # 22.4 -> 24
        (112, 1.1, 120),  # 123.2 -> 120
        (1280, 1.1, 1408),
        (320, 0.5, 160),
        (1, 1.0, 8),  # never below the divisor
        (3, 0.1, 8),
        (8, 0.01, 8),
        (10, 1.0, 16),  # nearest is 8, 20% below: bumped
    ],
)
def test_round_filters(channels, width, expected):
    assert round_filters(channels, width) == expected


def test_round_filters_divisor():
    assert round_filters(10, 1.0, divisor=4) == 12
    assert round_filters(1, 1.0, divisor=16) == 16


@pytest.mark.parametrize(
    ("repeats", "depth", "expected"),
    [
        (1, 1.0, 1),
        (4, 1.0, 4),
        (1, 1.1, 2),
        (3, 1.1, 4),  # 3.3000000000000003
        (3, 1.2, 4),  # 3.5999999999999996
        (4, 3.1, 13),
        (4, 0.5, 2),
        (1, 0.1, 1),
        (5, 0.7, 4),
    ],
)
def test_round_repeats(repeats, depth, expected):
    assert round_repeats(repeats, depth) == expected


@pytest.mark.parametrize(
    ("repeats", "depth", "expected"),
    [(25, 1.12, 28), (100, 1.1**2, 121), (1000, 1.1**3, 1331)],
)
def test_round_repeats_ignores_float_noise(repeats, depth, expected):
    assert repeats * depth > expected  # the raw product is a hair above an integer...
    assert math.ceil(repeats * depth) == expected + 1  # ...so a bare ceil would overshoot
    assert round_repeats(repeats, depth) == expected


@pytest.mark.parametrize(
    ("resolution", "factor", "multiple", "expected"),
    [
        (224, 1.0, 8, 224),
        (224, 1.15, 8, 256),  # 257.6
        (224, 1.15**2, 8, 296),  # 296.24
        (224, 1.3, 8, 288),  # 291.2
        (224, 2.0, 8, 448),
        (100, 1.0, 8, 104),  # 12.5 multiples: halves round up
        (90, 2.8, 8, 256),  # 251.99999999999997 = 31.5 multiples despite float noise: up
        (3, 1.0, 8, 8),  # at least one multiple
        (224, 0.01, 8, 8),
        (224, 1.15, 32, 256),
        (260, 1.0, 16, 256),
    ],
)
def test_round_resolution(resolution, factor, multiple, expected):
    assert round_resolution(resolution, factor, multiple) == expected


def test_scale_identity():
    for name in baselines.names():
        arch = baselines.get(name)
        assert scale(arch) == arch
        assert scale(arch, 1, 1, 1) == arch
    # a factor of exactly 1 leaves odd channels and resolutions alone
    odd = B0.replace(stem_channels=20, resolution=97)
    assert scale(odd) == odd
    assert scale(odd, width=1.0001).stem_channels == 24
    assert scale(odd, resolution=1.0001).resolution == 96


def test_scale_by_hand():
    arch = scale(B0, depth=1.4, width=1.2, resolution=1.15)
    # stage 3: k5, 40 channels, 2 layers -> 40 * 1.2 = 48, ceil(2 * 1.4) = 3
    assert arch.stages[2] == dataclasses.replace(B0.stages[2], out_channels=48, repeats=3)
    # stage 1: 16 * 1.2 = 19.2 -> 16 is below 90% of it -> 24; ceil(1.4) = 2
    assert (arch.stages[0].out_channels, arch.stages[0].repeats) == (24, 2)
    assert [s.out_channels for s in arch.stages] == [24, 32, 48, 96, 136, 232, 384]
    assert [s.repeats for s in arch.stages] == [2, 3, 3, 5, 5, 6, 2]
    assert (arch.stem_channels, arch.head_channels, arch.resolution) == (40, 1536, 256)
    # everything else is kept
    for old, new in zip(B0.stages, arch.stages, strict=True):
        assert (old.op, old.kernel, old.stride, old.expansion, old.se_ratio, old.skip) == (
            new.op,
            new.kernel,
            new.stride,
            new.expansion,
            new.se_ratio,
            new.skip,
        )
    assert arch.activation == B0.activation


def test_scale_one_dimension_at_a_time():
    deeper = scale(B0, depth=2.0)
    assert [s.repeats for s in deeper.stages] == [2, 4, 4, 6, 6, 8, 2]
    assert [s.out_channels for s in deeper.stages] == [s.out_channels for s in B0.stages]
    wider = scale(B0, width=2.0)
    assert [s.out_channels for s in wider.stages] == [32, 48, 80, 160, 224, 384, 640]
    assert (wider.stem_channels, wider.head_channels, wider.resolution) == (64, 2560, 224)
    assert scale(B0, resolution=2.0) == B0.replace(resolution=448)


def test_compound_and_flops_factor():
    assert compound(0, *PAPER) == (1.0, 1.0, 1.0)
    assert compound(1, *PAPER) == PAPER
    assert compound(2, *PAPER) == pytest.approx((1.44, 1.21, 1.3225))
    assert compound(-1, 2.0, 4.0, 8.0) == (0.5, 0.25, 0.125)
    assert flops_factor(*PAPER) == pytest.approx(1.92027)
    assert flops_factor(2.0, 1.0, 1.0) == 2.0
    assert flops_factor(1.0, 2.0, 1.0) == flops_factor(1.0, 1.0, 2.0) == 4.0


def test_grid_points_default():
    points = grid_points()
    assert PAPER in points
    assert points == sorted(points) and len(set(points)) == len(points)
    for point in points:
        assert min(point) >= 1
        assert abs(flops_factor(*point) - 2.0) <= 0.1 + 1e-9
        assert all(round((value - 1) / 0.05, 9).is_integer() for value in point)
    # the boundary counts: 2.1 - 2.0 is 0.10000000000000009 in floats
    assert (2.1, 1.0, 1.0) in points and (1.9, 1.0, 1.0) in points
    assert (2.15, 1.0, 1.0) not in points and (1.85, 1.0, 1.0) not in points
    assert len(points) == 111


@pytest.mark.parametrize(("step", "tolerance", "target"), [(0.05, 0.1, 2.0), (0.1, 0.05, 1.5)])
def test_grid_points_equal_brute_force(step, tolerance, target):
    values = [round(1 + index * step, 6) for index in range(int((target + tolerance) / step) + 2)]
    expected = sorted(
        (a, b, g)
        for a in values
        for b in values
        for g in values
        if abs(a * b * b * g * g - target) <= tolerance + 1e-9
    )
    assert expected and grid_points(step, tolerance, target) == expected


def test_official_family_is_the_reference_table():
    family = baselines.official_family()
    assert [m.name for m in family] == [f"efficientnet_b{i}" for i in range(8)]
    rows = [(m.phi, m.width, m.depth, m.resolution, m.dropout) for m in family]
    assert rows == [
        (0, 1.0, 1.0, 224, 0.2),
        (1, 1.0, 1.1, 240, 0.2),
        (2, 1.1, 1.2, 260, 0.3),
        (3, 1.2, 1.4, 300, 0.3),
        (4, 1.4, 1.8, 380, 0.4),
        (5, 1.6, 2.2, 456, 0.4),
        (6, 1.8, 2.6, 528, 0.5),
        (7, 2.0, 3.1, 600, 0.5),
    ]
    for member in family:
        assert member.apply(B0) == baselines.get(member.name)


# The compound family of the paper's coefficients, pinned: any change in rounding shows here.
# (name, depth, width, resolution, dropout, params, closed-form FLOPs at its resolution)
FORMULA_FAMILY = [
    ("phi1", 1.2, 1.1, 256, 0.2, 9_109_994, 890_367_936),
    ("phi2", 1.44, 1.21, 296, 0.3, 12_255_408, 1_866_138_192),
    ("phi3", 1.728, 1.331, 344, 0.3, 16_350_296, 3_346_873_464),
    ("phi4", 2.0736, 1.4641, 392, 0.4, 25_916_448, 6_477_698_448),
    ("phi5", 2.48832, 1.61051, 448, 0.4, 33_726_740, 10_678_534_016),
    ("phi6", 2.985984, 1.771561, 520, 0.5, 45_464_648, 20_512_122_920),
    ("phi7", 3.5831808, 1.9487171, 592, 0.5, 68_741_810, 39_508_223_696),
]


def test_formula_family_members():
    family = formula_family(*PAPER)
    assert [m.phi for m in family] == list(range(1, 8))
    assert len(family) == len(FORMULA_FAMILY)
    for member, (name, depth, width, resolution, dropout, _, _) in zip(
        family, FORMULA_FAMILY, strict=True
    ):
        assert member.name == name
        assert member.depth == pytest.approx(depth, abs=1e-12)
        assert member.width == pytest.approx(width, abs=1e-12)
        assert (member.resolution, member.dropout) == (resolution, dropout)
    # the dropout rule reproduces the official B1..B7 dropouts
    assert [m.dropout for m in family] == [m.dropout for m in baselines.official_family()[1:]]


def test_formula_family_archs_pinned():
    for member, row in zip(formula_family(*PAPER), FORMULA_FAMILY, strict=True):
        arch = scale(B0, *compound(member.phi, *PAPER))
        assert arch == member.apply(B0)
        assert (arch.resolution, params(arch), flops(arch)) == (row[3], row[5], row[6])
    first = scale(B0, *compound(1, *PAPER))
    assert encode(first) == (
        "stem32-ir_r2_k3_s1_e1_c16_se0.25-ir_r3_k3_s2_e6_c24_se0.25-ir_r3_k5_s2_e6_c48_se0.25"
        "-ir_r4_k3_s2_e6_c88_se0.25-ir_r4_k5_s1_e6_c120_se0.25-ir_r5_k5_s2_e6_c208_se0.25"
        "-ir_r2_k3_s1_e6_c352_se0.25-head1408-silu-res256"
    )
    # phi=1 is B2's depth and width at 256 px instead of 260
    b2 = baselines.get("efficientnet_b2")
    assert first == b2.replace(resolution=256)


def test_formula_family_flops_grow_like_the_factor():
    # Rounding (ceil of depth on 1-4 layer stages, +8 channel bumps, resolution to 8) only adds:
    # measured ratios to flops_factor**phi are 1.154, 1.260, 1.177, 1.186, 1.018, 1.019, 1.022.
    base = flops(B0)
    factor = flops_factor(*PAPER)
    for phi, row in enumerate(FORMULA_FAMILY, start=1):
        ratio = row[6] / base / factor**phi
        assert 1.0 <= ratio <= 1.3, (phi, ratio)
        if phi >= 5:
            assert ratio == pytest.approx(1.0, abs=0.03), (phi, ratio)


def test_formula_family_options():
    family = formula_family(1.0, 1.0, 2.0, phis=[0, 1, 2], base_resolution=32, base_dropout=0.1)
    assert [(m.name, m.resolution, m.dropout) for m in family] == [
        ("phi0", 32, 0.1),
        ("phi1", 64, 0.1),
        ("phi2", 128, 0.2),
    ]
    assert formula_family(*PAPER, phis=[20])[0].dropout == 0.9  # capped
    assert formula_family(*PAPER, phis=[]) == ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: round_filters(0, 1.0), "channels=0"),
        (lambda: round_filters(8, 0), "width=0"),
        (lambda: round_filters(8, float("inf")), "width=inf"),
        (lambda: round_filters(8, 1.0, 0), "divisor=0"),
        (lambda: round_repeats(0, 1.2), "repeats=0"),
        (lambda: round_repeats(2, float("nan")), "depth=nan"),
        (lambda: round_resolution(224, 0.0), "factor=0.0"),
        (lambda: round_resolution(224, 1.0, 0), "multiple=0"),
        (lambda: round_resolution(0, 1.0), "resolution=0"),
        (lambda: scale(B0, depth=0), "depth=0"),
        (lambda: scale(B0, width=-1.0), "width=-1.0"),
        (lambda: scale(B0, resolution=float("inf")), "resolution=inf"),
        (lambda: scale(B0, depth=True), "depth=True"),
        (lambda: scale(B0, width="2"), "width='2'"),
        (lambda: scale("b0"), "arch must be an ArchSpec"),
        (lambda: scale(B0, resolution=100.0), "ArchSpec.resolution=22400"),
        (lambda: compound(float("nan"), *PAPER), "phi=nan"),
        (lambda: compound(1, 0.0, 1.1, 1.15), "alpha=0.0"),
        (lambda: flops_factor(1.2, -1.1, 1.15), "beta=-1.1"),
        (lambda: flops_factor(1.2, 1.1, None), "gamma=None"),
        (lambda: grid_points(step=0), "step=0"),
        (lambda: grid_points(step=-0.05), "step=-0.05"),
        (lambda: grid_points(step=1e-9), "step=1e-09"),
        (lambda: grid_points(step=1e-4), "step=0.0001 is invalid: too fine"),
        (lambda: grid_points(tolerance=-0.1), "tolerance=-0.1"),
        (lambda: grid_points(target=0), "target=0"),
        (lambda: grid_points(target=0.5), "target=0.5"),
        (lambda: formula_family(*PAPER, base_resolution=4), "base_resolution=4"),
        (lambda: formula_family(*PAPER, base_dropout=1.0), "base_dropout=1.0"),
        (lambda: formula_family(*PAPER, phis=[float("inf")]), "phi=inf"),
        (lambda: formula_family(0, 1.1, 1.15), "alpha=0"),
        (lambda: FamilyMember("b", 0, 1.0, 1.0, 4, 0.2), "FamilyMember.resolution=4"),
        (lambda: FamilyMember("", 0, 1.0, 1.0, 224, 0.2), "FamilyMember.name=''"),
        (lambda: FamilyMember("b", 0, 1.0, 0.0, 224, 0.2), "FamilyMember.width=0.0"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        call()
