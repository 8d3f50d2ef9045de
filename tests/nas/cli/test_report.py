from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from nas.cli.main import main as efficientnas
from nas.cli.report import PROG, command, main
from tests.nas.report.helpers import save_checkpoint, write_trials

ROOT = Path(__file__).resolve().parents[3]


pytestmark = pytest.mark.usefixtures("one_thread")


def call(argv: list[str]) -> int:
    """The exit status of the command, as ``python -m nas.report`` would return it."""
    try:
        return command(argv)
    except SystemExit as stop:  # argparse errors exit from inside main
        return stop.code


@pytest.mark.parametrize(
    ("make", "argv", "message"),
    [
        (None, ["/no/such/path"], "'/no/such/path' does not exist"),
        ("empty", ["{tmp}/empty"], "no trials.csv in"),
        ("garbage", ["{tmp}/garbage/trials.csv"], "not a trials.csv"),
        ("binary", ["{tmp}/binary/trials.csv"], "not a readable trials.csv"),
        ("numbers", ["{tmp}/numbers"], "holds non-numbers"),
        ("config", ["{tmp}/config"], "config.json' is not valid JSON"),
        (None, ["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (None, [], "give at least one PATH"),
        (None, ["--top-k", "x"], "invalid int value"),
        (None, ["--top-k", "0", "."], "--top-k=0 is invalid: must be an integer >= 1"),
        (None, [".", "--images", "."], "--images and --dataset go with --cam"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(make, argv, message, tmp_path, capsys):
    if make is not None:
        folder = tmp_path / make
        folder.mkdir()
        trials = folder / "trials.csv"
        if make == "garbage":
            trials.write_text("this,is\nnot,a study\n")
        elif make == "binary":
            trials.write_bytes(b"\xff\xfe\x00garbage")
        elif make == "numbers":
            frame = pd.read_csv(write_trials(tmp_path / "good"))
            frame.assign(flops="many").to_csv(trials, index=False)
        elif make == "config":
            write_trials(folder)
            (folder / "config.json").write_text("{not json")
    code = call([arg.format(tmp=tmp_path) for arg in argv])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{PROG}: error: "), captured.err
    assert message in lines[0] and "Traceback" not in captured.err


def test_missing_matplotlib_says_how_to_install(tmp_path, monkeypatch, capsys):
    study = write_trials(tmp_path / "study").parent
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert command([str(study)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'efficientnas[plots]'" in err[0]
    assert err[0].startswith(f"{PROG}: error: ")
    assert not (study / "top.md").exists()


def test_missing_path_through_a_real_process():
    result = subprocess.run(
        [sys.executable, "-m", "nas.report", "/no/such/path"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"{PROG}: error: '/no/such/path' does not exist"]
    assert result.stdout == ""


def test_efficientnas_report_is_the_same_command(tmp_path, capsys):
    study = write_trials(tmp_path / "study").parent
    assert efficientnas(["report", str(study), "--top-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "study study: 2 trials (2 complete, 0 pruned, 0 failed)" in out
    assert (study / "report.html").is_file() and str(study / "top.md") in out
    assert efficientnas(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("efficientnas report: error: ") and "does not exist" in err


def test_help_shows_every_default(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 10)", "(default: 8)", "(default: 0)", "else 400e6", "else -0.07"):
        assert default in text


def grid_size(tmp_path: Path, name: str, count: int, checkpoints: list[Path]) -> tuple[int, int]:
    out = tmp_path / name
    argv = ["--cam", *map(str, checkpoints), "--dataset", "synthetic", "--count", str(count)]
    assert command([*argv, "--out", str(out)]) == 0
    image = Image.open(out / "cam.png")
    assert image.info["dpi"][0] >= 149.5
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 50
    return image.size


def test_cam_command_draws_one_row_per_image_and_one_column_per_model(tmp_path, capsys):
    first = save_checkpoint(tmp_path / "winner", seed=4)
    second = save_checkpoint(tmp_path / "b0", seed=5)
    two_by_two = grid_size(tmp_path, "a", 2, [first, second])
    four_by_two = grid_size(tmp_path, "b", 4, [first, second])
    two_by_one = grid_size(tmp_path, "c", 2, [first])
    assert four_by_two[0] == two_by_two[0] and four_by_two[1] > 1.6 * two_by_two[1]
    assert two_by_one[1] == two_by_two[1] and two_by_one[0] < 0.8 * two_by_two[0]
    assert "cam.png" in capsys.readouterr().out


def test_cam_command_reads_an_image_folder(tmp_path):
    images = tmp_path / "images"
    (images / "cats").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (50, 40, 3), dtype=np.uint8)).save(images / "a.png")
    grey = rng.integers(0, 255, (30, 30), dtype=np.uint8)
    Image.fromarray(grey).save(images / "cats" / "b.jpg")
    (images / "notes.txt").write_text("not an image")
    folder = save_checkpoint(tmp_path / "model", seed=6)
    out = tmp_path / "out"
    argv = ["--cam", str(folder), "--images", str(images), "--out", str(out)]
    assert command(argv) == 0
    assert Image.open(out / "cam.png").size[0] > 300


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cam", "{tmp}/missing", "--dataset", "synthetic"], "does not exist"),
        (["--cam", "{tmp}/model"], "give --images FOLDER or --dataset NAME"),
        (["--cam", "{tmp}/model", "--images", "{tmp}/empty"], "no images in"),
        (["--cam", "{tmp}/model", "--dataset", "synthetic", "--count", "0"], "--count=0"),
        (["--cam", "{tmp}/model", "--dataset", "mnist"], "invalid choice"),
        (["--cam", "{tmp}/model", "--images", ".", "--dataset", "synthetic"], "not allowed"),
    ],
)
def test_bad_cam_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    save_checkpoint(tmp_path / "model", seed=7)
    (tmp_path / "empty").mkdir()
    code = call([arg.format(tmp=tmp_path) for arg in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "missing").exists()
