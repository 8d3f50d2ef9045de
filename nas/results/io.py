"""Writing results: files replaced atomically, trials.csv, best.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from nas.atomic import write_text
from nas.results.ranking import best_row
from nas.results.table import LATENCY, NUMERIC, TABLE_COLUMNS
from search_spaces import decode, to_dict

write_atomic = write_text  # results' files are written whole or not at all (nas.atomic)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, frame.to_csv(index=False))


def best_record(
    row: pd.Series, num_classes: int, in_channels: int, task: dict[str, Any] | None = None
) -> dict[str, Any]:
    """best.json's record of ``row``: the architecture, its metrics, the task it was searched
    for (``task``: classes, channels, image size, class names) and a line that builds it."""
    arch = decode(row["arch"])
    metrics = {key: _plain(row[key]) for key in ["number"] + NUMERIC + ["device"]}
    # A table search's winner: its key in the table and its true accuracy.
    metrics |= {key: _plain(row[key]) for key in TABLE_COLUMNS if key in row.index}
    if LATENCY in row.index:  # a latency search's prediction
        metrics[LATENCY] = _plain(row[LATENCY])
    return {
        "arch": to_dict(arch),
        "arch_string": row["arch"],
        "metrics": metrics,
        "task": {"num_classes": num_classes, "in_channels": in_channels, **(task or {})},
        "python": (
            f"from search_spaces import build_model, decode; model = build_model("
            f"decode({row['arch']!r}), num_classes={num_classes}, "
            f"in_channels={in_channels})"
        ),
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def write_best_json(
    frame: pd.DataFrame,
    path: Path,
    num_classes: int,
    in_channels: int,
    task: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    row = best_row(frame)
    if row is None:
        return None
    record = best_record(row, num_classes, in_channels, task)
    write_atomic(path, json.dumps(record, indent=2) + "\n")
    return record
