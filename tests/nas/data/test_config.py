from __future__ import annotations

import pytest
import torch

from nas.data import DataConfig
from nas.errors import ConfigError, flag_name
from tests.nas.data.helpers import tiny_data


def test_unknown_dataset_is_named_with_the_known_ones():
    with pytest.raises(
        ValueError, match=r"dataset='mnist' is invalid: must be one of fashion-mnist, cifar10"
    ):
        DataConfig(dataset="mnist")
    with pytest.raises(ValueError, match=r"image_size=32 .* 'synthetic'"):
        DataConfig(dataset="synthetic", image_size=32)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("train_subset", 0, "must be an integer >= 1 or None"),
        ("val_subset", 2.5, "must be an integer >= 1 or None"),
        ("image_size", True, "must be an integer >= 1 or None"),
        ("seed", "1", "must be an integer"),
    ],
)
def test_bad_values_raise_config_error_naming_the_field(field, value, rule):
    with pytest.raises(ConfigError) as error:
        DataConfig(dataset="imagefolder:x", **{field: value})
    assert (error.value.field, error.value.value, error.value.rule) == (field, value, rule)


def test_image_size_outside_imagefolder_renders_as_a_flag():
    with pytest.raises(ConfigError) as error:
        DataConfig(dataset="synthetic", image_size=32)
    assert error.value.render(flag_name) == (
        "--image-size=32 applies only to imagefolder datasets, not 'synthetic'"
    )


def test_to_moves_and_checks_device():
    data = tiny_data()
    moved = data.to("cpu")
    assert moved.device.type == "cpu" and torch.equal(moved.train_images, data.train_images)
    with pytest.raises(ValueError, match="device 'gpu0'"):
        data.to("gpu0")
