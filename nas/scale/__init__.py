"""Compound scaling: grid-search (alpha, beta, gamma) at phi = 1, derive the family for
phi = 1..7, and the one-dimension-vs-compound ablation, each stage a resumable study."""

from __future__ import annotations

from nas.scale.ablation import DIMENSIONS, ablation_rows, run_ablation, solve_factor
from nas.scale.config import ScaleConfig
from nas.scale.family import family_tables, member_row
from nas.scale.grid import describe_grid, grid_search, point_label
from nas.scale.run import PAPER_COEFFICIENTS, preview, run_scale
from nas.scale.stages import run_stage, stage_frame
from nas.scale.trainer import ProxyTrainer

__all__ = [
    "DIMENSIONS",
    "PAPER_COEFFICIENTS",
    "ProxyTrainer",
    "ScaleConfig",
    "ablation_rows",
    "describe_grid",
    "family_tables",
    "grid_search",
    "member_row",
    "point_label",
    "preview",
    "run_ablation",
    "run_scale",
    "run_stage",
    "solve_factor",
    "stage_frame",
]
