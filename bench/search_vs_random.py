"""Does the search beat random sampling, and B0?

    python bench/search_vs_random.py [--space mnasnet|nb-macro]
        [--samplers tpe,evolution,random] [--seeds 0,1,2]
        [--trials 20] [--factor 5] [--yardstick-seeds 1] [--dataset cifar10] [--data-dir DIR]
        [--results-dir bench/search_vs_random] [--runs bench/search_vs_random_runs.csv]
        [--csv FILE] [--jobs 1] [--threads N] [--dry-run] [--from-log]
        [the proxy flags of nas.search: --preset, --train-subset, --batch-size, --device...]

The plan: for each sampler and seed, a search exactly as ``python -m nas.search`` runs it (the
reference B0 is trial 0 of each) in the study ``<dataset>-<sampler>-seed<seed>`` under
``--results-dir``; its winner and B0 are retrained with the yardstick, the same proxy with
``--factor`` times the images seen and proxy seed 1000 + i for yardstick seed i (each network
sees the same held-out images and batches, none the split its search chose it by). The table:
each run's winner, medians, each sampler against random search of the same seed on yardstick
reward (what the search maximises) and accuracy (wins, win rate with its 90% interval, sign-test
and one-sided Wilcoxon p), against B0 within its FLOPs, and whether each search climbed the
proxy reward it saw. The library does the work (``nas.compare.retrain``): the studies resume
where they stopped, every retrain is a row of the fidelity run log ``--runs`` (never trained
twice), and ``--from-log`` prints the table from the studies and the log, training nothing.
A run that fails is reported, the others go on, and the bench exits 1 after the table.

``--space nb-macro``: the searches train NAS-Bench-Macro networks on CIFAR-10 and each winner
is judged by the truth (its 50-epoch mean accuracy in the table, the reward's FLOPs term, its
percentile in the space), training nothing more. A sampler may be an arm of ``nas.compare``
(``tpe+3x2``: the best 3 retrained twice; ``tpe+pre15+3x2``: the NASWOT pre-screen as well,
nb-macro's default search; ``tpe:halving:2x2``): every arm gets the training images of
``--trials`` plain trials, and screens only when its name says so (``+preK``).

``--jobs N`` runs N searches at once in separate processes (torch threads: the cores / N). Each
trial prints a line, and each search as it ends (``3 of 16 jobs ended (random seed 1), 250 min
this time``).
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from nas.cli.common import add_proxy_arguments, proxy_from_args, run, stderr_messages
from nas.cli.progress import TrialProgress
from nas.compare.config import Arm
from nas.compare.retrain import plan_retrains, run_retrains
from nas.compare.retrain_table import (
    climb_text,
    plan_text,
    retrain_table,
    table_text,
    truth_table,
    truth_text,
)
from nas.errors import ConfigError
from nas.study.workers import cores


class Labelled:
    """A search's progress: TrialProgress with the study's name before each trial's line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, total: int, done: int, enabled: bool = True, label: str = ""):
        return TrialProgress(total, done, enabled, f"{self.name} {label}")


def say(line: str) -> None:
    print(line, flush=True)


def names(text: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    for value in values:
        try:
            Arm.parse(value)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    if not values:
        raise argparse.ArgumentTypeError("name at least one sampler")
    return values


def seeds(text: str) -> tuple[int, ...]:
    try:
        values = tuple(dict.fromkeys(int(v) for v in text.split(",") if v.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of integers") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError("seeds are integers >= 0, at least one")
    return values


def positive(kind):
    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} must be > 0")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--space", default="mnasnet", choices=("mnasnet", "nb-macro"), help="the search space"
    )
    parser.add_argument("--samplers", type=names, default=("tpe", "evolution", "random"))
    parser.add_argument("--seeds", type=seeds, default=(0, 1, 2), help="one search per seed")
    parser.add_argument("--trials", type=positive(int), default=20, help="trials per search")
    parser.add_argument(
        "--factor", type=float, default=5.0, help="yardstick / proxy, in images seen (>= 1)"
    )
    parser.add_argument("--yardstick-seeds", type=positive(int), default=1)
    parser.add_argument(
        "--results-dir",
        default="bench/search_vs_random",
        help="the studies (committed as they grow, so that a later session resumes them)",
    )
    parser.add_argument("--runs", default="bench/search_vs_random_runs.csv", help="run log")
    parser.add_argument("--csv", default=None, help="also write the table here")
    parser.add_argument("--jobs", type=positive(int), default=1, help="searches at once")
    parser.add_argument(
        "--threads",
        type=positive(int),
        default=None,
        help="torch threads per process (default: the cores / --jobs)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    parser.add_argument(
        "--from-log",
        action="store_true",
        help="print the table from --runs and the studies, train nothing",
    )
    add_proxy_arguments(parser)
    parser.set_defaults(dataset="cifar10")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with stderr_messages():
        plan = plan_retrains(
            proxy_from_args(args, seed=0),
            args.samplers,
            args.seeds,
            args.trials,
            args.results_dir,
            args.runs,
            factor=args.factor,
            yardstick_seeds=args.yardstick_seeds,
            threads=args.threads or max(1, cores() // args.jobs),
            space=args.space,
        )
        if args.dry_run:
            say(plan_text(plan))
            return 0
        start = time.perf_counter()
        outcome = None if args.from_log else run_retrains(plan, args.jobs, say, Labelled)
        if plan.judged_by_truth:
            frame, reference = truth_table(plan), None
            say("\n" + truth_text(plan, frame))
        else:
            frame, reference = retrain_table(plan)
            say("\n" + table_text(plan, frame, reference))
        say(climb_text(plan))
        if outcome is not None:
            seconds = time.perf_counter() - start
            say(f"{outcome.trained} retrain(s) this time; {seconds:.0f} s in all")
        if args.csv:
            shown = frame if reference is None else pd.concat([frame, reference.to_frame().T])
            shown.to_csv(args.csv, index=False)
        if outcome is not None and outcome.failed:
            say(f"\n{len(outcome.failed)} failed: " + "; ".join(outcome.failed))
            return 1
    return 0


if __name__ == "__main__":  # errors as one line, as the commands show them
    sys.exit(run(main, "bench/search_vs_random.py"))
