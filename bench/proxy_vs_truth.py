"""The proxy judged against the truth: NAS-Bench-Macro networks trained with the proxy on CIFAR-10,
ranked against the table's 50-epoch accuracy, for the cpu preset and its variants.

    python bench/proxy_vs_truth.py --data-dir DIR [--networks 40] [--variant-networks 24]
        [--seeds 2] [--variants 10k,10k+sgd,ema,...] [--runs FILE] [--jobs 1]
        [--threads N]
        [--from-log] [--json FILE]

The networks are ``nas.fidelity.networks.choose_truth_networks`` (seed 0): half from the top
quartile of the truth. The cpu preset (``base``) trains all ``--networks`` with ``--seeds``
seeds; every other variant trains the first ``--variant-networks`` of them with seed 0 (they
alternate top quartile and rest, so the first 24 hold 12 of each). The training losses (Ru et al.
2021's scores) come with every run, so ``loss-all`` and ``loss-last`` need no training of their
own, and neither do ``kept-2222`` and ``kept-6666``: the base runs' accuracy after 2,222 and
6,666 of their 20,000 images, what a halving search's lower rungs see when a promoted candidate
keeps training (``--promotion continue``). Variants:

    base    the cpu preset: 20,000 CIFAR-10 images seen, 32 px, AdamW one-cycle (its learning
            rate already anneals to 1/25,000 of its peak: the "decayed to zero" variant)
    5k 10k 20k  5,000 / 10,000 / 20,000 images seen (as many distinct images as the budget, up
            to 40,000); 10,000 was the cpu preset until this bench measured it
    16px 24px   trained and validated at 16 / 24 px (the images resized once, bilinear)
    ema     the weights' exponential moving average (decay 0.99 per step) is what is scored
    sgd     SGD, Nesterov momentum 0.9, lr 0.1, weight decay 5e-4 (the table's optimizer)
    10k+sgd variants joined by + apply in turn (the images first)

Runs go in ``nas.fidelity``'s run log (``--runs``), one row per run as it ends: a stopped bench
resumes, and ``python -m nas.fidelity --space nb-macro --truth table`` reuses the base runs.
``--from-log`` prints the tables without training.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from pathlib import Path

from nas.fidelity.config import FidelityConfig
from nas.fidelity.execute import execute
from nas.fidelity.networks import Network, choose_truth_networks
from nas.fidelity.plan import Budget, budgets
from nas.fidelity.runs import PROXY, Run, RunLog
from nas.fidelity.truth import figures_text, truth_figures, variant_table
from nas.proxy import ProxyConfig
from nas.search.strategy import Rungs
from nas.train.proxy import ACCURACY_AT
from nas.truth import load_table

log = logging.getLogger("proxy_vs_truth")

ROOT = Path(__file__).resolve().parent
RUNS = ROOT / "proxy_vs_truth_runs.csv"
# In the order they are trained: the one likeliest to rank better first, then the cheapest.
VARIANTS = ("base", "10k", "10k+sgd", "ema", "10k+16px", "10k+24px", "5k", "sgd")
IMAGES_SEEN = {"5k": 5000, "10k": 10000, "20k": 20000}
CIFAR_TRAINING_LEFT = 40_000  # CIFAR-10's training images less the 10,000 held out
# A halving search's rungs over the preset's images (nas.search --strategy halving's default).
HALVING = Rungs(images=20_000, rungs=3, reduction_factor=3)
# Scores of the base runs: the training losses, and the accuracy at each lower rung of HALVING
# (what a promoted candidate that keeps training is judged by there).
SCORE_VARIANTS = {"loss-all": "loss_all", "loss-last": "loss_last"} | {
    f"kept-{images}": f"{ACCURACY_AT}{images}" for images in HALVING.images_at[:-1]
}


def variant_budget(name: str, base: Budget, config: FidelityConfig) -> Budget:
    """The base budget changed as the variant says; ``10k+sgd`` applies each part in turn
    (the images first: they set the training afresh)."""
    if "+" in name:
        budget = base
        for part in name.split("+"):
            budget = variant_budget(part, budget, config)
        return budget
    train = base.train
    if name == "base":
        return base
    if name in IMAGES_SEEN:
        seen = IMAGES_SEEN[name]
        proxy = config.proxy.seeing(seen, CIFAR_TRAINING_LEFT)
        data = dataclasses.replace(base.data, train_subset=proxy.train_subset)
        return Budget(
            PROXY,
            proxy,
            data,
            proxy.train_config(1, proxy.train_subset),
            proxy.train_subset,
            base.val_images,
        )
    if name in ("16px", "24px"):
        train = dataclasses.replace(train, resolution=int(name[:2]))
    elif name == "ema":
        train = dataclasses.replace(train, ema=0.99)
    elif name == "sgd":
        train = dataclasses.replace(train, optimizer="sgd", lr=0.1, weight_decay=5e-4)
    else:
        raise ValueError(f"unknown variant {name!r}: use {', '.join(VARIANTS)}")
    return dataclasses.replace(base, train=train)


def plan_runs(
    networks: tuple[Network, ...],
    variants: dict[str, Budget],
    seeds: int,
    variant_networks: int,
    device: str,
) -> list[tuple[str, Run]]:
    """(variant, run) pairs: the base with every seed on the first ``variant_networks``, then
    the variants in the order given (seed 0, the same networks), then the base on the rest. A
    measurement cut short thus has the preset's seed agreement first, then every variant."""
    base = variants["base"]

    def base_runs(chosen: range) -> list[tuple[str, Run]]:
        return [
            (
                "base",
                Run(index, PROXY, seed, seed, networks[index].arch, base.data, base.train, device),
            )
            for seed in range(seeds)
            for index in chosen
        ]

    shared = min(variant_networks, len(networks))
    runs = base_runs(range(shared))
    for name, budget in variants.items():
        if name == "base":
            continue
        for index, network in enumerate(networks[:shared]):
            run = Run(index, PROXY, 0, 0, network.arch, budget.data, budget.train, device)
            runs.append((name, run))
    return runs + base_runs(range(shared, len(networks)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="where CIFAR-10 is (else the cache)")
    parser.add_argument("--networks", type=int, default=40, help="networks the base trains")
    parser.add_argument(
        "--variant-networks", type=int, default=24, help="the first N networks train each variant"
    )
    parser.add_argument("--seeds", type=int, default=2, help="training seeds of the base")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--runs", default=str(RUNS), help="the run log (resumes from it)")
    parser.add_argument("--jobs", type=int, default=1, help="runs trained at once")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads of a one-job bench (default: torch's); 1 leaves a core free",
    )
    parser.add_argument("--from-log", action="store_true", help="the tables only, no training")
    parser.add_argument(
        "--json", default=str(ROOT / "proxy_vs_truth.json"), help="the figures, written here"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)

    table = load_table()
    networks = choose_truth_networks(table, args.networks, seed=0)
    proxy = ProxyConfig(dataset="cifar10", data_dir=args.data_dir, device="cpu")
    config = FidelityConfig(proxy=proxy, networks=args.networks, show_progress=False)
    base, _ = budgets(config)
    # The base runs are also evaluated at the lower rungs (their training is unchanged).
    kept = dataclasses.replace(base.train, eval_images=HALVING.images_at[:-1])
    base = dataclasses.replace(base, train=kept)
    names = [name for name in args.variants.split(",") if name]
    variants = {name: variant_budget(name, base, config) for name in ["base", *names]}
    runs = plan_runs(networks, variants, args.seeds, args.variant_networks, "cpu")
    run_log = RunLog(Path(args.runs))
    logged = run_log.load()
    todo = [run for _, run in runs if run.key not in logged]
    log.info(f"{len(runs)} runs: {len(runs) - len(todo)} in {args.runs}, {len(todo)} to train")
    if not args.from_log and todo:
        started = time.perf_counter()
        done = [0]

        def finished(run: Run, accuracy: float, seconds: float, scores: dict) -> None:
            run_log.append(run, accuracy, seconds, scores)
            logged[run.key] = None  # type: ignore[assignment]
            done[0] += 1
            rate = (time.perf_counter() - started) / done[0]
            log.info(
                f"{networks[run.network].name} seed {run.seed} {run.train.optimizer} "
                f"res {run.train.resolution or 32} ema {run.train.ema} "
                f"seen {round(run.train.epochs * (run.data.train_subset or 0))}: "
                f"{accuracy:.2%} [{seconds:.0f} s]; {done[0]}/{len(todo)}, "
                f"ETA {(len(todo) - done[0]) * rate / 60:.0f} min"
            )

        def failed(run: Run, error: BaseException) -> None:
            log.warning(f"{networks[run.network].name} failed: {error}")

        execute(todo, args.jobs, finished, failed)
    logged = run_log.load()
    rows = variant_table(table, networks, runs, logged, SCORE_VARIANTS)
    if rows.empty:
        print("no runs logged yet")
        return 0
    figures = truth_figures(rows, table)
    print(figures_text(figures))
    Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
