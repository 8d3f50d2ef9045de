"""Does the search beat random sampling, and B0?

    python bench/search_vs_random.py [--samplers tpe,evolution,random] [--seeds 0,1,2]
        [--trials 20] [--factor 5] [--yardstick-seeds 1] [--dataset cifar10] [--data-dir DIR]
        [--results-dir bench/search_vs_random] [--runs bench/search_vs_random_runs.csv]
        [--csv FILE] [--jobs 1] [--threads N] [--dry-run] [--from-log]
        [the proxy flags of nas.search: --preset, --train-subset, --batch-size, --device...]

For each sampler and each seed, a search exactly as ``python -m nas.search`` runs it (the cpu
preset unless the proxy flags say otherwise; the reference B0 is trial 0 of every study) with
``--trials`` trials, in the study ``<dataset>-<sampler>-seed<seed>`` under ``--results-dir``.
The seed is the search's ``--seed``: it fixes the held-out split, every candidate's training and
the sampler. The best trial of each run (``nas.results.best_row``: reward, then fewer FLOPs) and
B0, once, are then trained again with the yardstick: the same proxy with ``--factor`` times the
images seen (``ProxyConfig.yardstick``: more distinct images first, then more epochs), with the
proxy seed 1000 + i for yardstick seed i, so every network retrained with one yardstick seed
sees the same held-out images and the same batches (common random numbers) and none is scored on
the split its search chose it by. Prints a row per run, B0's row, the median yardstick accuracy
and reward per sampler, each sampler's winner against random search's winner of the same seed,
whether each sampler's best winner within B0's FLOPs (at the search's 224 px deployment shape)
beats B0's yardstick accuracy, and, from each study's trials.csv, whether the sampler climbed the
proxy reward it saw (its best, and the mean of the first and of the second half of its trials).

Resuming: ``run_search`` resumes a study that exists, so a killed bench finishes the running
search where it stopped (finished trials kept). Each finished retrain is appended to the run
log ``--runs`` as it ends, one row per run and yardstick seed; a run already in the log with the
same recipe (the search's settings and the yardstick's) is neither searched nor retrained again,
and a winner already retrained for another run is reused (its row copied). ``--from-log`` prints
the table from the log (and the studies' trials.csv), searching and training nothing: safe beside
a bench still running. A run that fails is reported, the others go on, and the bench exits 1
after the table.

``--jobs N`` runs N runs at once in separate processes (torch threads: the cores / N). On two
cores one at a time is fastest. The thread count changes the order of floating-point sums, so a
study resumed with another ``--jobs`` goes on with slightly different numerics.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

import baselines
from nas import cost, results
from nas.cli.common import add_proxy_arguments, proxy_from_args, run, stderr_messages
from nas.cli.progress import TrialProgress
from nas.data import DataConfig, load_data
from nas.proxy import ProxyConfig, resolve_device
from nas.runtime import torch_threads
from nas.search import SAMPLERS, SearchConfig, run_search
from nas.study.jobs import run_jobs
from nas.study.runlog import RunLog
from nas.study.workers import cores
from nas.train import TrainConfig, train_arch
from search_spaces import ArchSpec, decode, encode
from search_spaces.spec import OP_TOKENS

REFERENCE = "efficientnet_b0"
REFERENCE_ROW = "reference"  # the sampler column of B0's rows in the log
YARDSTICK_SEED = 1000  # yardstick seed i trains (and holds out) with proxy seed 1000 + i
LOG_COLUMNS = [
    "sampler",
    "seed",
    "trial",
    "arch",
    "flops",
    "params",
    "proxy_accuracy",
    "proxy_reward",
    "yardstick_seed",
    "yardstick_accuracy",
    "yardstick_reward",
    "seconds",
    "recipe",
]
TABLE_COLUMNS = [
    "sampler",
    "seed",
    "trial",
    "arch",
    "flops",
    "params",
    "proxy_accuracy",
    "proxy_reward",
    "yardstick_accuracy",
    "yardstick_reward",
    "yardstick_seeds",
]


# --- the plan ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything the bench does: the runs, the search settings, the yardstick, the log."""

    proxy: ProxyConfig  # the search's proxy; each run replaces its seed
    samplers: tuple[str, ...]
    seeds: tuple[int, ...]
    trials: int
    results_dir: str
    factor: float
    yardstick_seeds: int
    train_images: int  # what the proxy trains on
    val_images: int
    available: int  # every training image the data has after the hold-out
    runs_log: str
    threads: int  # torch threads per process

    @property
    def runs(self) -> list[tuple[str, int]]:
        """(sampler, seed) pairs, seed by seed, so the samplers advance together."""
        return [(sampler, seed) for seed in self.seeds for sampler in self.samplers]

    def search_config(self, sampler: str, seed: int) -> SearchConfig:
        base = SearchConfig(proxy=self.proxy.replace(seed=seed), sampler=sampler)
        return dataclasses.replace(
            base,
            trials=self.trials,
            study_name=f"{base.name}-seed{seed}",
            results_dir=self.results_dir,
            threads=self.threads,
            show_progress=False,
        )

    def yardstick(self, index: int) -> ProxyConfig:
        """Yardstick seed ``index``: the proxy with ``factor`` times the images seen."""
        proxy = self.proxy.replace(seed=YARDSTICK_SEED + index)
        return proxy.yardstick(self.factor, self.train_images, self.available)

    def yardstick_train(self, index: int, train_images: int | None = None) -> TrainConfig:
        yardstick = self.yardstick(index)
        return yardstick.train_config(1, train_images or yardstick.value("train_subset"))

    def search_recipe(self, sampler: str, seed: int) -> dict[str, Any]:
        """What decides a run's winner, besides its sampler and seed (the log's columns)."""
        config = self.search_config(sampler, seed)
        identity = config.identity()
        for column in ("sampler", "seed"):
            identity.pop(column)
        device = resolve_device(config.proxy.device).type
        return {"trials": self.trials, "identity": identity, "device": device}

    def yardstick_recipe(self, index: int) -> dict[str, Any]:
        """What decides a retrain's accuracy, besides the architecture: the data (which images),
        the training and the kind of device (CUDA trains in bf16)."""
        yardstick = self.yardstick(index)
        data = dataclasses.asdict(yardstick.data_config)
        for where_only in ("data_dir", "download", "download_url", "download_md5"):
            data.pop(where_only, None)  # where the files come from, not which images
        train = dataclasses.asdict(self.yardstick_train(index))
        train.pop("evaluations")
        return {"data": data, "train": train, "device": resolve_device(yardstick.device).type}

    def recipe(self, index: int, run: tuple[str, int] | None) -> str:
        """The log's recipe key: the run's search (None for B0) and the yardstick."""
        search = None if run is None else self.search_recipe(*run)
        return canonical({"search": search, "yardstick": self.yardstick_recipe(index)})


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def split_recipe(recipe: str) -> tuple[str, str]:
    """(search, yardstick) parts of a logged recipe, each canonical."""
    value = json.loads(recipe)
    return canonical(value.get("search")), canonical(value.get("yardstick"))


def make_plan(args: argparse.Namespace) -> Plan:
    proxy = proxy_from_args(args, seed=0)
    data = proxy.data_config
    loaded = load_data(data, "cpu")
    everything = load_data(dataclasses.replace(data, train_subset=None, train_cap=False), "cpu")
    return Plan(
        proxy=proxy,
        samplers=args.samplers,
        seeds=args.seeds,
        trials=args.trials,
        results_dir=args.results_dir,
        factor=args.factor,
        yardstick_seeds=args.yardstick_seeds,
        train_images=loaded.train_images.shape[0],
        val_images=loaded.val_images.shape[0],
        available=everything.train_images.shape[0],
        runs_log=args.runs,
        threads=args.threads or max(1, cores() // args.jobs),
    )


def describe(plan: Plan) -> str:
    """The plan, as the dry run prints it."""
    proxy = plan.proxy
    search = plan.search_config(*plan.runs[0])
    train = search.train_config(plan.train_images)
    yardstick = plan.yardstick(0)
    ytrain = plan.yardstick_train(0)
    yimages = yardstick.value("train_subset")
    reference = baselines.get(REFERENCE)
    flops = cost.flops(reference, search.deployment_resolution)
    runs = len(plan.runs)
    lines = [
        f"{runs} runs: samplers {', '.join(plan.samplers)} x seeds "
        f"{', '.join(map(str, plan.seeds))}, {plan.trials} trials each "
        f"({runs * plan.trials} proxy trainings; B0 is trial 0 of each)",
        f"proxy: {proxy.dataset}, preset {proxy.preset}, {plan.train_images:,} training and "
        f"{plan.val_images:,} held-out images, {train.epochs:.3g} epoch(s) = "
        f"{proxy.images_seen_on(plan.train_images):,} images seen, batch {train.batch_size}, "
        f"lr {train.lr:g}, {train.optimizer}, device {resolve_device(proxy.device)}",
        f"yardstick: {plan.factor:g}x the images seen: {yimages:,} training images (of "
        f"{plan.available:,}) x {ytrain.epochs:.3g} epoch(s) = {yardstick.budget_images:,} "
        f"images seen, {plan.yardstick_seeds} seed(s) (proxy seed {YARDSTICK_SEED}+i: its own "
        f"held-out {plan.val_images:,}); {runs + 1} networks x {plan.yardstick_seeds} = "
        f"{(runs + 1) * plan.yardstick_seeds} retrains (the {runs} winners and B0)",
        f"B0: {flops / 1e6:.1f}M FLOPs at {search.deployment_resolution} px; reward T "
        f"{search.target / 1e6:.0f}M, w {search.w:g}",
        f"{plan.threads} torch thread(s) per process; run log {plan.runs_log}",
    ]
    logged = read_log(plan.runs_log)
    for sampler, seed in plan.runs:
        config = plan.search_config(sampler, seed)
        done = sum(
            bool(find_run(logged, plan, (sampler, seed), i)) for i in range(plan.yardstick_seeds)
        )
        if done == plan.yardstick_seeds:
            state = "in the run log"
        elif Path(config.folder, results.TRIALS_FILE).exists():
            frame = results.load(config.folder)
            state = f"{int((frame['state'] != 'RUNNING').sum())} of {plan.trials} trials so far"
        else:
            state = "not started"
        lines.append(f"  {config.name}: {config.folder}/ ({state})")
    return "\n".join(lines)


# --- the run log ------------------------------------------------------------------------------


def run_log(path: str) -> RunLog:
    """The bench's run log (the study engine's format): one row per retrain and yardstick seed."""
    key = ("sampler", "seed", "yardstick_seed", "recipe")
    return RunLog(path, LOG_COLUMNS, key, kind="search_vs_random run log", field="runs")


def read_log(path: str | None) -> list[dict[str, str]]:
    """The rows an earlier bench logged to ``path`` (none when it is missing or empty)."""
    return run_log(path).rows() if path else []


def append_log(path: str, row: dict[str, Any]) -> None:
    """Append one row, under the log's lock: runs in several processes log at once."""
    run_log(path).append(row)


def find_run(
    logged: list[dict[str, str]], plan: Plan, run: tuple[str, int] | None, index: int
) -> dict[str, str] | None:
    """The logged row of ``run`` (None: B0) with yardstick seed ``index`` and this recipe."""
    sampler, seed = (REFERENCE_ROW, "") if run is None else (run[0], str(run[1]))
    recipe = plan.recipe(index, run)
    wanted = split_recipe(recipe)
    for row in logged:
        if (
            row["sampler"] == sampler
            and row["seed"] == seed
            and row["yardstick_seed"] == str(YARDSTICK_SEED + index)
            and split_recipe(row["recipe"]) == wanted
        ):
            return row
    return None


def find_winner(logged: list[dict[str, str]], plan: Plan, run: tuple[str, int]) -> dict | None:
    """A logged row of ``run`` with this search recipe, any yardstick: it names the winner."""
    search = canonical(plan.search_recipe(*run))
    for row in logged:
        if (
            row["sampler"] == run[0]
            and row["seed"] == str(run[1])
            and split_recipe(row["recipe"])[0] == search
        ):
            return {column: row[column] for column in LOG_COLUMNS[:8]}
    return None


def find_retrain(
    logged: list[dict[str, str]], plan: Plan, arch: str, index: int
) -> dict[str, str] | None:
    """Any logged retrain of ``arch`` with yardstick seed ``index`` and this yardstick."""
    wanted = canonical(plan.yardstick_recipe(index))
    for row in logged:
        if (
            row["arch"] == arch
            and row["yardstick_seed"] == str(YARDSTICK_SEED + index)
            and split_recipe(row["recipe"])[1] == wanted
        ):
            return row
    return None


# --- searching and retraining -------------------------------------------------------------------


class Labelled:
    """TrialProgress with the study's name before each trial's line."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, total: int, done: int, enabled: bool = True, label: str = ""):
        return TrialProgress(total, done, enabled, f"{self.name} {label}")


@functools.cache
def _data(config: DataConfig, device: str):
    return load_data(config, resolve_device(device))


def search(plan: Plan, sampler: str, seed: int) -> dict[str, Any]:
    """Run (or resume) one search; its best trial as the log's first columns."""
    config = plan.search_config(sampler, seed)
    say(f"{config.name}: search, {plan.trials} trials, in {config.folder}/")
    study = run_search(config, progress=Labelled(config.name))
    best = results.best_row(results.trials_frame(study))
    if best is None:
        raise RuntimeError(f"{config.name}: no trial completed")
    return {
        "sampler": sampler,
        "seed": seed,
        "trial": int(best["number"]),
        "arch": best["arch"],
        "flops": int(best["flops"]),
        "params": int(best["params"]),
        "proxy_accuracy": float(best["accuracy"]),
        "proxy_reward": float(best["reward"]),
    }


def reference_row() -> dict[str, Any]:
    arch = baselines.get(REFERENCE)
    deploy = SearchConfig().deployment
    flops = cost.flops(arch, deploy.resolution, deploy.in_channels, deploy.num_classes)
    return {
        "sampler": REFERENCE_ROW,
        "seed": "",
        "trial": "",
        "arch": encode(arch),
        "flops": flops,
        "params": cost.params(arch, deploy.num_classes, deploy.in_channels),
        "proxy_accuracy": "",
        "proxy_reward": "",
    }


def retrain(plan: Plan, arch: ArchSpec, index: int) -> tuple[float, float]:
    """Yardstick seed ``index`` of ``arch``: (accuracy, seconds)."""
    yardstick = plan.yardstick(index)
    data = _data(yardstick.data_config, yardstick.device)
    train = plan.yardstick_train(index, data.train_images.shape[0])
    with torch_threads(plan.threads):
        result = train_arch(arch, data, train, seed=yardstick.seed)
    return result.accuracy, result.seconds


def yardstick_rows(plan: Plan, run: tuple[str, int] | None, winner: dict[str, Any]) -> int:
    """Retrain ``winner`` with every yardstick seed the log lacks for ``run``; returns how many
    were trained (a retrain of the same network for another run is copied, not trained)."""
    trained = 0
    name = REFERENCE if run is None else f"{run[0]} seed {run[1]}"
    reward = plan.search_config(*(run or plan.runs[0])).rewarding
    for index in range(plan.yardstick_seeds):
        logged = read_log(plan.runs_log)
        if find_run(logged, plan, run, index):
            continue
        earlier = find_retrain(logged, plan, winner["arch"], index)
        if earlier is not None:
            accuracy, seconds = float(earlier["yardstick_accuracy"]), float(earlier["seconds"])
            where = "the same network's earlier retrain"
        else:
            trial = "B0" if run is None else f"trial {winner['trial']}"
            say(
                f"{name}: yardstick seed {YARDSTICK_SEED + index}: retraining {trial} "
                f"({short_arch(winner['arch'])}, {float(winner['flops']) / 1e6:.1f}M FLOPs)"
            )
            accuracy, seconds = retrain(plan, decode(winner["arch"]), index)
            trained += 1
            where = f"{seconds:.0f} s"
        row = dict(winner)
        row.update(
            yardstick_seed=YARDSTICK_SEED + index,
            yardstick_accuracy=accuracy,
            yardstick_reward=reward(accuracy, float(winner["flops"])),
            seconds=round(seconds, 1),
            recipe=plan.recipe(index, run),
        )
        append_log(plan.runs_log, row)
        say(f"{name}: yardstick seed {YARDSTICK_SEED + index}: {accuracy:.2%} ({where})")
    return trained


def do_task(plan: Plan, run: tuple[str, int] | None) -> int:
    """One unit of work: B0's retrains (``run`` None), or one run's search and retrains."""
    logged = read_log(plan.runs_log)
    if run is None:
        winner = reference_row()
    else:
        winner = find_winner(logged, plan, run) or search(plan, *run)
    return yardstick_rows(plan, run, winner)


def say(line: str) -> None:
    print(line, flush=True)


def run_all(plan: Plan, jobs: int) -> tuple[list[str], int]:
    """Every task, in this process or ``jobs`` processes; (failures, retrains trained)."""
    tasks: list[tuple[str, int] | None] = [None, *plan.runs]
    failed: list[str] = []
    trained = 0

    def failure(task: tuple[str, int] | None, error: BaseException) -> None:
        name = REFERENCE if task is None else f"{task[0]} seed {task[1]}"
        failed.append(f"{name}: {type(error).__name__}: {error}")
        say(f"failed: {failed[-1]}")

    def done(task: tuple[str, int] | None, retrained: int) -> None:
        nonlocal trained
        trained += retrained

    # The study engine's pool: one way to run N processes and record a failure.
    run_jobs(functools.partial(do_task, plan), tasks, jobs, done, failure, threads=plan.threads)
    return failed, trained


# --- the table ----------------------------------------------------------------------------------


def short_arch(string: str) -> str:
    """Each stage as op token, kernel and layers (ir3x2: MBConv 3x3, 2 layers); B0 by name."""
    arch = decode(string)
    if arch == baselines.get(REFERENCE):
        return REFERENCE
    return "-".join(f"{OP_TOKENS[s.op]}{s.kernel}x{s.repeats}" for s in arch.stages)


def table(plan: Plan, logged: list[dict[str, str]]) -> tuple[pd.DataFrame, pd.Series | None]:
    """One row per run found in the log (yardstick accuracy: the mean over its seeds), and
    B0's row."""

    def row(run: tuple[str, int] | None) -> dict[str, Any] | None:
        found = [find_run(logged, plan, run, i) for i in range(plan.yardstick_seeds)]
        found = [f for f in found if f is not None]
        if not found:
            return None
        first = found[0]
        accuracy = statistics.fmean(float(f["yardstick_accuracy"]) for f in found)
        reward = statistics.fmean(float(f["yardstick_reward"]) for f in found)
        return {
            "sampler": first["sampler"],
            "seed": first["seed"],
            "trial": first["trial"],
            "arch": first["arch"],
            "flops": int(first["flops"]),
            "params": int(first["params"]),
            "proxy_accuracy": number(first["proxy_accuracy"]),
            "proxy_reward": number(first["proxy_reward"]),
            "yardstick_accuracy": accuracy,
            "yardstick_reward": reward,
            "yardstick_seeds": len(found),
        }

    rows = [r for r in map(row, plan.runs) if r is not None]
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    b0 = row(None)
    return frame, None if b0 is None else pd.Series(b0)


def number(value: str) -> float:
    """A logged number; NaN where the log has none (B0's proxy columns)."""
    return float(value) if value != "" else float("nan")


def render(plan: Plan, frame: pd.DataFrame, b0: pd.Series | None) -> str:
    """The printed table, the medians and the comparison with B0."""
    shown = frame if b0 is None else pd.concat([frame, b0.to_frame().T], ignore_index=True)
    percent = "{:.2%}".format

    def cell(value: Any, form) -> str:
        return "-" if value == "" or pd.isna(value) else form(value)

    printable = pd.DataFrame(
        {
            "sampler": shown["sampler"],
            "seed": shown["seed"].map(lambda v: "-" if v == "" else v),
            "trial": shown["trial"].map(lambda v: "-" if v == "" else v),
            "arch": shown["arch"].map(short_arch),
            "MFLOPs": (shown["flops"].astype(float) / 1e6).map("{:.1f}".format),
            "proxy acc": shown["proxy_accuracy"].map(lambda v: cell(v, percent)),
            "yardstick acc": shown["yardstick_accuracy"].map(percent),
            "yardstick reward": shown["yardstick_reward"].map("{:.4f}".format),
        }
    )
    lines = [printable.to_string(index=False) if len(shown) else "(no run finished yet)"]
    missing = len(plan.runs) - len(frame)
    lines.append(
        f"\n{len(frame)} of {len(plan.runs)} runs finished"
        + (f" ({missing} missing from {plan.runs_log})" if missing else "")
        + ("" if b0 is not None else "; B0 not retrained yet")
    )
    if len(frame):
        lines.append("\nmedian per sampler (yardstick):")
        for sampler in plan.samplers:
            own = frame[frame["sampler"] == sampler]
            if own.empty:
                continue
            lines.append(
                f"  {sampler:<10} accuracy {statistics.median(own['yardstick_accuracy']):.2%}  "
                f"reward {statistics.median(own['yardstick_reward']):.4f}  "
                f"({len(own)} run(s); proxy accuracy "
                f"{statistics.median(own['proxy_accuracy']):.2%})"
            )
    lines.extend(against_random(plan, frame))
    if b0 is not None and len(frame):
        limit = float(b0["flops"])
        lines.append(
            f"\nbeats B0 ({b0['yardstick_accuracy']:.2%} at {limit / 1e6:.1f}M FLOPs) at no "
            "more than its FLOPs?"
        )
        for sampler in plan.samplers:
            own = frame[frame["sampler"] == sampler]
            if own.empty:
                continue
            within = own[own["flops"].astype(float) <= limit]
            if within.empty:
                lines.append(f"  {sampler:<10} no: no winner within B0's FLOPs")
                continue
            best = within.loc[within["yardstick_accuracy"].idxmax()]
            beats = int((within["yardstick_accuracy"] > b0["yardstick_accuracy"]).sum())
            verdict = "yes" if best["yardstick_accuracy"] > b0["yardstick_accuracy"] else "no"
            lines.append(
                f"  {sampler:<10} {verdict}: best winner seed {best['seed']} "
                f"{best['yardstick_accuracy']:.2%} at {best['flops'] / 1e6:.1f}M FLOPs "
                f"({best['yardstick_accuracy'] - b0['yardstick_accuracy']:+.2%}); {beats} of "
                f"its {len(own)} winners beat B0 within its FLOPs"
            )
    search = plan.search_config(*plan.runs[0])
    yardstick = plan.yardstick(0)
    yimages = yardstick.value("train_subset")
    lines.append(
        f"\nproxy: {plan.proxy.dataset}, preset {plan.proxy.preset}, {plan.train_images:,} "
        f"images, {plan.proxy.images_seen_on(plan.train_images):,} seen, {plan.trials} trials "
        f"per run; yardstick: {plan.factor:g}x the images seen ({yimages:,} "
        f"images, {yardstick.budget_images:,} seen), mean of {plan.yardstick_seeds} seed(s); "
        f"accuracy on {plan.val_images:,} held-out training images; reward: accuracy x "
        f"(FLOPs / {search.target / 1e6:.0f}M)^{search.w:g}, FLOPs at "
        f"{search.deployment_resolution} px"
    )
    return "\n".join(lines)


def against_random(plan: Plan, frame: pd.DataFrame) -> list[str]:
    """Each sampler's winner against random search's winner of the same seed (same held-out
    split, same training seed): the yardstick accuracy's difference, seed by seed."""
    accuracy = {
        (row["sampler"], int(row["seed"])): row["yardstick_accuracy"] for _, row in frame.iterrows()
    }
    lines = []
    for sampler in (s for s in plan.samplers if s != "random"):
        gaps = {
            seed: accuracy[sampler, seed] - accuracy["random", seed]
            for seed in plan.seeds
            if (sampler, seed) in accuracy and ("random", seed) in accuracy
        }
        if gaps:
            wins = sum(gap > 0 for gap in gaps.values())
            each = ", ".join(f"seed {seed} {gap:+.2%}" for seed, gap in gaps.items())
            lines.append(
                f"  {sampler:<10} beats random in {wins} of {len(gaps)} seed(s): {each}; "
                f"median {statistics.median(gaps.values()):+.2%}"
            )
    if not lines:
        return []
    return ["\nagainst random search's winner of the same seed (yardstick accuracy):", *lines]


def proxy_progress(plan: Plan) -> str:
    """Does each sampler climb the reward it sees? Per run, from its study's trials.csv: the best
    proxy reward and the mean proxy reward of the first and the second half of its trials (B0
    and failed trials left out). Runs of one seed share the held-out split and the training
    seed, so their proxy rewards compare; across seeds they do not."""
    half = plan.trials // 2
    lines = [f"\nproxy reward per run (its trials.csv, B0 left out; first half: trials < {half}):"]
    for sampler, seed in plan.runs:
        try:
            trials = results.load(plan.search_config(sampler, seed).folder)
        except FileNotFoundError:  # not started yet
            continue
        done = results.complete(trials)
        done = done[done["reference"] == ""]  # load() leaves "" where no reference
        if done.empty:
            continue
        first = done[done["number"] < half]["reward"]
        second = done[done["number"] >= half]["reward"]

        def mean(values: pd.Series) -> str:
            return f"{values.mean():.4f}" if len(values) else "-"

        lines.append(
            f"  {sampler:<10} seed {seed}  best {done['reward'].max():.4f}  first half "
            f"{mean(first)}  second half {mean(second)}  ({len(done)} trials)"
        )
    return "\n".join(lines) if len(lines) > 1 else ""


def csv_frame(frame: pd.DataFrame, b0: pd.Series | None) -> pd.DataFrame:
    return frame if b0 is None else pd.concat([frame, b0.to_frame().T], ignore_index=True)


# --- the command --------------------------------------------------------------------------------


def names(text: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    for value in values:
        if value not in SAMPLERS:
            raise argparse.ArgumentTypeError(f"{value!r} is not a sampler ({', '.join(SAMPLERS)})")
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
    parser.add_argument("--jobs", type=positive(int), default=1, help="runs at once")
    parser.add_argument(
        "--threads",
        type=positive(int),
        default=None,
        help="torch threads per run (default: the cores / --jobs)",
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
        plan = make_plan(args)
        if args.dry_run:
            say(describe(plan))
            return 0
        start = time.perf_counter()
        failed, trained = ([], 0) if args.from_log else run_all(plan, args.jobs)
        frame, b0 = table(plan, read_log(plan.runs_log))
        say("")
        say(render(plan, frame, b0))
        say(proxy_progress(plan))
        if not args.from_log:
            say(f"{trained} retrain(s) this time; {time.perf_counter() - start:.0f} s in all")
        if args.csv:
            csv_frame(frame, b0).to_csv(args.csv, index=False)
        if failed:
            say(f"\n{len(failed)} failed: " + "; ".join(failed))
            return 1
    return 0


if __name__ == "__main__":  # errors as one line, as the commands show them
    sys.exit(run(main, "bench/search_vs_random.py"))
