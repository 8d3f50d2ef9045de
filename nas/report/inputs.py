"""What a report reads: studies (trials.csv and config.json) and scaling folders' tables.

A PATH is a study (a folder with trials.csv, or a trials.csv itself) or a scaling folder (one
with family.csv, ablation.csv or grid.csv); a study folder's own ``scaling/`` comes along.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import baselines
from nas import results
from nas.errors import InputError, MissingFile
from nas.results.files import CONFIG_FILE, JOURNAL_FILE, SCALING_FOLDER, TRIALS_FILE
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W, LatencyReward, RewardConfig
from nas.search import SearchConfig
from search_spaces import DEFAULT_SPACE

FALLBACK_REFERENCE = baselines.DEFAULT_REFERENCE
DEFAULT_RESOLUTION = baselines.DEPLOYMENT_RESOLUTION
SCALING_FILES = ("family.csv", "ablation.csv", "grid.csv")
SCALING_REQUIRED = {
    "family.csv": ("source", "model", "phi", "params", "flops"),
    "ablation.csv": ("scaling", "flops", "flops_ratio"),
    "grid.csv": ("alpha", "beta", "gamma"),
}


def is_missing(value: Any) -> bool:
    """Whether a CSV cell holds nothing: None, "" or NaN."""
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True, eq=False)
class Study:
    """One study's trials and the settings its figures need (from config.json if present)."""

    label: str
    folder: Path
    frame: pd.DataFrame
    reward: RewardConfig | LatencyReward  # a latency study's weighs predicted milliseconds
    resolution: int = DEFAULT_RESOLUTION
    reference: str = FALLBACK_REFERENCE
    space: str = DEFAULT_SPACE

    @property
    def complete(self) -> pd.DataFrame:
        """Complete trials with an accuracy, a reward and FLOPs: the points a figure shows."""
        done = results.complete(self.frame)
        return done[done["accuracy"].notna() & (done["flops"] > 0)]

    @property
    def winner(self) -> pd.Series | None:
        """The best of the complete trials, by nas.results' ranking."""
        return results.best_row(self.complete)

    @property
    def journal(self) -> Path | None:
        path = self.folder / JOURNAL_FILE
        return path if path.is_file() else None


@dataclass(frozen=True, eq=False)
class Scaling:
    """A compound-scaling folder's tables (None where the file is absent)."""

    label: str
    folder: Path
    family: pd.DataFrame | None
    ablation: pd.DataFrame | None
    grid: pd.DataFrame | None

    @property
    def trained(self) -> bool:
        """Whether the family has accuracies."""
        family = self.family
        return family is not None and "accuracy" in family and family["accuracy"].notna().any()

    @property
    def ablation_trained(self) -> bool:
        """Whether the ablation table has accuracies."""
        table = self.ablation
        return table is not None and "accuracy" in table and table["accuracy"].notna().any()

    @property
    def baseline(self) -> pd.Series | None:
        """The unscaled network (phi 0) as a family row, from the ablation table."""
        table = self.ablation
        if table is None:
            return None
        rows = table[table["scaling"] == "baseline"]
        if rows.empty:
            return None
        row = rows.iloc[0]
        return pd.Series(
            {
                "source": "baseline",
                "model": "baseline",
                "phi": 0,
                "params": row.get("params", math.nan),
                "flops": row["flops"],
                "accuracy": row.get("accuracy", math.nan),
            }
        )


def read_settings(folder: Path) -> dict[str, Any]:
    """The study's config.json, or {} when there is none."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        settings = json.loads(path.read_text())
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{str(path)!r} is not valid JSON: {error}") from None
    if not isinstance(settings, dict):
        raise InputError(f"{str(path)!r} does not hold a JSON object")
    return settings


def reward_config(
    settings: dict[str, Any], target_flops: float | None, w: float | None
) -> RewardConfig | LatencyReward:
    """T and the exponents: a value given wins, then the study's config (config.json, read
    back by ``SearchConfig.from_record``), then nas.reward's defaults."""
    if settings:
        recorded = SearchConfig.from_record(settings).rewarding
    else:
        recorded = RewardConfig(DEFAULT_TARGET_FLOPS, DEFAULT_W, DEFAULT_W)
    if isinstance(recorded, LatencyReward):  # T in milliseconds: --target-flops does not apply
        if w is None:
            return recorded
        return LatencyReward(recorded.target_ms, float(w), float(w))
    target = recorded.target_flops if target_flops is None else target_flops
    try:
        if w is not None:
            return RewardConfig.soft(float(target), float(w))
        return RewardConfig(float(target), recorded.alpha, recorded.beta)
    except (TypeError, ValueError) as error:
        raise InputError(f"the reward's settings are invalid: {error}") from None


def kind_of(path: Path) -> str:
    """``study`` (a folder with trials.csv, or any file) or ``scaling`` (a scaling folder)."""
    if not path.exists():
        raise MissingFile(f"{str(path)!r} does not exist")
    if path.is_file() or (path / TRIALS_FILE).is_file():
        return "study"
    if has_scaling_tables(path):
        return "scaling"
    raise MissingFile(
        f"no {TRIALS_FILE} in {str(path)!r} (nor a scaling folder's {', '.join(SCALING_FILES)})"
    )


def has_scaling_tables(folder: Path) -> bool:
    return any((folder / name).is_file() for name in SCALING_FILES)


def _label(folder: Path) -> str:
    folder = folder.resolve()
    if folder.name == SCALING_FOLDER:
        return f"{folder.parent.name}/{folder.name}"
    return folder.name


def _reference_of(frame: pd.DataFrame) -> str:
    """The space's reference baseline, from the reference trial's row (no config.json)."""
    named = [name for name in frame["reference"] if name in baselines.names()]
    return named[0] if named else FALLBACK_REFERENCE


def load_study(
    path: str | Path, target_flops: float | None = None, w: float | None = None
) -> Study:
    """A study folder or trials.csv, with its reward settings (see ``reward_config``)."""
    path = Path(path)
    frame = results.load(path)
    folder = path if path.is_dir() else path.parent
    settings = read_settings(folder)
    return Study(
        label=_label(folder),
        folder=folder,
        frame=frame,
        reward=reward_config(settings, target_flops, w),
        resolution=int(settings.get("resolution") or DEFAULT_RESOLUTION),
        reference=str(settings.get("reference") or _reference_of(frame)),
        space=str(settings.get("space") or DEFAULT_SPACE),
    )


def _read_table(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"{str(path)!r} is not a readable CSV: {first}") from None
    missing = [c for c in SCALING_REQUIRED[path.name] if c not in table.columns]
    if missing:
        raise InputError(f"{str(path)!r}: missing column(s) {', '.join(missing)}")
    return table


def load_scaling(folder: str | Path) -> Scaling:
    """A scaling folder's family.csv, ablation.csv and grid.csv (each None when absent)."""
    folder = Path(folder)
    tables = {name: _read_table(folder / name) for name in SCALING_FILES}
    return Scaling(
        label=_label(folder),
        folder=folder,
        family=tables["family.csv"],
        ablation=tables["ablation.csv"],
        grid=tables["grid.csv"],
    )


def _unique_labels(items: list[Any]) -> list[Any]:
    """Studies from different results folders may share a name: add the parent's."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.label] = counts.get(item.label, 0) + 1
    renamed = []
    for item in items:
        if counts[item.label] > 1:
            parent = item.folder.resolve().parent
            item = dataclasses.replace(item, label=f"{parent.name}/{item.label}")
        renamed.append(item)
    return renamed


def load_inputs(
    paths: Sequence[str | Path], target_flops: float | None = None, w: float | None = None
) -> tuple[list[Study], list[Scaling]]:
    """The studies and scaling folders ``paths`` name; a study folder's ``scaling/`` too."""
    studies: list[Study] = []
    scalings: list[Scaling] = []
    for given in paths:
        path = Path(given)
        if kind_of(path) == "scaling":
            scalings.append(load_scaling(path))
            continue
        studies.append(load_study(path, target_flops, w))
        nested = path / SCALING_FOLDER
        if path.is_dir() and has_scaling_tables(nested):
            scalings.append(load_scaling(nested))
    return _unique_labels(studies), _unique_labels(scalings)
