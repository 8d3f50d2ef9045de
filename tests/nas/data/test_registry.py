from __future__ import annotations

import pytest

from nas.data import check_dataset, dataset_kind, dataset_names, fixed_datasets, registry
from nas.errors import ConfigError


def test_the_one_list_of_datasets():
    assert dataset_names() == ("fashion-mnist", "cifar10", "synthetic", "imagefolder:PATH")
    assert fixed_datasets() == ("fashion-mnist", "cifar10", "synthetic")
    assert [source.kind for source in registry.SOURCES] == [
        "fashion-mnist",
        "cifar10",
        "synthetic",
        "imagefolder",
    ]


def test_dataset_kind_splits_off_the_folder():
    assert dataset_kind("cifar10") == ("cifar10", None)
    assert dataset_kind("imagefolder:/data/a:b") == ("imagefolder", "/data/a:b")
    source, path = registry.source("imagefolder:pets")
    assert (source.kind, source.shown, path) == ("imagefolder", "imagefolder:PATH", "pets")


@pytest.mark.parametrize(
    "name", ["mnist", "imagefolder", "cifar10:x", "CIFAR10", "", None, 3, "fashion-mnist:"]
)
def test_unknown_names_raise_config_error_naming_the_field(name):
    with pytest.raises(ConfigError) as error:
        check_dataset(name, field="proxy_dataset")
    assert error.value.field == "proxy_dataset" and error.value.value == name
    assert str(error.value) == (
        f"proxy_dataset={name!r} is invalid: "
        "must be one of fashion-mnist, cifar10, synthetic, imagefolder:PATH"
    )


def test_imagefolder_without_a_folder_says_so():
    with pytest.raises(ConfigError, match=r"dataset='imagefolder:' is invalid: names no folder"):
        check_dataset("imagefolder:")


def test_known_names_pass():
    for name in ("fashion-mnist", "cifar10", "synthetic", "imagefolder:x"):
        check_dataset(name)
