"""`python -m nas.fidelity` / `efficientnas fidelity`: a tiny real check on synthetic data, its
files, the resume that trains nothing, and bad input as one line and exit status 2."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import sys
from pathlib import Path

import pandas as pd
import pytest

from nas.cli.fidelity import command, main
from nas.cli.main import main as efficientnas
from nas.fidelity import execute as execute_module

ROOT = Path(__file__).resolve().parents[3]
# A small reference keeps each tiny training well under a second.
SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"
TINY = [
    "--dataset",
    "synthetic",
    "--reference",
    SMALL,
    "--networks",
    "4",
    "--train-subset",
    "128",
    "--val-subset",
    "64",
    "--batch-size",
    "64",
    "--factor",
    "2",
    "--proxy-seeds",
    "2",
    "--yardstick-seeds",
    "2",
    "--jobs",
    "1",
    "--device",
    "cpu",
    "--no-progress",
]


@pytest.fixture(scope="module")
def checked(tmp_path_factory, one_thread):
    """One real tiny check: its folder and what it printed."""
    out = tmp_path_factory.mktemp("fidelity")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*TINY, "--out", str(out)]) == 0
    return out, printed.getvalue()


def test_a_tiny_check_writes_its_three_files(checked):
    out, printed = checked
    table = pd.read_csv(out / "fidelity.csv")
    assert len(table) == 4 and table["name"][0] == "reference"
    for column in ("proxy_acc_0", "proxy_acc_1", "proxy_acc", "yardstick_acc_1", "yardstick_acc"):
        assert table[column].between(0, 1).all(), column
    record = json.loads((out / "fidelity.json").read_text())
    for key in ("kendall_tau", "spearman_rho", "tau_per_proxy_seed", "proxy_cv", "by_reward"):
        assert key in record
    assert record["yardstick"]["images_seen"] == 2 * record["proxy"]["images_seen"]
    assert (out / "fidelity.png").stat().st_size > 10_000
    assert len(pd.read_csv(out / "runs.csv")) == 16
    assert "16 runs: 16 trained, 0 from" in printed
    assert "Kendall tau" in printed and "noise ceiling" in printed
    assert "wrote fidelity.csv, fidelity.json, fidelity.png" in printed


def test_the_same_command_again_trains_nothing(checked, monkeypatch, capsys):
    out, _ = checked
    runs = out / "runs.csv"
    log = out.parent / "copied-runs.csv"
    log.write_bytes(runs.read_bytes())

    def refuse(run):
        raise AssertionError(f"trained {run}")

    monkeypatch.setattr(execute_module, "train_run", refuse)
    again = out.parent / "again"
    assert main([*TINY, "--out", str(again), "--runs", str(log), "--no-plot"]) == 0
    text = capsys.readouterr().out
    assert f"16 runs: 0 trained, 16 from {log}" in text
    # The same figures as the first time.
    first = json.loads((out / "fidelity.json").read_text())
    second = json.loads((again / "fidelity.json").read_text())
    assert second["kendall_tau"] == first["kendall_tau"]
    assert not (again / "fidelity.png").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--networks", "1"], "--networks=1 is invalid: must be an integer >= 3"),
        (["--factor", "0.5"], "--factor=0.5 is invalid: must be a number >= 1"),
        (["--proxy-seeds", "0"], "--proxy-seeds=0 is invalid: must be an integer >= 1"),
        (["--reference", "nothing"], "--reference='nothing' is invalid: use one of"),
        (["--dataset", "mnist"], "--dataset='mnist' is invalid"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(flags, message, capsys, tmp_path):
    assert command([*flags, "--out", str(tmp_path)], prog="python -m nas.fidelity") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"python -m nas.fidelity: error: {message}")


def test_a_foreign_run_log_is_refused(tmp_path, capsys):
    foreign = tmp_path / "trials.csv"
    foreign.write_text("number,accuracy\n0,0.5\n")
    argv = [*TINY, "--out", str(tmp_path / "out"), "--runs", str(foreign)]
    assert efficientnas(["fidelity", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("efficientnas fidelity: error: --runs=")
    assert "are not those of a fidelity run log" in err


def test_a_failed_run_exits_1_after_logging_the_others(tmp_path, monkeypatch, capsys):
    def fail_the_reference(run):
        if run.network == 0 and run.budget == "proxy":
            raise RuntimeError("loss became nan at step 3")
        return 0.5 + 0.01 * run.network, 1.0, {}

    monkeypatch.setattr(execute_module, "train_run", fail_the_reference)
    assert command([*TINY, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "2 of 16 run(s) failed (reference proxy seed 0: loss became nan" in err
    assert len(pd.read_csv(tmp_path / "runs.csv")) == 14


@pytest.mark.parametrize("form", ["python -m nas.fidelity", "python bench/fidelity.py"])
def test_the_module_and_the_bench_wrapper_run_the_command(form, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["prog", "--help"])
    with pytest.raises(SystemExit) as exit_:
        if form.endswith("nas.fidelity"):
            runpy.run_module("nas.fidelity", run_name="__main__")
        else:
            runpy.run_path(str(ROOT / "bench" / "fidelity.py"), run_name="__main__")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {form}") and "--yardstick-seeds" in out
