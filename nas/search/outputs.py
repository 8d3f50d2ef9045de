"""A search's study and files: opening it with its recorded settings, trials.csv, best.json."""

from __future__ import annotations

import json
from typing import Any

import optuna

from nas import results
from nas.data import ProxyData
from nas.search.config import SearchConfig
from nas.search.samplers import make_pruner, make_sampler
from nas.study.keys import REFERENCE, finished_count
from nas.study.loop import record_settings
from nas.study.storage import open_storage


def open_study(config: SearchConfig, worker: int | None = None) -> optuna.Study:
    """Create the study, or load it when it exists and was made with the same settings."""
    storage = open_storage(config.storage, config.journal, config.heartbeat)
    directions = ["maximize", "minimize"] if config.two_objectives else ["maximize"]
    study = optuna.create_study(
        study_name=config.name,
        storage=storage,
        sampler=make_sampler(config),
        pruner=make_pruner(config),
        directions=directions,
        load_if_exists=True,
    )
    advice = "give the study another name to start afresh"
    if config.prescreen is None and config.screening is not None:
        advice += (
            f" (a study made before the pre-screen became {config.space_name}'s default resumes "
            "with --prescreen 1)"
        )
    record_settings(study, config.identity(), advice)
    # Seeded by the trials already there, so a resumed study does not repeat its first draws.
    study.sampler = make_sampler(config, offset=len(study.trials), worker=worker)
    return study


def prepare_study(
    config: SearchConfig, write_config: bool = True, worker: int | None = None
) -> optuna.Study:
    """Open the study, record config.json, and enqueue the reference into a new study."""
    study = open_study(config, worker)
    if write_config:
        results.write_atomic(config.config_file, json.dumps(config.record(), indent=2) + "\n")
    if config.use_reference and config.has_reference and not study.get_trials(deepcopy=False):
        space = config.search_space
        study.enqueue_trial(
            space.params_of(space.reference),
            user_attrs={REFERENCE: config.reference_name},
            skip_if_exists=True,  # workers starting together on a new study enqueue it once
        )
    return study


class SearchOutputs:
    """Rewrites trials.csv and best.json after every trial; stops at the requested total."""

    def __init__(
        self,
        config: SearchConfig,
        num_classes: int,
        in_channels: int,
        task: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.task = task  # the image size and class names the networks were trained on

    def write(self, study: optuna.Study) -> None:
        frame = results.trials_frame(study)
        folder = self.config.folder
        results.write_csv(frame, folder / results.TRIALS_FILE)
        results.write_best_json(
            frame, folder / results.BEST_FILE, self.num_classes, self.in_channels, self.task
        )

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.write(study)
        if finished_count(study) >= self.config.trials:
            study.stop()


DATA_FILE = "data.json"  # what the proxy trained on: classes, size, colour, counts
SKIPPED_FILE = "skipped_images.txt"  # an image folder's files that could not be read, and why


def data_task(data: ProxyData) -> dict[str, Any]:
    """What a network searched on ``data`` expects, for best.json's ``task``."""
    task: dict[str, Any] = {"image_size": data.image_size}
    if data.class_names:
        task["classes"] = list(data.class_names)
    return task


def write_data_record(config: SearchConfig, data: ProxyData) -> None:
    """data.json (the classes, the image size and colour, the images per class) and, when an
    image folder had unreadable files, skipped_images.txt listing each with why."""
    names = data.class_names or tuple(str(label) for label in range(data.num_classes))
    counts = {
        split: dict(
            zip(
                names,
                getattr(data, f"{split}_labels").cpu().bincount(minlength=len(names)).tolist(),
                strict=True,
            )
        )
        for split in ("train", "val")
    }
    record = {
        "dataset": data.name,
        "num_classes": data.num_classes,
        "in_channels": data.in_channels,
        "image_size": data.image_size,
        "resize": config.proxy.resize or ("crop" if data.class_names else None),
        "train_images": int(data.train_images.shape[0]),
        "val_images": int(data.val_images.shape[0]),
        "per_class": counts,
        "notes": list(data.notes),
        "skipped_images": len(data.skipped),
    }
    folder = config.folder
    results.write_atomic(folder / DATA_FILE, json.dumps(record, indent=2) + "\n")
    if data.skipped:
        lines = [f"{name}\t{why}" for name, why in data.skipped]
        results.write_atomic(folder / SKIPPED_FILE, "\n".join(lines) + "\n")
