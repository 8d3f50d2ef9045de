"""A user's messy image folder through every command, as the user would run them."""

from __future__ import annotations

import json

import pytest

from nas import results
from nas.cli import export, fidelity, report, search, train
from nas.cli.common import run
from tests.nas.data.helpers import MESSY_CLASSES, messy_folder

SMALL = (
    "stem8-ir_r1_k3_s2_e1_c16-er_r1_k3_s2_e4_c24_se0.25-ir_r2_k3_s2_e4_c32_se0.25-head64-silu-res28"
)
DATA = ["--image-size", "16", "--device", "cpu", "--no-progress"]


@pytest.fixture(scope="module")
def searched(tmp_path_factory, one_thread):
    """The messy folder (train/ + test/), and a 3-trial search of it."""
    root = tmp_path_factory.mktemp("own")
    folder = messy_folder(root / "photos")
    out = root / "results"
    argv = ["--dataset", f"imagefolder:{folder}", "--trials", "3"]
    argv += ["--images-seen", "64", "--batch-size", "16", "--results-dir", str(out), *DATA]
    argv += ["--metric", "balanced_accuracy"]
    code = run(search.main, search.PROG, argv)
    return folder, out / "imagefolder-photos-tpe", code


def test_the_search_reads_the_folder_as_the_user_laid_it_out(searched, capsys):
    folder, study, code = searched
    assert code == 0
    record = json.loads((study / "data.json").read_text())
    assert record["num_classes"] == len(MESSY_CLASSES) and record["image_size"] == 16
    assert list(record["per_class"]["val"]) == list(MESSY_CLASSES)
    assert record["skipped_images"] == 2
    skipped = (study / "skipped_images.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in skipped] == [
        "train/dog/broken.jpg",
        "train/ship/empty.jpg",
    ]
    frame = results.load(study / "trials.csv")
    assert frame["balanced_accuracy"].notna().all()
    best = json.loads((study / "best.json").read_text())
    assert best["task"] == {
        "num_classes": 4,
        "in_channels": 3,
        "image_size": 16,
        "classes": list(MESSY_CLASSES),
    }


def test_report_train_and_export_take_the_task_from_the_study(searched, tmp_path, capsys):
    folder, study, _ = searched
    assert run(report.main, report.PROG, [str(study), "--out", str(tmp_path / "report")]) == 0
    best = str(study / "best.json")
    out = tmp_path / "net.onnx"
    assert run(export.main, export.PROG, [best, "--format", "onnx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 classes, input 3x16x16" in printed
    assert "(batch, 3, 16, 16), output 'logits' (batch, 4)" in printed
    assert "with seeded random weights" in printed  # a fresh classifier's logits are all zero
    trained = tmp_path / "trained"
    argv = [best, "--epochs", "4", "--batch-size", "16", "--out", str(trained), *DATA]
    assert run(train.main, train.PROG, argv) == 0
    result = json.loads((trained / "result.json").read_text())
    assert str(folder) in json.dumps(result)  # trained on the study's folder, at its size
    assert "at 16px" in capsys.readouterr().out


def test_fidelity_on_the_folder_warns_when_nothing_learned(searched, tmp_path, capsys):
    folder, _, _ = searched
    argv = ["--dataset", f"imagefolder:{folder}", "--reference", SMALL, "--networks", "3"]
    argv += ["--images-seen", "16", "--batch-size", "16", "--factor", "2", "--jobs", "1"]
    argv += ["--proxy-seeds", "1", "--yardstick-seeds", "1", "--out", str(tmp_path / "f")]
    assert run(fidelity.main, fidelity.PROG, [*argv, *DATA]) == 0
    printed = capsys.readouterr().out
    assert "warning:" in printed and "the budget is too small to rank" in printed
