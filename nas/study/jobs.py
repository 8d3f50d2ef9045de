"""Independent jobs in this process or in spawned worker processes, each result reported as it
ends and a failure never stopping the others: the engine's pool for work that is not one shared
Optuna study (many small studies, benchmark repetitions)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, TypeVar

from nas.study.loop import stop_requested
from nas.study.workers import stderr_logging

Job = TypeVar("Job")


PARENT_POLL_SECONDS = 2.0


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (SIGKILL, the out-of-memory killer) stops too, instead of
    training on with nobody to log its result."""
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(threads: int, log_level: int, parent: int) -> None:
    import torch

    torch.set_num_threads(threads)
    stderr_logging(log_level)  # the library's messages reach the terminal as in this process
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def run_jobs(
    function: Callable[[Job], Any],
    jobs: Sequence[Job],
    processes: int,
    done: Callable[[Job, Any], None],
    failed: Callable[[Job, BaseException], None],
    threads: int = 1,
) -> None:
    """``function(job)`` for every job: here with one process, else in ``processes`` spawned
    ones (``function`` must then be importable); ``done(job, result)`` or ``failed(job, error)``
    is called here as each ends. Interrupted, the jobs in flight are stopped, not waited for."""
    if not jobs:
        return
    if processes <= 1:
        for job in jobs:
            try:
                result = function(job)
            except Exception as error:  # one job's failure must not lose the others
                if stop_requested():  # Ctrl-C or SIGTERM that came out as another error
                    raise KeyboardInterrupt from error
                failed(job, error)
            else:
                done(job, result)
        return
    level = logging.getLogger("nas").getEffectiveLevel()
    pool = ProcessPoolExecutor(
        processes,
        get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads, level, os.getpid()),
    )
    finished = False
    try:
        futures = {pool.submit(function, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool as error:  # a worker died (killed, out of memory)
                failed(job, RuntimeError(f"its worker process died ({error})"))
            except Exception as error:
                failed(job, error)
            else:
                done(job, result)
        finished = True
    finally:
        if not finished:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=finished, cancel_futures=True)


def cpu_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
