from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from nas import checkpoint
from nas.cam import SourceImage, checkpoint_column, class_activation_maps, model_inputs
from nas.checkpoint import CheckpointInfo
from nas.cli import run
from nas.report import PROG, main
from search_spaces import build_model, decode

SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"


pytestmark = pytest.mark.usefixtures("one_thread")


def small_model(seed: int, in_channels: int = 1, num_classes: int = 10):
    """A small network whose classifier is random, not zero, so its CAMs are not flat."""
    torch.manual_seed(seed)
    model = build_model(decode(SMALL), num_classes=num_classes, in_channels=in_channels)
    torch.nn.init.normal_(model.classifier.weight)
    torch.nn.init.normal_(model.classifier.bias)
    return model.eval()


def save_checkpoint(folder: Path, seed: int, in_channels: int = 1, size: int = 28) -> Path:
    model = small_model(seed, in_channels)
    info = CheckpointInfo(
        decode(SMALL),
        num_classes=10,
        in_channels=in_channels,
        image_size=size,
        mean=(0.5,) * in_channels,
        std=(0.25,) * in_channels,
        class_names=tuple(f"kind{k}" for k in range(10)),
    )
    return checkpoint.save(model, info, folder)


def test_maps_equal_the_classifier_weights_applied_to_the_feature_map():
    model = small_model(1)
    images = torch.randn(3, 1, 36, 36)
    maps, classes, probabilities = class_activation_maps(model, images)
    assert maps.shape == (3, 36, 36) and torch.isfinite(maps).all()
    with torch.no_grad():
        logits = model(images)
        features = model.forward_features(images)
    assert torch.equal(classes, logits.argmax(dim=1))
    assert torch.allclose(probabilities, logits.softmax(dim=1).max(dim=1).values)
    weights = model.classifier.weight.detach()
    manual = torch.stack(
        [torch.einsum("c,chw->hw", weights[c], f) for c, f in zip(classes, features, strict=True)]
    )
    manual = F.interpolate(manual[:, None], size=(36, 36), mode="bilinear", align_corners=False)
    manual = manual[:, 0]
    flat = manual.flatten(1)
    low, high = flat.min(dim=1).values, flat.max(dim=1).values
    manual = (manual - low[:, None, None]) / (high - low)[:, None, None]
    assert torch.allclose(maps, manual, atol=1e-5)
    for one in maps:  # min-max normalised per image
        assert one.min().item() == pytest.approx(0.0) and one.max().item() == pytest.approx(1.0)


def test_raw_maps_average_to_the_logit_without_bias():
    model = small_model(2)
    images = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        features = model.forward_features(images)
        logits = model(images)
    maps, classes, _ = class_activation_maps(model, images, normalize=False)
    raw = torch.einsum("nc,nchw->nhw", model.classifier.weight[classes].detach(), features)
    upsampled = F.interpolate(raw[:, None], size=(32, 32), mode="bilinear", align_corners=False)
    assert torch.allclose(maps, upsampled[:, 0], atol=1e-5)
    # Global average pooling makes the map's mean the class's logit less its bias.
    picked = logits[torch.arange(2), classes] - model.classifier.bias[classes].detach()
    assert torch.allclose(raw.mean(dim=(1, 2)), picked, atol=1e-4)


def test_a_flat_map_normalises_to_zeros_not_nan():
    model = build_model(decode(SMALL), num_classes=4, in_channels=1).eval()  # zero classifier
    maps, classes, probabilities = class_activation_maps(model, torch.randn(2, 1, 28, 28))
    assert torch.equal(maps, torch.zeros(2, 28, 28))
    assert probabilities.tolist() == pytest.approx([0.25, 0.25])
    assert classes.shape == (2,)


def test_images_are_converted_to_the_checkpoints_channels_and_size(tmp_path):
    folder = save_checkpoint(tmp_path / "rgb", seed=3, in_channels=3, size=40)
    _, info = checkpoint.load(folder)
    grey = SourceImage(np.full((20, 30, 1), 200, dtype=np.uint8), "grey")
    display, tensor = model_inputs([grey], info)
    assert display.shape == (1, 40, 40, 3) and tensor.shape == (1, 3, 40, 40)
    assert torch.allclose(tensor, torch.full_like(tensor, (200 / 255 - 0.5) / 0.25))
    column = checkpoint_column(folder, [grey, grey])
    assert column.maps.shape == (2, 40, 40) and column.classes[0].startswith("kind")
    assert column.title.startswith("rgb (")


def grid_size(tmp_path: Path, name: str, count: int, checkpoints: list[Path]) -> tuple[int, int]:
    out = tmp_path / name
    argv = ["--cam", *map(str, checkpoints), "--dataset", "synthetic", "--count", str(count)]
    assert run(main, PROG, [*argv, "--out", str(out)]) == 0
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
    assert run(main, PROG, argv) == 0
    assert Image.open(out / "cam.png").size[0] > 300


def call(argv: list[str]) -> int:
    try:
        return run(main, PROG, argv)
    except SystemExit as stop:
        return stop.code


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


def test_a_one_by_one_feature_map_gives_a_flat_map_not_stretched_noise():
    import baselines
    from nas.cam import class_activation_maps, feature_map_size
    from search_spaces import build_model

    torch.manual_seed(0)
    model = build_model(baselines.get("efficientnet_b0"), num_classes=10, in_channels=1)
    torch.nn.init.normal_(model.classifier.weight)  # so the map is not zero to begin with
    assert feature_map_size(model, 1, 28) == (1, 1)
    assert feature_map_size(model, 1, 64) == (2, 2)
    maps, _, _ = class_activation_maps(model, torch.randn(3, 1, 28, 28))
    assert maps.shape == (3, 28, 28) and torch.count_nonzero(maps) == 0
    maps, _, _ = class_activation_maps(model, torch.randn(3, 1, 64, 64))
    assert maps.amax() == 1 and maps.amin() == 0  # a real 2x2 map still spans [0, 1]
