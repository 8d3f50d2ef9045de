"""One training stage (the grid, the family, the ablation) as a resumable Optuna study.

A stage trains every label of its plan once: a GridSampler over the labels, in the output
folder's storage, run by the study engine's loop (``nas.study.loop.run_to_total``) like the
search, so a killed run resumes where it stopped (the trial it was running retried), a finished
one trains nothing, and a label that fails is recorded and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import pandas as pd

import baselines
from nas.results.files import JOURNAL_FILE
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W
from nas.scale.config import ScaleConfig
from nas.study.heartbeat import Heartbeat
from nas.study.keys import FAIL_REASON, LABEL, WORKER, finished_count, worker_id
from nas.study.loop import LoopSettings, record_settings, run_to_total, stop_requested
from nas.study.progress import ProgressFactory, Silent
from nas.study.storage import HEARTBEAT_SECONDS, open_storage

# label, trial number -> the trial's user attributes, "accuracy" among them
Evaluate = Callable[[str, int], dict[str, Any]]


def stage_identity(config: ScaleConfig, plan: dict[str, str]) -> dict[str, Any]:
    """What gives a stage's results their meaning: the plan, the proxy and the seed.

    Scaling studies made before ProxyConfig recorded the search's settings too, always at
    their defaults; they are kept so that those studies still resume."""
    legacy = {
        "reference": baselines.DEFAULT_REFERENCE,
        "sampler": "tpe",
        "target_flops": DEFAULT_TARGET_FLOPS,
        "alpha": DEFAULT_W,
        "beta": DEFAULT_W,
        "resolution": baselines.DEPLOYMENT_RESOLUTION,
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
        f"give the settings it was made with (a search's best.json now scales on the study's "
        f"dataset unless another is named), remove {folder}, or give the scaling another "
        "study name",
    )

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER, worker_id())
        label = trial.suggest_categorical(LABEL, labels)
        trial.set_user_attr(LABEL, label)
        with Heartbeat(trial, HEARTBEAT_SECONDS):
            try:
                values = evaluate(label, trial.number)
            except Exception as error:
                if stop_requested():  # an interrupt that came out as another error
                    raise KeyboardInterrupt from error
                trial.set_user_attr(FAIL_REASON, f"{type(error).__name__}: {error}")
                raise
        for key, value in values.items():
            trial.set_user_attr(key, value)
        return values["accuracy"]

    settings = LoopSettings(
        total=len(labels), heartbeat=HEARTBEAT_SECONDS, where=str(config.storage or folder)
    )
    listener = progress(len(labels), finished_count(study), config.show_progress, f"{stage} ")
    try:
        run_to_total(study, objective, settings, [listener])
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
