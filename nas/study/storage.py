"""Where a study lives. Optuna's own storages do the work; this module picks one from a URL,
keeps passwords out of messages, and recovers trials left running by a killed process.

- no URL: a journal file under results/<study>/ (safe for several processes on one host);
- ``sqlite:///path.db``, ``postgresql://...``: Optuna's RDB storage, with its heartbeat;
- ``redis://...``: Optuna's journal on Redis.
"""

from __future__ import annotations

import datetime
import inspect
import logging
import os
import re
import socket
import time
import warnings
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.trial import TrialState

from nas.errors import ConfigError, InputError
from nas.study.journal import open_journal
from nas.study.keys import (
    ENQUEUED_ATTRS,
    FAIL_REASON,
    HEARTBEAT,
    RESULT,
    RETRIES,
    RETRY_OF,
    SURPLUS,
    WORKER,
    process_start_time,
)

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
MAX_RETRIES = 3
# Optuna 4.9 renamed RetryFailedTrialCallback.
RETRY_CALLBACK = (
    getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    or optuna.storages.RetryFailedTrialCallback
)
SCHEMES = ("sqlite", "postgresql", "redis")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def scheme_of(url: str | None) -> str:
    """``journal`` for the default journal file, else the URL's scheme (driver dropped)."""
    if url is None:
        return "journal"
    return url.split(":", 1)[0].split("+", 1)[0].lower()


def has_optuna_heartbeat(url: str | None) -> bool:
    """Whether Optuna keeps heartbeats for this storage (RDB); journals get ours instead."""
    return scheme_of(url) in ("sqlite", "postgresql")


def open_storage(
    url: str | None, journal_path: Path, heartbeat: float = HEARTBEAT_SECONDS
) -> BaseStorage:
    """The storage for ``url``, or a journal file at ``journal_path`` when there is none.
    RDB storages get Optuna's heartbeat every ``heartbeat`` seconds. An unknown scheme, a
    missing driver raises ConfigError, an unreachable server ValueError."""
    if url is None:
        return open_journal(journal_path)
    scheme = scheme_of(url)
    shown = mask_url(url)
    if scheme not in SCHEMES:
        raise ConfigError(
            "storage",
            shown,
            "not supported: use sqlite:///FILE, postgresql://USER@HOST/DB or redis://HOST:PORT",
        )
    if url.split(":", 1)[0].lower() == "postgresql":
        url = url.replace("postgresql://", f"postgresql+{_postgres_driver(shown)}://", 1)
    try:
        if scheme == "redis":
            from optuna.storages.journal import JournalRedisBackend

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return JournalStorage(JournalRedisBackend(url))  # reads the log: fails here
        # Optuna 4.9 renamed failed_trial_callback; use whichever this Optuna has.
        parameters = inspect.signature(RDBStorage.__init__).parameters
        callback = (
            "heartbeat_stale_trial_callback"
            if "heartbeat_stale_trial_callback" in parameters
            else "failed_trial_callback"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(
                url,
                heartbeat_interval=max(1, round(heartbeat)),
                grace_period=max(2, round(2 * heartbeat)),
                engine_kwargs={"pool_pre_ping": True} if scheme != "sqlite" else None,
                **{callback: RETRY_CALLBACK(max_retry=MAX_RETRIES)},
            )
    except ImportError as error:
        extra = "redis" if scheme == "redis" else "postgres"
        missing = error.name or str(error).splitlines()[0]
        raise ConfigError(
            "storage",
            shown,
            "needs a driver that is not installed "
            f"({missing}): pip install 'efficientnas[{extra}]'",
        ) from None
    except Exception as error:  # the drivers' connection errors have no common base class
        first_line = mask_url(str(error)).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot open storage {shown!r}: {first_line}") from None


def _postgres_driver(shown: str) -> str:
    """The installed PostgreSQL driver for SQLAlchemy: psycopg (3), else psycopg2."""
    import importlib.util

    for module in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return module
    raise ConfigError(
        "storage", shown, "needs a PostgreSQL driver: pip install 'efficientnas[postgres]'"
    )


def _alive_here(worker: str) -> bool | None:
    """Whether the worker host:pid:start is alive; None if it ran on another host."""
    host, _, rest = worker.partition(":")
    if host != socket.gethostname():
        return None
    pid_text, _, start = rest.partition(":")
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_start_time(int(pid_text)) == start


def is_stale(trial: optuna.trial.FrozenTrial, grace: float, now: float | None = None) -> bool:
    """Whether a RUNNING trial's worker is gone: its process on this host has died, or its
    last heartbeat (journal storages) is more than ``grace`` seconds old."""
    worker = trial.user_attrs.get(WORKER)
    if worker is not None and _alive_here(worker) is False:
        return True
    beat = trial.user_attrs.get(HEARTBEAT)
    if beat is None:
        return False
    return (time.time() if now is None else now) - beat > grace


def recover_stale_trials(
    study: optuna.Study,
    max_retries: int = MAX_RETRIES,
    grace: float = 2 * HEARTBEAT_SECONDS,
    now: float | None = None,
) -> list[int]:
    """Give every trial a worker lost another go: RUNNING trials whose worker is gone
    (``is_stale``) are failed, and they and trials failed with no reason of their own
    (interrupted with Ctrl-C, say) have their parameters enqueued again, once. A candidate
    whose worker died ``max_retries`` times in a row (the out-of-memory killer, say) fails
    with that reason."""
    trials = study.get_trials(deepcopy=False)
    # Our retries, and those Optuna's RDB heartbeat callback enqueued.
    retried = {t.user_attrs.get(RETRY_OF) for t in trials}
    retried |= {t.system_attrs.get("failed_trial") for t in trials}
    recovered: list[int] = []
    completed: list[int] = []
    for trial in trials:
        if trial.user_attrs.get(SURPLUS):
            continue
        if trial.state == TrialState.RUNNING:
            if not is_stale(trial, grace, now):
                continue
            result = trial.user_attrs.get(RESULT)
            try:
                if result is not None:  # it ended; the record saying so was lost
                    study._storage.set_trial_state_values(
                        trial._trial_id, TrialState.COMPLETE, values=result
                    )
                    completed.append(trial.number)
                    continue
                study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except optuna.exceptions.UpdateFinishedTrialError:
                continue  # it finished, or another worker got there first
        elif trial.state != TrialState.FAIL or FAIL_REASON in trial.user_attrs:
            continue
        if trial.number in retried:
            continue
        retries = trial.user_attrs.get(RETRIES, 0) + 1
        if retries > max_retries:
            study._storage.set_trial_user_attr(
                trial._trial_id,
                FAIL_REASON,
                f"not retried: its worker stopped during it {retries - 1} times in a row",
            )
            continue
        attrs = {RETRY_OF: trial.number, RETRIES: retries}
        for key in ENQUEUED_ATTRS:
            if trial.user_attrs.get(key) is not None:  # a rerank_of may be trial 0
                attrs[key] = trial.user_attrs[key]
        # Another worker may be recovering the same trial: look again just before enqueuing.
        if any(t.user_attrs.get(RETRY_OF) == trial.number for t in study.get_trials()):
            continue
        # What it had chosen, or was enqueued to choose (a reference, a finalist's retraining)
        # when it stopped before asking.
        params = dict(trial.system_attrs.get("fixed_params") or {}) | trial.params
        study.enqueue_trial(params, user_attrs=attrs, skip_if_exists=False)
        recovered.append(trial.number)
    if completed:
        log.warning(
            f"trials {completed} had finished before their last record was lost (a full disk, "
            "a kill mid-write): completed from the results they recorded, not trained again"
        )
    return recovered


def fail_unclaimed(study: optuna.Study, since: datetime.datetime) -> list[int]:
    """Fail the trials an interrupt left RUNNING before their objective began (no worker
    recorded yet: it landed inside Optuna's ``ask``), started at or after ``since``; like a trial
    whose worker died, each is retried when the study resumes. Returns their numbers."""
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        started = trial.datetime_start
        if WORKER in trial.user_attrs or started is None or started < since:
            continue
        try:
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        failed.append(trial.number)
    return failed
