"""nas.study.jobs: the engine's pool of independent jobs."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ONE_LONG_JOB = (
    "import time; from nas.study.jobs import run_jobs; "
    "run_jobs(time.sleep, [300], 2, lambda job, result: None, lambda job, error: None)"
)


def _state(pid: int) -> str | None:
    """The process's state letter (Z: exited, not yet reaped); None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _pool_workers(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def test_a_pool_worker_stops_when_its_parent_is_killed(spawn):
    """SIGKILL of the job's process (no clean-up runs) must not leave its workers training on
    with nobody to log their results."""
    parent = spawn([sys.executable, "-c", ONE_LONG_JOB], cwd=ROOT)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _pool_workers(parent.pid)
    assert workers, "the pool never started a worker"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_state(p) not in (None, "Z") for p in workers):
        time.sleep(0.2)
    assert all(_state(p) in (None, "Z") for p in workers)
