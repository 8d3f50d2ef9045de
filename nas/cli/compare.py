"""`python -m nas.compare`: the sampler benchmark against NAS-Bench-Macro's table of truth.

Each sampler searches the table (``--objective table``: no training) for each budget and noise
level, ``--repeats`` seeds each, paired by seed with random search; the winners are judged by
their true reward. Re-running the same command resumes from the run log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tqdm.contrib.logging import logging_redirect_tqdm

from nas.cli.common import Parser, run
from nas.cli.fidelity import RunProgress
from nas.compare import (
    DEFAULT_BUDGETS,
    DEFAULT_SAMPLERS,
    PLOT_FILE,
    CompareConfig,
    run_compare,
    summary_text,
)
from nas.reward import DEFAULT_W
from nas.search import SAMPLERS
from nas.study.workers import cores
from search_spaces import nb_macro

PROG = "python -m nas.compare"


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _budgets(text: str) -> tuple[Any, ...]:
    values: list[Any] = []
    for part in _names(text):
        values.append(int(part) if part.isdigit() else part)
    return tuple(values)


def _noises(text: str) -> tuple[Any, ...]:
    values: list[Any] = []
    for part in _names(text):
        if part == "run":
            values.append(None)
            continue
        try:
            values.append(float(part))
        except ValueError:
            values.append(part)  # CompareConfig names it
    return tuple(values)


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(
        prog=prog,
        description=(
            "Benchmark samplers on NAS-Bench-Macro's table of true CIFAR-10 accuracies: each "
            "searches the table with no training, for each budget and noise level, --repeats "
            "seeds each, paired by seed with random search; the winners are judged by their "
            "true reward. Re-running the same command resumes from its run log."
        ),
    )
    add = parser.add_argument
    add(
        "--samplers",
        default=",".join(DEFAULT_SAMPLERS),
        help=f"comma-separated, random among them (known: {', '.join(SAMPLERS)}); "
        "SAMPLER:halving (3 rungs, factor 3) or SAMPLER:halving:RxF spends the same training "
        "images on successive halving (SAMPLER:halving-continue: a promoted candidate keeps "
        "training); +preK trains only the best K%% of the candidates proposed by their "
        "NASWOT-predicted reward; +KxM retrains the best K networks M times (tpe+pre15+3x2)",
    )
    add(
        "--budgets",
        default=",".join(map(str, DEFAULT_BUDGETS)),
        help="comma-separated budgets, in trials of a plain search (a halving arm gets their "
        "training images)",
    )
    add(
        "--noise-sd",
        default="run",
        help="comma-separated noise levels: 'run' (a trial sees one of the table's 3 runs, "
        "chosen by the seed) or the sd of Gaussian noise on the mean accuracy (a fraction: "
        "0.01 is 1 point)",
    )
    add(
        "--noise-exponent",
        type=float,
        default=0.5,
        help="halving arms: a rung seeing 1/k of the images sees noise sd x k ** this",
    )
    add(
        "--noise-slope",
        type=float,
        default=1.0,
        help="the seen accuracy's log moves this times the truth's around the table's mean "
        "(below 1: a proxy that compresses differences, so the search weighs FLOPs more; "
        "the cpu proxy's accuracy measures 0.64, its train_fit 0.85)",
    )
    add(
        "--against",
        default="random",
        help="the arm every other is paired with (one of --samplers); another than random "
        "writes summary-vs-ARM.csv/.json",
    )
    add("--repeats", type=int, default=100, help="seeds per sampler, budget and noise level")
    add("--first-seed", type=int, default=0, help="the seeds are FIRST_SEED ... + REPEATS - 1")
    add(
        "--target-flops",
        type=float,
        default=nb_macro.TARGET_FLOPS,
        help="T of the reward, in multiply-adds at 32 px",
    )
    add("--w", type=float, default=DEFAULT_W, help="the reward's exponent")
    add("--table", default=None, help="the table's JSON file (default: the copy shipped)")
    add("--jobs", type=int, default=cores(), help="processes (default: the cores)")
    add("--out", default="results/compare-nb-macro", help="the output folder")
    add("--no-progress", action="store_true", help="no progress bar")
    add("--no-plot", action="store_true", help=f"do not draw {PLOT_FILE}")
    return parser


def config_from_args(args: Any) -> CompareConfig:
    return CompareConfig(
        samplers=_names(args.samplers),
        budgets=_budgets(args.budgets),
        noise_sds=_noises(args.noise_sd),
        noise_exponent=args.noise_exponent,
        noise_slope=args.noise_slope,
        baseline=args.against,
        repeats=args.repeats,
        first_seed=args.first_seed,
        target_flops=args.target_flops,
        w=args.w,
        table=args.table,
        jobs=args.jobs,
        out=args.out,
        show_progress=not args.no_progress,
    )


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    config = config_from_args(args)
    with logging_redirect_tqdm(loggers=[logging.getLogger("nas")]):
        result = run_compare(config, progress=RunProgress)
    if config.noise_slope != 1:
        print(
            f"noise slope {config.noise_slope:g}: each seen accuracy's log moves "
            f"{config.noise_slope:g} times the truth's around the table's mean"
        )
    print(summary_text(result.summary, config.baseline))
    written = [path.name for path in result.files]
    if not args.no_plot:
        from nas.report.canvas import PlotsUnavailable
        from nas.report.compare import anytime_figure

        try:
            anytime_figure(result, config.folder / PLOT_FILE)
            written.append(PLOT_FILE)
        except PlotsUnavailable as error:
            print(f"no plot: {error}")
    print(f"wrote {', '.join(written)} in {config.folder}/")
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.compare`` and ``efficientnas compare``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
