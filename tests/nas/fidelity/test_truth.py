"""The fidelity check against NAS-Bench-Macro's table, with a stand-in trainer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nas.cli.common import run
from nas.cli.fidelity import PROG, main
from nas.errors import ConfigError
from nas.fidelity import FidelityConfig, run_truth_check, truth_summary
from nas.fidelity import execute as execute_module
from nas.fidelity.networks import choose_truth_networks
from nas.fidelity.truth import (
    equivalent_noise_sd,
    figures_text,
    monotone_residual_sd,
    truth_figures,
)
from nas.proxy import ProxyConfig
from nas.truth import load_table
from search_spaces import nb_macro
from tests.nas.data.helpers import write_cifar


class FromTheTable:
    """Trains nothing: scores each network by its truth (so the ranking agrees perfectly), the
    training losses falling as the truth rises."""

    def __init__(self) -> None:
        self.calls = []
        self.table = load_table()

    def __call__(self, run):
        self.calls.append(run)
        truth = self.table[nb_macro.key(run.arch)].accuracy
        return truth / 2, 1.0, {"loss_all": 2 - truth, "loss_last": 1 - truth}


@pytest.fixture
def cifar(tmp_path):
    write_cifar(tmp_path / "data", per_batch=12)
    return str(tmp_path / "data")


def truth_config(tmp_path, cifar, **fields) -> FidelityConfig:
    proxy = ProxyConfig(dataset="cifar10", data_dir=cifar, device="cpu")
    values = dict(
        space="nb-macro",
        truth="table",
        networks=8,
        out=str(tmp_path / "out"),
        show_progress=False,
        resamples=200,
    )
    return FidelityConfig(proxy=proxy, **(values | fields))


def test_half_the_networks_come_from_the_top_quartile_alternating():
    table = load_table()
    networks = choose_truth_networks(table, 9, seed=3)
    cut = table.quantile(0.75)
    tops = [table[n.name].accuracy > cut for n in networks]
    assert tops == [True, False] * 4 + [True]
    assert len({n.name for n in networks}) == 9
    assert [n.name for n in choose_truth_networks(table, 9, seed=3)] == [n.name for n in networks]
    assert all(n.params == table[n.name].params for n in networks)


def test_the_check_ranks_the_proxy_against_the_table_and_resumes(tmp_path, cifar, monkeypatch):
    trainer = FromTheTable()
    monkeypatch.setattr(execute_module, "train_run", trainer)
    config = truth_config(tmp_path, cifar)
    result = run_truth_check(config)
    assert len(trainer.calls) == 16 and {run.seed for run in trainer.calls} == {0, 1}
    base = result.figures["variants"]["base"]
    assert base["kendall_tau"]["value"] == pytest.approx(1)
    assert base["top_quartile_kendall_tau"]["value"] == pytest.approx(1)
    assert base["networks"] == 8 and base["top_quartile_networks"] == 4
    assert base["monotone_residual_sd"] == pytest.approx(0, abs=1e-9)
    assert base["seed_agreement_tau"] == pytest.approx(1)
    # The proxy is half the truth: its log moves one for one with the truth's.
    assert base["log_slope"]["value"] == pytest.approx(1)
    saved = json.loads((config.folder / "fidelity.json").read_text())
    assert saved["kendall_tau"]["value"] == pytest.approx(1) and saved["space"] == "nb-macro"
    table = pd.read_csv(config.folder / "fidelity.csv", dtype={"name": str})
    assert list(table["name"]) == [network.name for network in result.networks]
    assert (table["proxy_mean"] * 2 == pytest.approx(table["truth"])) is not False
    text = truth_summary(result)
    assert "tau (top quartile)" in text and "ceiling" in text
    # Everything is logged: the same check trains nothing, with the scores kept.
    again = FromTheTable()
    monkeypatch.setattr(execute_module, "train_run", again)
    assert run_truth_check(config).reused == 16 and again.calls == []


def test_the_error_in_the_truth_s_units():
    truth = np.linspace(0.80, 0.93, 40)
    assert monotone_residual_sd(truth**3, truth) == pytest.approx(0, abs=1e-12)
    rng = np.random.default_rng(0)
    noisy = truth + rng.normal(0, 0.01, truth.size)
    assert 0.004 < monotone_residual_sd(noisy, truth) < 0.012
    assert equivalent_noise_sd(1.0, truth) == 0.0
    small, large = equivalent_noise_sd(0.8, truth), equivalent_noise_sd(0.4, truth)
    assert 0 < small < large < 0.2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"truth": None}, "truth table goes with space nb-macro"),
        ({"space": "mnasnet"}, "truth table goes with space nb-macro"),
        ({"truth": "yardstick"}, "truth='yardstick' is invalid"),
        ({"space": "v2"}, "space='v2' is invalid"),
    ],
)
def test_bad_truth_settings_name_the_value(tmp_path, cifar, fields, message):
    with pytest.raises(ConfigError, match=message):
        truth_config(tmp_path, cifar, **fields)


def test_the_truth_is_cifar10_s(tmp_path):
    proxy = ProxyConfig(dataset="synthetic", device="cpu")
    with pytest.raises(ConfigError, match="dataset='synthetic' is invalid: the table's truth"):
        FidelityConfig(proxy=proxy, space="nb-macro", truth="table")


def test_the_command_checks_against_the_truth(tmp_path, cifar, monkeypatch, capsys):
    monkeypatch.setattr(execute_module, "train_run", FromTheTable())
    argv = ["--space", "nb-macro", "--truth", "table", "--dataset", "cifar10", "--data-dir"]
    argv += [cifar, "--networks", "6", "--proxy-seeds", "1", "--device", "cpu"]
    argv += ["--out", str(tmp_path / "out"), "--no-progress", "--no-plot"]
    assert run(main, PROG, argv) == 0
    out = capsys.readouterr().out
    assert "truth: NAS-Bench-Macro" in out and "wrote fidelity.csv, fidelity.json" in out


def test_a_missing_table_is_one_line(tmp_path, cifar, capsys):
    argv = ["--space", "nb-macro", "--truth", "table", "--dataset", "cifar10", "--data-dir"]
    argv += [cifar, "--table", str(tmp_path / "none.json"), "--out", str(tmp_path / "out")]
    assert run(main, PROG, [*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "none.json' is invalid: no such file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_variant_is_judged_against_the_base_on_the_same_networks():
    table = load_table()
    networks = choose_truth_networks(table, 8, seed=0)
    truths = [table[n.name].accuracy for n in networks]
    cut = table.quantile(0.75)
    rows = []
    for i, (network, truth) in enumerate(zip(networks, truths, strict=True)):
        common = {"network": network.name, "seed": 0, "accuracy": 0.5, "seconds": 1.0}
        common |= {"truth": truth, "top": truth > cut}
        base = truth + (0.05 if i in (0, 1) else 0) * (-1) ** i  # networks 0 and 1 misranked
        logged = np.log(base)
        rows.append({"variant": "base", "score": base, "log_metric": logged, **common})
        half_log = 0.5 * np.log(truth) - 1  # a metric that moves half as much as the truth
        rows.append({"variant": "loss-last", "score": truth, "log_metric": half_log, **common})
        if i < 5:  # a variant on part of the networks is paired with the base on those only
            rows.append({"variant": "half", "score": -truth, "log_metric": -truth, **common})
    figures = truth_figures(pd.DataFrame(rows), table, resamples=300)
    variants = figures["variants"]
    assert "gain_over_base" not in variants["base"]
    base_tau = variants["base"]["kendall_tau"]["value"]
    assert base_tau < 1
    gain = variants["loss-last"]["gain_over_base"]["all"]
    assert gain["value"] == pytest.approx(1 - base_tau)
    assert gain["low"] <= gain["value"] <= gain["high"] and gain["share_better"] > 0.5
    same = variants["half"]["base_on_same_networks"]["kendall_tau"]["value"]
    assert variants["half"]["gain_over_base"]["all"]["value"] == pytest.approx(-1 - same)
    assert variants["loss-last"]["log_slope"]["value"] == pytest.approx(0.5)
    text = figures_text(figures)
    assert "against base on the same networks" in text and "log-log slope" in text
    assert "0.500 [0.50, 0.50]" in text
    assert f"loss-last  tau {1 - base_tau:+.3f}" in text
