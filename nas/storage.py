"""Where a study lives. Optuna's own storages do the work; this module picks one from a URL,
keeps passwords out of messages, and recovers trials left running by a killed process.

- no URL: a journal file under results/<study>/ (safe for several processes on one host);
- ``sqlite:///path.db``, ``postgresql://...``: Optuna's RDB storage, with its heartbeat;
- ``redis://...``: Optuna's journal on Redis.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage, RetryFailedTrialCallback
from optuna.trial import TrialState

from nas.objective import WORKER, process_start_time

HEARTBEAT_SECONDS = 30
SCHEMES = ("sqlite", "postgresql", "redis")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def open_storage(url: str | None, journal_path: Path) -> BaseStorage:
    """The storage for ``url``, or a journal file at ``journal_path`` when there is none.
    An unknown scheme, a missing driver or an unreachable server raises ValueError."""
    if url is None:
        from optuna.storages.journal import JournalFileBackend

        journal_path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(journal_path)))
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    shown = mask_url(url)
    if scheme not in SCHEMES:
        raise ValueError(
            f"--storage {shown!r} is not supported: use sqlite:///FILE, "
            "postgresql://USER@HOST/DB or redis://HOST:PORT"
        )
    try:
        if scheme == "redis":
            from optuna.storages.journal import JournalRedisBackend

            return JournalStorage(JournalRedisBackend(url))
        return RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_SECONDS,
            grace_period=2 * HEARTBEAT_SECONDS,
            failed_trial_callback=RetryFailedTrialCallback(max_retry=3),
            engine_kwargs={"pool_pre_ping": True} if scheme != "sqlite" else None,
        )
    except ImportError as error:
        extra = "redis" if scheme == "redis" else "postgres"
        raise ValueError(
            f"--storage {shown!r} needs a driver that is not installed "
            f"({error.name}): pip install 'efficientnas[{extra}]'"
        ) from None
    except Exception as error:  # the drivers' connection errors have no common base class
        first_line = mask_url(str(error)).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"cannot open storage {shown!r}: {first_line}") from None


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


def recover_stale_trials(study: optuna.Study) -> list[int]:
    """Fail the RUNNING trials whose process on this host has died and enqueue their
    parameters again; returns the failed trial numbers."""
    recovered = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER)
        if worker is None or _alive_here(worker) is not False:
            continue
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        retry_attrs = {"retry_of": trial.number}
        if trial.user_attrs.get("reference"):
            retry_attrs["reference"] = trial.user_attrs["reference"]
        study.enqueue_trial(trial.params, user_attrs=retry_attrs, skip_if_exists=False)
        recovered.append(trial.number)
    return recovered
