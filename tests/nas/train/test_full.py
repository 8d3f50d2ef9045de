"""python -m nas.train: a whole run, its files, a kill and resume, and its bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from nas.cli.common import run
from nas.cli.train import PROG, main
from nas.data import DataConfig
from nas.train import ProgressiveSchedule
from nas.train.checkpoint import load
from nas.train.full import FullTrainConfig
from nas.train.run import CURVE_COLUMNS, RUN_FILE, TrainRun, resume_run, run_training
from search_spaces import decode

ROOT = Path(__file__).resolve().parents[3]
SMALL = (
    "stem8-ir_r1_k3_s2_e1_c16-er_r1_k3_s2_e4_c24_se0.25-ir_r2_k3_s2_e4_c32_se0.25-head64-silu-res28"
)
DATA = DataConfig(dataset="synthetic", train_subset=192, val_subset=64)
ARGS = [
    SMALL,
    "--dataset",
    "synthetic",
    "--train-subset",
    "192",
    "--val-subset",
    "64",
    "--batch-size",
    "64",
    "--device",
    "cpu",
    "--no-progress",
]


def small_run(folder: Path, epochs: int = 4, **schedule) -> TrainRun:
    values = {"min_size": 16, "max_size": 28, "max_mixup": 0.2} | schedule
    config = FullTrainConfig(ProgressiveSchedule(**values), epochs=epochs, batch_size=64)
    return TrainRun(decode(SMALL), "small", DATA, config, str(folder))


def test_a_run_follows_its_schedule_and_writes_its_files(tmp_path):
    outcome = run_training(small_run(tmp_path))
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert list(curve.columns) == CURVE_COLUMNS
    assert list(curve["image_size"]) == [16, 20, 24, 28]
    assert list(curve["stage"]) == [1, 2, 3, 4]
    assert curve["mixup"].tolist() == pytest.approx([0.0, 0.2 / 3, 0.4 / 3, 0.2])
    assert (curve["seconds"] > 0).all() and curve["val_accuracy"].between(0, 1).all()
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["test_images"] == 2000 and result["eval_size"] == 28
    assert result["test_accuracy"] == outcome.test_accuracy
    model, info = load(tmp_path)  # a checkpoint folder any tool can load
    assert info.metrics["test_accuracy"] == outcome.test_accuracy and info.image_size == 28
    assert sum(p.numel() for p in model.parameters()) > 0


def test_a_killed_run_resumes_where_it_stopped_and_ends_as_an_unbroken_one(tmp_path):
    unbroken = run_training(small_run(tmp_path / "unbroken", epochs=4))

    def killed(record):
        if record.epoch == 2:
            raise KeyboardInterrupt  # as a kill after the second epoch's checkpoint

    with pytest.raises(KeyboardInterrupt):
        run_training(small_run(tmp_path / "resumed", epochs=4), on_epoch=killed)
    assert len(pd.read_csv(tmp_path / "resumed" / "curve.csv")) == 2
    seen = []
    resumed = run_training(small_run(tmp_path / "resumed", epochs=4), on_epoch=seen.append)
    assert [r.epoch for r in seen] == [3, 4]  # the finished epochs were not trained again
    assert [r.val_accuracy for r in resumed.records] == [r.val_accuracy for r in unbroken.records]
    assert resumed.test_accuracy == unbroken.test_accuracy
    ours, _ = load(tmp_path / "resumed")
    theirs, _ = load(tmp_path / "unbroken")
    for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_a_folder_of_another_run_is_refused(tmp_path):
    run_training(small_run(tmp_path, epochs=4))
    with pytest.raises(ValueError, match="holds a run made with other settings"):
        run_training(small_run(tmp_path, epochs=4, max_mixup=0.4))


def test_a_refused_run_writes_nothing_and_python_resumes_the_run_it_found(tmp_path):
    def killed(record):
        if record.epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_training(small_run(tmp_path, epochs=4), on_epoch=killed)
    recorded = (tmp_path / RUN_FILE).read_text()
    with pytest.raises(ValueError, match="holds a run made with other settings"):
        run_training(small_run(tmp_path, epochs=4, max_mixup=0.4))
    assert (tmp_path / RUN_FILE).read_text() == recorded  # run.json is the first run's still
    seen = []

    def curve_so_far(record):  # while the resumed run goes on, curve.csv keeps epochs 1-2
        seen.append(list(pd.read_csv(tmp_path / "curve.csv")["epoch"]))

    resumed = run_training(resume_run(tmp_path), on_epoch=curve_so_far)
    assert seen == [[1, 2, 3], [1, 2, 3, 4]] and len(resumed.records) == 4


@pytest.mark.parametrize("damaged", ["state.pt", RUN_FILE])
def test_a_damaged_checkpoint_is_one_line_naming_the_file(tmp_path, capsys, damaged):
    def killed(record):
        if record.epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_training(small_run(tmp_path, epochs=4), on_epoch=killed)
    path = tmp_path / damaged
    if damaged == RUN_FILE:
        path.write_text(json.dumps({"name": "small"}))  # the config is gone
    else:
        path.write_bytes(path.read_bytes()[:100])  # truncated mid-write by another program
    assert run(lambda argv: main(argv), PROG, ["--resume", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "damaged" in err, err


def test_the_command_resumes_a_process_killed_mid_run(tmp_path, spawn):
    out = tmp_path / "run"
    argv = [*ARGS, "--epochs", "8", "--out", str(out), "--train-subset", "512"]
    process = spawn([sys.executable, "-m", "nas.train", *argv], cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (out / "curve.csv").is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    done = len(pd.read_csv(out / "curve.csv"))
    assert 1 <= done < 8
    assert main(["--resume", str(out), "--no-progress"]) == 0
    curve = pd.read_csv(out / "curve.csv")
    assert list(curve["epoch"]) == list(range(1, 9))
    assert (out / "curve.png").is_file() or not _has_matplotlib()


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--min-size", "40", "--max-size", "32"], "--min-size=40 is invalid: must not exceed"),
        (["--epochs", "2"], "--epochs=2 is invalid: must be at least --stages=4"),
        (["--max-randaug", "31"], "--max-randaug=31.0 is invalid"),
        (["--resume", "NOWHERE"], "--resume='NOWHERE' is invalid: holds no checkpoint"),
        (["--dataset", "mnist-ish"], "--dataset='mnist-ish' is invalid"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    argv = [arg.replace("NOWHERE", str(tmp_path / "nowhere")) for arg in argv]
    message = message.replace("NOWHERE", str(tmp_path / "nowhere"))
    code = run(main, PROG, [*ARGS, "--out", str(tmp_path / "out"), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_an_unknown_architecture_is_one_line_and_exit_2(tmp_path, capsys):
    code = run(main, PROG, ["resnet50", "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "ARCH='resnet50' is invalid" in err and len(err.splitlines()) == 1


def test_a_missing_architecture_is_one_line_and_exit_2(tmp_path, capsys):
    code = run(main, PROG, ["--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "name what to train as ARCH" in err and len(err.splitlines()) == 1
