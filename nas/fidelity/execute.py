"""Training the fidelity check's runs: in this process, or in parallel spawned processes that
split the CPU cores; each finished or failed run reported as it ends, a failure never stopping
the others.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence

from nas.data import DataConfig, ProxyData, load_data
from nas.fidelity.runs import Run
from nas.study.jobs import run_jobs
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


def threads_per_job(jobs: int, device: str) -> int:
    """torch threads for each of ``jobs`` processes: the cores split between them on the CPU,
    one on a GPU (the CPU only feeds it)."""
    if device.partition(":")[0] != "cpu":
        return 1
    return max(1, (os.cpu_count() or 1) // jobs)


def execute(runs: Sequence[Run], jobs: int, finished: Finished, failed: Failed) -> None:
    """Train ``runs``, reporting each through ``finished`` or ``failed`` as it ends: in this
    process with one job, else in ``jobs`` spawned processes (never forked: CUDA), on the study
    engine's pool (``nas.study.jobs``)."""
    if not runs:
        return
    # In this process the module's train_run is looked up when called (tests replace it).
    function = _train_in_worker if jobs > 1 else (lambda run: train_run(run))
    try:
        run_jobs(
            function,
            runs,
            jobs,
            lambda run, result: finished(run, *result),
            failed,
            threads=threads_per_job(jobs, runs[0].device),
        )
    finally:
        _data.cache_clear()
