"""Searches paired by seed, each winner retrained by a yardstick: the benchmark of a search on a
task with no table of true accuracies (the MnasNet space on CIFAR-10).

A ``RetrainPlan`` names the searches (samplers x seeds, each a real ``nas.search`` study under
``results_dir``, resumed where it stopped) and the yardstick (the same proxy with ``factor``
times the images seen, ``yardstick_seeds`` seeds). Every retrain is a run of the fidelity
check's kind (``nas.fidelity.runs.Run``, budget ``yardstick``, seed 1000 + i) kept in the same
run log with the same recipe key, so a retrain is never trained twice (the same network won by
two searches, or a later bench) and a stopped bench resumes. Yardstick seed i of every network
sees the same held-out images and batches (common random numbers), none the split its search
chose it by. Searches and retrains run as the study engine's jobs (``run_jobs``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import baselines
from nas import cost, results
from nas.data import DataConfig, load_data
from nas.errors import ConfigError, JobFailed
from nas.fidelity.runs import YARDSTICK, YARDSTICK_SEED, Run, RunLog, resolved
from nas.proxy import ProxyConfig, resolve_device
from nas.runtime import torch_threads
from nas.search import SearchConfig, run_search
from nas.study.jobs import run_jobs
from nas.study.progress import ProgressFactory, Silent
from nas.train import train_arch
from search_spaces import decode, encode
from search_spaces.spec import OP_TOKENS

REFERENCE_ROW = "reference"  # the sampler column of the reference's (B0's) row
Pair = tuple[str, int]  # (sampler, seed): one search
Say = Callable[[str], None]


@dataclass(frozen=True)
class RetrainPlan:
    """Everything the benchmark does: the searches, the yardstick, the run log."""

    proxy: ProxyConfig  # the searches' proxy; each search replaces its seed
    samplers: tuple[str, ...]
    seeds: tuple[int, ...]
    trials: int
    results_dir: str
    factor: float  # the yardstick's images seen / the proxy's
    yardstick_seeds: int
    runs_log: str  # the fidelity check's run log format
    train_images: int  # what the proxy trains on
    val_images: int
    available: int  # every training image the data has after the hold-out
    threads: int = 1  # torch threads per process

    @property
    def pairs(self) -> list[Pair]:
        """(sampler, seed) of each search, seed by seed, so the samplers advance together."""
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
        """Yardstick seed ``index``: the proxy with ``factor`` times the images seen, its own
        hold-out (proxy seed 1000 + index)."""
        proxy = self.proxy.replace(seed=YARDSTICK_SEED + index)
        return proxy.yardstick(self.factor, self.train_images, self.available)

    def retrain(self, string: str, index: int) -> Run:
        """The run that retrains the network ``string`` with yardstick seed ``index``."""
        yardstick = self.yardstick(index)
        images = yardstick.value("train_subset")
        data = resolved(yardstick.data_config, images, self.val_images)
        train = yardstick.train_config(1, images)
        device = str(resolve_device(yardstick.device))
        return Run(0, YARDSTICK, index, yardstick.seed, decode(string), data, train, device)

    @property
    def log(self) -> RunLog:
        return RunLog(self.runs_log)


def plan_retrains(
    proxy: ProxyConfig,
    samplers: Sequence[str],
    seeds: Sequence[int],
    trials: int,
    results_dir: str,
    runs_log: str,
    factor: float = 5.0,
    yardstick_seeds: int = 1,
    threads: int = 1,
) -> RetrainPlan:
    """The plan, with the sizes the proxy's data really has (it is loaded once to count)."""
    if not samplers:
        raise ConfigError("samplers", samplers, "name at least one")
    if not seeds:
        raise ConfigError("seeds", seeds, "name at least one")
    data = proxy.data_config
    loaded = load_data(data, "cpu")
    everything = load_data(dataclasses.replace(data, train_subset=None, train_cap=False), "cpu")
    plan = RetrainPlan(
        proxy=proxy,
        samplers=tuple(samplers),
        seeds=tuple(seeds),
        trials=trials,
        results_dir=results_dir,
        factor=factor,
        yardstick_seeds=yardstick_seeds,
        runs_log=runs_log,
        train_images=loaded.train_images.shape[0],
        val_images=loaded.val_images.shape[0],
        available=everything.train_images.shape[0],
        threads=threads,
    )
    plan.yardstick(0)  # a bad factor or run log fails here, before anything runs
    plan.log.load()
    return plan


# --- the winners --------------------------------------------------------------------------------


def finished_trials(config: SearchConfig) -> int | None:
    """How many of the study's trials have ended (None: not started)."""
    try:
        frame = results.load(config.folder)
    except FileNotFoundError:
        return None
    return int((frame["state"] != "RUNNING").sum())


def check_settings(config: SearchConfig) -> None:
    """ConfigError when the study folder holds a study with other settings than the plan's."""
    path = config.config_file
    if not path.exists():
        return
    recorded = SearchConfig.from_record(json.loads(path.read_text())).identity()
    wanted = config.identity()
    if recorded != wanted:
        changed = sorted(k for k in {**recorded, **wanted} if recorded.get(k) != wanted.get(k))
        raise ConfigError(
            "results_dir",
            str(config.folder),
            f"holds a study with other settings ({', '.join(changed)}): use another folder",
        )


def winner(plan: RetrainPlan, pair: Pair | None) -> dict[str, Any] | None:
    """The network a search chose (its study's best trial by reward, then fewer FLOPs), or the
    reference for ``None``; None while the search has not finished."""
    if pair is None:
        arch = baselines.get(baselines.DEFAULT_REFERENCE)
        deploy = plan.search_config(*plan.pairs[0]).deployment
        return {
            "sampler": REFERENCE_ROW,
            "seed": None,
            "trial": None,
            "arch": encode(arch),
            "flops": cost.flops(arch, deploy.resolution, deploy.in_channels, deploy.num_classes),
            "params": cost.params(arch, deploy.num_classes, deploy.in_channels),
            "proxy_accuracy": float("nan"),
            "proxy_reward": float("nan"),
        }
    config = plan.search_config(*pair)
    done = finished_trials(config)
    if done is None or done < plan.trials:
        return None
    check_settings(config)
    best = results.best_row(results.load(config.folder))
    if best is None:
        raise JobFailed(f"{config.name}: no trial completed")
    return {
        "sampler": pair[0],
        "seed": pair[1],
        "trial": int(best["number"]),
        "arch": best["arch"],
        "flops": int(best["flops"]),
        "params": int(best["params"]),
        "proxy_accuracy": float(best["accuracy"]),
        "proxy_reward": float(best["reward"]),
    }


# --- running ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _data(config: DataConfig, device: str):
    return load_data(config, device)


def train_retrain(run: Run, threads: int) -> tuple[float, float, dict[str, float]]:
    """Train one retrain: accuracy, seconds and the training losses."""
    with torch_threads(threads):
        result = train_arch(run.arch, _data(run.data, run.device), run.train, seed=run.seed)
    return result.accuracy, result.seconds, result.scores()


Progress = Callable[[str], ProgressFactory]  # a search's name -> its progress factory


def run_pair(
    plan: RetrainPlan, pair: Pair | None, say: Say = print, progress: Progress | None = None
) -> int:
    """One job: a search (or resume it) and retrain its winner with every yardstick seed the log
    lacks; ``None`` retrains the reference. Returns how many retrains were trained."""
    if pair is not None and winner(plan, pair) is None:
        config = plan.search_config(*pair)
        say(f"{config.name}: search, {plan.trials} trials, in {config.folder}/")
        run_search(config, progress=Silent if progress is None else progress(config.name))
    chosen = winner(plan, pair)
    if chosen is None:  # interrupted inside the search
        return 0
    name = REFERENCE_ROW if pair is None else f"{pair[0]} seed {pair[1]}"
    trained = 0
    for index in range(plan.yardstick_seeds):
        run = plan.retrain(chosen["arch"], index)
        if run.key in plan.log.load():
            continue
        say(
            f"{name}: yardstick seed {run.seed}: retraining {short_arch(chosen['arch'])} "
            f"({chosen['flops'] / 1e6:.1f}M FLOPs)"
        )
        accuracy, seconds, scores = train_retrain(run, plan.threads)
        plan.log.append(run, accuracy, seconds, scores)
        trained += 1
        say(f"{name}: yardstick seed {run.seed}: {accuracy:.2%} ({seconds:.0f} s)")
    return trained


@dataclass(frozen=True)
class RetrainOutcome:
    trained: int  # retrains trained this time
    failed: tuple[str, ...]  # "<search>: <error>" of each job that failed


def run_retrains(
    plan: RetrainPlan, jobs: int = 1, say: Say = print, progress: Progress | None = None
) -> RetrainOutcome:
    """Every search and retrain the log lacks, ``jobs`` at once; a failed job is reported and
    the others go on. ``say`` and ``progress`` must pickle when ``jobs`` > 1."""
    failed: list[str] = []
    trained = 0

    def failure(pair: Pair | None, error: BaseException) -> None:
        name = REFERENCE_ROW if pair is None else f"{pair[0]} seed {pair[1]}"
        failed.append(f"{name}: {type(error).__name__}: {error}")
        say(f"failed: {failed[-1]}")

    def done(pair: Pair | None, count: int) -> None:
        nonlocal trained
        trained += count

    tasks: list[Pair | None] = [None, *plan.pairs]
    job = functools.partial(run_pair, plan, say=say, progress=progress)
    run_jobs(job, tasks, jobs, done, failure, threads=plan.threads)
    return RetrainOutcome(trained, tuple(failed))


def short_arch(string: str) -> str:
    """Each stage as op token, kernel and layers (ir3x2: MBConv 3x3, 2 layers); the default
    reference by name."""
    arch = decode(string)
    if arch == baselines.get(baselines.DEFAULT_REFERENCE):
        return baselines.DEFAULT_REFERENCE
    return "-".join(f"{OP_TOKENS[s.op]}{s.kernel}x{s.repeats}" for s in arch.stages)
