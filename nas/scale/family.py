"""Step 2 of compound scaling, the family: d, w, r = alpha^phi, beta^phi, gamma^phi.

Each member's cost (params, FLOPs, and fvcore's count and latency when asked), its accuracy on
the proxy with ``train_family``, and the b<phi>.json records of the chosen family (the
formula's, or the official table's with ``official``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

import baselines
from nas import cost
from nas.cost.latency_build import table_for_networks
from nas.errors import ConfigError
from nas.scale.config import ScaleConfig
from nas.scale.stages import run_stage, stage_frame
from nas.scale.trainer import ProxyTrainer
from nas.study.keys import LABEL
from nas.study.progress import ProgressFactory, Silent
from search_spaces import ArchSpec, build_model, encode, to_dict
from search_spaces.errors import SpecError
from search_spaces.rules import FamilyMember, flops_factor, formula_family

Coefficients = tuple[float, float, float]


def member_row(
    member: FamilyMember,
    base: ArchSpec,
    source: str,
    config: ScaleConfig,
    coefficients: Coefficients | None,
) -> dict[str, Any]:
    """One family.csv row: the member's factors, cost and architecture string."""
    arch = member.apply(base)
    base_flops = cost.flops(base)
    row: dict[str, Any] = {
        "source": source,
        "model": member.name,
        "phi": member.phi,
        "depth": member.depth,
        "width": member.width,
        "resolution_factor": member.resolution / base.resolution,
        "resolution": member.resolution,
        "dropout": member.dropout,
        "params": cost.params(arch),
        "flops": cost.flops(arch),
    }
    row["flops_ratio"] = row["flops"] / base_flops
    # The formula's prediction; the official table follows no coefficients.
    row["constraint_ratio"] = (
        flops_factor(*coefficients) ** member.phi
        if source == "formula" and coefficients is not None
        else float("nan")
    )
    row["two_pow_phi"] = 2.0**member.phi
    if config.with_fvcore:
        row["fvcore_flops"] = cost.fvcore_flops(arch)
    if config.with_latency:
        model = build_model(arch, dropout=member.dropout)
        row["latency_ms"] = 1e3 * cost.latency(model, member.resolution, warmup=1, repeats=5)
        del model
    row["arch"] = encode(arch)
    return row


def _record(
    member: FamilyMember,
    source: str,
    base: ArchSpec,
    row: dict[str, Any],
    coefficients: Coefficients,
) -> dict[str, Any]:
    """A member's b<phi>.json: its factors, its ArchSpec and its cost."""
    return {
        "name": member.name,
        "source": source,
        "phi": member.phi,
        "depth": member.depth,
        "width": member.width,
        "resolution": member.resolution,
        "dropout": member.dropout,
        "coefficients": list(coefficients) if source == "formula" else None,
        "arch": to_dict(member.apply(base)),
        "arch_string": row["arch"],
        "metrics": {key: row[key] for key in ("params", "flops", "flops_ratio")},
    }


def family_tables(
    config: ScaleConfig,
    coefficients: Coefficients,
    trainer: ProxyTrainer | None,
    progress: ProgressFactory = Silent,
) -> tuple[pd.DataFrame, dict[int, dict[str, Any]]]:
    """The formula's family (and the official one with ``official``), each member trained on
    the proxy when a ``trainer`` is given, and the b<phi>.json records by phi."""
    base = config.arch
    formula = formula_family(
        *coefficients,
        phis=config.phis,
        base_resolution=base.resolution,
        base_dropout=config.base_dropout,
    )
    members = [("formula", m) for m in formula]
    if config.official:
        members += [("official", m) for m in baselines.official_family() if m.phi in config.phis]
    rows = []
    for source, member in members:
        try:
            rows.append(member_row(member, base, source, config, coefficients))
        except SpecError as error:  # say which setting made the network impossible
            raise ConfigError(
                None,
                None,
                f"{{phis}} reaches phi {member.phi:g}, which scales the network past what one "
                f"can be ({error}): give smaller values",
            ) from None
    frame = pd.DataFrame(rows)
    if config.latency_table is not None:
        networks = [(member.apply(base), member.resolution) for _, member in members]
        table, _ = table_for_networks(config.latency_table, networks)
        frame["predicted_latency_ms"] = [
            table.predict(arch, resolution) for arch, resolution in networks
        ]
    if trainer is not None:
        labels = [f"{row['source']}:{row['model']}" for row in rows]
        by_label = dict(zip(labels, members, strict=True))

        def evaluate(label: str, number: int) -> dict[str, Any]:
            source, member = by_label[label]
            return trainer.accuracy(
                member.apply(base), member.resolution / base.resolution, config.proxy.seed
            )

        plan = {
            label: f"{row['arch']}@{row['resolution_factor']:g}"
            for label, row in zip(labels, rows, strict=True)
        }
        trained = stage_frame(run_stage(config, "family", plan, evaluate, progress))
        accuracy = dict(
            zip(
                trained[LABEL],
                trained.get("accuracy", pd.Series([None] * len(trained))),
                strict=True,
            )
        )
        frame["accuracy"] = [accuracy.get(label) for label in labels]
    chosen = "official" if config.official else "formula"
    records = {
        int(member.phi): _record(member, source, base, row, coefficients)
        for (source, member), row in zip(members, rows, strict=True)
        if source == chosen
    }
    return frame, records
