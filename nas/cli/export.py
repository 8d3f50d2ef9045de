"""`python -m nas.export`: parse the flags, run the export, print what was written.

Take the winner away, as timm block strings (with its weights under timm's names), as an ONNX
file checked against PyTorch with onnxruntime, or as a checkpoint folder
(``model, info = nas.train.checkpoint.load("DIR")``).

    python -m nas.export results/fashion-mnist-tpe/best.json --format timm
    python -m nas.export efficientnet_b0 --format onnx --out b0.onnx
    python -m nas.export best.json --train --dataset cifar10 --format pytorch --out winner

The network is ARCH (a baseline name, an architecture string or a .json file) freshly
initialised, ARCH trained on the proxy data first (``--train``), or a checkpoint's
(``--checkpoint DIR``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nas.cli.common import Parser, add_proxy_arguments, proxy_from_args, run
from nas.export import (
    DEFAULT_IN_CHANNELS,
    DEFAULT_NUM_CLASSES,
    FORMATS,
    ExportConfig,
    Exported,
    run_export,
    summary,
)
from nas.export.onnx import ONNX_INPUT, ONNX_OUTPUT
from nas.train import checkpoint

PROG = "python -m nas.export"


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(
        prog=prog,
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
        help="classifier outputs (default: a search's best.json: its study's; else "
        f"{DEFAULT_NUM_CLASSES}, or 10 for a NAS-Bench-Macro network; with --checkpoint or "
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
    return ExportConfig(
        arch=args.arch,
        format=args.format,
        out=args.out,
        checkpoint=args.checkpoint,
        num_classes=args.num_classes,
        in_channels=args.in_channels,
        image_size=None if args.train else args.image_size,
        seed=args.seed,
        proxy=proxy_from_args(args, seed=args.seed) if args.train else None,
    )


def export_lines(exported: Exported) -> list[str]:
    """The export as the command prints it (for timm: a Python script, the rest as comments)."""
    network = exported.network
    lines = summary(network)
    if exported.format == "timm":
        saved = [f"weights under timm's names: {exported.path}"] if exported.path else []
        return [f"# {line}" for line in lines + saved] + [(exported.script or "").rstrip("\n")]
    if exported.format == "pytorch":
        folder = exported.path
        return lines + [
            f"wrote {folder / checkpoint.MODEL_FILE} and {folder / checkpoint.ARCH_FILE}",
            f'load it with: model, info = nas.train.checkpoint.load("{folder}")',
        ]
    path, info = exported.path, network.info
    size = f"{info.in_channels}, {info.image_size}, {info.image_size}"
    return lines + [
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): input {ONNX_INPUT!r} "
        f"(batch, {size}), output {ONNX_OUTPUT!r} (batch, {info.num_classes})",
        exported.check.describe(),
    ]


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    for line in export_lines(run_export(config_from_args(args))):
        print(line)
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.export`` and ``efficientnas export``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
