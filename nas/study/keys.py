"""The trial attributes the study engine reads and writes, and what counts as a finished trial."""

from __future__ import annotations

import os
import socket

import optuna
from optuna.trial import TrialState

FAIL_REASON = "fail_reason"  # why a candidate failed; a failure without one is retried
WORKER = "worker"  # host:pid:start of the process running the trial
SURPLUS = "surplus"  # a trial started after the study had its total: dropped, not counted
HEARTBEAT = "heartbeat"  # the last time a running trial's worker said it was alive
RETRY_OF = "retry_of"  # the number of the trial whose parameters this one retries
RETRIES = "retries"  # how many times in a row those parameters lost their worker
LABEL = "label"  # the name of an enqueued point (a grid point, a family member)
REFERENCE = "reference"  # the name of the reference architecture in its trial
RESULT = "result"  # the values a trial's objective returned, recorded just before it ends
REPEAT = "repeat"  # a finalist's retraining: which of its extra training seeds (1, 2, ...)
RERANK_OF = "rerank_of"  # a finalist's retraining: the number of the network's candidate trial
# What an enqueued trial is besides its parameters: a retry carries them over.
ENQUEUED_ATTRS = (REFERENCE, LABEL, REPEAT, RERANK_OF)
IMAGES_SEEN = "images_seen"  # a trial's training images so far, every rung it trained counted


def counts_as_finished(trial: optuna.trial.FrozenTrial) -> bool:
    """Complete, pruned, or failed with a recorded reason. A trial failed only because its
    worker died (no reason) does not count: it is retried; nor does a surplus trial."""
    if trial.user_attrs.get(SURPLUS):
        return False
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and FAIL_REASON in trial.user_attrs


def spent_images(trials) -> int:
    """Training images the trials saw (running ones so far; reused results and trials that
    recorded none count none; surplus trials trained nothing)."""
    return sum(
        int(trial.user_attrs.get(IMAGES_SEEN) or 0)
        for trial in trials
        if not trial.user_attrs.get(SURPLUS)
    )


def finished_count(study: optuna.Study) -> int:
    """The trials that count toward the study's total."""
    return sum(counts_as_finished(t) for t in study.get_trials(deepcopy=False))


def process_start_time(pid: int) -> str:
    """The kernel's start time of a process (Linux), so a recycled pid is not taken as alive."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def worker_id() -> str:
    """host:pid:start of this process."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start_time(pid)}"
