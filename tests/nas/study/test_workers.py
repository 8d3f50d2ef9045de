"""Many workers on one study: exact totals, dead workers, signals, a lost storage, secrets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.search import run_search, worker_devices, worker_threads
from nas.study import faults
from nas.study.faults import StorageLost, is_connection_error, with_backoff
from nas.study.heartbeat import HEARTBEAT, Heartbeat
from nas.study.journal import open_journal
from nas.study.keys import WORKER, counts_as_finished, finished_count
from nas.study.progress import Silent
from nas.study.storage import open_storage, recover_stale_trials
from tests.helpers import search_config

ROOT = Path(__file__).resolve().parents[3]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"
TINY = dict(
    dataset="synthetic",
    train_subset=128,
    val_subset=64,
    batch_size=64,
    show_progress=False,
    device="cpu",
    sampler="random",
)
TINY_FLAGS = [
    "--dataset",
    "synthetic",
    "--train-subset",
    "128",
    "--val-subset",
    "64",
    "--batch-size",
    "64",
    "--no-progress",
    "--device",
    "cpu",
    "--sampler",
    "random",
]


def assert_whole(frame, trials: int) -> None:
    """Exactly ``trials`` finished (a trial whose worker died is retried, not counted),
    unique trial numbers, nothing left running."""
    assert frame["number"].is_unique
    assert "RUNNING" not in set(frame["state"])
    lost = frame["fail_reason"].fillna("").str.contains("worker stopped mid-trial")
    counted = frame[frame["state"].isin(["COMPLETE", "PRUNED", "FAIL"]) & ~lost]
    assert len(counted) == trials, frame[["number", "state", "fail_reason"]]


@pytest.mark.parametrize("url", [None, POSTGRES, REDIS], ids=["journal", "postgresql", "redis"])
def test_three_workers_finish_exactly_the_requested_trials(tmp_path, url):
    name = f"workers-{uuid.uuid4().hex[:10]}"
    config = search_config(
        trials=7, workers=3, storage=url, study_name=name, results_dir=str(tmp_path), **TINY
    )
    study = run_search(config)
    frame = results.load(tmp_path / name / "trials.csv")
    assert_whole(frame, 7)
    assert len(frame) == len([t for t in study.get_trials() if not t.user_attrs.get("surplus")])
    assert frame.loc[frame["number"] == 0, "reference"].item() == "efficientnet_b0"
    assert frame["worker"].dropna().nunique() >= 2  # the work really was shared
    # Workers opening the study together draw different candidates (their samplers are seeded
    # apart), and none trains a network another already trained.
    complete = frame[frame["state"] == "COMPLETE"]
    assert complete["arch"].is_unique and "reused_from" not in frame
    recorded = json.loads((tmp_path / name / "config.json").read_text())
    assert recorded["workers"] == 3  # the parent's settings, not a worker's
    # Running it again finds the study complete and trains nothing more.
    again = run_search(config)
    assert len(again.get_trials()) == len(study.get_trials())


def test_workers_through_the_cli_keep_the_password_out_of_every_output(tmp_path):
    url = "postgresql://postgres:hunter2secret@127.0.0.1:5432/test"  # trust auth ignores it
    name = f"secret-{uuid.uuid4().hex[:10]}"
    process = subprocess.run(
        [sys.executable, "-m", "nas.search", *TINY_FLAGS, "--workers", "2", "--trials", "3"]
        + ["--storage", url, "--study-name", name, "--results-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr
    assert "hunter2secret" not in process.stdout + process.stderr
    for path in (tmp_path / name).iterdir():
        assert "hunter2secret" not in path.read_text(), path
    assert "postgres:***@" in (tmp_path / name / "config.json").read_text()
    status = subprocess.run(
        [sys.executable, "-m", "nas.search", *TINY_FLAGS, "--trials", "3", "--status"]
        + ["--storage", url, "--study-name", name, "--results-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    assert f"study {name!r}: 3 of 3 trials finished" in status.stdout
    assert "hunter2secret" not in status.stdout + status.stderr


def test_sqlite_with_several_workers_is_refused(tmp_path, capsys):
    argv = ["--workers", "2", "--storage", f"sqlite:///{tmp_path}/s.db"]
    code = run(main, PROG, argv)
    message = capsys.readouterr().err
    assert code == 2 and message.count("\n") == 1
    assert "--workers 2 with --storage 'sqlite:///" in message and "refused" in message


def test_devices_and_threads_are_shared_out():
    config = search_config(workers=3, devices=("cpu", "cpu:0"), device="cpu")
    assert worker_devices(config) == ["cpu", "cpu:0", "cpu"]
    assert worker_threads(search_config(workers=1, threads=5)) == 5
    cores = len(os.sched_getaffinity(0))
    assert worker_threads(search_config(workers=2)) == max(1, cores // 2)
    with pytest.raises(ValueError, match="devices="):
        search_config(devices=("tpu",))


def test_a_silent_trial_is_retried_after_twice_the_heartbeat(tmp_path):
    """A worker on another host (no pid to check) is judged by its heartbeat alone."""
    storage = open_storage(None, tmp_path / "journal.log")
    study = optuna.create_study(storage=storage, study_name="beats")
    trial = study.ask()
    trial.suggest_int("x", 0, 9)
    trial.set_user_attr(WORKER, "another-host:123:456")
    beat = 1_000_000.0
    trial.set_user_attr(HEARTBEAT, beat)
    interval = 5.0
    assert recover_stale_trials(study, grace=2 * interval, now=beat + 1.9 * interval) == []
    assert study.trials[0].state == TrialState.RUNNING
    assert recover_stale_trials(study, grace=2 * interval, now=beat + 2.1 * interval) == [0]
    trials = study.get_trials()
    assert trials[0].state == TrialState.FAIL
    assert trials[1].state == TrialState.WAITING
    assert trials[1].system_attrs["fixed_params"] == trials[0].params
    assert trials[1].user_attrs["retry_of"] == 0
    # A second worker recovering at the same time does not enqueue it twice.
    assert recover_stale_trials(study, grace=2 * interval, now=beat + 3 * interval) == []
    assert len(study.get_trials()) == 2


def test_a_trial_stopped_before_choosing_retries_what_it_was_enqueued_with(tmp_path):
    storage = open_storage(None, tmp_path / "journal.log")
    study = optuna.create_study(storage=storage, study_name="early")
    study.enqueue_trial({"x": 3})
    trial = study.ask()  # the enqueued trial stops before it suggests anything
    trial.set_user_attr(WORKER, "another-host:123:456")
    trial.set_user_attr(HEARTBEAT, 1_000_000.0)
    assert recover_stale_trials(study, grace=10.0, now=1_000_100.0) == [0]
    trials = study.get_trials()
    assert trials[1].system_attrs["fixed_params"] == {"x": 3}  # the enqueued choice, again
    assert not counts_as_finished(trials[0])
    assert recover_stale_trials(study, grace=10.0, now=1_000_200.0) == []


def test_heartbeat_keeps_a_running_trial_fresh(tmp_path):
    study = optuna.create_study(storage=open_storage(None, tmp_path / "journal.log"))
    trial = study.ask()
    with Heartbeat(trial, 0.1):
        time.sleep(0.5)
        last = study.trials[0].user_attrs[HEARTBEAT]
        assert time.time() - last < 0.35
    stopped = study.trials[0].user_attrs[HEARTBEAT]
    time.sleep(0.3)
    assert study.trials[0].user_attrs[HEARTBEAT] == stopped  # the thread has stopped


def _search(tmp_path: Path, trials: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nas.search", *TINY_FLAGS, "--trials", str(trials)] + [
        "--results-dir",
        str(tmp_path),
        "--heartbeat",
        "1",
        *extra,
    ]


def _piped(spawn, command: list[str]) -> subprocess.Popen:
    return spawn(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_rows(csv: Path, rows: int, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if csv.exists() and len(results.load(csv)) >= rows:
            return
        time.sleep(0.2)
    raise AssertionError(f"{csv} never reached {rows} rows")


def _running_trials_of(process: subprocess.Popen, journal: Path) -> list[int]:
    """Numbers of the RUNNING trials that ``process`` claims in the journal at ``journal``."""
    storage = open_journal(journal)
    mine = f":{process.pid}:"
    return [
        trial.number
        for study in storage.get_all_studies()
        for trial in storage.get_all_trials(study._study_id, deepcopy=False)
        if trial.state == TrialState.RUNNING and mine in trial.user_attrs.get(WORKER, "")
    ]


def _freeze_mid_trial(process: subprocess.Popen, journal: Path, timeout: float = 240) -> int:
    """Stop ``process`` (SIGSTOP) at a moment when it runs a trial and holds no journal lock;
    return that trial's number. Whatever the machine's load, the process is then mid-trial."""
    lock = journal.with_name(journal.name + ".lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker ended before it could be stopped mid-trial"
        if journal.is_file():
            os.killpg(process.pid, signal.SIGSTOP)
            running = [] if os.path.lexists(lock) else _running_trials_of(process, journal)
            if running:
                return running[0]
            os.killpg(process.pid, signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError(f"the worker never ran a trial within {timeout:.0f} s")


def test_a_worker_killed_mid_trial_is_replaced_and_the_study_completes(tmp_path, spawn):
    """The worker is frozen inside a trial, then SIGKILLed: the next worker finds the trial's
    process gone, fails it, retries its parameters once and completes exactly the total."""
    folder = tmp_path / "synthetic-random"
    doomed = spawn(
        _search(tmp_path, 8), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    lost = _freeze_mid_trial(doomed, folder / "journal.log")
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    survivor = _piped(spawn, _search(tmp_path, 8))
    out, err = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, err
    frame = results.load(folder / "trials.csv")
    assert_whole(frame, 8)
    stopped = frame[frame["fail_reason"].fillna("").str.contains("worker stopped")]
    assert list(stopped["number"]) == [lost]
    retry = frame[frame["retry_of"] == lost]
    assert len(retry) == 1 and retry.iloc[0]["state"] == "COMPLETE"


def test_sigterm_fails_the_trial_cleanly_and_says_how_to_resume(tmp_path, spawn):
    csv = tmp_path / "synthetic-random" / "trials.csv"
    process = _piped(spawn, _search(tmp_path, 40))
    _wait_for_rows(csv, 2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "run the same command again to resume" in err
    assert err.count("interrupted") == 1, err  # said once, by the search, not again by the CLI
    assert "Traceback" not in err
    frame = results.load(csv)  # whole, and nothing left RUNNING
    assert "RUNNING" not in set(frame["state"])


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of our own, persisted to disk, that a test may stop and start again."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path / "redis"
    folder.mkdir()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(folder)]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        def start(self) -> None:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            raise AssertionError("redis-server did not start")

        def stop(self) -> None:
            self.process.terminate()
            self.process.wait()

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_a_lost_storage_is_retried_then_the_search_stops_cleanly(
    tmp_path, private_redis, monkeypatch
):
    monkeypatch.setattr(faults, "BACKOFF_SECONDS", (0.2, 0.4))
    config = search_config(trials=6, storage=private_redis.url, results_dir=str(tmp_path), **TINY)

    class StopsTheServer(Silent):
        def __call__(self, study, trial):
            if finished_count(study) == 2:
                private_redis.stop()

    with pytest.raises(StorageLost, match=r"unreachable for 0.6 s .*run the same command again"):
        run_search(config, progress=StopsTheServer)
    csv = tmp_path / "synthetic-random" / "trials.csv"
    assert (results.load(csv)["state"] == "COMPLETE").sum() == 2  # written whole before the loss
    private_redis.start()
    study = run_search(config)  # resumes: the two finished trials kept, four more
    frame = results.trials_frame(study)
    assert_whole(frame, 6)
    assert list(frame["number"][:2]) == [0, 1]


def test_with_backoff_retries_only_connection_errors():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "ok"

    waits: list[float] = []
    assert with_backoff(flaky, "'x'", backoff=(1, 2, 4), sleep=waits.append) == "ok"
    assert waits == [1, 2]
    with pytest.raises(KeyError):
        with_backoff(lambda: {}["missing"], "'x'", sleep=waits.append)
    with pytest.raises(StorageLost, match="storage 'x' unreachable for 3 s"):
        with_backoff(flaky_forever, "'x'", backoff=(1, 2), sleep=lambda s: None)
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = ConnectionResetError("reset")
    assert is_connection_error(wrapped) and not is_connection_error(ValueError("no"))


def flaky_forever():
    raise ConnectionRefusedError("refused")


def test_an_interrupt_inside_ask_leaves_no_trial_running():
    """A trial created by Optuna's ask just before Ctrl-C, its objective not begun (no worker
    recorded), is failed to be retried; a trial begun before, or another worker's, is not."""
    import datetime

    from nas.study.storage import fail_unclaimed

    study = optuna.create_study()
    earlier = study.ask()  # before this run began: another run's, left to the heartbeat
    since = datetime.datetime.now()
    unclaimed = study.ask()
    claimed = study.ask()
    claimed.set_user_attr(WORKER, "another-host:1:2")
    assert fail_unclaimed(study, since) == [unclaimed.number]
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.RUNNING, TrialState.FAIL, TrialState.RUNNING]
    assert earlier.number == 0
