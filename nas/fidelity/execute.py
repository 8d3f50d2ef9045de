"""Training the fidelity check's runs: in this process, or in parallel spawned processes that
split the CPU cores; each finished or failed run reported as it ends, a failure never stopping
the others.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from nas.data import DataConfig, ProxyData, load_data
from nas.fidelity.runs import Run
from nas.train import train_arch

log = logging.getLogger(__name__)

Finished = Callable[[Run, float, float, dict], None]  # run, accuracy, seconds, other scores
Failed = Callable[[Run, BaseException], None]


@functools.lru_cache(maxsize=2)  # the proxy's data and the yardstick's
def _data(config: DataConfig, device: str) -> ProxyData:
    return load_data(config, device)


def train_run(run: Run) -> tuple[float, float, dict[str, float]]:
    """Train one run: its validation accuracy, seconds and other scores (the training losses)."""
    result = train_arch(run.arch, _data(run.data, run.device), run.train, seed=run.seed)
    return result.accuracy, result.seconds, result.scores()


def _train_in_worker(run: Run) -> tuple[float, float, dict[str, float]]:
    return train_run(run)


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)  # this worker process's own thread count


def threads_per_job(jobs: int, device: str) -> int:
    """torch threads for each of ``jobs`` processes: the cores split between them on the CPU,
    one on a GPU (the CPU only feeds it)."""
    if device.partition(":")[0] != "cpu":
        return 1
    return max(1, (os.cpu_count() or 1) // jobs)


def execute(runs: Sequence[Run], jobs: int, finished: Finished, failed: Failed) -> None:
    """Train ``runs``, reporting each through ``finished`` or ``failed`` as it ends: in this
    process with one job, else in ``jobs`` spawned processes (never forked: CUDA)."""
    if not runs:
        return
    if jobs == 1:
        try:
            for run in runs:
                try:
                    accuracy, seconds, scores = train_run(run)
                except Exception as error:  # one run's failure must not lose the others
                    failed(run, error)
                else:
                    finished(run, accuracy, seconds, scores)
        finally:
            _data.cache_clear()
        return
    threads = threads_per_job(jobs, runs[0].device)
    pool = ProcessPoolExecutor(
        jobs, get_context("spawn"), initializer=_init_worker, initargs=(threads,)
    )
    done = False
    try:
        futures = {pool.submit(_train_in_worker, run): run for run in runs}
        for future in as_completed(futures):
            run = futures[future]
            try:
                accuracy, seconds, scores = future.result()
            except BrokenProcessPool as error:  # a worker died (killed, out of memory)
                failed(run, RuntimeError(f"its worker process died ({error})"))
            except Exception as error:
                failed(run, error)
            else:
                finished(run, accuracy, seconds, scores)
        done = True
    finally:
        if not done:  # interrupted: stop the runs in flight now rather than wait for them
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=done, cancel_futures=True)
