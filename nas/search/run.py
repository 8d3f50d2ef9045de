"""Running a search: ``run_search(SearchConfig)``, its status, summary and dry run.

Running the same search again resumes the study: finished trials are kept, the numbering goes
on, and ``trials`` is the study's total, so a killed job is finished rather than extended.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import optuna
import pandas as pd
from optuna.trial import TrialState

from nas import results
from nas.data import load_data
from nas.errors import InputError, Interrupted
from nas.proxy import resolve_device
from nas.runtime import torch_threads
from nas.search.config import SearchConfig
from nas.search.finalists import enqueue_finalists
from nas.search.latency import check_latency_table, search_latency_table
from nas.search.objective import Objective
from nas.search.outputs import (
    SKIPPED_FILE,
    SearchOutputs,
    data_task,
    prepare_study,
    write_data_record,
)
from nas.search.prescreen import screen_for
from nas.search.step_cost import StepCoster
from nas.search.table_objective import TableObjective, table_objective
from nas.study.keys import (
    REFERENCE,
    RERANK_OF,
    SURPLUS,
    WORKER,
    counts_as_finished,
    finished_count,
    spent_images,
)
from nas.study.loop import LoopSettings, optuna_verbosity, run_to_total, terminate_as_interrupt
from nas.study.progress import ProgressFactory, Silent
from nas.study.storage import fail_unclaimed, has_optuna_heartbeat, mask_url, open_storage
from nas.study.workers import check_exit_codes, cores, run_workers

log = logging.getLogger(__name__)


def worker_devices(config: SearchConfig) -> list[str]:
    """The device of each worker: ``devices`` round robin, else the proxy's device for all."""
    if config.devices:
        return [config.devices[i % len(config.devices)] for i in range(config.workers)]
    return [config.proxy.device] * config.workers


def worker_threads(config: SearchConfig) -> int:
    """Torch threads per worker: ``threads``, else this machine's cores split evenly."""
    if config.threads is not None:
        return config.threads
    return max(1, cores() // config.workers)


def _worker(config: SearchConfig, progress: ProgressFactory, index: int) -> None:
    run_search(config, progress=progress, worker=index)


def _shape(config: SearchConfig) -> tuple[int, int, dict | None]:
    """(classes, input channels, task) of the networks best.json records: the data's, or the
    deployment's when no data is trained on (a table search)."""
    if config.objective == "table":
        return config.deployment.num_classes, config.deployment.in_channels, None
    data = load_data(config.proxy.data_config, "cpu")  # bad data fails here, once
    write_data_record(config, data)
    return data.num_classes, data.in_channels, data_task(data)


def _run_parallel(config: SearchConfig, progress: ProgressFactory) -> optuna.Study:
    """``config.workers`` spawned processes on the study; one progress view for all."""
    num_classes, in_channels, task = _shape(config)
    with optuna_verbosity(optuna.logging.WARNING):
        study = prepare_study(config)
    log.info(
        f"{config.workers} workers on study {config.name!r} (devices "
        f"{', '.join(worker_devices(config))}; {worker_threads(config)} threads each); "
        "their trials follow"
    )
    bar = progress(
        config.trials, min(finished_count(study), config.trials), config.show_progress, ""
    )
    try:
        codes = run_workers(
            _worker,
            (config, progress),
            config.workers,
            on_poll=lambda: bar.advance_to(min(finished_count(study), config.trials)),
        )
    finally:
        bar.close()
    # One final write after every worker stopped: concurrent rewrites may have raced.
    SearchOutputs(config, num_classes, in_channels, task).write(study)
    check_exit_codes(codes, finished_count(study), config.trials)
    return study


def _step_coster(config: SearchConfig, data) -> StepCoster | None:
    """The v2 reward's timer, on the data's device and the proxy's batch shape."""
    if config.training_aware is None:
        return None
    batch_size = config.train_config().batch_size
    return StepCoster(config.search_space.reference, data, batch_size)


def _rung_pruner(config: SearchConfig, train_images: int | None, pruner):
    """Successive halving's pruner on the rungs of ``train_images`` (the halving strategy),
    else ``pruner``."""
    if config.pruning != "halving":
        return pruner
    return config.rungs_for(train_images).pruner()


def run_phases(
    study: optuna.Study,
    objective,
    config: SearchConfig,
    settings: LoopSettings,
    callbacks: Sequence = (),
    listener=None,
    progress: ProgressFactory = Silent,
) -> None:
    """A search's trials on the engine's loop: the candidates to their total (or their budget),
    then, with ``finalists``, the finalists' retrainings (``nas.search.finalists``), enqueued
    where the study lacks them and run to the candidates finished so far plus the retrainings.
    ``listener`` follows the candidates; ``progress`` makes the finalists' own."""
    run_to_total(study, objective, settings, [*callbacks, *([listener] if listener else [])])
    if not config.finalist_count:
        return
    if listener is not None:
        listener.close()
    enqueue_finalists(study, config.finalist_count, config.finalist_seeds)
    trials = study.get_trials(deepcopy=False)
    candidates = sum(counts_as_finished(t) and RERANK_OF not in t.user_attrs for t in trials)
    retrained = sum(counts_as_finished(t) and RERANK_OF in t.user_attrs for t in trials)
    own = progress(
        config.finalist_trials, retrained, config.show_progress, settings.label + "finalists "
    )
    phase = dataclasses.replace(
        settings, total=candidates + config.finalist_trials, budget_images=None
    )
    try:
        run_to_total(study, objective, phase, [*callbacks, own])
    finally:
        own.close()


FINALISTS_ATTR = "finalists"  # the study's finalists, recorded when it is made


def settle_finalists(config: SearchConfig, study: optuna.Study) -> SearchConfig:
    """``config`` with none of the default finalists for a study made before finalists existed
    (resuming a finished study must run nothing); otherwise as given, the default following the
    trials asked for now. A study records its finalists, which also marks it as made since."""
    recorded = study.user_attrs.get(FINALISTS_ATTR)
    older = recorded is None and any(
        not t.user_attrs.get(REFERENCE) or t.number for t in study.trials
    )
    if config.finalists is None and older:
        config = dataclasses.replace(config, finalists=0)
    if recorded != config.finalist_count:
        study.set_user_attr(FINALISTS_ATTR, config.finalist_count)
    return config


def _expected(config: SearchConfig, train_images: int | None) -> int:
    """The candidates a progress bar expects: ``candidate_trials``; with a budget in images and
    one rung, those the budget pays for (its cap allows free repeats on top)."""
    budget = config.candidate_budget(train_images)
    if budget is None or config.strategy != "plain":
        return config.candidate_trials
    images = config.candidate_images(train_images)
    return min(config.candidate_trials, max(1, budget // images))


def _budgeted(config: SearchConfig) -> SearchConfig:
    """``config`` with the trials its budget in images starts: counted on the proxy's nominal
    training size, or, when the budget is in epochs of a size the data decides, on the data."""
    if config.budget_images is None and config.screening is None:
        return config
    if config.objective == "table" or config.proxy.budget_images is not None:
        return config.budgeted()  # the images per candidate do not depend on the data's size
    data = load_data(config.proxy.data_config, "cpu")
    return config.budgeted(data.train_images.shape[0])


def run_search(
    config: SearchConfig, progress: ProgressFactory = Silent, worker: int | None = None
) -> optuna.Study:
    """Run (or resume) the search described by ``config`` and return its study. With
    ``config.workers > 1`` the trials are spread over that many processes, each of which
    calls this with its ``worker`` index. ``progress`` makes the job's progress listener."""
    config = _budgeted(config)
    check_latency_table(config)
    if worker is None and config.workers > 1:
        search_latency_table(config)  # built once, before the workers start
        return _run_parallel(config, progress)
    label = ""
    threads = config.threads
    if worker is not None:
        device_name = worker_devices(config)[worker]
        label = f"[worker {worker} {resolve_device(device_name)}] "
        proxy = dataclasses.replace(config.proxy, device=device_name)
        config = dataclasses.replace(config, proxy=proxy, show_progress=False)
        threads = worker_threads(config)
    # Every trial's outcome, a failure's reason included, gets a line of its own; Optuna's
    # warnings would repeat a failed or interrupted trial with its traceback.
    with torch_threads(threads), optuna_verbosity(optuna.logging.ERROR):
        optuna_heartbeat = has_optuna_heartbeat(config.storage)
        if config.objective == "table":
            objective: Objective | TableObjective = table_objective(config)
            train_images = None
            study = prepare_study(config, write_config=worker is None, worker=worker)
            config = settle_finalists(config, study)
            study.pruner = _rung_pruner(config, None, study.pruner)
            outputs = SearchOutputs(config, *_shape(config))
        else:
            data = load_data(config.proxy.data_config, resolve_device(config.proxy.device))
            train_images = data.train_images.shape[0]
            study = prepare_study(config, write_config=worker is None, worker=worker)
            # Once the study's settings are known to be its own: a refused resume measures nothing.
            latency = search_latency_table(config, warn=worker is None)
            config = settle_finalists(config, study)
            study.pruner = _rung_pruner(config, train_images, study.pruner)
            if worker is None:  # what the proxy uses, once the settings are known to be good
                notes = data.notes
                if data.skipped:
                    notes += (f"every unreadable file: {config.folder / SKIPPED_FILE}",)
                log.info(config.proxy.describe(train_images, data.val_images.shape[0], notes))
                write_data_record(config, data)
            outputs = SearchOutputs(config, data.num_classes, data.in_channels, data_task(data))
            objective = Objective(
                config.search_space,
                data,
                config.train_config(train_images),
                config.rewarding,
                config.deployment,
                seed=config.proxy.seed,
                two_objectives=config.two_objectives,
                heartbeat=None if optuna_heartbeat else config.heartbeat,
                training_aware=config.training_aware,
                step_coster=_step_coster(config, data),
                metric=config.metric,
                rungs=config.rungs_for(train_images),
                latency=latency,
                prescreen=screen_for(config.screening),
            )
        candidates = config.candidate_trials
        done = min(finished_count(study), candidates)
        listener = progress(_expected(config, train_images), done, config.show_progress, label)
        settings = LoopSettings(
            total=candidates,
            heartbeat=config.heartbeat,
            where=config.where,
            optuna_heartbeat=optuna_heartbeat,
            timeout=config.timeout,
            label=label,
            collect_garbage=config.objective != "table",
            budget_images=config.candidate_budget(train_images),
        )
        began = datetime.datetime.now()  # Optuna's trial times: naive local
        try:
            with terminate_as_interrupt():
                run_phases(study, objective, config, settings, [outputs], listener, progress)
        except KeyboardInterrupt:
            listener.close()
            fail_unclaimed(study, began)
            outputs.write(study)
            done = (  # a budgeted search's trials are a cap, not a total
                f"{spent_images(study.get_trials(deepcopy=False)):,} of {config.budget_images:,} "
                "training images seen"
                if config.budget_images is not None
                else f"{finished_count(study)} of {config.trials} trials finished"
            )
            log.warning(
                f"\n{label}interrupted: {done}; the running trial will be retried: run the same "
                "command again to resume"
            )
            raise Interrupted from None
        listener.close()
        outputs.write(study)
    return study


@dataclass(frozen=True)
class StudyStatus:
    """Where a study stands: its trials by state and its best row so far."""

    name: str
    total: int  # the trials it must end with
    finished: int  # those that count toward the total
    states: dict[str, int]  # COMPLETE, PRUNED, FAIL, RUNNING, WAITING -> trials
    workers: int  # distinct workers running trials now
    best: pd.Series | None
    images_seen: int = 0  # training images its trials saw (every rung, running ones so far)
    budget_images: int | None = None  # the budget that ends it, when given in images


def study_status(config: SearchConfig) -> StudyStatus:
    """Where a study stands, read from its storage by any host: no data loaded, no training
    (but to count a budget given in epochs of a size the data decides)."""
    config = _budgeted(config)
    with optuna_verbosity(optuna.logging.WARNING):
        storage = open_storage(config.storage, config.journal, config.heartbeat)
        try:
            study = optuna.load_study(study_name=config.name, storage=storage)
        except KeyError:
            raise InputError(
                f"no study {config.name!r} in {mask_url(config.storage or str(config.folder))}"
            ) from None
    trials = [t for t in study.get_trials(deepcopy=False) if not t.user_attrs.get(SURPLUS)]
    workers = {t.user_attrs.get(WORKER) for t in trials if t.state == TrialState.RUNNING}
    return StudyStatus(
        name=config.name,
        total=config.trials,
        finished=finished_count(study),
        states={state.name: sum(t.state == state for t in trials) for state in TrialState},
        workers=len(workers),
        best=results.best_row(results.trials_frame(study)),
        images_seen=spent_images(trials),
        budget_images=config.budget_images,
    )
