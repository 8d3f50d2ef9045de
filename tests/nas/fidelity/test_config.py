"""FidelityConfig: bad values raise ConfigError naming the field; defaults name the folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas.errors import ConfigError
from nas.fidelity import FidelityConfig
from nas.proxy import ProxyConfig


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("networks", 2),
        ("networks", 1.5),
        ("factor", 0.5),
        ("factor", float("nan")),
        ("proxy_seeds", 0),
        ("yardstick_seeds", True),
        ("jobs", 0),
        ("reference", "efficientnet_b9"),
        ("target_flops", 0.0),
        ("resolution", 4),
        ("out", ""),
    ],
)
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ConfigError) as error:
        FidelityConfig(**{field: value})
    assert error.value.field == field


def test_the_default_folders():
    config = FidelityConfig(ProxyConfig(dataset="synthetic", preset="gpu"))
    assert config.folder == Path("results/fidelity-synthetic-gpu")
    assert config.runs_path == Path("results/fidelity-synthetic-gpu/runs.csv")
    assert FidelityConfig(
        ProxyConfig(dataset="imagefolder:/data/flowers/"), runs="log.csv"
    ).folder == Path("results/fidelity-imagefolder-flowers-cpu")
    assert FidelityConfig(runs="log.csv").runs_path == Path("log.csv")


def test_the_reference_may_be_any_architecture():
    small = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"
    config = FidelityConfig(reference=small)
    assert config.reference_name == "reference"
    assert FidelityConfig().reference_name == "efficientnet_b0"
