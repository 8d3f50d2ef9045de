"""One training stage (the grid, the family, the ablation) as a resumable Optuna study.

A stage trains every label of its plan once: a GridSampler over the labels, in the output
folder's storage, so a killed run resumes where it stopped and a finished one trains nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import pandas as pd

from nas.results.files import JOURNAL_FILE
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W
from nas.scale.config import ScaleConfig
from nas.study.keys import FAIL_REASON, LABEL, WORKER, finished_count, worker_id
from nas.study.loop import record_settings
from nas.study.progress import ProgressFactory, Silent
from nas.study.storage import open_storage, recover_stale_trials

# label, trial number -> the trial's user attributes, "accuracy" among them
Evaluate = Callable[[str, int], dict[str, Any]]


def stage_identity(config: ScaleConfig, plan: dict[str, str]) -> dict[str, Any]:
    """What gives a stage's results their meaning: the plan, the proxy and the seed.

    Scaling studies made before ProxyConfig recorded the search's settings too, always at
    their defaults; they are kept so that those studies still resume."""
    legacy = {
        "reference": "efficientnet_b0",
        "sampler": "tpe",
        "target_flops": DEFAULT_TARGET_FLOPS,
        "alpha": DEFAULT_W,
        "beta": DEFAULT_W,
        "resolution": 224,
        "min_flops": None,
        "max_flops": None,
        "seeding": "common",
    }
    return {"plan": plan, **legacy, **config.proxy.identity(), "seed": config.proxy.seed}


def run_stage(
    config: ScaleConfig,
    stage: str,
    plan: dict[str, str],
    evaluate: Evaluate,
    progress: ProgressFactory = Silent,
) -> optuna.Study:
    """Train every label of ``plan`` (label -> the network and proxy resolution it stands for)
    once, as a resumable Optuna study; a plan that changed since the study began is refused."""
    labels = list(plan)
    folder = config.folder
    storage = open_storage(config.storage, folder / JOURNAL_FILE)
    sampler = optuna.samplers.GridSampler({LABEL: labels}, seed=config.proxy.seed)
    study = optuna.create_study(
        study_name=f"{folder.parent.name}-scaling-{stage}",
        storage=storage,
        sampler=sampler,
        direction="maximize",
        load_if_exists=True,
    )
    record_settings(
        study,
        stage_identity(config, plan),
        f"remove {folder} or give the scaling another study name",
    )
    recover_stale_trials(study)

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER, worker_id())
        label = trial.suggest_categorical(LABEL, labels)
        trial.set_user_attr(LABEL, label)
        try:
            values = evaluate(label, trial.number)
        except Exception as error:
            trial.set_user_attr(FAIL_REASON, f"{type(error).__name__}: {error}")
            raise
        for key, value in values.items():
            trial.set_user_attr(key, value)
        return values["accuracy"]

    done = finished_count(study)
    listener = progress(len(labels), done, config.show_progress, f"{stage} ")
    try:
        if done < len(labels):
            study.optimize(
                objective, n_trials=len(labels) - done, catch=(Exception,), callbacks=[listener]
            )
    finally:
        listener.close()
    return study


def stage_frame(study: optuna.Study) -> pd.DataFrame:
    """label -> the user attributes of its finished trial (the last one, if retried)."""
    rows: dict[str, dict[str, Any]] = {}
    for trial in study.get_trials(deepcopy=False):
        if trial.state == optuna.trial.TrialState.COMPLETE:
            rows[trial.user_attrs[LABEL]] = {"trial": trial.number, **trial.user_attrs}
        elif trial.state == optuna.trial.TrialState.FAIL and FAIL_REASON in trial.user_attrs:
            label = trial.params.get(LABEL)
            rows.setdefault(
                label,
                {"trial": trial.number, LABEL: label, FAIL_REASON: trial.user_attrs[FAIL_REASON]},
            )
    return pd.DataFrame(list(rows.values()))
