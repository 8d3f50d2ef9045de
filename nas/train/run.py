"""``python -m nas.train``'s job: load the data, build the network, train it with progressive
learning, then report the test accuracy and write the learning curve and the trained network.

The output folder holds ``state.pt`` (the resumable checkpoint, every epoch), ``curve.csv``
(one row per epoch), ``result.json`` (the final figures) and, once training ends, the network
as a checkpoint folder (``model.pt`` + ``arch.json``, loaded by ``nas.train.checkpoint.load``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from nas.atomic import write_text
from nas.data import DataConfig, load_data, load_test
from nas.errors import ConfigError, InputError
from nas.train import checkpoint
from nas.train.full import (
    STATE_FILE,
    EpochRecord,
    FullTrainConfig,
    accuracy_at,
    load_state,
    train_full,
)
from nas.train.progressive import ProgressiveSchedule, StageSettings
from search_spaces import ArchSpec, build_model, encode, from_dict, to_dict

CURVE_FILE = "curve.csv"
RESULT_FILE = "result.json"
RUN_FILE = "run.json"  # the run's settings, which ``resume_run`` reads back
CURVE_COLUMNS = [field.name for field in dataclasses.fields(EpochRecord)]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainRun:
    """What to train, on which data, where to write it."""

    arch: ArchSpec
    name: str  # how the architecture was given: a baseline's name, a file, a string
    data: DataConfig
    config: FullTrainConfig
    folder: str
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not isinstance(self.arch, ArchSpec):
            raise ConfigError("arch", self.arch, "must be an ArchSpec")

    def identity(self) -> dict[str, Any]:
        return {
            "arch": encode(self.arch),
            "data": dataclasses.asdict(self.data),
            **self.config.identity(),
        }

    def record(self) -> dict[str, Any]:
        """run.json: what ``resume_run`` needs to go on with this run."""
        return {
            "arch": to_dict(self.arch),
            "name": self.name,
            "data": dataclasses.asdict(self.data),
            "config": dataclasses.asdict(self.config),
            "device": self.device,
        }


def resume_run(folder: str | Path, device: str | None = None) -> TrainRun:
    """The run whose checkpoint ``folder`` holds, read back from its run.json, to pass to
    ``run_training`` (which goes on from the last finished epoch). ``device`` (a resolved
    name) replaces the recorded one. InputError naming the file when it cannot be read."""
    path = Path(folder)
    if not (path / STATE_FILE).is_file() or not (path / RUN_FILE).is_file():
        raise ConfigError(
            "resume", str(folder), f"holds no checkpoint ({STATE_FILE} and {RUN_FILE})"
        )
    where = path / RUN_FILE
    try:
        saved = json.loads(where.read_text())
        config = dict(saved["config"])
        config["schedule"] = ProgressiveSchedule(**config["schedule"])
        return TrainRun(
            arch=from_dict(saved["arch"]),
            name=saved["name"],
            data=DataConfig(**saved["data"]),
            config=FullTrainConfig(**config),
            folder=str(folder),
            device=saved["device"] if device is None else device,
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        detail = f"lacks {error}" if isinstance(error, KeyError) else " ".join(str(error).split())
        raise InputError(f"{str(where)!r} is damaged ({detail}): it cannot be resumed") from None


def start_run(run: TrainRun) -> list[EpochRecord]:
    """Check ``run``'s folder, then record the run in it: a folder holding a checkpoint of a
    run with other settings (or a damaged one) is refused before anything is written, so the
    run it holds can still be resumed. Returns the epochs its checkpoint has finished."""
    folder = Path(run.folder)
    state = load_state(folder, run.identity())  # raises when the checkpoint is another run's
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / RUN_FILE, json.dumps(run.record(), indent=2) + "\n")
    return [] if state is None else [EpochRecord(**row) for row in state["records"]]


@dataclass(frozen=True)
class TrainOutcome:
    records: tuple[EpochRecord, ...]
    test_accuracy: float
    train_seconds: float  # the epochs' training time, evaluation excluded
    folder: Path


def curve_text(records: list[EpochRecord] | tuple[EpochRecord, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CURVE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(dataclasses.asdict(record))
    return out.getvalue()


def run_training(
    run: TrainRun,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    on_step: Callable[[StageSettings], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> TrainOutcome:
    """Train (or resume) ``run`` and return its curve and test accuracy. Its folder is
    checked and run.json written first (``start_run``)."""
    folder = Path(run.folder)
    finished = start_run(run)
    data = load_data(run.data, run.device)
    log.info(
        f"{run.name}: {data.train_images.shape[0]:,} training and {data.val_images.shape[0]:,} "
        f"held-out images of {data.image_size}px; {run.config.epochs} epochs in "
        f"{run.config.schedule.stages} stage(s): {run.config.schedule.describe()}; "
        f"evaluated at {run.config.final_size}px"
    )
    torch.manual_seed(run.config.seed)
    model = build_model(
        run.arch,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        dropout=run.config.schedule.min_dropout,
        drop_path=run.config.drop_path,
    )

    def written(record: EpochRecord) -> None:
        write_text(folder / CURVE_FILE, curve_text(records_so_far + [record]))
        records_so_far.append(record)
        if on_epoch is not None:
            on_epoch(record)

    records_so_far: list[EpochRecord] = finished  # curve.csv keeps them while it goes on
    records = train_full(
        model, data, run.config, folder, run.identity(), written, on_step, on_start
    )
    write_text(folder / CURVE_FILE, curve_text(records))
    test_images, test_labels = load_test(run.data, data)  # read once, at the end
    test = accuracy_at(model, test_images, test_labels, data, run.config.final_size)
    seconds = sum(record.seconds for record in records)
    result = {
        "arch": encode(run.arch),
        "name": run.name,
        "dataset": run.data.dataset,
        "epochs": run.config.epochs,
        "progressive": run.config.schedule.progressive,
        "eval_size": run.config.final_size,
        "val_accuracy": records[-1].val_accuracy,
        "test_accuracy": test,
        "test_images": int(test_images.shape[0]),
        "train_seconds": seconds,
        "device": str(data.device),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    write_text(folder / RESULT_FILE, json.dumps(result, indent=2) + "\n")
    info = checkpoint.CheckpointInfo(
        arch=run.arch,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        image_size=run.config.final_size,
        mean=data.mean,
        std=data.std,
        metrics={"test_accuracy": test, "val_accuracy": records[-1].val_accuracy},
    )
    checkpoint.save(model, info, folder)
    return TrainOutcome(tuple(records), test, seconds, folder)
