"""`python -m nas.export`: take the winner away, as timm block strings (with its weights under
timm's names), as an ONNX file checked against PyTorch with onnxruntime, or as a checkpoint
folder (``model, info = nas.checkpoint.load("DIR")``).

    python -m nas.export results/fashion-mnist-tpe/best.json --format timm
    python -m nas.export efficientnet_b0 --format onnx --out b0.onnx
    python -m nas.export best.json --train --dataset cifar10 --format pytorch --out winner

The network is ARCH (a baseline name, an architecture string or a .json file) freshly
initialised, ARCH trained on the proxy data first (``--train``), or a checkpoint's
(``--checkpoint DIR``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from nas import checkpoint
from nas.checkpoint import CheckpointInfo
from nas.cli import CommandFailed, Parser, resolve_arch, run
from nas.data import load_data
from nas.logs import quiet
from nas.search import PROXY_FLAGS, SearchConfig, add_proxy_arguments, resolve_device
from nas.timm_format import timm_snippet, timm_state_dict
from nas.train import TrainingFailed, build_for, train
from search_spaces import ArchSpec, build_model, encode
from search_spaces.network import ArchNet

PROG = "python -m nas.export"
FORMATS = ("timm", "onnx", "pytorch")
INSTALL_HINT = "pip install 'efficientnas[export]'"
DEFAULT_NUM_CLASSES = 1000
DEFAULT_IN_CHANNELS = 3
ONNX_INPUT = "images"
ONNX_OUTPUT = "logits"
ONNX_EXAMPLE_BATCH = 2
ONNX_CHECK_BATCH = 3  # not the example's batch: the check also exercises the dynamic batch axis
ONNX_TOLERANCE = 1e-3  # relative to the largest magnitude of the output compared


@dataclass(frozen=True)
class Network:
    """A network to export, what it expects as input, and its name in messages."""

    model: ArchNet
    info: CheckpointInfo
    label: str

    @property
    def parameters(self) -> int:
        return sum(parameter.numel() for parameter in self.model.parameters())

    def describe(self) -> str:
        info = self.info
        return (
            f"{self.label}: {self.parameters:,} parameters, {info.num_classes} classes, "
            f"input {info.in_channels}x{info.image_size}x{info.image_size}"
        )


@dataclass(frozen=True)
class OnnxCheck:
    """onnxruntime's outputs against PyTorch's on the same random images: the largest
    absolute difference and the largest magnitude of each output compared."""

    batch: int
    logits_diff: float
    logits_scale: float
    features_diff: float | None  # the pooled features the classifier reads, where found
    features_scale: float | None

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
        return (
            f"onnxruntime vs PyTorch on {self.batch} random images: max abs difference "
            f"{', '.join(parts)}; tolerance {ONNX_TOLERANCE:g} x largest"
        )


# ----------------------------------------------------------------------------- the network


def untrained_network(
    arch: ArchSpec,
    num_classes: int = DEFAULT_NUM_CLASSES,
    in_channels: int = DEFAULT_IN_CHANNELS,
    seed: int = 0,
    label: str = "architecture",
) -> Network:
    """``arch`` freshly initialised (seeded); its info records no input normalisation."""
    torch.manual_seed(seed)
    model = build_model(arch, num_classes=num_classes, in_channels=in_channels).eval()
    info = CheckpointInfo(
        arch=arch,
        num_classes=num_classes,
        in_channels=in_channels,
        image_size=arch.resolution,
        mean=(0.0,) * in_channels,
        std=(1.0,) * in_channels,
    )
    return Network(model, info, label)


def trained_network(arch: ArchSpec, proxy: SearchConfig, label: str = "architecture") -> Network:
    """``arch`` trained with the proxy trainer on ``proxy``'s data; the accuracy on its
    held-out images is ``info.metrics["accuracy"]``."""
    data = load_data(proxy.data_config, resolve_device(proxy.device))
    config = proxy.train_config
    model = build_for(arch, data, config, seed=proxy.seed)
    try:
        result = train(model, data, config, seed=proxy.seed)
    except TrainingFailed as error:
        raise CommandFailed(f"training failed: {error}") from None
    metrics = {
        "accuracy": result.accuracy,
        "dataset": data.name,
        "train_images": int(data.train_images.shape[0]),
        "val_images": int(data.val_images.shape[0]),
        "epochs": config.epochs,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "seed": proxy.seed,
    }
    info = CheckpointInfo(
        arch=arch,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        image_size=data.image_size,
        mean=data.mean,
        std=data.std,
        metrics=metrics,
    )
    return Network(model.cpu().eval(), info, label)


def checkpoint_network(folder: str | Path) -> Network:
    """A checkpoint folder's network, weights loaded."""
    model, info = checkpoint.load(folder)
    return Network(model, info, f"checkpoint {str(folder)!r}")


# ----------------------------------------------------------------------------- the formats


def export_pytorch(network: Network, folder: str | Path) -> Path:
    """``folder/model.pt`` and ``folder/arch.json``: ``nas.checkpoint.load(folder)`` reads them."""
    return checkpoint.save(network.model, network.info, folder)


def export_timm(network: Network, weights_file: str | Path | None = None) -> str:
    """The timm script that builds the network; with ``weights_file``, its weights are written
    there under timm's names and the script loads them."""
    info = network.info
    if weights_file is not None:
        state = timm_state_dict(network.model)  # refuses what timm cannot build first
        Path(weights_file).parent.mkdir(parents=True, exist_ok=True)
        torch.save(state, weights_file)
    return timm_snippet(
        info.arch,
        num_classes=info.num_classes,
        in_channels=info.in_channels,
        weights_file=None if weights_file is None else str(weights_file),
        image_size=info.image_size,
    )


def _onnx_modules() -> tuple[Any, Any]:
    try:
        import onnx
        import onnxruntime
        import onnxscript  # noqa: F401  (torch's ONNX exporter needs it)
    except ImportError as error:
        raise ValueError(
            f"--format onnx needs onnx, onnxruntime and onnxscript ({error.name or 'one'} is "
            f"not installed): {INSTALL_HINT}"
        ) from None
    return onnx, onnxruntime


def export_onnx(network: Network, path: str | Path) -> Path:
    """Write the network as ONNX: input ``images`` (batch, C, H, W) with a dynamic batch,
    output ``logits``; weights inside the file."""
    _onnx_modules()
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
        raise CommandFailed(f"ONNX export failed: {type(error).__name__}: {first}") from None
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
    onnx, onnxruntime = _onnx_modules()
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
        raise CommandFailed(
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


# ----------------------------------------------------------------------------- the command


@dataclass(frozen=True)
class ExportConfig:
    """One ``python -m nas.export`` run."""

    arch: str | None = None
    format: str = "timm"
    out: str | None = None
    checkpoint: str | None = None
    num_classes: int | None = None  # None: 1000, or the checkpoint's or the dataset's
    in_channels: int | None = None
    seed: int = 0
    proxy: SearchConfig | None = None  # set: train on the proxy data first

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"--format={self.format!r} is invalid: use {', '.join(FORMATS)}")
        if (self.arch is None) == (self.checkpoint is None):
            raise ValueError("give ARCH or --checkpoint DIR (one of them)")
        if self.checkpoint is not None and self.proxy is not None:
            raise ValueError("--train trains ARCH afresh; a --checkpoint is trained already")
        if self.out is None and self.format != "timm":
            raise ValueError(f"--format {self.format} needs --out")
        if self.out is None and self.proxy is not None:
            raise ValueError("--train needs --out, or the trained weights would be lost")
        for name in ("num_classes", "in_channels"):
            value = getattr(self, name)
            flag = "--" + name.replace("_", "-")
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{flag}={value!r} is invalid: must be an integer >= 1")
            if self.checkpoint is not None or self.proxy is not None:
                source = "the checkpoint" if self.checkpoint is not None else "the dataset"
                raise ValueError(f"{flag} comes from {source}; leave it out")


def prepare_network(config: ExportConfig) -> Network:
    """The network ``config`` names: a checkpoint's, ARCH trained, or ARCH fresh."""
    if config.checkpoint is not None:
        return checkpoint_network(config.checkpoint)
    arch = resolve_arch(config.arch)
    label = config.arch if not config.arch.startswith("stem") else encode(arch)
    if config.proxy is not None:
        return trained_network(arch, config.proxy, label)
    return untrained_network(
        arch,
        num_classes=config.num_classes or DEFAULT_NUM_CLASSES,
        in_channels=config.in_channels or DEFAULT_IN_CHANNELS,
        seed=config.seed,
        label=label,
    )


def _summary(network: Network) -> list[str]:
    lines = [network.describe()]
    metrics = network.info.metrics
    if "accuracy" in metrics:
        lines.append(
            f"validation accuracy {metrics['accuracy']:.2%} on {metrics.get('val_images', '?')} "
            f"held-out images of {metrics.get('dataset', 'its dataset')}"
        )
    return lines


def run_export(config: ExportConfig) -> list[str]:
    """Do the export; the lines to print (for timm: a Python script)."""
    if config.format == "onnx":
        _onnx_modules()  # before any training
    network = prepare_network(config)
    summary = _summary(network)
    if config.format == "timm":
        script = export_timm(network, config.out)
        saved = [f"weights under timm's names: {config.out}"] if config.out else []
        return [f"# {line}" for line in summary + saved] + [script.rstrip("\n")]
    if config.format == "pytorch":
        folder = export_pytorch(network, config.out)
        return summary + [
            f"wrote {folder / checkpoint.MODEL_FILE} and {folder / checkpoint.ARCH_FILE}",
            f'load it with: model, info = nas.checkpoint.load("{folder}")',
        ]
    path = export_onnx(network, config.out)
    check = check_onnx(network, path, seed=config.seed)
    info = network.info
    size = f"{info.in_channels}, {info.image_size}, {info.image_size}"
    lines = summary + [
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): input {ONNX_INPUT!r} "
        f"(batch, {size}), output {ONNX_OUTPUT!r} (batch, {info.num_classes})",
        check.describe(),
    ]
    if not check.passed:
        raise CommandFailed(f"{check.describe()}: {str(path)!r} does not match PyTorch")
    return lines


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=(
            "Export an architecture (or a checkpoint) for timm, as ONNX, or as a PyTorch "
            "checkpoint folder; --train trains it on the proxy data first."
        ),
    )
    parser.add_argument(
        "arch",
        nargs="?",
        default=None,
        metavar="ARCH",
        help="a search's best.json, a scaling b<phi>.json, a baseline name or an "
        "architecture string (or give --checkpoint)",
    )
    parser.add_argument(
        "--format",
        default="timm",
        choices=FORMATS,
        help="timm: print timm's block strings and a script building the network (weights "
        "to --out FILE.pth if given); onnx: write --out FILE.onnx and check it with "
        "onnxruntime; pytorch: write the checkpoint folder --out DIR",
    )
    parser.add_argument("--out", default=None, help="the file or folder to write")
    parser.add_argument(
        "--checkpoint",
        default=None,
        metavar="DIR",
        help="export this checkpoint's architecture and trained weights instead of ARCH",
    )
    parser.add_argument(
        "--num-classes",
        type=int,
        default=None,
        help=f"classifier outputs (default: {DEFAULT_NUM_CLASSES}; with --checkpoint or "
        "--train: theirs)",
    )
    parser.add_argument(
        "--in-channels",
        type=int,
        default=None,
        help=f"input channels (default: {DEFAULT_IN_CHANNELS}; with --checkpoint or --train: "
        "theirs)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="initial weights, and the data split and training (default: %(default)s)",
    )
    parser.add_argument(
        "--train",
        action="store_true",
        help="train ARCH with the proxy trainer on the data below before exporting it, and "
        "record its validation accuracy",
    )
    add_proxy_arguments(parser)
    return parser


def config_from_args(args: Any) -> ExportConfig:
    proxy = None
    if args.train:
        proxy = SearchConfig(**{name: getattr(args, name) for name in PROXY_FLAGS}, seed=args.seed)
    return ExportConfig(
        arch=args.arch,
        format=args.format,
        out=args.out,
        checkpoint=args.checkpoint,
        num_classes=args.num_classes,
        in_channels=args.in_channels,
        seed=args.seed,
        proxy=proxy,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for line in run_export(config_from_args(args)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main, PROG))
