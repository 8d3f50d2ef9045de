"""Does the proxy rank candidates as longer training would?

    python bench/fidelity.py [--archs 8] [--preset cpu] [--long-factor 5] [--long-seeds 1]
        [--short-seeds 1] [--device cpu] [--long-device DEVICE] [--jobs 1] [--long-jobs 1]
        [--lr LR] [--runs CSV]

Trains the reference and random samples of the default space with a search preset (the proxy,
exactly what ``python -m nas.search --preset P`` trains) and with a budget ``--long-factor``
times larger in images seen (the yardstick: 2 epochs on more images, or more epochs once the
training set is used up), all scored on the same held-out validation images. Prints both
accuracies and the rank agreement, Kendall tau and Spearman rho.

The yardstick is the mean of ``--long-seeds`` runs, so that its own seed noise does not count
against the proxy. With ``--short-seeds`` above 1 the proxy is run with several seeds too and
tau is printed for each: its spread is how much a single search's ranking can be trusted.
With several seeds of a budget, the mean tau between its seeds is printed too (for the
yardstick, a rough noise floor). Each tau is also given for the ranking by reward, the order
the search sorts by, beside the tau that the exact FLOPs term alone would reach.
Runs go to ``--jobs`` processes on ``--device`` and ``--long-jobs`` on ``--long-device`` (one
pool of ``--jobs`` where the two are the same).

``--runs CSV`` appends every finished run to CSV as it ends, and a later command with the same
``--runs`` takes the runs it finds there (same architecture, budget, recipe and seed) instead of
training them again: a bench stopped by a time limit resumes where it stopped, and a proxy
variant (``--lr`` overrides the proxy's learning rate) is compared against the yardstick runs
already logged without training them again. bench/fidelity_cpu_runs.csv and
bench/fidelity_gpu_runs.csv are such logs (copy one before adding to it). A run that
fails (a NaN loss, out of memory) is reported, the others go on and are logged, and the bench
exits non-zero without a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
import torch
from scipy.stats import kendalltau, spearmanr

import baselines
from nas import cost
from nas.data import DataConfig, load_data
from nas.proxy import PRESETS, ProxyConfig
from nas.search import SearchConfig
from nas.train import TrainConfig, train_arch
from search_spaces import ArchSpec, decode, encode
from search_spaces.mnasnet import MnasSpace


@dataclasses.dataclass(frozen=True)
class Run:
    network: int
    budget: str  # "short" or "long"
    repeat: int  # which of the budget's seeds
    seed: int
    arch: ArchSpec
    data: DataConfig
    train: TrainConfig
    device: str


@functools.cache
def _data(config: DataConfig, device: str):
    return load_data(config, device)


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def train_run(run: Run) -> tuple[Run, float, float]:
    result = train_arch(run.arch, _data(run.data, run.device), run.train, seed=run.seed)
    return run, result.accuracy, result.seconds


LOG_COLUMNS = ["budget", "seed", "string", "recipe", "accuracy", "seconds", "device"]


def recipe(run: Run) -> str:
    """Everything besides budget, seed and architecture that decides what a run learns: the
    data (which images), the training settings and the kind of device (CUDA trains in bf16)."""
    data = dataclasses.asdict(run.data)
    for where_only in ("data_dir", "download"):  # where the files are, not which images
        data.pop(where_only)
    train = dataclasses.asdict(run.train)
    train.pop("evaluations")  # intermediate evaluations do not change the training
    device = torch.device(run.device).type
    return json.dumps({"data": data, "train": train, "device": device}, sort_keys=True)


def run_key(run: Run) -> tuple[str, int, str, str]:
    """What makes two runs the same training."""
    return run.budget, run.seed, encode(run.arch), recipe(run)


def finished_runs(path: str | None) -> dict[tuple[str, int, str, str], tuple[float, float]]:
    """Accuracy and seconds of the runs an earlier command logged to ``path``."""
    if not path or not Path(path).exists() or Path(path).stat().st_size == 0:
        return {}
    frame = pd.read_csv(path, keep_default_na=False)
    if list(frame.columns) != LOG_COLUMNS:
        raise SystemExit(
            f"--runs {path}: columns {', '.join(frame.columns)} are not those of this bench's "
            f"log ({', '.join(LOG_COLUMNS)}); give another file"
        )
    return {
        (row.budget, int(row.seed), row.string, row.recipe): (
            float(row.accuracy),
            float(row.seconds),
        )
        for row in frame.itertuples(index=False)
    }


def log_run(path: str, run: Run, accuracy: float, seconds: float) -> None:
    """Append one finished run to ``path`` (the header first, if the file is new or empty)."""
    budget, seed, string, how = run_key(run)
    row = [budget, seed, string, how, accuracy, seconds, run.device]
    new = not Path(path).exists() or Path(path).stat().st_size == 0
    pd.DataFrame([row], columns=LOG_COLUMNS).to_csv(path, mode="a", header=new, index=False)


def agreement(frame: pd.DataFrame, prefix: str) -> float:
    """Mean Kendall tau over every pair of the seeds' columns ``prefix_0``, ``prefix_1``..."""
    columns = [c for c in frame.columns if c.startswith(prefix + "_") and c[-1].isdigit()]
    return statistics.fmean(
        kendalltau(frame[a], frame[b]).statistic for a, b in itertools.combinations(columns, 2)
    )


def long_budget(short_images: int, short_epochs: float, factor: float, available: int):
    """Images and epochs seeing ``factor`` times the short budget's images: 2 epochs on more
    images, or more epochs on all of them once the training set runs out."""
    seen = short_images * short_epochs * factor
    images = min(int(seen / 2), available)
    return images, seen / images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=8, help="networks, the reference included")
    parser.add_argument("--preset", default="cpu", choices=tuple(PRESETS), help="the proxy")
    parser.add_argument(
        "--long-factor", type=float, default=5.0, help="long budget / short budget, in images seen"
    )
    parser.add_argument("--long-seeds", type=int, default=1, help="yardstick runs per network")
    parser.add_argument("--short-seeds", type=int, default=1, help="proxy runs per network")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="where the proxy runs")
    parser.add_argument("--long-device", default=None, help="where the yardstick runs")
    parser.add_argument("--jobs", type=int, default=1, help="processes on --device")
    parser.add_argument("--long-jobs", type=int, default=1, help="processes on --long-device")
    parser.add_argument("--lr", type=float, default=None, help="the proxy's learning rate")
    parser.add_argument("--csv", default=None, help="also write the table here")
    parser.add_argument(
        "--runs", default=None, help="log finished runs here; reuse those already logged"
    )
    args = parser.parse_args()
    long_device = args.long_device or args.device

    search = SearchConfig(
        proxy=ProxyConfig(
            dataset=args.dataset, data_dir=args.data_dir, seed=args.seed, preset=args.preset
        )
    )
    short = search.train_config  # exactly what python -m nas.search trains with
    long = dataclasses.replace(short, evaluations=1)
    if args.lr is not None:
        short = dataclasses.replace(short, lr=args.lr)
    short_data = search.proxy.data_config
    everything = load_data(dataclasses.replace(short_data, train_subset=None), "cpu")
    available = everything.train_images.shape[0]
    short_images = short_data.train_subset or available
    long_images, long_epochs = long_budget(short_images, short.epochs, args.long_factor, available)
    long = dataclasses.replace(long, epochs=long_epochs)
    long_data = dataclasses.replace(short_data, train_subset=long_images)

    space = MnasSpace(baselines.get("efficientnet_b0"))
    archs = [space.reference] + [
        space.sample_random(args.seed * 1000 + i) for i in range(args.archs - 1)
    ]
    names = ["efficientnet_b0"] + [f"sample {i}" for i in range(1, args.archs)]
    # One seed for every network within a set of runs, as in the search (common random numbers).
    runs = [
        Run(i, "short", s, args.seed + s, arch, short_data, short, args.device)
        for s in range(args.short_seeds)
        for i, arch in enumerate(archs)
    ]
    runs += [
        Run(i, "long", s, args.seed + 1000 + s, arch, long_data, long, long_device)
        for s in range(args.long_seeds)
        for i, arch in enumerate(archs)
    ]
    accuracy: dict[tuple[int, str, int], float] = {}
    seconds: dict[tuple[int, str], list[float]] = {}

    def record(run: Run, acc: float, secs: float, where: str) -> None:
        accuracy[run.network, run.budget, run.repeat] = acc
        seconds.setdefault((run.network, run.budget), []).append(secs)
        print(
            f"{names[run.network]:>16} {run.budget:<5} seed {run.seed}: {acc:.2%} "
            f"({secs:.0f} s {where})",
            flush=True,
        )

    logged = finished_runs(args.runs)
    for run in [run for run in runs if run_key(run) in logged]:
        record(run, *logged[run_key(run)], f"earlier, from {args.runs}")
    runs = [run for run in runs if run_key(run) not in logged]
    cores = os.cpu_count() or 1
    pools, pool_sizes = {}, {}
    for device, jobs in ((args.device, args.jobs), (long_device, args.long_jobs)):
        if device not in pools and any(run.device == device for run in runs):
            threads = max(1, cores // jobs) if device == "cpu" else 1
            pool_sizes[device] = jobs
            pools[device] = ProcessPoolExecutor(
                jobs, get_context("spawn"), initializer=_init_worker, initargs=(threads,)
            )
    start = time.perf_counter()
    # The long runs first: they are the long poles.
    runs.sort(key=lambda run: run.budget != "long")
    futures = {pools[run.device].submit(train_run, run): run for run in runs}
    failed = []
    try:
        for future in as_completed(futures):
            try:
                run, acc, secs = future.result()
            except Exception as error:  # one run's failure must not lose the others
                run = futures[future]
                failed.append(f"{names[run.network]} {run.budget} seed {run.seed}: {error}")
                print(f"failed: {failed[-1]}", flush=True)
                continue
            if args.runs:
                log_run(args.runs, run, acc, secs)
            record(run, acc, secs, f"on {run.device}")
    finally:
        for pool in pools.values():
            pool.shutdown(cancel_futures=True)
    if failed:
        raise SystemExit(
            f"{len(failed)} run(s) failed, so no table: {'; '.join(failed)}"
            + (f"; the others are logged in {args.runs}" if args.runs else "")
        )

    rows = []
    for i, arch in enumerate(archs):
        shorts = [accuracy[i, "short", s] for s in range(args.short_seeds)]
        longs = [accuracy[i, "long", s] for s in range(args.long_seeds)]
        rows.append(
            {
                "arch": names[i],
                **{f"short_acc_{s}": acc for s, acc in enumerate(shorts)},
                **{f"long_acc_{s}": acc for s, acc in enumerate(longs) if len(longs) > 1},
                "long_acc": statistics.fmean(longs),
                "long_spread": max(longs) - min(longs),
                "short_s": statistics.fmean(seconds[i, "short"]),
                "long_s": statistics.fmean(seconds[i, "long"]),
                "string": encode(arch),
            }
        )
    frame = pd.DataFrame(rows)
    print()
    shown = ["arch", *[f"short_acc_{s}" for s in range(args.short_seeds)], "long_acc"]
    if args.long_seeds > 1:
        shown.append("long_spread")
    print(
        frame[shown + ["short_s", "long_s"]].to_string(
            index=False,
            formatters={c: "{:.2%}".format for c in shown[1:]}
            | {"short_s": "{:.0f}".format, "long_s": "{:.0f}".format},
        )
    )
    print(
        f"\nshort: preset {args.preset}, {short_images} images x {short.epochs:g} epochs, "
        f"lr {short.lr:g}, on {args.device}; long: {long_images} images x {long_epochs:g} "
        f"epochs ({args.long_factor:g}x the images seen), lr {long.lr:g}, mean of "
        f"{args.long_seeds} seed(s) on {long_device}; validation: {short_data.val_subset} "
        f"held-out images of {args.dataset}; "
        f"{cores} cores, processes: "
        f"{', '.join(f'{jobs} on {device}' for device, jobs in pool_sizes.items()) or 'none'}; "
        f"{time.perf_counter() - start:.0f} s in all"
    )
    # The search sorts by the reward: the same accuracies times the exact FLOPs term.
    deploy = search.deployment
    flops = frame["string"].map(
        lambda string: cost.flops(
            decode(string), deploy.resolution, deploy.in_channels, deploy.num_classes
        )
    )
    price = pd.Series([search.reward(1.0, value) for value in flops])
    # The floor for the ranking by reward: a proxy that gave every network the same accuracy.
    flops_alone = kendalltau(price, frame["long_acc"] * price).statistic
    taus = []
    for s in range(args.short_seeds):
        tau = kendalltau(frame[f"short_acc_{s}"], frame["long_acc"]).statistic
        rho = spearmanr(frame[f"short_acc_{s}"], frame["long_acc"]).statistic
        by_reward = kendalltau(frame[f"short_acc_{s}"] * price, frame["long_acc"] * price)
        taus.append(tau)
        print(
            f"proxy seed {s}: Kendall tau {tau:.3f}   Spearman rho {rho:.3f}   "
            f"(by reward: {by_reward.statistic:.3f})"
        )
    if args.short_seeds > 1:
        print(f"mean Kendall tau {statistics.fmean(taus):.3f} over {args.short_seeds} proxy seeds")
        print(
            f"proxy seeds with each other: Kendall tau {agreement(frame, 'short_acc'):.3f} "
            "(mean over pairs)"
        )
    if args.long_seeds > 1:
        print(
            f"yardstick seeds with each other: Kendall tau {agreement(frame, 'long_acc'):.3f} "
            "(mean over pairs): a rough noise floor for the yardstick itself"
        )
    print(
        f"over {len(frame)} networks; by reward: ranked by accuracy x (FLOPs / "
        f"{search.target_flops / 1e6:.0f}M)^{search.w:g}, FLOPs at {deploy.resolution}px as "
        f"the search prices them ({min(flops) / 1e6:.0f}M-{max(flops) / 1e6:.0f}M); the FLOPs "
        f"term alone, every accuracy equal, ranks by reward at Kendall tau {flops_alone:.3f}"
    )
    if args.csv:
        frame.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
