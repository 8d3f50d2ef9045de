"""The cost table: params, FLOPs (closed form and fvcore) and latency of named networks."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

import baselines
from nas.archs import resolve_arch
from nas.cost.measure import flops, fvcore_flops, latency, params
from nas.errors import ConfigError
from search_spaces import build_model, encode
from search_spaces.spec import MAX_RESOLUTION, MIN_RESOLUTION, RESOLUTION_RULE

REFERENCES = ("efficientnet_b0", "mobilenet_v2", "mnasnet_a1")


def cost_table(
    names: Sequence[str],
    resolution: int | None = None,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
    in_channels: int = 3,
    with_fvcore: bool = True,
    with_latency: bool = True,
    threads: int = 1,
) -> pd.DataFrame:
    """One row per architecture: resolution, params, FLOPs, and (optionally) fvcore and latency."""
    if resolution is not None and not (
        isinstance(resolution, int) and MIN_RESOLUTION <= resolution <= MAX_RESOLUTION
    ):
        raise ConfigError("resolution", resolution, RESOLUTION_RULE)
    rows = []
    for name in names:
        arch = resolve_arch(name)
        size = arch.resolution if resolution is None else resolution
        row = {
            "model": name if name in baselines.names() else encode(arch),
            "resolution": size,
            "params": params(arch, num_classes, in_channels),
            "mflops": flops(arch, size, in_channels, num_classes) / 1e6,
        }
        if with_fvcore:
            row["fvcore_mflops"] = fvcore_flops(arch, size, in_channels, num_classes) / 1e6
        if with_latency:
            model = build_model(arch, num_classes=num_classes, in_channels=in_channels)
            row["latency_ms"] = 1e3 * latency(model, size, threads=threads)
        rows.append(row)
    return pd.DataFrame(rows)
