"""``run_scale``: the grid search (unless coefficients are given), the family and the ablation,
with their tables and b<phi>.json records written to the config's folder.

Every training stage is an Optuna study in the output folder's storage, so a killed run resumes.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import optuna
import pandas as pd

from nas.results.io import write_atomic, write_csv
from nas.scale.ablation import run_ablation
from nas.scale.config import ScaleConfig
from nas.scale.family import family_tables
from nas.scale.grid import grid_search
from nas.scale.trainer import ProxyTrainer
from nas.study.loop import optuna_verbosity
from nas.study.progress import ProgressFactory, Silent

log = logging.getLogger(__name__)

# The coefficients a dry run shows the family with when none are given (the paper's).
PAPER_COEFFICIENTS = (1.2, 1.1, 1.15)


def run_scale(config: ScaleConfig, progress: ProgressFactory = Silent) -> dict[str, pd.DataFrame]:
    """Grid search (unless ``config.coefficients``), family, ablation; the tables by name
    (``grid``, ``family``, ``ablation``), also written as CSV files in ``config.folder``
    beside the chosen family's b<phi>.json. ``progress`` makes each stage's listener."""
    _ = config.arch  # a bad baseline is refused before anything is written
    folder = config.folder
    folder.mkdir(parents=True, exist_ok=True)
    needs_training = config.coefficients is None or config.train_family or config.ablation
    trainer = ProxyTrainer.for_proxy(config.proxy) if needs_training else None
    tables: dict[str, pd.DataFrame] = {}
    with optuna_verbosity(optuna.logging.WARNING):
        coefficients = config.coefficients
        if coefficients is None:
            assert trainer is not None
            tables["grid"], coefficients = grid_search(config, trainer, progress)
            write_csv(tables["grid"], folder / "grid.csv")
            log.info(
                f"grid search: alpha {coefficients[0]:g}, beta {coefficients[1]:g}, "
                f"gamma {coefficients[2]:g}"
            )
        family, records = family_tables(
            config, coefficients, trainer if config.train_family else None, progress
        )
        tables["family"] = family
        write_csv(family, folder / "family.csv")
        for phi, record in records.items():
            write_atomic(folder / f"b{phi}.json", json.dumps(record, indent=2) + "\n")
        if config.ablation:
            assert trainer is not None
            tables["ablation"] = run_ablation(config, coefficients, trainer, progress)
            write_csv(tables["ablation"], folder / "ablation.csv")
    return tables


def preview(config: ScaleConfig) -> tuple[int | None, pd.DataFrame]:
    """What a run would do, without training or writing: the number of grid points (None
    when coefficients are given) and the family's cost table (with the paper's coefficients
    when none are given; no fvcore count or latency)."""
    points = None if config.coefficients is not None else len(config.grid())
    quick = dataclasses.replace(config, with_fvcore=False, with_latency=False)
    family, _ = family_tables(quick, config.coefficients or PAPER_COEFFICIENTS, None)
    return points, family
