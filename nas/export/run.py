"""Running one export: the network ``ExportConfig`` names, written in its format, and the lines
that say what was written (for timm: a Python script).

The network is ARCH (a baseline name, an architecture string, ``nb-macro:KEY`` or a .json file)
freshly initialised, ARCH trained on the proxy data first (``config.proxy``), or a checkpoint's
(``config.checkpoint``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nas.archs import resolve_arch
from nas.errors import JobFailed
from nas.export.config import ExportConfig
from nas.export.network import (
    DEFAULT_IN_CHANNELS,
    Network,
    checkpoint_network,
    trained_network,
    untrained_network,
)
from nas.export.onnx import (
    OnnxCheck,
    check_export,
    export_onnx,
    onnx_modules,
)
from nas.export.pytorch import export_pytorch
from nas.export.task import study_task
from nas.export.timm_script import export_timm
from search_spaces import encode


def prepare_network(config: ExportConfig) -> Network:
    """The network ``config`` names: a checkpoint's, ARCH trained, or ARCH fresh."""
    if config.checkpoint is not None:
        return checkpoint_network(config.checkpoint)
    arch = resolve_arch(config.arch)
    label = config.arch if not config.arch.startswith("stem") else encode(arch)
    if config.proxy is not None:
        return trained_network(arch, config.proxy, label)
    task = study_task(config.arch)  # a search's best.json: its classes, channels and size
    if task:
        label = f"{label} (the study's task)"
    return untrained_network(
        arch,
        # None: 1000, or 10 for a NAS-Bench-Macro network
        num_classes=config.num_classes or task.get("num_classes"),
        in_channels=config.in_channels or task.get("in_channels") or DEFAULT_IN_CHANNELS,
        seed=config.seed,
        label=label,
        image_size=config.image_size or task.get("image_size"),
    )


def summary(network: Network) -> list[str]:
    """What the network is, and its validation accuracy where it was trained."""
    lines = [network.describe()]
    metrics = network.info.metrics
    if "accuracy" in metrics:
        lines.append(
            f"validation accuracy {metrics['accuracy']:.2%} on {metrics.get('val_images', '?')} "
            f"held-out images of {metrics.get('dataset', 'its dataset')}"
        )
    return lines


@dataclass(frozen=True)
class Exported:
    """What an export made: the network, where it went, and for ONNX the check against
    PyTorch; ``export_lines`` says it as the command prints it."""

    format: str  # timm, onnx or pytorch
    network: Network
    path: Path | None  # the ONNX file, the checkpoint folder, timm's weights (None: unsaved)
    script: str | None = None  # timm: the Python that builds the network in timm
    check: OnnxCheck | None = None  # onnx: onnxruntime against PyTorch


def run_export(config: ExportConfig) -> Exported:
    """Do the export. ConfigError before any work where the ONNX packages are missing;
    JobFailed where the training, the ONNX export or its check fails."""
    if config.format == "onnx":
        onnx_modules()  # before any training
    network = prepare_network(config)
    if config.format == "timm":
        script = export_timm(network, config.out)
        weights = Path(config.out) if config.out else None
        return Exported("timm", network, weights, script=script)
    if config.format == "pytorch":
        return Exported("pytorch", network, export_pytorch(network, config.out))
    path = export_onnx(network, config.out)
    check = check_export(network, path, seed=config.seed)
    if not check.passed:
        raise JobFailed(f"{check.describe()}: {str(path)!r} does not match PyTorch")
    return Exported("onnx", network, path, check=check)
