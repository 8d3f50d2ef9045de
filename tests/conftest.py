from __future__ import annotations

import os

# Before torch loads OpenMP: idle threads sleep rather than spin. Beside another busy process on
# two cores, spinning threads wait on each other and one test took over 10 minutes instead of
# 1; with this it took 54 s on the same loaded machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import contextlib
import random
import signal
import subprocess

import pytest
import torch

import baselines
from search_spaces.mnasnet import MnasSpace


@pytest.fixture(scope="session")
def space() -> MnasSpace:
    return MnasSpace(baselines.get("efficientnet_b0"))


@pytest.fixture(scope="session")
def random_archs(space):
    """200 architectures drawn uniformly from the default space, from both references."""
    rng = random.Random(2026)
    other = MnasSpace(baselines.get("mobilenet_v2"))
    return [space.sample_random(rng) for _ in range(150)] + [
        other.sample_random(rng) for _ in range(50)
    ]


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module's tiny trainings: on a shared two-core machine, two threads
    spin-wait on each other and make each tiny training tens of times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def spawn():
    """Start a command in its own process group; whatever the test's outcome, the group is
    killed and reaped when the test ends, so no process outlives its test."""
    started: list[subprocess.Popen] = []

    def start(command: list[str], **options) -> subprocess.Popen:
        process = subprocess.Popen(command, start_new_session=True, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
