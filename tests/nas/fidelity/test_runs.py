"""The run log: finished runs found again by their key, other recipes not, foreign logs refused,
and bench/fidelity.py's committed logs still read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import baselines
from nas.data import DataConfig
from nas.errors import ConfigError
from nas.fidelity.runs import LOG_COLUMNS, PROXY, YARDSTICK, Logged, Run, RunLog, resolved
from nas.proxy import ProxyConfig
from search_spaces import MnasSpace

ROOT = Path(__file__).resolve().parents[3]
B0 = baselines.get("efficientnet_b0")


def make_run(budget: str = PROXY, seed: int = 0, network: int = 0, split: int = 0) -> Run:
    config = ProxyConfig(dataset="synthetic", device="cpu", seed=split)
    data = resolved(config.data_config, 5000, 2000)
    arch = MnasSpace(B0).sample_random(network)
    return Run(network, budget, 0, seed, arch, data, config.train_config(1, 5000), "cpu")


def test_logged_runs_are_found_again(tmp_path):
    log = RunLog(tmp_path / "sub" / "runs.csv")
    short, long = make_run(PROXY, 0), make_run(YARDSTICK, 1000, network=1)
    log.append(short, 0.75, 12.5)
    log.append(long, 0.8125, 40.0)
    found = log.load()
    assert found == {short.key: Logged(0.75, 12.5), long.key: Logged(0.8125, 40.0)}
    frame = pd.read_csv(log.path)
    assert list(frame.columns) == LOG_COLUMNS and len(frame) == 2
    assert list(frame["budget"]) == ["short", "long"]  # bench/fidelity.py's names


def test_a_run_of_another_recipe_is_not_reused(tmp_path):
    log = RunLog(tmp_path / "runs.csv")
    run = make_run()
    log.append(run, 0.75, 12.5)
    found = log.load()
    others = {
        "lr": dataclasses.replace(run, train=dataclasses.replace(run.train, lr=1e-3)),
        "optimizer": dataclasses.replace(
            run, train=dataclasses.replace(run.train, optimizer="sgd")
        ),
        "seed": dataclasses.replace(run, seed=1),
        "budget": dataclasses.replace(run, budget=YARDSTICK),
        "architecture": make_run(network=5),
        "held-out split": make_run(split=1),
        "images": dataclasses.replace(run, data=resolved(run.data, 4000, 2000)),
        "device": dataclasses.replace(run, device="cuda"),
    }
    for what, other in others.items():
        assert other.key not in found, what
    # Neither where the files are, nor which GPU, nor how often it is evaluated changes a run.
    same = dataclasses.replace(
        run,
        data=dataclasses.replace(run.data, data_dir="/elsewhere"),
        train=dataclasses.replace(run.train, evaluations=5),
    )
    assert same.key in found
    assert dataclasses.replace(run, device="cuda:1").key == others["device"].key


def test_capped_sizes_are_the_sizes_the_data_had():
    capped = DataConfig(dataset="synthetic", train_subset=10000, val_subset=10000, train_cap=True)
    exact = resolved(capped, 1617, 180)
    assert (exact.train_subset, exact.val_subset, exact.train_cap) == (1617, 180, False)
    everything = dataclasses.replace(capped, train_subset=None)  # all that remains stays so
    assert resolved(everything, 50000, 10000).train_subset is None


def test_missing_empty_and_foreign_logs(tmp_path):
    assert RunLog(tmp_path / "absent.csv").load() == {}
    empty = tmp_path / "empty.csv"
    empty.touch()
    assert RunLog(empty).load() == {}
    RunLog(empty).append(make_run(), 0.5, 1.0)
    assert len(RunLog(empty).load()) == 1  # the header was written first
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("arch,accuracy\nb0,0.5\n")
    with pytest.raises(ConfigError, match=r"runs=.*foreign.csv.*columns \(arch, accuracy\)"):
        RunLog(foreign).load()
    torn = tmp_path / "torn.csv"
    torn.write_text(",".join(LOG_COLUMNS) + "\nshort,0,x,{},not-a-number,1.0,cpu\n")
    with pytest.raises(ConfigError, match="line 2 is not a run"):
        RunLog(torn).load()


@pytest.mark.parametrize("name", ["fidelity_cpu_runs.csv", "fidelity_gpu_runs.csv"])
def test_the_committed_bench_logs_load(name):
    found = RunLog(ROOT / "bench" / name).load()
    assert len(found) == 32  # 8 networks, 2 proxy and 2 yardstick seeds


def test_the_committed_cpu_log_matches_the_cpu_preset_proxy():
    """The cpu preset as it was when bench/fidelity.py logged B0's proxy runs on Fashion-MNIST
    (10,000 of the 50,000 images seen, 10,000 held out) keys them exactly, so they are reused."""
    proxy = ProxyConfig(dataset="fashion-mnist", device="cpu", images_seen=10_000)
    data = resolved(proxy.data_config, 10000, 10000)
    runs = [
        Run(0, PROXY, seed, seed, B0, data, proxy.train_config(1, 10000), "cpu") for seed in (0, 1)
    ]
    found = RunLog(ROOT / "bench" / "fidelity_cpu_runs.csv").load()
    assert [found[run.key].accuracy for run in runs] == [0.7192, 0.7102]


def test_a_run_s_scores_are_logged_and_older_logs_still_read(tmp_path):
    log = RunLog(tmp_path / "runs.csv")
    run = make_run()
    log.append(run, 0.5, 3.0, {"loss_all": 1.5, "loss_last": 1.25})
    assert log.load()[run.key] == Logged(0.5, 3.0, {"loss_all": 1.5, "loss_last": 1.25})
    # A log begun before runs kept their scores goes on without the column.
    old = tmp_path / "old.csv"
    old.write_text(",".join(LOG_COLUMNS[:-1]) + "\n")
    RunLog(old).append(run, 0.5, 3.0, {"loss_all": 1.5})
    assert RunLog(old).load()[run.key] == Logged(0.5, 3.0)
    assert pd.read_csv(old).shape[1] == len(LOG_COLUMNS) - 1


def test_settings_added_later_keep_the_keys_of_runs_logged_before_them():
    run = make_run()
    assert '"resolution"' not in run.key[3] and '"ema"' not in run.key[3]
    sized = dataclasses.replace(run, train=dataclasses.replace(run.train, resolution=16))
    assert '"resolution": 16' in sized.key[3] and sized.key != run.key
