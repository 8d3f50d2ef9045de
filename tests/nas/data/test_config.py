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
        ("image_size", True, "must be an integer >= 8 or None"),
        ("image_size", 7, "must be an integer >= 8 or None"),
        ("image_size", 32.0, "must be an integer >= 8 or None"),
        ("seed", "1", "must be an integer"),
        ("train_cap", 1, "must be True or False"),
        ("val_cap", None, "must be True or False"),
        ("download", "yes", "must be True or False"),
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


def test_image_size_of_eight_is_the_smallest():
    assert DataConfig(dataset="imagefolder:x", image_size=8).image_size == 8


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("download_url", "", "must be a URL or None"),
        ("download_url", 3, "must be a URL or None"),
        ("download_md5", "c58f30108f718f92721af3b95e74349", "must be 32 hex digits or None"),
        ("download_md5", "z" * 32, "must be 32 hex digits or None"),
    ],
)
def test_bad_download_settings_raise_config_error(field, value, rule):
    with pytest.raises(ConfigError) as error:
        DataConfig(dataset="cifar10", **{field: value})
    assert (error.value.field, error.value.value, error.value.rule) == (field, value, rule)


def test_download_settings_apply_to_cifar10_only():
    DataConfig("cifar10", download_url="http://mirror/c.tgz", download_md5="A" * 32)
    with pytest.raises(ConfigError) as error:
        DataConfig("fashion-mnist", download_url="http://mirror/c.tgz")
    assert error.value.render(flag_name) == (
        "--download-url=http://mirror/c.tgz applies only to cifar10 datasets, not 'fashion-mnist'"
    )
    with pytest.raises(ValueError, match=r"^download_md5=0{32} applies only to cifar10"):
        DataConfig("synthetic", download_md5="0" * 32)


def test_proxy_data_notes_default_empty_and_are_checked():
    import dataclasses

    data = tiny_data()
    assert data.notes == ()
    assert dataclasses.replace(data, notes=("capped",)).to("cpu").notes == ("capped",)
    with pytest.raises(ValueError, match=r"notes must be a tuple of strings"):
        dataclasses.replace(data, notes=["capped"])


def test_to_moves_and_checks_device():
    data = tiny_data()
    moved = data.to("cpu")
    assert moved.device.type == "cpu" and torch.equal(moved.train_images, data.train_images)
    with pytest.raises(ValueError, match="device 'gpu0'"):
        data.to("gpu0")
