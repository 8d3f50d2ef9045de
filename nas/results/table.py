"""A study as one table: the columns of trials.csv, the frame built from a study, and ``load``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from nas.errors import InputError, MissingFile
from nas.results.files import TRIALS_FILE
from nas.study.keys import FAIL_REASON, IMAGES_SEEN, REPEAT, RERANK_OF, SURPLUS

# The documented columns of trials.csv, in order; then the v2 reward's STEP_COLUMNS in studies
# that used it, the sampled choices (b1_op ... b7_layers), and fail_reason.
COLUMNS = [
    "number",
    "state",
    "arch",
    "flops",
    "params",
    "accuracy",
    "balanced_accuracy",
    "train_fit",
    "reward",
    "seconds",
    "images_per_s",
    "device",
    "reference",
    "worker",
    "retry_of",
]
# A candidate's latency predicted from a latency table: present only in studies that used one.
LATENCY = "latency_ms"
# The training-aware (v2) reward's measurements: present only in studies that used it.
STEP_COLUMNS = ["step_seconds", "step_ratio", "params_ratio"]
# A table search's (objective "table"): the network's key in the table and its true accuracy.
TABLE_KEY = "table_key"
TRUE_ACCURACY = "true_accuracy"
TABLE_COLUMNS = [TABLE_KEY, TRUE_ACCURACY]
# A trial whose network an earlier trial of the study already trained: that trial's number. The
# column is present only in studies where it happened.
REUSED_FROM = "reused_from"
# How far a trial went (nas.search.strategy): its training images (every rung it trained), its
# last rung (0 for a plain trial) and its reward at each rung (``reward_rung0``, ...). Present in
# studies made since strategies exist.
RUNG = "rung"
RUNG_REWARDS = "rung_rewards"  # the trial attribute: a list, one reward per rung trained
RUNG_COLUMNS = [IMAGES_SEEN, RUNG]
# A finalist's retraining (``finalists``): which of its extra training seeds (1, 2, ...; 0 or
# blank: a candidate's own trial) and the number of the candidate's trial. Present in studies
# that re-ranked finalists.
FINALIST_COLUMNS = [REPEAT, RERANK_OF]
# A pre-screened search's (nas.search.prescreen): each candidate's zero-cost score (NASWOT) and,
# once the screen has started, the reward it predicted. Present only in studies that screened.
ZERO_COST = "zero_cost"
PREDICTED = "predicted_reward"
SCREEN_COLUMNS = [ZERO_COST, PREDICTED]
TRIAL_NUMBERS = ["retry_of", REUSED_FROM, RERANK_OF]  # columns that hold another trial's number
BALANCED = "balanced_accuracy"  # absent from studies made before 2026-12-05
TRAIN_FIT = "train_fit"  # absent from studies made before 2026-12-07
NUMERIC = ["flops", "params", "accuracy", BALANCED, TRAIN_FIT, "reward", "seconds", "images_per_s"]
REASON = FAIL_REASON


def _choice_order(name: str) -> tuple[int, str]:
    block, _, choice = name.partition("_")
    return (int(block[1:]) if block[1:].isdigit() else 0, choice)


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial with the documented columns, then every sampled choice. Surplus
    trials (started by a worker after the study had its total) have no row."""
    rows = []
    choices: set[str] = set()
    step_columns = False
    latency = False
    table_columns = False
    reused = False
    screened = False
    rungs = -1  # the most rungs any trial recorded a reward for; -1: no rung columns
    finalists = False
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        if attrs.get(SURPLUS):
            continue
        row: dict[str, Any] = {column: attrs.get(column) for column in COLUMNS}
        row["number"] = trial.number
        row["state"] = trial.state.name
        row["reference"] = attrs.get("reference", "")
        if LATENCY in attrs:
            latency = True
            row[LATENCY] = attrs[LATENCY]
        if STEP_COLUMNS[0] in attrs:
            step_columns = True
            row.update({column: attrs.get(column) for column in STEP_COLUMNS})
        if TABLE_KEY in attrs:
            table_columns = True
            row.update({column: attrs.get(column) for column in TABLE_COLUMNS})
        if ZERO_COST in attrs:
            screened = True
            row.update({column: attrs.get(column) for column in SCREEN_COLUMNS})
        if REUSED_FROM in attrs:
            reused = True
            row[REUSED_FROM] = attrs[REUSED_FROM]
        if RERANK_OF in attrs:
            finalists = True
            row.update({REPEAT: attrs.get(REPEAT), RERANK_OF: attrs[RERANK_OF]})
        if RUNG in attrs or IMAGES_SEEN in attrs:  # a screened candidate: no rung, no image
            rewards = attrs.get(RUNG_REWARDS) or []
            rungs = max(rungs, len(rewards))
            row.update({IMAGES_SEEN: attrs.get(IMAGES_SEEN), RUNG: attrs.get(RUNG)})
            row.update({f"reward_rung{rung}": value for rung, value in enumerate(rewards)})
        row.update(trial.params)
        choices.update(trial.params)
        row[REASON] = attrs.get(REASON, "")
        if trial.state == TrialState.FAIL and REASON not in attrs:
            row[REASON] = "worker stopped mid-trial; parameters retried"
        rows.append(row)
    steps = [LATENCY] if latency else []
    steps += list(STEP_COLUMNS) if step_columns else []
    steps += TABLE_COLUMNS if table_columns else []
    steps += [REUSED_FROM] if reused else []
    steps += SCREEN_COLUMNS if screened else []
    steps += RUNG_COLUMNS + [f"reward_rung{rung}" for rung in range(rungs)] if rungs >= 0 else []
    steps += FINALIST_COLUMNS if finalists else []
    columns = COLUMNS + steps + sorted(choices, key=_choice_order) + [REASON]
    frame = pd.DataFrame(rows, columns=columns)
    for column in TRIAL_NUMBERS:  # trial numbers, blank where none: 2, not 2.0
        if column in frame.columns:
            frame[column] = frame[column].astype("Int64")
    return frame


def load(path: str | os.PathLike) -> pd.DataFrame:
    """A results folder (results/<study>) or a trials.csv, as a DataFrame. A missing file raises
    FileNotFoundError, a corrupt or foreign one ValueError, each naming the path."""
    path = Path(path)
    if path.is_dir():
        path = path / TRIALS_FILE
    if not path.is_file():
        raise MissingFile(f"no trials.csv at {str(path)!r}")
    try:
        # Table keys are digit strings with leading zeros, not numbers.
        frame = pd.read_csv(path, keep_default_na=True, dtype={TABLE_KEY: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(
            f"{str(path)!r} is not a readable trials.csv: {str(error).splitlines()[0]}"
        ) from None
    for before, column in (("accuracy", BALANCED), (BALANCED, TRAIN_FIT)):  # an older study
        if column not in frame.columns and before in frame.columns:
            frame.insert(list(frame.columns).index(before) + 1, column, float("nan"))
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise InputError(
            f"{str(path)!r} is not a trials.csv: missing column(s) {', '.join(missing)}"
        )
    rung_rewards = [c for c in frame.columns if c.startswith("reward_rung")]
    extra = [
        c
        for c in [
            *STEP_COLUMNS,
            LATENCY,
            TRUE_ACCURACY,
            *SCREEN_COLUMNS,
            *TRIAL_NUMBERS,
            *RUNG_COLUMNS,
            *rung_rewards,
            REPEAT,
        ]
        if c in frame.columns
    ]
    for column in NUMERIC + ["number"] + extra:
        try:
            frame[column] = pd.to_numeric(frame[column])
            if column in TRIAL_NUMBERS:
                frame[column] = frame[column].astype("Int64")
        except (TypeError, ValueError):
            raise InputError(f"{str(path)!r}: column {column!r} holds non-numbers") from None
    for column in ("reference", REASON):
        if column not in frame:
            frame[column] = ""
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame
