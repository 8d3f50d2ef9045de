"""A study as a table: trials.csv (rewritten atomically), best.json, the top-k table, and
``load(path)`` to read any of them back."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from nas.objective import FAIL_REASON, SURPLUS
from search_spaces import decode, to_dict

# The documented columns of trials.csv, in order; the sampled choices (b1_op ... b7_layers)
# follow them, then fail_reason.
COLUMNS = [
    "number",
    "state",
    "arch",
    "flops",
    "params",
    "accuracy",
    "reward",
    "seconds",
    "images_per_s",
    "device",
    "reference",
    "worker",
    "retry_of",
]
NUMERIC = ["flops", "params", "accuracy", "reward", "seconds", "images_per_s"]
REASON = FAIL_REASON


def _choice_order(name: str) -> tuple[int, str]:
    block, _, choice = name.partition("_")
    return (int(block[1:]) if block[1:].isdigit() else 0, choice)


def counts_as_finished(trial: optuna.trial.FrozenTrial) -> bool:
    """Complete, pruned, or failed with a recorded reason. A trial failed only because its
    worker died (no reason) does not count: it is retried; nor does a surplus trial."""
    if trial.user_attrs.get(SURPLUS):
        return False
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and REASON in trial.user_attrs


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial with the documented columns, then every sampled choice. Surplus
    trials (started by a worker after the study had its total) have no row."""
    rows = []
    choices: set[str] = set()
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        if attrs.get(SURPLUS):
            continue
        row: dict[str, Any] = {column: attrs.get(column) for column in COLUMNS}
        row["number"] = trial.number
        row["state"] = trial.state.name
        row["reference"] = attrs.get("reference", "")
        row.update(trial.params)
        choices.update(trial.params)
        row[REASON] = attrs.get(REASON, "")
        if trial.state == TrialState.FAIL and REASON not in attrs:
            row[REASON] = "worker stopped mid-trial; parameters retried"
        rows.append(row)
    columns = COLUMNS + sorted(choices, key=_choice_order) + [REASON]
    return pd.DataFrame(rows, columns=columns)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename it, so no reader sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; results are shared like any file
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_atomic(path, frame.to_csv(index=False))


def best_row(frame: pd.DataFrame) -> pd.Series | None:
    """The complete trial with the highest reward (ties: fewer FLOPs, then lower number)."""
    done = frame[(frame["state"] == "COMPLETE") & frame["reward"].notna()]
    if done.empty:
        return None
    ranked = done.sort_values(["reward", "flops", "number"], ascending=[False, True, True])
    return ranked.iloc[0]


def best_record(row: pd.Series, num_classes: int, in_channels: int) -> dict[str, Any]:
    arch = decode(row["arch"])
    metrics = {key: _plain(row[key]) for key in ["number"] + NUMERIC + ["device"]}
    return {
        "arch": to_dict(arch),
        "arch_string": row["arch"],
        "metrics": metrics,
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
    frame: pd.DataFrame, path: Path, num_classes: int, in_channels: int
) -> dict[str, Any] | None:
    row = best_row(frame)
    if row is None:
        return None
    record = best_record(row, num_classes, in_channels)
    write_atomic(path, json.dumps(record, indent=2) + "\n")
    return record


def top_table(frame: pd.DataFrame, k: int = 10) -> str:
    """The k best complete trials by reward, and the reference's row wherever it ranks."""
    done = frame[(frame["state"] == "COMPLETE") & frame["reward"].notna()]
    ranked = done.sort_values(["reward", "flops"], ascending=[False, True]).reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    shown = ranked.head(k)
    reference = ranked[ranked["reference"].fillna("") != ""]
    if not reference.empty and reference.index[0] >= k:
        shown = pd.concat([shown, reference.head(1)])
    if shown.empty:
        return "(no complete trials)"
    table = pd.DataFrame(
        {
            "rank": shown["rank"],
            "trial": shown["number"],
            "reward": shown["reward"].map("{:.4f}".format),
            "accuracy": shown["accuracy"].map("{:.2%}".format),
            "MFLOPs": (shown["flops"] / 1e6).map("{:.1f}".format),
            "params": shown["params"].map("{:,.0f}".format),
            "seconds": shown["seconds"].map("{:.1f}".format),
            "reference": shown["reference"].fillna(""),
        }
    )
    return table.to_string(index=False)


def load(path: str | os.PathLike) -> pd.DataFrame:
    """A results folder (results/<study>) or a trials.csv, as a DataFrame. A missing file raises
    FileNotFoundError, a corrupt or foreign one ValueError, each naming the path."""
    path = Path(path)
    if path.is_dir():
        path = path / "trials.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no trials.csv at {str(path)!r}")
    try:
        frame = pd.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{str(path)!r} is not a readable trials.csv: {str(error).splitlines()[0]}"
        ) from None
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{str(path)!r} is not a trials.csv: missing column(s) {', '.join(missing)}"
        )
    for column in NUMERIC + ["number"]:
        try:
            frame[column] = pd.to_numeric(frame[column])
        except (TypeError, ValueError):
            raise ValueError(f"{str(path)!r}: column {column!r} holds non-numbers") from None
    for column in ("reference", REASON):
        if column not in frame:
            frame[column] = ""
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame
