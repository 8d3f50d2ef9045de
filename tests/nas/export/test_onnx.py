"""ONNX export, checked against PyTorch with onnxruntime; a tampered file fails the check."""

from __future__ import annotations

import pytest

from nas.export import ExportConfig, check_onnx, export_pytorch, run_export
from search_spaces import decode
from tests.nas.export.helpers import SMALL, randomized


def test_onnx_export_matches_pytorch_and_the_check_can_fail(tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    network = randomized(decode(SMALL))
    folder = export_pytorch(network, tmp_path / "ckpt")
    path = tmp_path / "small.onnx"
    lines = run_export(ExportConfig(checkpoint=str(folder), format="onnx", out=str(path)))
    out = "\n".join(lines)
    assert "max abs difference" in out and "pooled features" in out
    assert f"wrote {path}" in out and "input 'images' (batch, 3, 64, 64)" in out
    check = check_onnx(network, path)
    assert check.passed and check.features_diff is not None
    assert check.logits_scale > 0.1  # the comparison is not of zeros

    proto = onnx.load(str(path))
    weights = next(t for t in proto.graph.initializer if len(t.dims) == 4)
    array = onnx.numpy_helper.to_array(weights).copy()
    array.flat[0] += 1.0
    weights.CopyFrom(onnx.numpy_helper.from_array(array, weights.name))
    tampered = tmp_path / "tampered.onnx"
    onnx.save(proto, str(tampered))
    assert not check_onnx(network, tampered).passed
