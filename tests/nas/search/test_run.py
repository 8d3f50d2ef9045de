from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import baselines
from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.proxy import PRESETS
from nas.search import PRUNERS, run_search
from search_spaces import build_model, decode, encode, from_dict
from tests.helpers import search_config, tiny_config

ROOT = Path(__file__).resolve().parents[3]
TINY = [
    "--dataset",
    "synthetic",
    "--train-subset",
    "192",
    "--val-subset",
    "96",
    "--batch-size",
    "64",
    "--no-progress",
    "--device",
    "cpu",
]


def test_end_to_end_on_synthetic_data(tmp_path, capsys):
    assert main([*TINY, "--trials", "3", "--results-dir", str(tmp_path)]) == 0
    folder = tmp_path / "synthetic-tpe"
    frame = results.load(folder)
    assert list(frame.columns[: len(results.COLUMNS)]) == results.COLUMNS
    assert frame.columns[-1] == "fail_reason"
    assert {"b1_op", "b7_layers"} <= set(frame.columns)
    assert list(frame["number"]) == [0, 1, 2] and set(frame["state"]) == {"COMPLETE"}
    reference = frame.iloc[0]
    assert reference["reference"] == "efficientnet_b0"
    assert reference["arch"] == encode(baselines.get("efficientnet_b0"))
    assert reference["flops"] == 401_659_392 and reference["params"] == 5_288_548
    assert frame["accuracy"].between(0, 1).all() and (frame["images_per_s"] > 0).all()
    assert (frame["device"] == "cpu").all()
    best = json.loads((folder / "best.json").read_text())
    assert best["arch_string"] == frame.loc[frame["reward"].idxmax(), "arch"]
    assert from_dict(best["arch"]) == decode(best["arch_string"])
    namespace: dict = {}
    exec(best["python"], namespace)  # the line of Python that builds the winner
    assert sum(p.numel() for p in namespace["model"].parameters()) > 0
    out = capsys.readouterr().out
    assert "efficientnet_b0" in out and "best: trial" in out


def test_rerun_resumes_and_keeps_rows(tmp_path):
    first = run_search(tiny_config(tmp_path, trials=2))
    before = results.trials_frame(first)
    again = run_search(tiny_config(tmp_path, trials=4))
    after = results.trials_frame(again)
    assert list(after["number"]) == [0, 1, 2, 3]
    assert after["arch"].nunique() == 4  # the resumed sampler does not repeat earlier draws
    assert after.head(2)["arch"].tolist() == before["arch"].tolist()
    assert after.head(2)["reward"].tolist() == before["reward"].tolist()
    # Asking for no more than exist runs nothing.
    assert len(run_search(tiny_config(tmp_path, trials=4)).trials) == 4


def test_same_seed_gives_the_same_trials(tmp_path):
    one = results.trials_frame(run_search(tiny_config(tmp_path / "a", sampler="random")))
    two = results.trials_frame(run_search(tiny_config(tmp_path / "b", sampler="random")))
    columns = ["arch", "accuracy", "reward", "flops"]
    pd.testing.assert_frame_equal(one[columns], two[columns])


def test_a_trial_that_raises_is_recorded_and_the_search_goes_on(tmp_path, monkeypatch):
    import nas.search.objective

    real_train = nas.search.objective.train_arch
    calls = {"n": 0}

    def flaky_train(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash in one candidate")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(nas.search.objective, "train_arch", flaky_train)
    study = run_search(tiny_config(tmp_path, trials=3))
    frame = results.trials_frame(study)
    assert list(frame["state"]) == ["COMPLETE", "FAIL", "COMPLETE"]
    assert "simulated crash" in frame.loc[1, "fail_reason"]


def test_out_of_range_candidates_are_recorded_not_trained(tmp_path):
    study = run_search(tiny_config(tmp_path, trials=2, max_flops=1e6, use_reference=True))
    frame = results.trials_frame(study)
    assert set(frame["state"]) == {"PRUNED"}
    assert frame["fail_reason"].str.contains("above max_flops").all()
    assert frame["accuracy"].isna().all() and (frame["flops"] > 1e6).all()


@pytest.mark.parametrize("sampler", ["random", "nsga2", "evolution"])
def test_each_sampler_runs(tmp_path, sampler):
    study = run_search(tiny_config(tmp_path, sampler=sampler, trials=3))
    frame = results.trials_frame(study)
    assert len(frame) == 3 and (frame["state"] == "COMPLETE").all()
    assert len(set(frame["arch"])) == 3
    if sampler == "nsga2":
        assert [len(t.values) for t in study.trials] == [2, 2, 2]


def test_fashion_mnist_subset(tmp_path):
    # Real data: 2,000 training and 500 held-out images of Debian's Fashion-MNIST.
    fashion = dict(dataset="fashion-mnist", train_subset=2000, val_subset=500, sampler="random")
    study = run_search(tiny_config(tmp_path, trials=2, **fashion))
    frame = results.trials_frame(study)
    assert (frame["state"] == "COMPLETE").all()
    assert frame["accuracy"].max() > 0.15  # chance is 0.10; one short epoch learns something


def test_changed_settings_refuse_to_resume(tmp_path):
    run_search(tiny_config(tmp_path, trials=1))
    with pytest.raises(ValueError, match="target_flops 400000000.0 -> 300000000.0"):
        run_search(tiny_config(tmp_path, trials=2, target_flops=300e6))


def test_study_from_per_trial_seeding_refuses_to_resume(tmp_path):
    """Studies made before every trial trained from the common seed do not mix with new ones."""
    config = tiny_config(tmp_path, trials=1)
    study = run_search(config)
    older = {k: v for k, v in study.user_attrs["efficientnas"].items() if k != "seeding"}
    study.set_user_attr("efficientnas", older)
    with pytest.raises(ValueError, match="seeding None -> 'common'"):
        run_search(tiny_config(tmp_path, trials=2))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target-flops", "-5"], "--target-flops=-5.0 is invalid"),
        (["--target-flops", "0"], "--target-flops=0.0 is invalid"),
        (["--sampler", "grid"], "argument --sampler: invalid choice: 'grid'"),
        (["--dataset", "mnist-ish"], "--dataset='mnist-ish' is invalid"),
        (["--trials", "0"], "--trials=0 is invalid"),
        (["--alpha", "0"], "--alpha and --beta go together"),
        (["--device", "cuda:7"], "--device='cuda:7'"),
        (
            ["--storage", "mysql://u:secret@h/db"],
            "--storage='mysql://u:***@h/db' is invalid: not supported",
        ),
        (["--dataset", "imagefolder:/no/such/folder"], "/no/such/folder"),
        (["--epochs", "abc"], "argument --epochs: invalid float value: 'abc'"),
        (["--dataset", "imagefolder:EMPTY"], "has no class folders"),
        (["--workers", "0"], "--workers=0 is invalid"),
        (["--heartbeat", "0"], "--heartbeat=0.0 is invalid"),
        (["--devices", "tpu:0"], "--devices='tpu:0' is invalid"),
        (["--storage", "redis://:secret@127.0.0.1:1/0"], "'redis://:***@127.0.0.1:1/0'"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    argv = [arg.replace("EMPTY", str(tmp_path / "empty")) for arg in argv]
    try:
        code = run(main, PROG, [*argv, "--results-dir", str(tmp_path), "--no-progress"])
    except SystemExit as exit_:  # argparse's own checks exit from parse_args
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert "secret" not in err


def test_bad_flag_through_the_real_cli():
    process = subprocess.run(
        [sys.executable, "-m", "nas.search", "--target-flops", "-1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert process.returncode == 2
    assert process.stderr.strip() == (
        "python -m nas.search: error: --target-flops=-1.0 is invalid: must be a positive number"
    )


def test_pruner_defaults_follow_the_preset():
    cpu = search_config()
    assert (cpu.pruning, cpu.train_config().evaluations) == ("none", 1)
    gpu = search_config(preset="gpu")
    assert (gpu.pruning, gpu.train_config().evaluations) == ("median", 5)
    asked = search_config(pruner="median")  # the flag wins over the preset
    assert (asked.pruning, asked.train_config().evaluations) == ("median", 2)
    assert search_config(preset="gpu", pruner="none").train_config().evaluations == 1
    assert search_config(preset="gpu", sampler="nsga2").pruning == "none"
    assert all(preset.pruner in PRUNERS for preset in PRESETS.values())
    with pytest.raises(ValueError, match="pruner='' is invalid"):
        search_config(pruner="")


def test_default_search_trains_every_candidate_to_the_end(tmp_path):
    study = run_search(tiny_config(tmp_path, trials=6, sampler="random"))
    trials = study.trials
    assert len(trials) == 6
    assert {trial.state.name for trial in trials} == {"COMPLETE"}
    assert all(len(trial.intermediate_values) == 1 for trial in trials)


def test_dry_run(capsys, tmp_path):
    assert main(["--dry-run", "--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "distinct networks: 224,685,731,296,051,200" in out
    assert "reference efficientnet_b0: 401.7M FLOPs" in out
    assert not (tmp_path / "fashion-mnist-tpe").exists()


def test_help_documents_every_flag_with_default(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for flag in (
        "--target-flops",
        "--sampler",
        "--pruner",
        "--trials",
        "--timeout",
        "--seed",
        "--study-name",
        "--results-dir",
        "--device",
        "--epochs",
        "--batch-size",
        "--lr",
        "--storage",
        "--dry-run",
        "--preset",
        "--no-reference",
    ):
        assert flag in text
    flat = " ".join(text.split())  # argparse wraps lines anywhere
    assert "(default 4e+08; nb-macro: 5.5e+07)" in flat and "(default: tpe)" in flat


def test_killed_search_resumes_without_losing_a_finished_trial(tmp_path, spawn):
    command = [
        sys.executable,
        "-m",
        "nas.search",
        *TINY,
        "--trials",
        "40",
        "--results-dir",
        str(tmp_path),
        "--sampler",
        "random",
    ]
    process = spawn(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    csv = tmp_path / "synthetic-random" / "trials.csv"
    deadline = time.time() + 120
    while time.time() < deadline:
        if csv.exists() and len(results.load(csv)) >= 2:
            break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = results.load(csv)
    finished_before = before[before["state"] == "COMPLETE"]
    assert len(finished_before) >= 2
    # The same command, asking for a few more than were finished, completes the study.
    target = len(finished_before) + 2
    resumed = subprocess.run(
        [*command[: command.index("40")], str(target), *command[command.index("40") + 1 :]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    after = results.load(csv)
    kept = after.set_index("number").loc[finished_before["number"]]
    assert kept["arch"].tolist() == finished_before["arch"].tolist()
    assert kept["reward"].tolist() == finished_before["reward"].tolist()
    assert (after["state"] == "COMPLETE").sum() == target
    assert sorted(after["number"]) == list(range(len(after)))
    # The trial the kill left running is failed (no reason of its own) and its parameters are
    # tried again by a later trial; nothing stays RUNNING.
    assert "RUNNING" not in set(after["state"])
    stale = after[after["state"] == "FAIL"]
    assert len(stale) <= 1
    for _, row in stale.iterrows():
        assert "retried" in row["fail_reason"]
        retry = after[after["retry_of"] == row["number"]]
        assert len(retry) == 1 and retry.iloc[0]["state"] == "COMPLETE"
        if isinstance(row["arch"], str):  # else the kill came before it sampled anything
            assert retry.iloc[0]["arch"] == row["arch"]


def test_winner_builds_for_the_proxy(tmp_path):
    study = run_search(tiny_config(tmp_path, trials=2))
    best = results.best_row(results.trials_frame(study))
    model = build_model(decode(best["arch"]), num_classes=10, in_channels=1)
    assert model.classifier.out_features == 10


def test_interrupted_trial_is_retried_on_resume(tmp_path, monkeypatch):
    import nas.search.objective

    real_train = nas.search.objective.train_arch
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(nas.search.objective, "train_arch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_search(tiny_config(tmp_path, trials=3))
    monkeypatch.setattr(nas.search.objective, "train_arch", real_train)
    frame = results.trials_frame(run_search(tiny_config(tmp_path, trials=3)))
    assert (frame["state"] == "COMPLETE").sum() == 3
    interrupted_row = frame[frame["state"] == "FAIL"].iloc[0]
    retry = frame[frame["retry_of"] == interrupted_row["number"]].iloc[0]
    assert retry["state"] == "COMPLETE" and retry["arch"] == interrupted_row["arch"]


def test_a_sigterm_that_comes_out_as_another_error_still_stops_and_is_retried(
    tmp_path, monkeypatch
):
    """SIGTERM can land inside Optuna's journal lock, whose clean-up then raises
    FileNotFoundError in place of the interrupt: the search must still stop, and the trial be
    retried on resume rather than recorded as the candidate's failure."""
    import nas.search.objective
    from nas.errors import Interrupted

    real_train = nas.search.objective.train_arch
    calls = {"n": 0}

    def terminated_inside_a_lock(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises at once
            except KeyboardInterrupt:
                raise FileNotFoundError(
                    2, "No such file or directory", "journal.log.lock"
                ) from None
        return real_train(*args, **kwargs)

    monkeypatch.setattr(nas.search.objective, "train_arch", terminated_inside_a_lock)
    with pytest.raises(Interrupted):
        run_search(tiny_config(tmp_path, trials=4))
    from nas.study.loop import stop_requested

    assert not stop_requested()  # a later job in this process starts unstopped
    monkeypatch.setattr(nas.search.objective, "train_arch", real_train)
    frame = results.trials_frame(run_search(tiny_config(tmp_path, trials=4)))
    assert (frame["state"] == "COMPLETE").sum() == 4
    stopped = frame[frame["state"] == "FAIL"]
    reason = stopped.iloc[0]["fail_reason"]
    assert len(stopped) == 1 and reason == "worker stopped mid-trial; parameters retried"
    retry = frame[frame["retry_of"] == stopped.iloc[0]["number"]]
    assert len(retry) == 1 and retry.iloc[0]["state"] == "COMPLETE"
    with (tiny_config(tmp_path).folder / "trials.csv").open(newline="") as stream:
        cells = {row["retry_of"] for row in csv.DictReader(stream)}
    assert cells == {"", str(stopped.iloc[0]["number"])}  # a trial number, not 1.0


def test_failure_before_training_is_recorded_and_counted(tmp_path, monkeypatch):
    import nas.search.objective

    real_flops = nas.search.objective.cost.flops
    calls = {"n": 0}

    def broken_flops(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ArithmeticError("simulated failure while pricing")
        return real_flops(*args, **kwargs)

    monkeypatch.setattr(nas.search.objective.cost, "flops", broken_flops)
    frame = results.trials_frame(run_search(tiny_config(tmp_path, trials=3)))
    assert list(frame["state"]) == ["COMPLETE", "FAIL", "COMPLETE"]
    assert frame.loc[1, "fail_reason"] == "ArithmeticError: simulated failure while pricing"


def test_unwritable_results_dir_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = run(main, PROG, [*TINY, "--trials", "1", "--results-dir", str(blocker)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and str(blocker) in err


def test_a_small_image_folder_searches_with_the_default_budget(tmp_path, capsys, monkeypatch):
    """Presets are budgets: 1,797 images hold out 180 (10% of each class), train on 1,617 for
    10,000 images seen."""
    from tests.nas.data.test_caps import _digits_like

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _digits_like(tmp_path / "digits")
    argv = ["--dataset", f"imagefolder:{tmp_path / 'digits'}", "--image-size", "8"]
    argv += ["--trials", "1", "--no-progress", "--device", "cpu", "--results-dir", str(tmp_path)]
    assert run(main, PROG, argv) == 0
    err = capsys.readouterr().err
    assert "1,617 training and 180 held-out images, 12.4 epoch(s) = 20,000 images seen" in err
    assert "held out 180 of 1,797 images per class (the default share" in err
    frame = results.load(tmp_path / "imagefolder-digits-tpe")
    assert list(frame["state"]) == ["COMPLETE"]
