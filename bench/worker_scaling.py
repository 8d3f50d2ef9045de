"""How a search scales with workers, and what each storage costs per trial.

    python bench/worker_scaling.py [--scaling-trials 12] [--storage-trials 2000]
        [--storages journal,sqlite,postgresql,redis] [--devices cuda,cuda]
        [--dataset synthetic] [--train-subset 256] [--skip-scaling] [--skip-storage]

Part 1 runs the same small search (random sampler, median pruner; by default 256 synthetic
images, one epoch) with 1 worker and with 2 (or one worker per ``--devices`` entry, a device
named several times being shared), on the same machine, and prints trials per hour.

Part 2 measures what a search spends per trial outside training, on each storage: the real
worker loop (stale-trial recovery, the exact-total check, ask/tell, the user attributes, the
heartbeat, and the trials.csv and best.json rewrite) with an objective that samples and prices
a candidate but does not train it. It prints milliseconds per trial (the median of
``--window`` trials) on a new study and on one holding ``--storage-trials`` trials, when every
lookup has that many to read (the trials in between are copied in with ``add_trials``).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import optuna
import torch

import baselines
from nas import cost
from nas.proxy import PROXY_FIELDS, ProxyConfig
from nas.search import SearchConfig, run_search
from nas.search.outputs import SearchOutputs, prepare_study
from nas.study.heartbeat import Heartbeat
from nas.study.keys import WORKER, worker_id
from nas.study.loop import LoopSettings, run_to_total
from nas.study.storage import has_optuna_heartbeat
from search_spaces import encode
from search_spaces.mnasnet import MnasSpace

STORAGES = {
    "journal": None,
    "sqlite": "sqlite:///{folder}/study.db",
    "postgresql": "postgresql://postgres@127.0.0.1:5432/test",
    "redis": "redis://127.0.0.1:6379/0",
}


def tiny(folder: Path, **changes) -> SearchConfig:
    fields = dict(
        dataset="synthetic",
        train_subset=256,
        val_subset=128,
        epochs=1.0,
        batch_size=64,
        sampler="random",
        # As when the figures in docs/benchmarks.md were measured (the cpu preset's default was
        # median then).
        pruner="median",
        device="cpu",
        show_progress=False,
        results_dir=str(folder),
        study_name=f"bench-{uuid.uuid4().hex[:10]}",
    )
    fields |= changes
    proxy = ProxyConfig(**{name: fields.pop(name) for name in PROXY_FIELDS if name in fields})
    return SearchConfig(proxy=proxy, **fields)


def trials_per_hour(config: SearchConfig) -> float:
    start = time.perf_counter()
    run_search(config)
    return config.trials / (time.perf_counter() - start) * 3600


class PricedOnly:
    """Samples and prices a candidate and records what the real objective records, untrained."""

    def __init__(self, heartbeat: float | None) -> None:
        self.space = MnasSpace(baselines.get("efficientnet_b0"))
        self.heartbeat = heartbeat

    def __call__(self, trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER, worker_id())
        with Heartbeat(trial, self.heartbeat):
            return self._record(trial)

    def _record(self, trial: optuna.Trial) -> float:
        arch = self.space.sample(trial)
        flops = cost.flops(arch)
        accuracy = 0.5 + 0.4 * (hash(encode(arch)) % 1000) / 1000
        for key, value in {
            "arch": encode(arch),
            "flops": flops,
            "params": cost.params(arch),
            "device": "cpu",
            "accuracy": accuracy,
            "seconds": 0.0,
            "images_per_s": 0.0,
        }.items():
            trial.set_user_attr(key, value)
        reward = accuracy * (flops / 400e6) ** -0.07
        trial.set_user_attr("reward", reward)
        return reward


def _timed_window(study: optuna.Study, config: SearchConfig, trials: int) -> float:
    """Median seconds per trial of the real worker loop, run until the study has
    ``trials`` finished trials."""
    ends: list[float] = []

    def clock(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        ends.append(time.perf_counter())

    objective = PricedOnly(None if has_optuna_heartbeat(config.storage) else config.heartbeat)
    outputs = SearchOutputs(config, num_classes=10, in_channels=1)
    settings = LoopSettings(
        total=trials,
        heartbeat=config.heartbeat,
        where=config.where,
        optuna_heartbeat=has_optuna_heartbeat(config.storage),
    )
    start = time.perf_counter()
    run_to_total(study, objective, settings, [outputs, clock])
    gaps = [b - a for a, b in zip([start, *ends[:-1]], ends, strict=True)]
    return statistics.median(gaps)


def storage_overhead(
    name: str, folder: Path, trials: int, window: int
) -> tuple[float, float, float]:
    """Median ms per trial over ``window`` trials on a new study, and over ``window`` more
    once the study holds ``trials`` (the ones between are copied in with ``add_trials``, whose
    seconds come third)."""
    url = STORAGES[name]
    config = tiny(folder, trials=trials, storage=url and url.format(folder=folder))
    study = prepare_study(config)
    first = _timed_window(study, config, window)
    done = study.get_trials(deepcopy=False)
    filler = []
    while len(done) + len(filler) < trials - window:
        model = done[len(filler) % len(done)]
        filler.append(
            optuna.trial.create_trial(
                params=model.params,
                distributions=model.distributions,
                value=model.value,
                user_attrs={k: v for k, v in model.user_attrs.items() if k != "reference"},
            )
        )
    filling = time.perf_counter()
    study.add_trials(filler)
    filling = time.perf_counter() - filling
    last = _timed_window(study, config, trials)
    return first * 1e3, last * 1e3, filling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling-trials", type=int, default=12)
    parser.add_argument("--storage-trials", type=int, default=2000)
    parser.add_argument("--window", type=int, default=30, help="trials per timing window")
    parser.add_argument("--storages", default=",".join(STORAGES))
    parser.add_argument(
        "--devices", default=None, help="comma-separated: part 1 compares 1 worker with these"
    )
    parser.add_argument("--dataset", default="synthetic", help="part 1's proxy data")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--train-subset", type=int, default=256, help="part 1's training images")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-storage", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        if not args.skip_scaling:
            devices = tuple(args.devices.split(",")) if args.devices else ("cpu", "cpu")
            one = tiny(
                folder,
                trials=args.scaling_trials,
                device=devices[0],
                dataset=args.dataset,
                data_dir=args.data_dir,
                train_subset=args.train_subset,
            )
            many = dataclasses.replace(
                one,
                study_name=one.study_name + "-many",
                workers=len(devices),
                devices=devices,
            )
            single = trials_per_hour(one)
            several = trials_per_hour(many)
            print(
                f"proxy: {args.dataset}, {args.train_subset} images x 1 epoch, "
                f"{args.scaling_trials} trials, devices {','.join(devices)}, "
                f"{torch.get_num_threads()} threads available:"
            )
            print(f"  1 worker : {single:8.0f} trials/hour")
            print(f"  {len(devices)} workers: {several:8.0f} trials/hour ({several / single:.2f}x)")
        if args.skip_storage:
            return
        print(f"\nper-trial overhead without training (median of {args.window} trials):")
        print(f"  {'storage':<11}{'first trials':>14}{f'at {args.storage_trials}':>14}")
        for name in args.storages.split(","):
            if name not in STORAGES:
                raise SystemExit(f"unknown storage {name!r}: one of {', '.join(STORAGES)}")
            first, last, filling = storage_overhead(name, folder, args.storage_trials, args.window)
            print(
                f"  {name:<11}{first:>11.1f} ms{last:>11.1f} ms   (filled in {filling:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
