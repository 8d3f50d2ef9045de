"""The resumable loop that runs any Optuna study to an exact total of finished trials.

Every worker, on any host, runs the same loop on the shared storage: recover trials whose worker
died, stop once the study has its total, wait while the last trials run elsewhere, else run one
more trial. Storage outages are ridden out with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from nas.errors import InputError
from nas.study.faults import os_error_in, unwritable, with_backoff
from nas.study.keys import RESULT, SURPLUS, counts_as_finished, spent_images
from nas.study.storage import mask_url, recover_stale_trials

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopSettings:
    """How a worker runs its share of a study."""

    total: int  # finished trials the study must end with, every worker's counted
    heartbeat: float  # seconds; a trial silent for twice this is retried
    where: str  # the storage, for messages (a masked URL or a path)
    optuna_heartbeat: bool = False  # RDB storages: Optuna fails stale trials itself
    timeout: float | None = None  # stop starting trials after this many seconds
    label: str = ""  # prefixes this worker's messages
    # A full garbage collection after each trial frees a trained network's (GPU) memory; it costs
    # ~80 ms in a process holding torch, the whole cost of a trial that trains nothing.
    collect_garbage: bool = True
    # Start no trial once the study's trials have seen this many training images (running ones
    # so far); ``total`` is then a cap.
    budget_images: int | None = None


class WithinTotal:
    """Runs the objective only while the study still needs trials. Workers start trials
    concurrently, so a trial whose lower-numbered trials already make up the total (finished,
    running or waiting) is dropped as surplus: the study ends with exactly ``total``."""

    def __init__(self, objective: Callable[[optuna.Trial], Any], total: int) -> None:
        self.objective = objective
        self.total = total

    def __call__(self, trial: optuna.Trial) -> Any:
        live = (TrialState.RUNNING, TrialState.WAITING)
        claims = sum(
            t.state in live or counts_as_finished(t)
            for t in trial.study.get_trials(deepcopy=False)
            if t.number < trial.number
        )
        if claims >= self.total:
            trial.set_user_attr(SURPLUS, True)
            raise optuna.TrialPruned("the study already has its total")
        values = self.objective(trial)
        # Written before the trial's end: should that last record be torn (a full disk, a kill
        # mid-write), the trial is completed from it rather than trained again.
        trial.set_user_attr(RESULT, list(values) if isinstance(values, tuple) else [values])
        return values


def run_to_total(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], Any],
    settings: LoopSettings,
    callbacks: Sequence[Callable[[optuna.Study, optuna.trial.FrozenTrial], None]] = (),
) -> None:
    """Run trials until the study has ``settings.total`` finished ones (counting every
    worker's), retrying trials whose worker died and riding out short storage outages."""
    deadline = None if settings.timeout is None else time.monotonic() + settings.timeout
    poll = min(5.0, settings.heartbeat / 2)
    within = WithinTotal(objective, settings.total)

    def step() -> bool:
        if settings.optuna_heartbeat:
            # Optuna does this when a trial starts; a worker waiting for the last trials
            # elsewhere must do it too, or one whose worker died is waited for forever.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)
        recovered = recover_stale_trials(study, grace=2 * settings.heartbeat)
        if recovered:
            log.warning(
                f"{settings.label}trials {recovered} were stopped mid-way: retrying their "
                "parameters"
            )
        trials = study.get_trials(deepcopy=False)
        finished = sum(counts_as_finished(t) for t in trials)
        if finished >= settings.total or (deadline is not None and time.monotonic() > deadline):
            return False
        waiting = any(t.state == TrialState.WAITING for t in trials)
        running = sum(t.state == TrialState.RUNNING for t in trials)
        spent = (
            settings.budget_images is not None and spent_images(trials) >= settings.budget_images
        )
        if spent and not waiting:  # a retried trial (waiting) is finished; nothing new starts
            if not running:
                return False
            time.sleep(poll)  # the last trials run elsewhere; if their worker dies, retry them
            return True
        if not waiting and finished + running >= settings.total:
            time.sleep(poll)  # the last trials run elsewhere; if their worker dies, retry them
            return True
        try:
            study.optimize(
                within,
                n_trials=1,
                catch=(Exception,),
                callbacks=list(callbacks),
                gc_after_trial=settings.collect_garbage,
            )
        except Exception as error:
            failed_write = os_error_in(error)
            if failed_write is None:
                raise
            raise unwritable(failed_write, repr(mask_url(settings.where))) from error
        if _stop.is_set():  # an interrupt that came out of a trial as another error
            raise KeyboardInterrupt
        return True

    while with_backoff(step, repr(mask_url(settings.where))):
        pass


_stop = threading.Event()  # set by Ctrl-C or SIGTERM inside terminate_as_interrupt


def _interrupt(signum: int, frame: Any) -> None:
    _stop.set()
    raise KeyboardInterrupt


def stop_requested() -> bool:
    """Whether Ctrl-C or SIGTERM arrived inside ``terminate_as_interrupt``. The interrupt is
    raised wherever the process is; should it land inside a library's own clean-up (Optuna's
    journal lock) and come out as another error, this still says the job must stop."""
    return _stop.is_set()


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (Slurm's scancel, kill) and Ctrl-C raise KeyboardInterrupt inside the block and
    mark the job stopped (``stop_requested``): the running trial fails cleanly and the caller
    can write its outputs. The previous handlers are restored; off the main thread nothing
    changes."""
    previous = {}
    if threading.current_thread() is threading.main_thread():
        _stop.clear()
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, _interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if previous:  # a later job in this process (a notebook, a caller) starts unstopped
            _stop.clear()


@contextlib.contextmanager
def optuna_verbosity(level: int) -> Iterator[None]:
    """Optuna's log level inside the block, restored after."""
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(level)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def record_settings(study: optuna.Study, identity: dict[str, Any], advice: str) -> None:
    """Record the settings that give a study its meaning, or refuse to resume it with others
    (a ValueError listing the differences, then ``advice``)."""
    recorded = study.user_attrs.get("efficientnas")
    if recorded is None:
        study.set_user_attr("efficientnas", identity)
        return

    def meaning(settings: dict[str, Any]) -> dict[str, Any]:  # a setting left None is absent
        return {key: value for key, value in settings.items() if value is not None}

    if meaning(recorded) != meaning(identity):
        keys = list(identity) + [key for key in recorded if key not in identity]
        changed = [
            f"{key} {recorded.get(key)!r} -> {identity.get(key)!r}"
            for key in keys
            if recorded.get(key) != identity.get(key)
        ]
        raise InputError(
            f"study {study.study_name!r} was made with other settings "
            f"({'; '.join(changed)[:500]}): {advice}"
        )
