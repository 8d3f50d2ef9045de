"""Worker processes on this host sharing one study: spawning, signal forwarding, waiting.

Optuna's storage is the only thing the workers share. They are spawned, not forked (CUDA cannot
be forked); SIGINT and SIGTERM reach every worker while the parent waits for them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nas.errors import JobFailed, NASError

POLL_SECONDS = 2.0
STOP_SECONDS = 30.0  # how long a worker told to stop has to fail its trial cleanly
EXIT_INTERRUPTED = 130


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def stderr_logging(level: int) -> None:
    """In a spawned worker: the parent's messages to stderr, bare, as the commands show them."""
    logger = logging.getLogger("nas")
    if level and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)


def _entry(target: Callable[..., Any], args: tuple, index: int, log_level: int) -> None:
    """One worker process: run ``target(*args, index)``; errors become one logged line and an
    exit status (2 for bad settings, 1 for a job that could not finish, 130 interrupted)."""
    stderr_logging(log_level)
    try:
        target(*args, index)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except (NASError, OSError) as error:  # the user's or the machine's; anything else: a bug
        logging.getLogger(__name__).error(f"[worker {index}] error: {error}")
        sys.exit(1 if isinstance(error, JobFailed) else 2)


@contextlib.contextmanager
def _forwarding(processes: Sequence[multiprocessing.process.BaseProcess]) -> Iterator[None]:
    """SIGINT and SIGTERM go to every worker while the block runs; handlers restored after."""

    def forward(signum: int, frame: object) -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(processes: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """SIGTERM every live worker (each fails its trial cleanly), SIGKILL any still alive
    after STOP_SECONDS."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


def run_workers(
    target: Callable[..., Any],
    args: tuple,
    count: int,
    on_poll: Callable[[], None] | None = None,
) -> dict[int, int]:
    """Run ``target(*args, index)`` in ``count`` spawned processes; call ``on_poll`` every
    POLL_SECONDS while they run. Returns each worker's exit status. ``target`` must be a
    module-level function and ``args`` picklable."""
    context = multiprocessing.get_context("spawn")
    level = (
        logging.getLogger("nas").getEffectiveLevel()
        if logging.getLogger("nas").hasHandlers()
        else 0
    )
    processes = []
    for index in range(count):
        process = context.Process(
            target=_entry, args=(target, args, index, level), name=f"nas-worker-{index}"
        )
        process.start()
        processes.append(process)
    with _forwarding(processes):
        try:
            while any(process.is_alive() for process in processes):
                time.sleep(POLL_SECONDS)
                if on_poll is not None:
                    with contextlib.suppress(Exception):  # the storage is away: workers retry
                        on_poll()
        except BaseException:  # not a signal (those are forwarded): the workers must not outlive it
            _stop(processes)
            raise
        finally:
            for process in processes:
                process.join()
    return {index: process.exitcode for index, process in enumerate(processes)}


def check_exit_codes(codes: dict[int, int], finished: int, total: int) -> None:
    """Raise KeyboardInterrupt if workers were interrupted, JobFailed if any failed."""
    interrupted = [i for i, code in codes.items() if code in (EXIT_INTERRUPTED, -signal.SIGTERM)]
    failed = {i: code for i, code in codes.items() if code not in (0, EXIT_INTERRUPTED)}
    if interrupted and not failed:
        raise KeyboardInterrupt
    if failed:
        listed = ", ".join(f"worker {index}: status {code}" for index, code in failed.items())
        raise JobFailed(
            f"{len(failed)} of {len(codes)} workers stopped with an error ({listed}); "
            f"{finished} of {total} trials finished: run the same command again to resume"
        )
