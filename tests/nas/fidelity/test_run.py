"""run_fidelity with a stand-in trainer: what it trains, what it reuses, its failures and files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nas.errors import JobFailed
from nas.fidelity import FIGURES_FILE, TABLE_FILE, FidelityConfig, run_fidelity, summary
from nas.fidelity import execute as execute_module
from nas.fidelity.runs import YARDSTICK
from nas.proxy import ProxyConfig

SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"


class StandIn:
    """Trains nothing: the yardstick scores higher, and networks in their order (perfect
    agreement); fails the (network, budget) pairs in ``failing``."""

    def __init__(self, failing=()) -> None:
        self.calls = []
        self.failing = set(failing)

    def __call__(self, run):
        self.calls.append(run)
        if (run.network, run.budget) in self.failing:
            raise RuntimeError("loss became nan at step 3")
        return 0.5 + 0.01 * run.network + 0.2 * (run.budget == YARDSTICK), 1.0, {}


def config(tmp_path, **fields) -> FidelityConfig:
    proxy = ProxyConfig(
        dataset="synthetic", train_subset=128, val_subset=64, batch_size=64, device="cpu"
    )
    values = {
        "networks": 4,
        "factor": 2.0,
        "reference": SMALL,
        "out": str(tmp_path / "out"),
        "show_progress": False,
        "resamples": 200,
    }
    return FidelityConfig(proxy=proxy, **(values | fields))


def test_trains_every_run_then_nothing(tmp_path, monkeypatch):
    trainer = StandIn()
    monkeypatch.setattr(execute_module, "train_run", trainer)
    result = run_fidelity(config(tmp_path))
    assert len(trainer.calls) == 16 and (result.trained, result.reused) == (16, 0)
    # The yardstick: twice the images seen, on twice the images, the same held-out ones.
    assert (result.proxy.train_images, result.yardstick.train_images) == (128, 256)
    assert result.yardstick.images_seen == 2 * result.proxy.images_seen
    assert result.yardstick.val_images == result.proxy.val_images == 64
    assert {run.seed for run in trainer.calls} == {0, 1, 1000, 1001}
    figures = result.figures
    assert figures.kendall.value == pytest.approx(1) and figures.kendall.low == pytest.approx(1)
    assert figures.seed_taus == pytest.approx((1, 1))
    assert figures.proxy_agreement == pytest.approx(1) and figures.proxy_cv == 0
    assert figures.ceiling_fraction == pytest.approx(1)
    table = pd.read_csv(tmp_path / "out" / TABLE_FILE)
    assert list(table.columns[:4]) == ["name", "arch", "flops", "params"]
    assert list(table["proxy_acc"]) == pytest.approx([0.5, 0.51, 0.52, 0.53])
    assert table["name"][0] == "reference"
    record = json.loads((tmp_path / "out" / FIGURES_FILE).read_text())
    assert record["kendall_tau"]["value"] == pytest.approx(1)
    assert record["runs"] == {"trained": 16, "reused": 0, "log": str(tmp_path / "out/runs.csv")}
    text = summary(result)
    assert "16 runs: 16 trained, 0 from" in text
    assert "Kendall tau 1.000 (90% interval 1.000 to 1.000)" in text

    again = StandIn()
    monkeypatch.setattr(execute_module, "train_run", again)
    rerun = run_fidelity(config(tmp_path))
    assert again.calls == [] and (rerun.trained, rerun.reused) == (0, 16)
    assert rerun.figures == result.figures
    # A third proxy seed trains its 4 runs only.
    more = StandIn()
    monkeypatch.setattr(execute_module, "train_run", more)
    run_fidelity(config(tmp_path, proxy_seeds=3))
    assert [(run.budget, run.seed) for run in more.calls] == [("proxy", 2)] * 4


def test_a_failed_run_is_reported_and_the_others_are_logged(tmp_path, monkeypatch):
    monkeypatch.setattr(execute_module, "train_run", StandIn(failing={(1, YARDSTICK)}))
    with pytest.raises(JobFailed, match=r"2 of 16 run\(s\) failed \(sample 1 yardstick seed"):
        run_fidelity(config(tmp_path))
    out = tmp_path / "out"
    assert len(pd.read_csv(out / "runs.csv")) == 14
    table = pd.read_csv(out / TABLE_FILE)  # what it has, the failed runs blank
    assert table["yardstick_acc"].isna().tolist() == [False, True, False, False]
    assert not (out / FIGURES_FILE).exists()
    retry = StandIn()
    monkeypatch.setattr(execute_module, "train_run", retry)
    run_fidelity(config(tmp_path))
    assert [(run.network, run.budget) for run in retry.calls] == [(1, YARDSTICK)] * 2


def test_a_real_tiny_run_in_two_processes(tmp_path):
    """The spawned pool: two processes, each training on its own data."""
    result = run_fidelity(config(tmp_path, networks=3, proxy_seeds=1, yardstick_seeds=1, jobs=2))
    assert result.trained == 6
    assert result.table["proxy_acc"].between(0, 1).all()


def test_an_interrupted_check_keeps_the_runs_it_finished(tmp_path, monkeypatch):
    trainer = StandIn()

    def interrupted_at_the_third(run):
        if len(trainer.calls) == 2:
            raise KeyboardInterrupt
        return trainer(run)

    monkeypatch.setattr(execute_module, "train_run", interrupted_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        run_fidelity(config(tmp_path))
    assert len(pd.read_csv(tmp_path / "out" / "runs.csv")) == 2


def test_a_pinned_yardstick_is_reused_by_proxy_variants(tmp_path, monkeypatch):
    trainer = StandIn()
    monkeypatch.setattr(execute_module, "train_run", trainer)
    pinned = {"yardstick_images_seen": 600, "yardstick_lr": 1e-3, "yardstick_batch_size": 32}
    result = run_fidelity(config(tmp_path, **pinned))
    long = result.yardstick
    assert (long.train_images, long.images_seen, long.train.lr, long.train.batch_size) == (
        600,
        600,
        1e-3,
        32,
    )
    assert result.as_dict()["factor"] == pytest.approx(600 / 128)
    # A proxy variant (another learning rate) trains its own 8 runs only.
    variant = StandIn()
    monkeypatch.setattr(execute_module, "train_run", variant)
    faster = config(tmp_path, **pinned)
    run_fidelity(FidelityConfig(**{**faster.__dict__, "proxy": faster.proxy.replace(lr=1e-2)}))
    assert {run.budget for run in variant.calls} == {"proxy"} and len(variant.calls) == 8
    assert {run.train.lr for run in variant.calls} == {1e-2}
