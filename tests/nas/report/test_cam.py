from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import baselines
from nas.errors import ConfigError
from nas.report import CamConfig
from nas.report.cam import (
    SourceImage,
    checkpoint_column,
    class_activation_maps,
    feature_map_size,
    model_inputs,
)
from nas.train import checkpoint
from search_spaces import build_model, decode
from tests.nas.report.helpers import SMALL, save_checkpoint, small_model

pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_a_one_by_one_feature_map_gives_a_flat_map_not_stretched_noise():
    torch.manual_seed(0)
    model = build_model(baselines.get("efficientnet_b0"), num_classes=10, in_channels=1)
    torch.nn.init.normal_(model.classifier.weight)  # so the map is not zero to begin with
    assert feature_map_size(model, 1, 28) == (1, 1)
    assert feature_map_size(model, 1, 64) == (2, 2)
    maps, _, _ = class_activation_maps(model, torch.randn(3, 1, 28, 28))
    assert maps.shape == (3, 28, 28) and torch.count_nonzero(maps) == 0
    maps, _, _ = class_activation_maps(model, torch.randn(3, 1, 64, 64))
    assert maps.amax() == 1 and maps.amin() == 0  # a real 2x2 map still spans [0, 1]


def test_bad_cam_settings_are_config_errors_naming_the_field():
    with pytest.raises(ConfigError) as raised:
        CamConfig(("model",), dataset="synthetic", count=0)
    assert (raised.value.field, raised.value.value) == ("count", 0)
    with pytest.raises(ConfigError) as raised:
        CamConfig(("model",))
    assert raised.value.render(lambda name: "--" + name) == (
        "--cam needs the images: give --images FOLDER or --dataset NAME"
    )
    with pytest.raises(ConfigError, match="needs at least one checkpoint folder"):
        CamConfig((), dataset="synthetic")
    with pytest.raises(ConfigError) as raised:
        CamConfig(("model",), dataset="mnist")
    assert raised.value.field == "dataset" and "fashion-mnist" in raised.value.rule
