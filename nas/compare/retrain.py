"""Real searches paired by seed, each winner judged by a yardstick or by the truth: the benchmark
of a search with real training (the MnasNet space on CIFAR-10; NAS-Bench-Macro on CIFAR-10).

A ``RetrainPlan`` names the searches (arms x seeds, each a real ``nas.search`` study under
``results_dir``, resumed where it stopped; an arm is a sampler with its strategy and finalists,
``nas.compare.config.Arm``, and every arm gets the training images of ``trials`` plain trials)
and how winners are judged: in a space with a table of true accuracies (nb-macro) by the table,
training nothing more; else by the yardstick (the same proxy with ``factor`` times the images
seen, ``yardstick_seeds`` seeds). Every retrain is a run of the fidelity
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import baselines
from nas import cost, results
from nas.compare.config import Arm
from nas.data import DataConfig, load_data
from nas.errors import ConfigError, JobFailed
from nas.fidelity.runs import YARDSTICK, YARDSTICK_SEED, Run, RunLog, resolved
from nas.proxy import ProxyConfig, resolve_device
from nas.runtime import torch_threads
from nas.search import SearchConfig, run_search
from nas.search.checks import SPACES_WITH_TABLE
from nas.study.jobs import run_jobs
from nas.study.keys import IMAGES_SEEN, RERANK_OF
from nas.study.progress import ProgressFactory, Silent
from nas.train import train_arch
from search_spaces import DEFAULT_SPACE, decode, encode
from search_spaces.spec import OP_TOKENS

REFERENCE_ROW = "reference"  # the sampler column of the reference's (B0's) row
Pair = tuple[str, int]  # (sampler, seed): one search
Say = Callable[[str], None]


@dataclass(frozen=True)
class RetrainPlan:
    """Everything the benchmark does: the searches, the yardstick, the run log."""

    proxy: ProxyConfig  # the searches' proxy; each search replaces its seed
    samplers: tuple[str, ...]  # arms: ``Arm.parse``
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
    space: str = DEFAULT_SPACE

    @property
    def judged_by_truth(self) -> bool:
        """Whether the winners are judged by the space's table of true accuracies."""
        return self.space in SPACES_WITH_TABLE

    @property
    def pairs(self) -> list[Pair]:
        """(sampler, seed) of each search, seed by seed, so the samplers advance together."""
        return [(sampler, seed) for seed in self.seeds for sampler in self.samplers]

    def search_config(self, sampler: str, seed: int) -> SearchConfig:
        """The search of arm ``sampler`` with ``seed``: ``trials`` plain trials, or their
        training images for an arm that spends them otherwise (its trials follow)."""
        arm = Arm.parse(sampler)
        base = SearchConfig(
            space=self.space,
            proxy=self.proxy.replace(seed=seed),
            sampler=arm.sampler,
            finalists=arm.finalists,  # the arm's own: 0 unless it names them
            prescreen=arm.screen,  # likewise: none unless it names one
        )
        config = dataclasses.replace(
            base,
            trials=self.trials,
            study_name=f"{base.name}-seed{seed}",
            results_dir=self.results_dir,
            threads=self.threads,
            show_progress=False,
        )
        if not arm.budgeted:
            return config
        images = config.candidate_images(self.train_images)
        return dataclasses.replace(
            config,
            study_name=f"{base.study_prefix}-{sampler.replace(':', '-')}-seed{seed}",
            strategy=arm.strategy,
            rungs=arm.rungs,
            reduction_factor=arm.reduction_factor,
            promotion=arm.promotion,
            finalists=arm.finalists,
            finalist_seeds=arm.finalist_seeds,
            budget_images=self.trials * images,
        ).budgeted(self.train_images)

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
    space: str = DEFAULT_SPACE,
) -> RetrainPlan:
    """The plan, with the sizes the proxy's data really has (it is loaded once to count)."""
    if not samplers:
        raise ConfigError("samplers", samplers, "name at least one")
    for sampler in samplers:
        Arm.parse(sampler)
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
        space=space,
    )
    plan.yardstick(0)  # a bad factor or run log fails here, before anything runs
    plan.log.load()
    for pair in plan.pairs:  # a bad arm or budget too
        plan.search_config(*pair)
    return plan


# --- the winners --------------------------------------------------------------------------------


def finished_trials(config: SearchConfig) -> int | None:
    """How many of the study's trials have ended (None: not started)."""
    try:
        frame = results.load(config.folder)
    except FileNotFoundError:
        return None
    return int((frame["state"] != "RUNNING").sum())


def search_finished(config: SearchConfig, frame, train_images: int) -> bool:
    """Whether the study in ``frame`` (its trials.csv) has all it will run: its candidates
    (their total, or their budget of images) and its finalists' retrainings."""
    ended = frame[frame["state"] != "RUNNING"]
    if RERANK_OF in frame.columns:
        retrained = ended[ended[RERANK_OF].notna()]
        candidates = ended[ended[RERANK_OF].isna()]
    else:
        retrained, candidates = ended.iloc[:0], ended
    if len(retrained) < config.finalist_trials:
        return False
    budget = config.candidate_budget(train_images)
    if budget is not None and IMAGES_SEEN in frame.columns:
        return candidates[IMAGES_SEEN].sum() >= budget or len(candidates) >= config.candidate_trials
    return len(candidates) >= config.candidate_trials


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
    if finished_trials(config) is None:
        return None
    frame = results.load(config.folder)
    if not search_finished(config, frame, plan.train_images):
        return None
    check_settings(config)
    best = results.best_row(frame)
    if best is None:
        raise JobFailed(f"{config.name}: no trial completed")
    return {
        "images_seen": int(frame[IMAGES_SEEN].sum()) if IMAGES_SEEN in frame.columns else None,
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
    if chosen is None or plan.judged_by_truth:  # interrupted; or the table judges it
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
    tasks: list[Pair | None] = [*([] if plan.judged_by_truth else [None]), *plan.pairs]
    start = time.perf_counter()
    ended = 0

    def name(pair: Pair | None) -> str:
        return REFERENCE_ROW if pair is None else f"{pair[0]} seed {pair[1]}"

    def ending(pair: Pair | None) -> None:  # a line per job: the bench runs for hours
        nonlocal ended
        ended += 1
        minutes = (time.perf_counter() - start) / 60
        say(f"{ended} of {len(tasks)} jobs ended ({name(pair)}), {minutes:.0f} min this time")

    def failure(pair: Pair | None, error: BaseException) -> None:
        failed.append(f"{name(pair)}: {type(error).__name__}: {error}")
        say(f"failed: {failed[-1]}")
        ending(pair)

    def done(pair: Pair | None, count: int) -> None:
        nonlocal trained
        trained += count
        ending(pair)

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
