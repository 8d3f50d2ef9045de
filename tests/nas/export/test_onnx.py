"""ONNX export, checked against PyTorch with onnxruntime; a tampered file fails the check."""

from __future__ import annotations

import pytest
import torch

from nas.cli.export import export_lines
from nas.export import ExportConfig, check_onnx, export_onnx, export_pytorch, run_export
from search_spaces import decode, nb_macro
from tests.nas.export.helpers import SMALL, randomized


def test_onnx_export_matches_pytorch_and_the_check_can_fail(tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    network = randomized(decode(SMALL))
    folder = export_pytorch(network, tmp_path / "ckpt")
    path = tmp_path / "small.onnx"
    exported = run_export(ExportConfig(checkpoint=str(folder), format="onnx", out=str(path)))
    assert exported.path == path and exported.check.passed  # the objects a Python user gets
    out = "\n".join(export_lines(exported))
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


@pytest.mark.parametrize("key", ["00000000", "10201012", "22212220"])
def test_nb_macro_networks_export_at_32_pixels_and_10_classes(tmp_path, key):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    network = randomized(nb_macro.arch(key), num_classes=None)  # the export's defaults
    path = export_onnx(network, tmp_path / f"{key}.onnx")
    graph = onnx.load(str(path)).graph
    dims = [
        [d.dim_value or d.dim_param for d in value.type.tensor_type.shape.dim]
        for value in (graph.input[0], graph.output[0])
    ]
    assert dims[0][1:] == [3, 32, 32] and dims[1][1:] == [10]
    check = check_onnx(network, path)
    assert check.passed and check.logits_scale > 0.1, check.describe()
    if key != "22212220":  # the identity's projection (layer 6 here) is in the file
        projection_norm = network.model.stages[5][0].body[0][1]
        with torch.no_grad():
            projection_norm.bias += 1.0
        assert not check_onnx(network, path).passed
