"""bench/proxy_vs_truth.py: its plan of runs and variants, and its table from a run log, with a
stand-in for training (the real runs take minutes each)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from nas.fidelity import execute as execute_module
from nas.truth import load_table
from search_spaces import nb_macro
from tests.nas.data.helpers import write_cifar

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "bench" / "proxy_vs_truth.py"
    spec = importlib.util.spec_from_file_location("proxy_vs_truth", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


class FromTheTable:
    """Scores a network by its truth, lower with fewer images seen; no training."""

    def __init__(self) -> None:
        self.calls = []
        self.table = load_table()

    def __call__(self, run):
        self.calls.append(run)
        truth = self.table[nb_macro.key(run.arch)].accuracy
        seen = run.train.epochs * run.data.train_subset
        return truth * seen / 20000, 2.0, {"loss_all": 2 - truth, "loss_last": 1 - truth}


def test_the_plan_trains_the_base_with_both_seeds_then_each_variant_then_the_base_on_the_rest(
    bench, tmp_path, monkeypatch
):
    write_cifar(tmp_path / "data", per_batch=12)
    trainer = FromTheTable()
    monkeypatch.setattr(execute_module, "train_run", trainer)
    argv = ["--data-dir", str(tmp_path / "data"), "--networks", "6", "--variant-networks", "4"]
    argv += ["--runs", str(tmp_path / "runs.csv"), "--json", str(tmp_path / "out.json")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench.main([*argv, "--variants", "10k,16px,ema,sgd"]) == 0
    calls = trainer.calls
    assert len(calls) == 6 * 2 + 4 * 4
    first, variants, rest = calls[:8], calls[8:-4], calls[-4:]
    assert [(run.network, run.seed) for run in first] == [(n, s) for s in (0, 1) for n in range(4)]
    assert [(run.network, run.seed) for run in rest] == [(4, 0), (5, 0), (4, 1), (5, 1)]
    assert {run.train for run in first + rest} == {calls[0].train}
    assert {round(run.train.epochs * run.data.train_subset) for run in first} == {20000}
    assert {round(run.train.epochs * run.data.train_subset) for run in variants[:4]} == {10000}
    assert {run.train.resolution for run in variants[4:8]} == {16}
    assert {run.train.ema for run in variants[8:12]} == {0.99}
    assert {(run.train.optimizer, run.train.lr) for run in variants[12:]} == {("sgd", 0.1)}
    assert {run.network for run in variants} == {0, 1, 2, 3}
    text = out.getvalue()
    for name in ("base", "10k", "16px", "ema", "sgd", "loss-all", "loss-last", "ceiling"):
        assert name in text
    # The log-log slope: the accuracy is the truth (scaled), so its log moves one for one; the
    # last-quarter loss, 1 - truth, is scored as log train_fit = truth - 1.
    variants = json.loads((tmp_path / "out.json").read_text())["variants"]
    assert variants["base"]["log_slope"]["value"] == pytest.approx(1)
    assert variants["10k"]["log_slope"]["value"] == pytest.approx(1)
    truths = np.array(
        [trainer.table[nb_macro.key(run.arch)].accuracy for run in first[:4] + rest[:2]]
    )
    expected = np.polyfit(np.log(truths), truths - 1, 1)[0]
    assert variants["loss-last"]["log_slope"]["value"] == pytest.approx(expected)
    # Everything is logged: the same command trains nothing and prints the same table.
    again = FromTheTable()
    monkeypatch.setattr(execute_module, "train_run", again)
    out2 = io.StringIO()
    with contextlib.redirect_stdout(out2):
        assert bench.main([*argv, "--variants", "10k,16px,ema,sgd", "--from-log"]) == 0
    assert again.calls == [] and out2.getvalue() == text
