"""`python -m nas.export` and `efficientnas export`: flags, printed lines, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nas.cli.export import PROG, command, main
from nas.cli.main import main as efficientnas
from nas.data import DataConfig, load_data
from nas.export import INSTALL_HINT, export_pytorch, timm_state_dict
from nas.train import checkpoint, evaluate
from search_spaces import decode
from tests.nas.export.helpers import SMALL, randomized

ROOT = Path(__file__).resolve().parents[3]


def test_timm_format_prints_a_script_and_writes_timm_weights(tmp_path, capsys):
    folder = export_pytorch(randomized(decode(SMALL)), tmp_path / "ckpt")
    weights = tmp_path / "small_timm.pth"
    argv = ["--checkpoint", str(folder), "--format", "timm", "--out", str(weights)]
    assert command(argv) == 0
    script = capsys.readouterr().out
    compile(script, "timm_script.py", "exec")  # what it prints is a Python script
    assert "ir_r2_k3_s2_e3_c16_se0.25" in script and "num_classes=10" in script
    assert f"torch.load({str(weights)!r}, weights_only=True)" in script
    model, _ = checkpoint.load(folder)
    saved = torch.load(weights, weights_only=True)
    assert list(saved) == list(timm_state_dict(model))


def test_train_writes_a_checkpoint_with_its_accuracy(tmp_path, capsys):
    out = tmp_path / "trained"
    proxy = ["--dataset", "synthetic", "--train-subset", "128", "--val-subset", "64"]
    proxy += ["--epochs", "1", "--batch-size", "64", "--device", "cpu"]
    argv = [SMALL, "--train", *proxy, "--format", "pytorch", "--out", str(out)]
    assert command(argv) == 0
    printed = capsys.readouterr().out
    model, info = checkpoint.load(out)
    accuracy = info.metrics["accuracy"]
    assert f"validation accuracy {accuracy:.2%} on 64 held-out images" in printed
    assert f'load it with: model, info = nas.train.checkpoint.load("{out}")' in printed
    assert (info.num_classes, info.in_channels, info.image_size) == (10, 1, 28)
    assert len(info.mean) == len(info.std) == 1 and info.std[0] > 0
    data = load_data(DataConfig("synthetic", train_subset=128, val_subset=64, seed=0))
    assert info.mean == pytest.approx(data.mean)
    assert evaluate(model, data, batch_size=64) == pytest.approx(accuracy)
    on_disk = json.loads((out / checkpoint.ARCH_FILE).read_text())
    assert on_disk["metrics"]["accuracy"] == accuracy


# ----------------------------------------------------------------------------- bad input


def _bad_best_json(tmp_path: Path) -> str:
    path = tmp_path / "best.json"
    path.write_text(json.dumps({"arch": {"stem_channels": "wide", "stages": []}}))
    return str(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.json"], "does not exist"),
        (["stem32-ir_r1_k3-head1280-silu-res224"], "bad"),
        (["BEST_JSON"], "architecture file"),
        (["efficientnet_b0", "--format", "tflite"], "invalid choice"),
        (["--checkpoint", "EMPTY_DIR", "--format", "pytorch", "--out", "x"], "no arch.json"),
        (["efficientnet_b0", "--format", "onnx"], "--format onnx needs --out"),
        ([], "give ARCH or --checkpoint DIR (one of them)"),
        (["efficientnet_b0", "--num-classes", "0"], "--num-classes=0 is invalid"),
        (["--checkpoint", "EMPTY_DIR", "--in-channels", "3"], "--in-channels comes from the"),
        (["stem16-cn_r1_k3_s1_c16_se0.25-head32-silu-res64"], "no exact timm equivalent"),
        (["efficientnet_b0", "--train", "--format", "timm"], "--train needs --out"),
        (["--checkpoint", "EMPTY_DIR", "--train", "--out", "x"], "--train trains ARCH afresh"),
        (["efficientnet_b0", "--train", "--out", "x", "--device", "tpu"], "--device='tpu'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    replace = {"BEST_JSON": _bad_best_json(tmp_path), "EMPTY_DIR": str(tmp_path)}
    argv = [replace.get(arg, arg) for arg in argv]
    try:
        code = command(argv)
    except SystemExit as exit_info:  # argparse's own errors exit from inside main
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{PROG}: error:") and message in err


def test_missing_onnxruntime_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    argv = [SMALL, "--format", "onnx", "--out", str(tmp_path / "x.onnx")]
    assert command(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and INSTALL_HINT in err and "onnxruntime" in err
    assert err.startswith(f"{PROG}: error: --format onnx needs onnx, onnxruntime")
    assert not (tmp_path / "x.onnx").exists()


def test_the_real_command_fails_with_one_line(tmp_path):
    argv = [sys.executable, "-m", "nas.export", str(tmp_path / "nope.json")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith(f"{PROG}: error:") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_efficientnas_export_is_the_same_command(capsys):
    assert efficientnas(["export"]) == 2
    err = capsys.readouterr().err
    assert err == "efficientnas export: error: give ARCH or --checkpoint DIR (one of them)\n"


def test_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: timm)" in text and "(default: 0)" in text
    assert "(default: a search's best.json: its study's; else 1000, or 10" in text
