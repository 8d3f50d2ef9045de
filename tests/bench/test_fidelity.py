"""bench/fidelity.py's run log: a bench stopped by a time limit resumes where it stopped."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from nas.search import SearchConfig
from search_spaces.mnasnet import MnasSpace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fidelity():
    spec = importlib.util.spec_from_file_location("fidelity", ROOT / "bench" / "fidelity.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def make_run(fidelity, preset: str, budget: str, seed: int, network: int = 0):
    config = SearchConfig(preset=preset)
    arch = MnasSpace().sample_random(network)
    return fidelity.Run(
        network, budget, 0, seed, arch, config.data_config, config.train_config, "cpu"
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


def test_a_run_with_another_recipe_is_not_reused(fidelity, tmp_path):
    log = str(tmp_path / "runs.csv")
    run = make_run(fidelity, "cpu", "short", 0)
    fidelity.log_run(log, run, 0.75, 12.5)
    other_lr = dataclasses.replace(run, train=dataclasses.replace(run.train, lr=1e-3))
    other_seed = dataclasses.replace(run, seed=1)
    found = fidelity.finished_runs(log)
    assert fidelity.run_key(other_lr) not in found
    assert fidelity.run_key(other_seed) not in found
    assert fidelity.finished_runs(str(tmp_path / "absent.csv")) == {}


def test_agreement_is_the_mean_tau_over_pairs_of_seeds(fidelity):
    frame = pd.DataFrame(
        {"long_acc_0": [1, 2, 3, 4], "long_acc_1": [1, 2, 3, 4], "long_acc_2": [4, 3, 2, 1]}
    )
    # pairs: (0, 1) tau 1, (0, 2) tau -1, (1, 2) tau -1
    assert fidelity.agreement(frame, "long_acc") == pytest.approx(-1 / 3)


def test_long_budget_sees_the_factor_times_the_images(fidelity):
    assert fidelity.long_budget(10000, 1.0, 5.0, 50000) == (25000, 2.0)
    assert fidelity.long_budget(50000, 5.0, 5.0, 50000) == (50000, 25.0)
