"""bench/search_vs_random.py: the whole bench on tiny synthetic settings, and its run log, which
lets a second invocation train nothing and print the same table."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import sys
from pathlib import Path

import pandas as pd
import pytest

import baselines
from search_spaces import encode
from search_spaces.mnasnet import MnasSpace

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--dataset",
    "synthetic",
    "--trials",
    "3",
    "--seeds",
    "0",
    "--samplers",
    "random,tpe",
    "--train-subset",
    "128",
    "--val-subset",
    "64",
    "--batch-size",
    "64",
    "--factor",
    "2",
    "--device",
    "cpu",
    # One thread: on a shared two-core machine two threads spin-wait on each other and make
    # tiny trainings tens of times slower (tests/conftest.py, one_thread).
    "--threads",
    "1",
]


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "bench" / "search_vs_random.py"
    spec = importlib.util.spec_from_file_location("search_vs_random", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def first(bench, tmp_path_factory):
    """One whole bench, run once for the module's tests: (folder, its output)."""
    folder = tmp_path_factory.mktemp("bench")
    return folder, run(bench, folder)


def run(bench, folder: Path, *extra: str) -> str:
    """The bench's main with the tiny settings in ``folder``; its standard output."""
    argv = [
        *TINY,
        "--runs",
        str(folder / "runs.csv"),
        "--results-dir",
        str(folder / "results"),
        "--csv",
        str(folder / "table.csv"),
        *extra,
    ]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = bench.main(argv)
    assert code == 0, buffer.getvalue()
    return buffer.getvalue()


def table_of(out: str) -> str:
    """The printed table, medians and verdicts: everything but the timing line."""
    start = out.index("  sampler")
    return "\n".join(line for line in out[start:].splitlines() if "this time" not in line)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_bench_searches_retrains_and_logs(bench, first):
    folder, out = first
    logged = rows(folder / "runs.csv")
    assert list(logged[0]) == bench.LOG_COLUMNS
    assert [(r["sampler"], r["seed"]) for r in logged] == [
        ("reference", ""),
        ("random", "0"),
        ("tpe", "0"),
    ]
    for name in ("synthetic-random-seed0", "synthetic-tpe-seed0"):
        assert (folder / "results" / name / "trials.csv").exists()
    for row in logged:
        assert 0 <= float(row["yardstick_accuracy"]) <= 1
        assert row["yardstick_seed"] == "1000"
    assert "2 of 2 runs finished" in out
    assert "median per sampler" in out and "beats B0" in out
    table = rows(folder / "table.csv")
    assert [r["sampler"] for r in table] == ["random", "tpe", "reference"]


def test_the_proxy_block_reads_each_study(bench, first):
    """Per run: the best proxy reward of its non-reference trials and the halves' means."""
    folder, out = first
    for sampler in ("random", "tpe"):
        trials = pd.read_csv(folder / "results" / f"synthetic-{sampler}-seed0" / "trials.csv")
        done = trials[(trials["state"] == "COMPLETE") & trials["reference"].isna()]
        first_half = done[done["number"] < 1]["reward"]  # 3 trials: the half is 1
        second_half = done[done["number"] >= 1]["reward"]
        assert first_half.empty  # trial 0 is B0
        line = (
            f"  {sampler:<10} seed 0  best {done['reward'].max():.4f}  first half -  "
            f"second half {second_half.mean():.4f}  ({len(done)} trials)"
        )
        assert line in out.splitlines()


def test_the_search_is_set_against_random_seed_by_seed(bench, first):
    folder, out = first
    table = pd.read_csv(folder / "table.csv")
    accuracy = dict(zip(table["sampler"], table["yardstick_accuracy"], strict=True))
    gap = accuracy["tpe"] - accuracy["random"]
    line = (
        f"  tpe        beats random in {int(gap > 0)} of 1 seed(s): seed 0 {gap:+.2%}; "
        f"median {gap:+.2%}"
    )
    assert line in out.splitlines()


def test_the_winners_are_set_against_b0_within_its_flops(bench, first):
    folder, out = first
    table = pd.read_csv(folder / "table.csv")
    b0 = table[table["sampler"] == "reference"].iloc[0]
    for sampler in ("random", "tpe"):
        own = table[table["sampler"] == sampler]
        beats = own[
            (own["flops"] <= b0["flops"]) & (own["yardstick_accuracy"] > b0["yardstick_accuracy"])
        ]
        assert f"{len(beats)} of its 1 winners beat B0 within its FLOPs" in out


def test_a_second_invocation_trains_nothing_and_prints_the_same_table(bench, first, monkeypatch):
    folder, out = first
    before = (folder / "runs.csv").read_text()
    table_before = (folder / "table.csv").read_text()

    def refuse(*args, **kwargs):
        raise AssertionError("trained or searched again")

    monkeypatch.setattr(bench, "train_arch", refuse)
    monkeypatch.setattr(bench, "run_search", refuse)
    again = run(bench, folder)
    assert "0 retrain(s) this time" in again
    assert table_of(again) == table_of(out)
    assert (folder / "runs.csv").read_text() == before
    assert (folder / "table.csv").read_text() == table_before
    # The log alone prints it too, searching and training nothing.
    assert table_of(run(bench, folder, "--from-log")) == table_of(out)


def test_another_yardstick_seed_trains_only_that_seed(bench, first, monkeypatch, tmp_path):
    folder, _ = first
    log = tmp_path / "runs.csv"
    log.write_text((folder / "runs.csv").read_text())
    trained = []
    original = bench.train_arch

    def counting(arch, data, config, seed=0, **kwargs):
        trained.append(seed)
        return original(arch, data, config, seed=seed, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("searched again: the winners are in the log")

    monkeypatch.setattr(bench, "train_arch", counting)
    monkeypatch.setattr(bench, "run_search", refuse)
    out = run(
        bench,
        folder,
        "--yardstick-seeds",
        "2",
        "--runs",
        str(log),
        "--csv",
        str(tmp_path / "table.csv"),
    )
    # Each network once with seed 1001: B0 and the winners (random and tpe share their first
    # draws, so here their winner is likely one network, whose second retrain is copied).
    networks = {r["arch"] for r in rows(log)}
    assert trained == [1001] * len(networks)
    assert len(rows(log)) == 6
    assert "2 of 2 runs finished" in out


def test_a_foreign_log_is_refused(bench, tmp_path):
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("arch,accuracy\nb0,0.5\n")
    with pytest.raises(ValueError, match=r"^runs=.*columns \(arch, accuracy\) are not"):
        bench.read_log(str(foreign))
    assert bench.read_log(str(tmp_path / "absent.csv")) == []


def test_the_dry_run_prints_the_plan(bench, tmp_path):
    out = run(bench, tmp_path, "--dry-run")
    assert "2 runs: samplers random, tpe x seeds 0, 3 trials each" in out
    assert "yardstick: 2x the images seen: 256 training images" in out
    assert "synthetic-tpe-seed0" in out and "not started" in out
    assert not (tmp_path / "runs.csv").exists()


def test_the_short_arch_names_each_stage(bench):
    assert bench.short_arch(encode(baselines.get("efficientnet_b0"))) == "efficientnet_b0"
    other = MnasSpace(baselines.get("efficientnet_b0")).sample_random(3)
    assert bench.short_arch(encode(other)) == "er3x2-ds3x2-er3x1-ir3x3-cn5x4-cn3x3-cn3x2"
