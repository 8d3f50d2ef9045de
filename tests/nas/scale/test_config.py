from __future__ import annotations

import json

import pytest

import baselines
from nas.errors import ConfigError
from nas.proxy import ProxyConfig
from nas.scale import ScaleConfig
from search_spaces import encode, to_dict


def test_a_search_winner_scales_beside_its_study(tmp_path):
    study = tmp_path / "results" / "mine"
    study.mkdir(parents=True)
    b0 = baselines.get("efficientnet_b0")
    (study / "best.json").write_text(json.dumps({"arch": to_dict(b0), "arch_string": encode(b0)}))
    config = ScaleConfig(baseline=str(study / "best.json"), results_dir=str(tmp_path / "elsewhere"))
    assert config.folder == study / "scaling" and config.arch == b0


def test_the_folder_follows_the_study_name_then_the_baseline(tmp_path):
    named = ScaleConfig(results_dir=str(tmp_path), study_name="mine")
    assert named.folder == tmp_path / "mine" / "scaling"
    assert ScaleConfig(results_dir=str(tmp_path)).folder == tmp_path / "efficientnet_b0" / "scaling"
    string = encode(baselines.get("mobilenet_v2"))
    assert ScaleConfig(baseline=string, results_dir=str(tmp_path)).folder == (
        tmp_path / "custom" / "scaling"
    )


def test_the_proxy_is_a_proxy_config():
    config = ScaleConfig(proxy=ProxyConfig(dataset="synthetic", seed=3, epochs=0.5))
    assert config.proxy.train_config().epochs == 0.5 and config.proxy.data_config.seed == 3
    with pytest.raises(ConfigError, match="must be a ProxyConfig"):
        ScaleConfig(proxy={"dataset": "synthetic"})  # type: ignore[arg-type]


def test_empty_grid_is_refused():
    with pytest.raises(ValueError, match="leaves no grid point"):
        ScaleConfig(grid_step=0.7, tolerance=0.01)  # products 1 and 1.7 only


def test_coefficients_skip_the_grid_checks():
    config = ScaleConfig(coefficients=(1.2, 1.1, 1.15), grid_step=0.7, tolerance=0.01)
    assert config.coefficients == (1.2, 1.1, 1.15)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"coefficients": (1.2, 1.1)}, "coefficients"),
        ({"coefficients": (1.2, 0.0, 1.1)}, "coefficients"),
        ({"coefficients": (1.2, float("nan"), 1.1)}, "coefficients"),
        ({"phis": ()}, "phis"),
        ({"phis": (0, 1)}, "phis"),
        ({"phis": (1.5,)}, "phis"),
        ({"repeats": 0}, "repeats"),
        ({"repeats": True}, "repeats"),
        ({"ablation_factor": 1.0}, "ablation_factor"),
        ({"ablation_factor": float("inf")}, "ablation_factor"),
        ({"grid_step": -1.0}, "grid_step"),
        ({"grid_step": 1e-9}, "grid_step"),
        ({"grid_step": 1e-5, "tolerance": 1.0}, "grid_step"),  # too fine
        ({"tolerance": -0.1}, "tolerance"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"grid_step": 0.7, "tolerance": 0.01}, None),
    ],
)
def test_bad_settings_raise_config_errors_naming_the_field(changes, field):
    with pytest.raises(ConfigError) as caught:
        ScaleConfig(**changes)
    assert caught.value.field == field
    assert "--" not in str(caught.value)  # the library names fields, not flags
    if field is not None:
        assert str(caught.value).startswith(f"{field}=")


def test_a_bad_baseline_is_refused_when_resolved():
    config = ScaleConfig(baseline="nope")
    with pytest.raises(ValueError, match="'nope' is neither a baseline"):
        _ = config.arch
