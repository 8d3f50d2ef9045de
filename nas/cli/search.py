"""`python -m nas.search`: parse the flags, run the search, print its table.

Running the same command again resumes the study: finished trials are kept, the numbering goes
on, and ``--trials`` is the study's total, so a killed job is finished rather than extended.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import baselines
from nas.cli.common import Parser, add_proxy_arguments, proxy_from_args, run
from nas.cli.progress import TrialProgress
from nas.cli.search_text import plan_text, status_text, summary_text
from nas.proxy import PRESETS
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_V, DEFAULT_W
from nas.search import PRUNERS, SAMPLERS, SearchConfig, run_search, study_status
from nas.search.checks import METRICS, OBJECTIVES, REWARDS
from nas.search.config import DEFAULT_REFERENCE
from nas.search.strategy import PROMOTIONS, STRATEGIES
from nas.study.storage import HEARTBEAT_SECONDS
from search_spaces import DEFAULT_SPACE, SPACES, nb_macro

PROG = "python -m nas.search"


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(
        prog=prog,
        description=(
            "Search the MnasNet space around a reference network: train each candidate briefly "
            "on a proxy dataset and score it with ACC x (FLOPS/T)^w. Re-running the same command "
            "resumes the study."
        ),
    )
    add = parser.add_argument
    group = parser.add_argument_group("reward")
    group.add_argument(
        "--target-flops",
        type=float,
        default=None,
        help=f"T, in multiply-adds at the deployment shape (default {DEFAULT_TARGET_FLOPS:g}; "
        f"nb-macro: {nb_macro.TARGET_FLOPS:g})",
    )
    group.add_argument(
        "--reward",
        dest="reward_kind",
        choices=REWARDS,
        default="flops",
        help="flops: ACC x (FLOPS/T)^w; v2: EfficientNetV2's training-aware ACC x S^w x P^v, "
        "S the training step time and P the parameters, each relative to the reference's",
    )
    group.add_argument(
        "--w", type=float, default=DEFAULT_W, help="exponent of FLOPs (flops) or step time (v2)"
    )
    group.add_argument("--v", type=float, default=DEFAULT_V, help="v2: exponent of parameters")
    group.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="exponent at or under T (hard constraint: 0); needs --beta",
    )
    group.add_argument(
        "--beta",
        type=float,
        default=None,
        help="exponent above T (hard constraint: -1); needs --alpha",
    )
    group.add_argument(
        "--min-flops", type=float, default=None, help="candidates below are recorded, not trained"
    )
    group.add_argument(
        "--max-flops", type=float, default=None, help="candidates above are recorded, not trained"
    )
    group.add_argument(
        "--target-latency-ms",
        type=float,
        default=None,
        help="T in milliseconds: the reward is ACC x (LAT/T)^w (MnasNet's), LAT predicted from "
        "--latency-table; --alpha 0 --beta -1 is the hard constraint",
    )
    group.add_argument(
        "--latency-table",
        default=None,
        help="the latency table (python -m nas.latency build; built here if missing; default "
        "results/latency/torch-cpu-1t-b1.json)",
    )
    group.add_argument(
        "--min-latency-ms",
        type=float,
        default=None,
        help="candidates predicted faster are recorded, not trained",
    )
    group.add_argument(
        "--max-latency-ms",
        type=float,
        default=None,
        help="candidates predicted slower are recorded, not trained",
    )
    group.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="deployment input size that FLOPs are priced at (default 224 px, 3 channels, 1000 "
        "classes; nb-macro: 32 px, 10 classes)",
    )
    group = parser.add_argument_group("search space")
    group.add_argument(
        "--reference",
        default=DEFAULT_REFERENCE,
        choices=baselines.names(),
        help="the architecture the space is built around, enqueued as trial 0",
    )
    group.add_argument(
        "--space",
        choices=SPACES,
        default=DEFAULT_SPACE,
        help="mnasnet: every op, expansion {1, 3, 6}; v2: EfficientNetV2's {MBConv, "
        "Fused-MBConv}, expansion {1, 4, 6}; both kernel {3, 5} around --reference; nb-macro: "
        "NAS-Bench-Macro's 6,561 networks for 32x32 inputs (CIFAR-10), true accuracies known",
    )
    group.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="train",
        help="train: each candidate trains on the proxy; table: no training, a candidate's "
        "accuracy is looked up in the space's table of true accuracies (nb-macro)",
    )
    group.add_argument(
        "--metric",
        choices=METRICS,
        default="accuracy",
        help="the reward's ACC: top-1 accuracy; balanced_accuracy (the mean of each class's "
        "accuracy; for imbalanced data); or train_fit, exp(-mean training loss over the last "
        "quarter of training), which ranks NAS-Bench-Macro's networks a little better than "
        "the cpu proxy's accuracy (docs/benchmarks.md). trials.csv records all three",
    )
    group.add_argument(
        "--noise-sd",
        type=float,
        default=None,
        help="--objective table: see the table's mean accuracy plus Gaussian noise of this sd "
        "(a fraction: 0.01 is 1 point) instead of one of its runs (chosen by --seed)",
    )
    group.add_argument(
        "--noise-slope",
        type=float,
        default=1.0,
        help="--objective table: the seen accuracy's log moves this times the truth's around "
        "the table's mean (below 1: a proxy that compresses differences, and so weighs FLOPs "
        "more; the cpu proxy's accuracy measures 0.64, its train_fit 0.85)",
    )
    group.add_argument(
        "--table",
        default=None,
        help="--objective table: the table's JSON file (default: the copy shipped)",
    )
    group.add_argument(
        "--no-reference",
        action="store_true",
        help="do not enqueue the reference as the first trial",
    )
    add_proxy_arguments(parser)
    group = parser.add_argument_group("study")
    group.add_argument(
        "--sampler",
        default="tpe",
        choices=SAMPLERS,
        help="tpe (multivariate, grouped), tpe-univariate (independent TPE), random, nsga2 "
        "(accuracy and FLOPs), evolution (regularized evolution)",
    )
    group.add_argument(
        "--pruner",
        default=None,
        choices=PRUNERS,
        help="default: the preset's ("
        + ", ".join(f"{name}: {preset.pruner}" for name, preset in PRESETS.items())
        + "); never prunes at a candidate's last evaluation",
    )
    group.add_argument(
        "--trials",
        type=int,
        default=12,
        help="the study's total of finished trials, the reference included",
    )
    group.add_argument(
        "--budget-images",
        type=int,
        default=None,
        help="the whole search's budget in training images seen (every rung of every trial); "
        "the trials then follow from it, so strategies can be given the same compute",
    )
    group.add_argument(
        "--strategy",
        default="plain",
        choices=STRATEGIES,
        help="plain: every candidate trains with the proxy's images; halving: successive "
        "halving over images seen, many candidates on few images, the best promoted",
    )
    group.add_argument(
        "--rungs", type=int, default=3, help="halving: rungs per candidate (the last: the proxy's)"
    )
    group.add_argument(
        "--reduction-factor",
        type=int,
        default=3,
        help="halving: a rung has this many times the images of the one below, and 1 in this "
        "many candidates climbs to it",
    )
    group.add_argument(
        "--promotion",
        default="restart",
        choices=PROMOTIONS,
        help="halving: a promoted candidate restarts with its rung's own schedule, or continues "
        "its training (one schedule, the last rung's; the lower rungs scored mid-way)",
    )
    group.add_argument(
        "--prescreen",
        type=float,
        metavar="SHARE",
        help="train only this share (e.g. 0.15) of the candidates proposed, by the reward their "
        "NASWOT score predicts; --trials or the budget count those trained (default: 0.15 on "
        "nb-macro, where NASWOT ranks the networks, else 1: every candidate)",
    )
    group.add_argument(
        "--finalists",
        type=int,
        default=None,
        help="within the trials, retrain the best this many networks with other seeds and name "
        "the best mean the winner (0: the best single trial wins; default: 3 from 30 trials on, "
        "else 0)",
    )
    group.add_argument("--finalist-seeds", type=int, default=2, help="retrainings of each finalist")
    group.add_argument(
        "--timeout", type=float, default=None, help="stop starting trials after this many seconds"
    )
    group.add_argument(
        "--seed", type=int, default=0, help="fixes sampling, the data split and training"
    )
    group.add_argument(
        "--study-name",
        default=None,
        help="default: <dataset>-<sampler>; the same name resumes the study",
    )
    group.add_argument(
        "--results-dir", default="results", help="outputs go to RESULTS_DIR/<study>/"
    )
    group.add_argument(
        "--storage",
        default=None,
        help="sqlite:///FILE, postgresql://... or redis://... (default: a "
        "journal file in the study's folder)",
    )
    group = parser.add_argument_group("workers")
    group.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes on this host, sharing the study (default: one per --devices "
        "entry, else 1); on the CPU they split the cores",
    )
    group.add_argument(
        "--devices",
        default=None,
        help="comma-separated devices, one worker each, round robin (cuda:0,cuda:1)",
    )
    group.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per worker (default: cores / workers)",
    )
    group.add_argument(
        "--heartbeat",
        type=float,
        default=HEARTBEAT_SECONDS,
        help="seconds between a running trial's heartbeats; a trial silent for twice this is "
        "retried by another worker",
    )
    group.add_argument(
        "--status",
        action="store_true",
        help="print how far the study is (from any host sharing --storage) and exit",
    )
    add("--top-k", type=int, default=10, help="rows of the final table")
    add("--no-progress", action="store_true", help="no progress bar")
    add(
        "--dry-run",
        action="store_true",
        help="print the space, the reference's cost and the plan, then exit",
    )
    return parser


def config_from_args(args: Any) -> SearchConfig:
    fields = {field.name for field in dataclasses.fields(SearchConfig)} - {"proxy"}
    values = {name: value for name, value in vars(args).items() if name in fields}
    values["proxy"] = proxy_from_args(args)
    values["use_reference"] = not args.no_reference
    values["show_progress"] = not args.no_progress
    if args.devices is not None:
        values["devices"] = tuple(d.strip() for d in args.devices.split(",") if d.strip())
    if args.workers is None:
        values["workers"] = len(values["devices"]) if args.devices is not None else 1
    return SearchConfig(**values)


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    config = config_from_args(args)
    if args.dry_run:
        print(plan_text(config))
        return 0
    if args.status:
        print(status_text(study_status(config)))
        return 0
    study = run_search(config, progress=TrialProgress)
    print(summary_text(study, config))
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.search`` and ``efficientnas search``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
