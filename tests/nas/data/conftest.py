from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nas.data import DataConfig, ProxyData, load_data, read_idx
from tests.nas.data.helpers import FASHION_DIR


@pytest.fixture(scope="module")
def fashion() -> ProxyData:
    return load_data(DataConfig(seed=3, download=False))


@pytest.fixture(scope="module")
def fashion_raw() -> tuple[torch.Tensor, torch.Tensor]:
    images = read_idx(FASHION_DIR / "train-images-idx3-ubyte.gz", ndim=3)
    labels = read_idx(FASHION_DIR / "train-labels-idx1-ubyte.gz", ndim=1)
    return torch.from_numpy(images), torch.from_numpy(labels).long()


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "efficientnas"
