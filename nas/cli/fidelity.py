"""`python -m nas.fidelity`: parse the flags, run the fidelity check, print its table and figures.

Check the proxy before a search: train the reference and samples of the space spread over its
FLOPs range with the proxy (the same flags as the search) and with a yardstick that sees
``--factor`` times the images, several seeds each, and measure how well the two rankings agree.
Running the same command again resumes from its run log; with everything logged it trains
nothing and prints the table again.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

import baselines
from nas.cli.common import Parser, add_proxy_arguments, proxy_from_args, run
from nas.fidelity import (
    DEFAULT_REFERENCE,
    PLOT_FILE,
    FidelityConfig,
    run_fidelity,
    run_truth_check,
    summary,
    truth_summary,
)
from nas.fidelity.config import FIDELITY_SPACES, TRUTH_TABLE
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W

PROG = "python -m nas.fidelity"


class RunProgress:
    """The bar of the check's runs on stderr (each run's line comes through the log): a
    ``nas.study.progress.Progress`` that the check moves with ``advance_to``."""

    def __init__(self, total: int, done: int, enabled: bool = True, label: str = "") -> None:
        self.bar = tqdm(
            total=total,
            initial=done,
            unit="run",
            desc=label or None,
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.0,
        )

    def __call__(self, *args: Any) -> None:  # Optuna's callback: the check has no trials
        pass

    def advance_to(self, done: int) -> None:
        self.bar.update(done - self.bar.n)  # update, not n=: the rate and ETA count it

    def close(self) -> None:
        self.bar.close()


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(
        prog=prog,
        description=(
            "Check the proxy before a search: train networks spread over the space's FLOPs "
            "range with the proxy and with a yardstick that sees --factor times the images, "
            "several seeds each, and measure how well the two rankings agree (Kendall tau, "
            "Spearman rho, bootstrap intervals, the seeds' own agreement). Re-running the same "
            "command resumes from its run log."
        ),
    )
    add = parser.add_argument
    group = parser.add_argument_group("the check")
    group.add_argument(
        "--networks", type=int, default=16, help="networks trained, the reference included"
    )
    group.add_argument(
        "--space",
        choices=FIDELITY_SPACES,
        default="mnasnet",
        help="mnasnet: the reference and samples of the space around it; nb-macro: "
        "NAS-Bench-Macro's networks (half from the top quartile of the truth), with --truth "
        "table and --dataset cifar10",
    )
    group.add_argument(
        "--truth",
        choices=(TRUTH_TABLE,),
        default=None,
        help="table: rank the proxy against NAS-Bench-Macro's 50-epoch accuracies; no yardstick "
        "is trained",
    )
    group.add_argument(
        "--table", default=None, help="--truth table: the table's file (default: the copy shipped)"
    )
    group.add_argument(
        "--reference",
        default=DEFAULT_REFERENCE,
        help="the space's reference, trained too: "
        + ", ".join(baselines.names())
        + ", an architecture string or a JSON file",
    )
    group.add_argument(
        "--factor",
        type=float,
        default=5.0,
        help="the yardstick sees this many times the proxy's training images",
    )
    group.add_argument(
        "--yardstick-images-seen",
        type=int,
        default=None,
        help="pin the yardstick's budget in images seen instead of --factor, so that proxy "
        "variants compare against the same yardstick and reuse its logged runs",
    )
    group.add_argument(
        "--yardstick-lr", type=float, default=None, help="the yardstick's lr (default: --lr's)"
    )
    group.add_argument(
        "--yardstick-batch-size",
        type=int,
        default=None,
        help="the yardstick's batch size (default: --batch-size's)",
    )
    group.add_argument("--proxy-seeds", type=int, default=2, help="proxy runs per network")
    group.add_argument("--yardstick-seeds", type=int, default=2, help="yardstick runs per network")
    group.add_argument(
        "--seed",
        type=int,
        default=0,
        help="fixes the networks, the held-out split and the training seeds",
    )
    group.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="training processes; above 1 they are spawned and split the CPU cores",
    )
    group.add_argument(
        "--out",
        default=None,
        help="the output folder (default: results/fidelity-<dataset>-<preset>)",
    )
    group.add_argument(
        "--runs",
        default=None,
        help="the run log: finished runs are appended and reused (default: OUT/runs.csv)",
    )
    group = parser.add_argument_group("the ranking by reward")
    group.add_argument(
        "--target-flops",
        type=float,
        default=DEFAULT_TARGET_FLOPS,
        help="T, in multiply-adds at the deployment shape",
    )
    group.add_argument("--w", type=float, default=DEFAULT_W, help="the reward's exponent")
    group.add_argument(
        "--resolution",
        type=int,
        default=baselines.DEPLOYMENT_RESOLUTION,
        help="deployment input size that FLOPs are priced at (3 channels, 1000 classes)",
    )
    add_proxy_arguments(parser)
    add("--no-progress", action="store_true", help="no progress bar")
    add("--no-plot", action="store_true", help=f"do not draw {PLOT_FILE}")
    return parser


CHECK_FIELDS = (
    "networks",
    "space",
    "truth",
    "table",
    "reference",
    "factor",
    "yardstick_images_seen",
    "yardstick_lr",
    "yardstick_batch_size",
    "proxy_seeds",
    "yardstick_seeds",
    "jobs",
    "out",
    "runs",
    "target_flops",
    "w",
    "resolution",
)


def config_from_args(args: Any) -> FidelityConfig:
    values = {name: getattr(args, name) for name in CHECK_FIELDS}
    return FidelityConfig(proxy=proxy_from_args(args), show_progress=not args.no_progress, **values)


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    config = config_from_args(args)
    truth = config.truth is not None
    with logging_redirect_tqdm(loggers=[logging.getLogger("nas")]):
        if truth:
            result = run_truth_check(config, progress=RunProgress)
        else:
            result = run_fidelity(config, progress=RunProgress)
    print(truth_summary(result) if truth else summary(result))
    written = [path.name for path in result.files]
    if not args.no_plot:
        from nas.report.canvas import PlotsUnavailable
        from nas.report.fidelity import fidelity_figure, truth_figure

        try:
            draw = truth_figure if truth else fidelity_figure
            draw(result, result.folder / PLOT_FILE)
            written.append(PLOT_FILE)
        except PlotsUnavailable as error:
            print(f"no plot: {error}")
    print(f"wrote {', '.join(written)} in {result.folder}/")
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.fidelity`` and ``efficientnas fidelity``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
