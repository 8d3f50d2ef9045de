"""The fidelity check's runs and its run log: what makes two runs the same training, and the CSV
that keeps every finished run so that a stopped check resumes and a finished one trains nothing.

The log is bench/fidelity.py's, column for column (bench/fidelity_cpu_runs.csv and
bench/fidelity_gpu_runs.csv load as they are): a run's key is its budget (``short`` for the
proxy, ``long`` for the yardstick), its training seed, its architecture string and its recipe,
the JSON of everything else that decides what it learns: which images (dataset, hold-out seed,
sizes), the training settings and the kind of device (CUDA trains in bf16).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from nas.data import DataConfig
from nas.errors import ConfigError, InputError
from nas.study.runlog import RunLog as StudyRunLog
from nas.train import TrainConfig
from search_spaces import ArchSpec, encode

log = logging.getLogger(__name__)

PROXY = "proxy"
YARDSTICK = "yardstick"
BUDGETS = (PROXY, YARDSTICK)
LOG_BUDGET = {PROXY: "short", YARDSTICK: "long"}  # the names the run log keeps
YARDSTICK_SEED = 1000  # the yardstick's seeds are 1000 + its repeat (+ the proxy's seed)
LOG_COLUMNS = ["budget", "seed", "string", "recipe", "accuracy", "seconds", "device", "scores"]
# Logs written before runs kept their other scores (the training losses) lack the last column.
OLD_LOG_COLUMNS = LOG_COLUMNS[:-1]
# Training settings added after logs were first kept: in a recipe only when they are set, so that
# the runs logged before them keep their keys.
LATER_TRAIN_FIELDS = ("resolution", "ema")
# Which images a run sees; where the files are (data_dir, download, mirrors) does not count, and
# capped sizes are given as what the data had (``resolved``).
RECIPE_DATA_FIELDS = ("dataset", "image_size", "seed", "train_subset", "val_subset")

Key = tuple[str, int, str, str]


@dataclass(frozen=True)
class Run:
    """One training of one network with one budget and one seed."""

    network: int  # index into the check's networks
    budget: str  # PROXY or YARDSTICK
    repeat: int  # which of the budget's seeds
    seed: int  # the training seed
    arch: ArchSpec
    data: DataConfig
    train: TrainConfig
    device: str  # where it trains: cpu, cuda, cuda:1

    def __post_init__(self) -> None:
        if self.budget not in BUDGETS:
            raise InputError(f"budget={self.budget!r} is invalid: use {' or '.join(BUDGETS)}")

    @property
    def key(self) -> Key:
        return run_key(self)


def device_kind(device: str) -> str:
    """``cuda`` of ``cuda:1``: the kind of device, which decides the arithmetic."""
    return device.partition(":")[0]


def recipe(data: DataConfig, train: TrainConfig, device: str) -> str:
    """Everything besides budget, seed and architecture that decides what a run learns."""
    images = {name: getattr(data, name) for name in RECIPE_DATA_FIELDS}
    training = dataclasses.asdict(train)
    training.pop("evaluations")  # intermediate evaluations do not change the training
    training.pop("eval_images")
    for name in LATER_TRAIN_FIELDS:
        if training[name] is None:
            training.pop(name)
    return json.dumps(
        {"data": images, "train": training, "device": device_kind(device)}, sort_keys=True
    )


def run_key(run: Run) -> Key:
    """What makes two runs the same training."""
    return (
        LOG_BUDGET[run.budget],
        run.seed,
        encode(run.arch),
        recipe(run.data, run.train, run.device),
    )


def resolved(data: DataConfig, train_images: int, val_images: int) -> DataConfig:
    """``data`` asking for exactly the images it gave (``train_images``, ``val_images``): capped
    sizes become the sizes the data had, so the same config loads the same images in a worker
    and a run's recipe says what it saw. A training set of None (all that remains) stays None."""
    return dataclasses.replace(
        data,
        train_subset=None if data.train_subset is None else train_images,
        val_subset=val_images,
        train_cap=False,
        val_cap=False,
    )


@dataclass(frozen=True)
class Logged:
    accuracy: float
    seconds: float
    scores: dict[str, float] = dataclasses.field(default_factory=dict)  # the training losses


class RunLog:
    """The check's runs in the study engine's run log (``nas.study.runlog``) at ``path``: read
    once, appended to as runs finish."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._log = StudyRunLog(
            self.path,
            LOG_COLUMNS,
            LOG_COLUMNS[:4],
            older=[OLD_LOG_COLUMNS],
            kind="fidelity run log",
            field="runs",
        )

    def load(self) -> dict[Key, Logged]:
        """The runs an earlier check logged (none for a missing or empty file); ConfigError
        naming the file (setting ``runs``) when it is not a run log."""
        found = {}
        for line, row in enumerate(self._log.rows(), start=2):
            try:
                scores = json.loads(row["scores"]) if row["scores"] else {}
                if not isinstance(scores, dict):
                    raise ValueError
                key = (row["budget"], int(row["seed"]), row["string"], row["recipe"])
                found[key] = Logged(
                    float(row["accuracy"]),
                    float(row["seconds"]),
                    {name: float(value) for name, value in scores.items()},
                )
            except ValueError:
                raise ConfigError(
                    "runs", str(self.path), f"line {line} is not a run: {','.join(row.values())}"
                ) from None
        return found

    def append(
        self, run: Run, accuracy: float, seconds: float, scores: dict[str, float] | None = None
    ) -> None:
        """Log one finished run."""
        budget, seed, string, how = run.key
        self._log.append(
            {
                "budget": budget,
                "seed": seed,
                "string": string,
                "recipe": how,
                "accuracy": accuracy,
                "seconds": seconds,
                "device": run.device,
                "scores": json.dumps(scores or {}, sort_keys=True),
            }
        )
