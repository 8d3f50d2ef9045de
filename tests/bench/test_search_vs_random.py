"""bench/search_vs_random.py (a plan plus a table over ``nas.compare.retrain``): the whole bench
on tiny synthetic settings, and its run log, which lets a second invocation train nothing and
print the same table."""

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
from nas.compare import retrain as library
from nas.errors import ConfigError
from nas.fidelity.runs import LOG_COLUMNS, RunLog
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
    """The retrains are rows of the fidelity check's run log (one format, one recipe key): B0
    and each distinct winner once."""
    folder, out = first
    logged = rows(folder / "runs.csv")
    assert list(logged[0]) == LOG_COLUMNS
    table = rows(folder / "table.csv")
    assert [r["sampler"] for r in table] == ["random", "tpe", "reference"]
    assert {r["string"] for r in logged} == {r["arch"] for r in table}
    assert len(logged) == len({r["arch"] for r in table})
    for name in ("synthetic-random-seed0", "synthetic-tpe-seed0"):
        assert (folder / "results" / name / "trials.csv").exists()
    for row in logged:
        assert 0 <= float(row["accuracy"]) <= 1
        assert (row["budget"], row["seed"]) == ("long", "1000")
    accuracy = {r["string"]: float(r["accuracy"]) for r in logged}
    for row in table:
        assert float(row["yardstick_accuracy"]) == pytest.approx(accuracy[row["arch"]])
    assert "2 of 2 runs finished" in out
    assert "median per sampler" in out and "beats the reference" in out


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
    reward = dict(zip(table["sampler"], table["yardstick_reward"], strict=True))
    gap = accuracy["tpe"] - accuracy["random"]
    wins = int(gap > 0)
    rate = 1.0 if gap > 0 else 0.5 if gap == 0 else 0.0
    line = next(line for line in out.splitlines() if line.startswith("  tpe        on accuracy"))
    assert line.startswith(f"  tpe        on accuracy wins {wins} of 1, win rate {rate:.2f}")
    assert line.endswith(f"median {gap:+.2%}: seed 0 {gap:+.2%}")
    gap = reward["tpe"] - reward["random"]
    line = next(line for line in out.splitlines() if line.startswith("  tpe        on reward"))
    assert line.endswith(f"median {gap:+.4f}: seed 0 {gap:+.4f}")


def test_the_winners_are_set_against_b0_within_its_flops(bench, first):
    folder, out = first
    table = pd.read_csv(folder / "table.csv")
    b0 = table[table["sampler"] == "reference"].iloc[0]
    for sampler in ("random", "tpe"):
        own = table[table["sampler"] == sampler]
        beats = own[
            (own["flops"] <= b0["flops"]) & (own["yardstick_accuracy"] > b0["yardstick_accuracy"])
        ]
        assert f"{len(beats)} of its 1 winners beat it within its FLOPs" in out


def test_a_second_invocation_trains_nothing_and_prints_the_same_table(bench, first, monkeypatch):
    folder, out = first
    before = (folder / "runs.csv").read_text()
    table_before = (folder / "table.csv").read_text()

    def refuse(*args, **kwargs):
        raise AssertionError("trained or searched again")

    monkeypatch.setattr(library, "train_arch", refuse)
    monkeypatch.setattr(library, "run_search", refuse)
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
    original = library.train_arch

    def counting(arch, data, config, seed=0, **kwargs):
        trained.append(seed)
        return original(arch, data, config, seed=seed, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("searched again: the searches are finished")

    monkeypatch.setattr(library, "train_arch", counting)
    monkeypatch.setattr(library, "run_search", refuse)
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
    # draws, so here their winner may be one network, trained once for both).
    networks = {r["string"] for r in rows(log)}
    assert trained == [1001] * len(networks)
    assert len(rows(log)) == 2 * len(networks)
    assert "2 of 2 runs finished" in out
    table = pd.read_csv(tmp_path / "table.csv")
    assert list(table["yardstick_seeds"]) == [2, 2, 2]


def test_a_foreign_log_is_refused(bench, tmp_path):
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("arch,accuracy\nb0,0.5\n")
    with pytest.raises(ConfigError, match=r"^runs=.*columns \(arch, accuracy\) are not"):
        RunLog(foreign).load()
    assert RunLog(tmp_path / "absent.csv").load() == {}
    # The bench says so in one line, exit 2, before it searches anything.
    code, err = bench_exit(bench, tmp_path, "--runs", str(foreign))
    assert code == 2 and "columns (arch, accuracy) are not" in err
    assert not (tmp_path / "results").exists()


def test_a_results_folder_of_other_settings_is_refused(bench, first, tmp_path):
    """A finished study made with other proxy settings is not taken for this plan's."""
    folder, _ = first
    code, err = bench_exit(
        bench, folder, "--from-log", "--batch-size", "32", "--runs", str(tmp_path / "r.csv")
    )
    assert code == 2
    assert "holds a study with other settings (batch_size)" in err


def bench_exit(bench, folder: Path, *extra: str) -> tuple[int, str]:
    """The bench run as its ``__main__`` runs it (errors as one line): exit code and stderr."""
    from nas.cli.common import run as run_command

    argv = [*TINY, "--runs", str(folder / "runs.csv"), "--results-dir", str(folder / "results")]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run_command(bench.main, "bench", [*argv, *extra])
    return code, err.getvalue()


def test_the_dry_run_prints_the_plan(bench, tmp_path):
    out = run(bench, tmp_path, "--dry-run")
    assert "2 runs: samplers random, tpe x seeds 0, 3 trials' training images each" in out
    assert "the reference is trial 0 of each" in out
    assert "yardstick: 2x the images seen: 256 training images" in out
    assert "synthetic-tpe-seed0" in out and "not started" in out
    assert not (tmp_path / "runs.csv").exists()


def test_the_dry_run_of_a_truth_judged_bench_retrains_nothing(bench, tmp_path):
    out = run(bench, tmp_path, "--space", "nb-macro", "--dry-run")
    assert "judged by the truth" in out and "nothing retrained" in out
    assert "yardstick" not in out and "reference" not in out
    assert not (tmp_path / "runs.csv").exists()


def test_the_short_arch_names_each_stage(bench):
    assert library.short_arch(encode(baselines.get("efficientnet_b0"))) == "efficientnet_b0"
    other = MnasSpace(baselines.get("efficientnet_b0")).sample_random(3)
    assert library.short_arch(encode(other)) == "er3x2-ds3x2-er3x1-ir3x3-cn5x4-cn3x3-cn3x2"


def test_nb_macro_winners_are_judged_by_the_truth(bench, tmp_path):
    """--space nb-macro: real searches (here on synthetic images) whose winners are looked up in
    the table (no retraining), arms with finalists given the same training images, and the
    paired figures on the true reward."""
    from nas.compare.run import true_rewards
    from nas.truth import load_table
    from search_spaces import decode, nb_macro

    # The tiny settings, then the space and two arms over two seeds (argparse keeps the last).
    argv = ["--space", "nb-macro", *TINY, "--samplers", "tpe+1x1,random", "--seeds", "0,1"]
    argv += ["--results-dir", str(tmp_path / "results"), "--runs", str(tmp_path / "runs.csv")]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert bench.main(argv) == 0
    out = buffer.getvalue()
    assert not (tmp_path / "runs.csv").exists()  # nothing retrained
    assert "4 of 4 searches finished" in out
    ended = [line for line in out.splitlines() if " jobs ended (" in line]
    assert [line.split(" (")[0] for line in ended] == [f"{n} of 4 jobs ended" for n in (1, 2, 3, 4)]
    assert {line.split("(")[1].split(")")[0] for line in ended} == {
        "tpe+1x1 seed 0",
        "tpe+1x1 seed 1",
        "random seed 0",
        "random seed 1",
    }
    table = load_table()
    rewards = true_rewards(None, 55e6, -0.07)
    for sampler, seed in (("tpe+1x1", 0), ("random", 1)):
        # The space is in the name: the MnasNet space's studies of the same arms are elsewhere.
        folder = tmp_path / "results" / f"synthetic-nb-macro-{sampler}-seed{seed}"
        frame = pd.read_csv(folder / "trials.csv", dtype={"table_key": str})
        assert frame["images_seen"].sum() == 3 * 128  # the same images for every arm
        from nas import results

        best = results.best_row(results.load(folder))
        key = nb_macro.key(decode(best["arch"]))
        row = next(line for line in out.splitlines() if f" {seed} " in line and key in line)
        assert f"{table[key].accuracy:.2%}" in row and f"{rewards[key]:.4f}" in row
    assert "tpe+1x1    on reward   wins" in out
    # The table again from the studies alone, searching nothing.
    again = io.StringIO()
    with contextlib.redirect_stdout(again):
        assert bench.main([*argv, "--from-log"]) == 0

    def shown(text: str) -> list[str]:
        return [
            line for line in text[text.index("sampler") :].splitlines() if "this time" not in line
        ]

    assert shown(again.getvalue()) == shown(out)
