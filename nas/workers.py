"""``--workers N``: several processes on this host sharing one study.

Each worker is a spawned process running ``run_search`` on the same storage; Optuna's storage
is the only thing they share. ``--devices`` pins one worker per entry (one trial per GPU at a
time); on the CPU the workers split the cores. The parent loads the data once first (checking
it and filling any cache), creates the study, shows one progress bar for all, forwards
SIGINT/SIGTERM, and writes the outputs once every worker has stopped.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

import optuna
from tqdm.auto import tqdm

from nas.cli import CommandFailed
from nas.data import load_data

if TYPE_CHECKING:
    from nas.search import SearchConfig

POLL_SECONDS = 2.0


def worker_devices(config: SearchConfig) -> list[str]:
    """The device of each worker: ``--devices`` round robin, else ``--device`` for all."""
    if config.devices:
        return [config.devices[i % len(config.devices)] for i in range(config.workers)]
    return [config.device] * config.workers


def worker_threads(config: SearchConfig) -> int:
    """Torch threads per worker: ``--threads``, else this machine's cores split evenly."""
    if config.threads is not None:
        return config.threads
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // config.workers)


def _work(config: SearchConfig, index: int) -> None:
    """One worker process."""
    from nas.search import run_search

    try:
        run_search(config, worker=index)
    except KeyboardInterrupt:
        sys.exit(130)
    except (ValueError, OSError, CommandFailed) as error:
        print(f"[worker {index}] error: {error}", file=sys.stderr)
        sys.exit(2 if isinstance(error, ValueError) else 1)


def run_workers(config: SearchConfig) -> optuna.Study:
    """Run ``config.workers`` worker processes on the study and wait for them all."""
    from nas.search import _Outputs, finished_count, prepare_study

    data = load_data(config.data_config, "cpu")  # bad data fails here, once
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = prepare_study(config)
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    processes = []
    for index in range(config.workers):
        process = context.Process(target=_work, args=(config, index), name=f"nas-worker-{index}")
        process.start()
        processes.append(process)
    devices = ", ".join(worker_devices(config))
    print(
        f"{len(processes)} workers on study {config.name!r} (devices {devices}; "
        f"{worker_threads(config)} threads each); their trials follow",
        file=sys.stderr,
    )

    def forward(signum: int, frame: object) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    bar = tqdm(
        total=config.trials,
        initial=min(finished_count(study), config.trials),
        unit="trial",
        disable=not config.show_progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        while any(process.is_alive() for process in processes):
            time.sleep(POLL_SECONDS)
            try:
                bar.n = min(finished_count(study), config.trials)
                bar.refresh()
            except Exception:  # the storage is away; the workers retry and report it
                pass
    finally:
        for process in processes:
            process.join()
        bar.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # One final write after every worker stopped: concurrent rewrites may have raced.
    _Outputs(config, data.num_classes, data.in_channels).write(study)
    codes = {index: process.exitcode for index, process in enumerate(processes)}
    interrupted = [index for index, code in codes.items() if code in (130, -signal.SIGTERM)]
    failed = {index: code for index, code in codes.items() if code not in (0, 130)}
    if interrupted and not failed:
        raise KeyboardInterrupt
    if failed:
        listed = ", ".join(f"worker {index}: status {code}" for index, code in failed.items())
        raise CommandFailed(
            f"{len(failed)} of {len(processes)} workers stopped with an error ({listed}); "
            f"{finished_count(study)} of {config.trials} trials finished: run the same command "
            "again to resume"
        )
    return study
