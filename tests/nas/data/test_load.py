from __future__ import annotations

import pytest

from nas.data import DataConfig, load_data


def test_missing_data_dir_without_download_names_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as error:
        load_data(DataConfig(data_dir=str(missing), download=False))
    message = str(error.value)
    assert str(missing) in message and "dataset-fashion-mnist" in message and "\n" not in message
    assert "data_dir" in message and "--" not in message  # library messages name no flag
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        load_data(DataConfig(dataset="cifar10", data_dir=str(missing), download=False))


def test_load_data_needs_a_data_config_and_a_valid_device():
    with pytest.raises(ValueError, match="config must be a DataConfig, got dict"):
        load_data({"dataset": "synthetic"})
    with pytest.raises(ValueError, match="device 'gpu0' is invalid"):
        load_data(DataConfig("synthetic", train_subset=10, val_subset=10), device="gpu0")
