"""ONNX files: write a network as ONNX, then run it with onnxruntime and compare with PyTorch."""

from __future__ import annotations

import copy
import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from nas.errors import ConfigError, JobFailed
from nas.export.network import Network
from nas.logs import quiet

INSTALL_HINT = "pip install 'efficientnas[export]'"
ONNX_INPUT = "images"
ONNX_OUTPUT = "logits"
ONNX_EXAMPLE_BATCH = 2
ONNX_CHECK_BATCH = 3  # not the example's batch: the check also exercises the dynamic batch axis
ONNX_TOLERANCE = 1e-3  # relative to the largest magnitude of the output compared


@dataclass(frozen=True)
class OnnxCheck:
    """onnxruntime's outputs against PyTorch's on the same random images: the largest
    absolute difference and the largest magnitude of each output compared."""

    batch: int
    logits_diff: float
    logits_scale: float
    features_diff: float | None  # the pooled features the classifier reads, where found
    features_scale: float | None
    probe: bool = False  # compared on a copy with seeded random weights (the same graph)
    own_logits_scale: float | None = None  # the network's own largest logit, when probed

    def _pairs(self) -> list[tuple[str, float, float]]:
        pairs = [("logits", self.logits_diff, self.logits_scale)]
        if self.features_diff is not None and self.features_scale is not None:
            pairs.append(("pooled features", self.features_diff, self.features_scale))
        return pairs

    @property
    def passed(self) -> bool:
        """Relative to each output's magnitude: a fresh network's activations shrink layer by
        layer to ~1e-13 (BatchNorm statistics not yet learned), so no absolute bound fits."""
        return all(diff <= ONNX_TOLERANCE * scale for _, diff, scale in self._pairs())

    def describe(self) -> str:
        parts = [f"{diff:.1e} ({name}, largest {scale:.1e})" for name, diff, scale in self._pairs()]
        probe = (
            f" of the same network with seeded random weights (its own logits are all below "
            f"{TRIVIAL_LOGITS:g}: a fresh classifier is zero)"
            if self.probe
            else ""
        )
        return (
            f"onnxruntime vs PyTorch{probe} on {self.batch} random images: max abs difference "
            f"{', '.join(parts)}; tolerance {ONNX_TOLERANCE:g} x largest"
        )


def onnx_modules() -> tuple[Any, Any]:
    """(onnx, onnxruntime); ConfigError saying what to install where one is missing."""
    try:
        import onnx
        import onnxruntime
        import onnxscript  # noqa: F401  (torch's ONNX exporter needs it)
    except ImportError as error:
        raise ConfigError(
            None,
            None,
            f"{{format}} onnx needs onnx, onnxruntime and onnxscript ({error.name or 'one'} is "
            f"not installed): {INSTALL_HINT}",
        ) from None
    return onnx, onnxruntime


def export_onnx(network: Network, path: str | Path) -> Path:
    """Write the network as ONNX: input ``images`` (batch, C, H, W) with a dynamic batch,
    output ``logits``; weights inside the file. JobFailed where torch's exporter fails."""
    onnx_modules()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = network.info
    size = info.image_size
    example = torch.randn(ONNX_EXAMPLE_BATCH, info.in_channels, size, size)
    try:
        with quiet("torch.onnx"):
            torch.onnx.export(
                network.model.eval(),
                (example,),
                str(path),
                input_names=[ONNX_INPUT],
                output_names=[ONNX_OUTPUT],
                dynamic_shapes={"x": {0: torch.export.Dim("batch")}},
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    except OSError:
        raise
    except Exception as error:  # the exporter's errors have no common base class
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise JobFailed(f"ONNX export failed: {type(error).__name__}: {first}") from None
    return path


def _classifier_input(graph: Any) -> str | None:
    """The tensor the final Gemm (or MatMul [+ Add]) reads: the pooled features."""
    producers = {name: node for node in graph.node for name in node.output}
    node = producers.get(graph.output[0].name)
    if node is not None and node.op_type == "Add":
        node = next(
            (
                producers[name]
                for name in node.input
                if name in producers and producers[name].op_type == "MatMul"
            ),
            None,
        )
    if node is None or node.op_type not in ("Gemm", "MatMul"):
        return None
    return node.input[0]


def _max_diff(ours: torch.Tensor, theirs: Any) -> float:
    return float((ours - torch.from_numpy(theirs)).abs().max())


def check_onnx(network: Network, path: str | Path, seed: int = 0) -> OnnxCheck:
    """Run the ONNX file with onnxruntime and compare its logits, and the pooled features the
    classifier reads (a fresh network's zero classifier makes its logits all zero), with
    PyTorch's on the same random images."""
    onnx, onnxruntime = onnx_modules()
    proto = onnx.load(str(path))
    features_name = _classifier_input(proto.graph)
    if features_name is not None:
        proto.graph.output.append(
            onnx.helper.make_tensor_value_info(features_name, onnx.TensorProto.FLOAT, None)
        )
    session = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    info = network.info
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(
        ONNX_CHECK_BATCH, info.in_channels, info.image_size, info.image_size, generator=generator
    )
    model = network.model.cpu().eval()
    with torch.no_grad():
        features = model.pool(model.forward_features(images)).flatten(1)
        logits = model(images)
    outputs = session.run(None, {ONNX_INPUT: images.numpy()})
    if outputs[0].shape != tuple(logits.shape):
        raise JobFailed(
            f"the ONNX file {str(path)!r} gives logits of shape {outputs[0].shape}, "
            f"PyTorch {tuple(logits.shape)}"
        )
    found = features_name is not None and outputs[-1].shape == tuple(features.shape)
    return OnnxCheck(
        batch=ONNX_CHECK_BATCH,
        logits_diff=_max_diff(logits, outputs[0]),
        logits_scale=float(logits.abs().max()),
        features_diff=_max_diff(features, outputs[-1]) if found else None,
        features_scale=float(features.abs().max()) if found else None,
    )


TRIVIAL_LOGITS = 1e-6  # logits all smaller than this prove nothing: the check uses a probe


def randomised(network: Network, seed: int) -> Network:
    """A copy of ``network`` with seeded random weights everywhere (BatchNorm statistics and
    the classifier included), so that its logits are far from zero."""
    generator = torch.Generator().manual_seed(seed)
    model = copy.deepcopy(network.model).cpu().eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                size = module.num_features
                module.weight.copy_(torch.rand(size, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(size, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(size, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
            elif isinstance(module, torch.nn.Linear):
                bound = module.in_features**-0.5
                module.weight.copy_(
                    (torch.rand(module.weight.shape, generator=generator) - 0.5) * 2 * bound
                )
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
    return dataclasses.replace(
        network, model=model, label=f"{network.label} (seeded random weights)"
    )


def check_export(network: Network, path: Path, seed: int = 0) -> OnnxCheck:
    """``check_onnx`` on the file written; where its logits are all near zero (a fresh
    network's zero classifier), on an export of ``randomised(network)`` as well, whose logits
    are not, so that the check compares outputs that could differ."""
    check = check_onnx(network, path, seed)
    if check.logits_scale >= TRIVIAL_LOGITS:
        return check
    with tempfile.TemporaryDirectory() as folder:
        probe = randomised(network, seed)
        probe_path = export_onnx(probe, Path(folder) / "probe.onnx")
        probed = check_onnx(probe, probe_path, seed)
    return dataclasses.replace(probed, probe=True, own_logits_scale=check.logits_scale)
