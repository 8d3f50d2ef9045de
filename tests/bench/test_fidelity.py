"""bench/fidelity.py's run log: a bench stopped by a time limit resumes where it stopped."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

import baselines
from search_spaces import encode
from search_spaces.mnasnet import MnasSpace
from tests.helpers import search_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fidelity():
    spec = importlib.util.spec_from_file_location("fidelity", ROOT / "bench" / "fidelity.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def make_run(fidelity, preset: str, budget: str, run_seed: int, network: int = 0, **search):
    config = search_config(preset=preset, **search)
    arch = MnasSpace(baselines.get("efficientnet_b0")).sample_random(network)
    return fidelity.Run(
        network, budget, 0, run_seed, arch, config.proxy.data_config, config.train_config, "cpu"
    )


@pytest.mark.parametrize("preset", ["cpu", "gpu"])  # gpu: the whole training set, no subset
def test_logged_runs_are_found_again(fidelity, tmp_path, preset):
    log = str(tmp_path / "runs.csv")
    short = make_run(fidelity, preset, "short", 0)
    long = make_run(fidelity, preset, "long", 1000, network=1)
    fidelity.log_run(log, short, 0.75, 12.5)
    fidelity.log_run(log, long, 0.8125, 40.0)
    found = fidelity.finished_runs(log)
    assert found[fidelity.run_key(short)] == (0.75, 12.5)
    assert found[fidelity.run_key(long)] == (0.8125, 40.0)
    assert len(pd.read_csv(log)) == 2  # one header, one row per run


def test_a_run_of_another_recipe_is_not_reused(fidelity, tmp_path):
    log = str(tmp_path / "runs.csv")
    run = make_run(fidelity, "cpu", "short", 0)
    fidelity.log_run(log, run, 0.75, 12.5)
    found = fidelity.finished_runs(log)
    others = {
        "lr": dataclasses.replace(run, train=dataclasses.replace(run.train, lr=1e-3)),
        "optimizer": dataclasses.replace(
            run, train=dataclasses.replace(run.train, optimizer="sgd")
        ),
        "seed": dataclasses.replace(run, seed=1),
        "dataset": make_run(fidelity, "cpu", "short", 0, dataset="synthetic"),
        "held-out split": make_run(fidelity, "cpu", "short", 0, seed=1),
        "device": dataclasses.replace(run, device="cuda"),
    }
    for what, other in others.items():
        assert fidelity.run_key(other) not in found, what
    # Neither where the files are nor how often it is evaluated changes what a run learns.
    same = dataclasses.replace(
        run,
        data=dataclasses.replace(run.data, data_dir="/elsewhere"),
        train=dataclasses.replace(run.train, evaluations=5),
    )
    assert fidelity.run_key(same) in found


def test_missing_empty_and_foreign_logs(fidelity, tmp_path):
    assert fidelity.finished_runs(str(tmp_path / "absent.csv")) == {}
    empty = tmp_path / "empty.csv"
    empty.touch()
    assert fidelity.finished_runs(str(empty)) == {}
    fidelity.log_run(str(empty), make_run(fidelity, "cpu", "short", 0), 0.5, 1.0)
    assert len(fidelity.finished_runs(str(empty))) == 1  # the header was written first
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("arch,accuracy\nb0,0.5\n")
    with pytest.raises(SystemExit, match="columns arch, accuracy are not"):
        fidelity.finished_runs(str(foreign))


class InProcess:
    """A stand-in for the process pool: 'trains' at once, or fails the networks named."""

    submitted: list = []
    failing: set[int] = set()

    def __init__(self, *args, **kwargs) -> None:
        pass

    def submit(self, function, run):
        InProcess.submitted.append(run)
        future = Future()
        if run.network in InProcess.failing:
            future.set_exception(RuntimeError("loss became nan at step 3"))
        else:  # the long budget scores higher, and networks in their order
            future.set_result((run, 0.5 + 0.01 * run.network + 0.2 * (run.budget == "long"), 1.0))
        return future

    def shutdown(self, cancel_futures: bool = False) -> None:
        pass


def run_main(fidelity, monkeypatch, *argv: str) -> None:
    monkeypatch.setattr(fidelity, "ProcessPoolExecutor", InProcess)
    monkeypatch.setattr(sys, "argv", ["fidelity.py", "--dataset", "synthetic", *argv])
    InProcess.submitted = []
    fidelity.main()


def test_a_rerun_trains_only_what_the_log_lacks(fidelity, tmp_path, monkeypatch, capsys):
    log = str(tmp_path / "runs.csv")
    run_main(fidelity, monkeypatch, "--archs", "3", "--runs", log)
    assert len(InProcess.submitted) == 6  # 3 networks, short and long
    first = capsys.readouterr().out
    assert "proxy seed 0: Kendall tau 1.000" in first
    # A second proxy seed: only its 3 runs train; the logged 6 are reused.
    run_main(fidelity, monkeypatch, "--archs", "3", "--short-seeds", "2", "--runs", log)
    assert [(run.budget, run.seed) for run in InProcess.submitted] == [("short", 1)] * 3
    out = capsys.readouterr().out
    assert out.count(f"earlier, from {log}") == 6
    assert len(pd.read_csv(log)) == 9
    # Everything logged: nothing trains, and the table is printed again.
    run_main(fidelity, monkeypatch, "--archs", "3", "--short-seeds", "2", "--runs", log)
    assert InProcess.submitted == []
    assert "proxy seeds with each other: Kendall tau 1.000" in capsys.readouterr().out


def test_a_proxy_variant_reuses_the_logged_yardstick(fidelity, tmp_path, monkeypatch):
    log = str(tmp_path / "runs.csv")
    run_main(fidelity, monkeypatch, "--archs", "3", "--runs", log)
    run_main(fidelity, monkeypatch, "--archs", "3", "--lr", "1e-3", "--runs", log)
    assert [run.budget for run in InProcess.submitted] == ["short"] * 3
    assert {run.train.lr for run in InProcess.submitted} == {1e-3}


def test_a_failed_run_is_reported_and_the_others_are_logged(fidelity, tmp_path, monkeypatch):
    log = str(tmp_path / "runs.csv")
    monkeypatch.setattr(InProcess, "failing", {1})
    with pytest.raises(SystemExit, match=r"2 run\(s\) failed.*sample 1 long.*loss became nan"):
        run_main(fidelity, monkeypatch, "--archs", "3", "--runs", log)
    logged = pd.read_csv(log)
    b0 = encode(MnasSpace(baselines.get("efficientnet_b0")).reference)
    assert len(logged) == 4 and set(logged["string"]) >= {b0}


def test_agreement_is_the_mean_tau_over_pairs_of_seeds(fidelity):
    frame = pd.DataFrame(
        {"long_acc_0": [1, 2, 3, 4], "long_acc_1": [1, 2, 3, 4], "long_acc_2": [4, 3, 2, 1]}
    )
    # pairs: (0, 1) tau 1, (0, 2) tau -1, (1, 2) tau -1
    assert fidelity.agreement(frame, "long_acc") == pytest.approx(-1 / 3)


def test_long_budget_sees_the_factor_times_the_images(fidelity):
    assert fidelity.long_budget(10000, 1.0, 5.0, 50000) == (25000, 2.0)
    assert fidelity.long_budget(50000, 5.0, 5.0, 50000) == (50000, 25.0)
