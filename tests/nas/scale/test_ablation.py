from __future__ import annotations

import pytest

import baselines
from nas import cost
from nas.scale import ScaleConfig, ablation_rows, solve_factor
from search_spaces.rules import scale


def test_ablation_solves_every_scaling_to_the_same_flops():
    config = ScaleConfig(ablation_factor=4.0)
    rows = {row["scaling"]: row for row in ablation_rows(config, (1.2, 1.1, 1.15))}
    assert list(rows) == ["baseline", "depth", "width", "resolution", "compound"]
    base = cost.flops(baselines.get("efficientnet_b0"))
    for name in ("depth", "width", "resolution", "compound"):
        assert rows[name]["flops"] / base == pytest.approx(4.0, rel=0.05), name
    assert rows["depth"]["arch"].stages[0].out_channels == 16  # depth only: channels kept
    assert rows["width"]["arch"].depth == 16  # width only: layers kept
    assert rows["resolution"]["resolution"] > 224 and rows["resolution"]["width"] == 1.0
    assert rows["compound"]["depth"] > 1 and rows["compound"]["width"] > 1


def test_solve_factor_finds_the_nearest_step():
    base = baselines.get("efficientnet_b0")
    target = 2.0 * cost.flops(base)
    factor, arch = solve_factor(target, lambda w: scale(base, width=w))
    gap = abs(cost.flops(arch) - target)
    for neighbour in (factor - 0.01, factor + 0.01):
        assert gap <= abs(cost.flops(scale(base, width=round(neighbour, 6))) - target)
