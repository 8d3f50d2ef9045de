"""The task a study searched for (classes, input channels, image size), read back from its
best.json, or from the data.json beside an older best.json, so that an export is built for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nas.results.files import CONFIG_FILE
from nas.search import SearchConfig

TASK_FIELDS = ("num_classes", "in_channels", "image_size")


def study_task(arch: str | None) -> dict[str, Any]:
    """``{num_classes, in_channels, image_size}`` (those known) when ``arch`` is a search's
    best.json; empty for anything else."""
    if arch is None or not arch.endswith(".json"):
        return {}
    path = Path(arch)
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return {}  # resolve_arch reports the file's problem
    task = record.get("task") if isinstance(record, dict) else None
    if not isinstance(task, dict):
        try:
            task = json.loads((path.parent / "data.json").read_text())
        except (OSError, UnicodeDecodeError, ValueError):
            return {}
    return {name: task[name] for name in TASK_FIELDS if isinstance(task.get(name), int)}


DATA_FIELDS = ("dataset", "data_dir", "image_size", "resize", "val_fraction")


def study_data(arch: str | None) -> dict[str, Any]:
    """The data settings (dataset, data_dir, image_size, resize, val_fraction) of the study
    whose best.json ``arch`` is, from the config.json beside it (read back by
    ``SearchConfig.from_record``); empty for anything else."""
    if arch is None or not arch.endswith(".json"):
        return {}
    try:
        record = json.loads((Path(arch).parent / CONFIG_FILE).read_text())
        proxy = SearchConfig.from_record(record).proxy
    except (OSError, UnicodeDecodeError, ValueError):  # NASError kinds are ValueErrors too
        return {}
    fields = DATA_FIELDS if proxy.dataset.startswith("imagefolder:") else DATA_FIELDS[:2]
    return {name: getattr(proxy, name) for name in fields if getattr(proxy, name) is not None}
