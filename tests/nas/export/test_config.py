"""ExportConfig refuses bad settings with a ConfigError naming fields, never flags."""

from __future__ import annotations

import pytest

from nas.errors import ConfigError, flag_name
from nas.export import ExportConfig
from nas.proxy import ProxyConfig

PROXY = ProxyConfig(dataset="synthetic", device="cpu")


@pytest.mark.parametrize(
    ("settings", "field", "library", "command_line"),
    [
        ({"arch": "x", "format": "tflite"}, "format", "format='tflite' is invalid", None),
        ({}, None, "give ARCH or checkpoint DIR", "give ARCH or --checkpoint DIR"),
        ({"arch": "x", "checkpoint": "d"}, None, "or checkpoint DIR", None),
        ({"checkpoint": "d", "proxy": PROXY, "out": "o"}, None, "a checkpoint is trained", None),
        (
            {"arch": "x", "format": "onnx"},
            None,
            "format onnx needs out",
            "--format onnx needs --out",
        ),
        ({"arch": "x", "proxy": PROXY}, None, "needs out", "--train needs --out"),
        ({"arch": "x", "num_classes": 0}, "num_classes", "num_classes=0 is invalid", None),
        ({"arch": "x", "in_channels": True}, "in_channels", "must be an integer >= 1", None),
        (
            {"checkpoint": "d", "in_channels": 3},
            None,
            "in_channels comes from the checkpoint",
            "--in-channels comes from the checkpoint; leave it out",
        ),
        (
            {"arch": "x", "proxy": PROXY, "out": "o", "num_classes": 5},
            None,
            "num_classes comes from the dataset",
            None,
        ),
        ({"arch": "x", "proxy": "fashion-mnist"}, "proxy", "must be a ProxyConfig", None),
    ],
)
def test_bad_settings_raise_config_errors(settings, field, library, command_line):
    with pytest.raises(ConfigError) as caught:
        ExportConfig(**settings)
    assert caught.value.field == field
    assert library in str(caught.value) and "--" not in str(caught.value)
    if command_line is not None:
        assert command_line in caught.value.render(flag_name)


def test_good_settings_pass():
    ExportConfig("efficientnet_b0")
    ExportConfig(checkpoint="d", format="onnx", out="x.onnx")
    ExportConfig("efficientnet_b0", format="pytorch", out="o", proxy=PROXY)
