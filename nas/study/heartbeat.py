"""A trial's heartbeat on journal storages (file, Redis), which Optuna gives none.

While a trial runs, a daemon thread stamps the time into its ``heartbeat`` user attribute every
``interval`` seconds; ``storage.is_stale`` takes a RUNNING trial whose stamp is older than twice
the interval as one whose worker died (on any host), and ``recover_stale_trials`` retries it.
RDB storages use Optuna's own heartbeat instead.
"""

from __future__ import annotations

import contextlib
import threading
import time
from types import TracebackType

import optuna

from nas.study.keys import HEARTBEAT


class Heartbeat:
    """``with Heartbeat(trial, interval):`` keeps the trial's heartbeat while the body runs."""

    def __init__(self, trial: optuna.Trial, interval: float | None) -> None:
        self.trial = trial
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        self.trial.storage.set_trial_user_attr(self.trial._trial_id, HEARTBEAT, time.time())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):  # storage down: the main thread will retry
                self.beat()

    def __enter__(self) -> Heartbeat:
        if self.interval is not None:
            self.beat()
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
