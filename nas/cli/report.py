"""`python -m nas.report PATH...`: parse the flags, write the report, print what it wrote.

The top-k table, the Pareto front, the reward history, parameter importances and the
compound-scaling figures of one or more studies, in one self-contained HTML page; ``--cam``
adds class activation maps of trained checkpoints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from nas.cli.common import EXIT_USAGE, Parser, run
from nas.data import fixed_datasets
from nas.report import CamConfig, PlotsUnavailable, make_report
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W

PROG = "python -m nas.report"


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(
        prog=prog,
        description=(
            "Report on one or more studies: the top-k table, the Pareto front of accuracy "
            "against FLOPs, the best reward by trial, parameter importances, the compound-"
            "scaling figures, and one self-contained report.html. --cam draws class "
            "activation maps of trained checkpoints."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a results/<study> folder, a trials.csv or a scaling folder; several compare "
        "studies, each labelled by its folder's name",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output folder (default: the first PATH's folder; with --cam alone, the first "
        "checkpoint's)",
    )
    parser.add_argument("--top-k", type=int, default=10, help="rows of the top table per study")
    group = parser.add_argument_group("reward isolines")
    group.add_argument(
        "--target-flops",
        type=float,
        default=None,
        help=f"T (default: the study's config.json, else {DEFAULT_TARGET_FLOPS / 1e6:g}e6)",
    )
    group.add_argument(
        "--w",
        type=float,
        default=None,
        help=f"the exponent (default: config.json, else {DEFAULT_W:g})",
    )
    group = parser.add_argument_group("class activation maps")
    group.add_argument(
        "--cam",
        nargs="+",
        default=None,
        metavar="CHECKPOINT_DIR",
        help="checkpoint folders (model.pt + arch.json), one column each, side by side; "
        "put PATHs before --cam",
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument("--images", default=None, help="a folder of image files to explain")
    source.add_argument(
        "--dataset",
        default=None,
        choices=fixed_datasets(),
        help="explain the first --count held-out validation images of this dataset",
    )
    group.add_argument("--data-dir", default=None, help="where --dataset's files are")
    group.add_argument("--count", type=int, default=8, help="images, one row each")
    group.add_argument(
        "--seed", type=int, default=0, help="the validation split's seed (default: %(default)s)"
    )
    return parser


def cam_config_from_args(args: Any) -> CamConfig | None:
    """The CAM settings of parsed flags, or None without ``--cam``."""
    if not args.cam:
        return None
    return CamConfig(
        checkpoints=tuple(args.cam),
        images=args.images,
        dataset=args.dataset,
        data_dir=args.data_dir,
        count=args.count,
        seed=args.seed,
    )


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.paths and not args.cam:
        parser.error("give at least one PATH (a results folder or trials.csv) or --cam DIR...")
    if not args.cam and (args.images or args.dataset):
        parser.error("--images and --dataset go with --cam CHECKPOINT_DIR")
    cam = cam_config_from_args(args)
    try:
        make_report(
            args.paths,
            out=args.out,
            top_k=args.top_k,
            target_flops=args.target_flops,
            w=args.w,
            cam=cam,
            echo=print,
        )
    except PlotsUnavailable as error:
        sys.stderr.write(f"{prog}: error: {error}\n")
        return EXIT_USAGE
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.report`` and ``efficientnas report``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
