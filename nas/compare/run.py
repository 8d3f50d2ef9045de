"""Running the sampler benchmark: one table search per sampler, budget, noise level and seed, in
parallel processes, each finished repetition appended to the run log so that a stopped benchmark
resumes and a finished one runs nothing.

A repetition is the real search (``SearchConfig`` with ``objective="table"``, the search's own
sampler, objective, loop and ranking) on an in-memory study: the winner is the ranking's best by
the reward the search saw; it is then judged by its TRUE reward, the table's mean accuracy times
the FLOPs term the search priced, and placed among all 6,561 networks by it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from nas import cost, results
from nas.compare.analysis import anytime, plain, runs_frame, summarize
from nas.compare.config import (
    BASELINE,
    RUNS_FILE,
    SUMMARY_CSV,
    SUMMARY_JSON,
    Arm,
    CompareConfig,
    noise_label,
    slope_label,
)
from nas.errors import ConfigError, JobFailed
from nas.proxy import ProxyConfig
from nas.reward import RewardConfig
from nas.search.config import SearchConfig
from nas.search.run import run_phases
from nas.search.samplers import make_pruner, make_sampler
from nas.search.table_objective import table_objective
from nas.study.jobs import run_jobs
from nas.study.keys import spent_images
from nas.study.loop import LoopSettings, optuna_verbosity
from nas.study.progress import ProgressFactory, Silent
from nas.study.runlog import RunLog
from nas.truth import load_table
from search_spaces import nb_macro

log = logging.getLogger(__name__)

LOG_COLUMNS = [
    "sampler",
    "trials",
    "noise_sd",
    "seed",
    "target_flops",
    "w",
    "winner",
    "observed_reward",
    "true_accuracy",
    "true_reward",
    "accuracy_percentile",
    "reward_percentile",
    "distinct",
    "seconds",
    "curve",
    "noise_exponent",
    "images_seen",
    "noise_slope",
]
# Earlier logs: before strategies (plain searches, no noise exponent), before noise slopes (1).
OLDER_LOG_COLUMNS = [LOG_COLUMNS[:-3], LOG_COLUMNS[:-1]]
KEY_COLUMNS = (*LOG_COLUMNS[:6], "noise_exponent", "noise_slope")  # sampler ... w, then these


@dataclass(frozen=True)
class Task:
    """One repetition: a table search with ``sampler`` (an arm: ``Arm.parse``) and ``seed``
    given the training images of ``trials`` plain trials."""

    sampler: str
    trials: int
    noise_sd: float | None
    seed: int
    target_flops: float
    w: float
    table: str | None
    noise_exponent: float = 0.5  # halving arms: the lower rungs' noise
    noise_slope: float = 1.0  # the seen accuracy's log x this (nas.truth.sloped)

    @property
    def arm(self) -> Arm:
        return Arm.parse(self.sampler)

    @property
    def exponent_label(self) -> str:
        """The noise exponent as the log keeps it: blank for a plain arm (it has no rungs)."""
        return "" if self.arm.strategy == "plain" else f"{self.noise_exponent:g}"

    @property
    def key(self) -> tuple[str, ...]:
        return (
            self.sampler,
            str(self.trials),
            noise_label(self.noise_sd),
            str(self.seed),
            f"{self.target_flops:g}",
            f"{self.w:g}",
            self.exponent_label,
            slope_label(self.noise_slope),
        )

    def search_config(self) -> SearchConfig:
        """The arm's search; a halving arm's budget is the plain trials' images."""
        arm = self.arm
        proxy = ProxyConfig(seed=self.seed, device="cpu")
        plain = SearchConfig(
            space=nb_macro.NAME,
            objective="table",
            sampler=arm.sampler,
            trials=self.trials,
            noise_sd=self.noise_sd,
            table=self.table,
            target_flops=self.target_flops,
            w=self.w,
            proxy=proxy,
            show_progress=False,
            finalists=arm.finalists,  # the arm's own: 0 unless it names them
            prescreen=arm.screen,  # likewise: none unless it names one
            noise_slope=self.noise_slope,
        )
        if not arm.budgeted:
            return plain
        return dataclasses.replace(
            plain,
            strategy=arm.strategy,
            rungs=arm.rungs,
            reduction_factor=arm.reduction_factor,
            promotion=arm.promotion,
            finalists=arm.finalists,
            finalist_seeds=arm.finalist_seeds,
            budget_images=self.trials * plain.candidate_images(),
            noise_exponent=self.noise_exponent,
        ).budgeted()


@functools.lru_cache(maxsize=4)
def true_rewards(table: str | None, target_flops: float, w: float) -> dict[str, float]:
    """Every network's true reward: the table's mean accuracy x the FLOPs term the search
    prices (``nas.cost`` at 32 px, 10 classes)."""
    truth = load_table(table)
    reward = RewardConfig.soft(target_flops, w)
    rewards = {}
    for key in truth:
        flops = cost.flops(nb_macro.arch(key), nb_macro.RESOLUTION, 3, nb_macro.NUM_CLASSES)
        rewards[key] = reward(truth[key].accuracy, flops)
    return rewards


@functools.lru_cache(maxsize=4)
def _sorted_rewards(table: str | None, target_flops: float, w: float) -> list[float]:
    return sorted(true_rewards(table, target_flops, w).values())


def reward_percentile(value: float, table: str | None, target_flops: float, w: float) -> float:
    """The share (0-100) of the space's networks with a lower true reward, ties counted half."""
    import bisect

    ordered = _sorted_rewards(table, target_flops, w)
    below = bisect.bisect_left(ordered, value)
    equal = bisect.bisect_right(ordered, value) - below
    return 100.0 * (below + equal / 2) / len(ordered)


def run_task(task: Task) -> dict[str, Any]:
    """One repetition: the search, its winner, the truth about it and its anytime curve."""
    start = time.perf_counter()
    config = task.search_config()
    truth = load_table(task.table)
    rewards = true_rewards(task.table, task.target_flops, task.w)
    with optuna_verbosity(optuna.logging.ERROR):
        pruner = make_pruner(config)
        if config.strategy == "halving":
            pruner = config.rungs_for().pruner()
        study = optuna.create_study(
            sampler=make_sampler(config),
            pruner=pruner,
            directions=["maximize", "minimize"] if config.two_objectives else ["maximize"],
        )
        settings = LoopSettings(
            total=config.candidate_trials,
            heartbeat=60.0,
            where="memory",
            collect_garbage=False,
            budget_images=config.candidate_budget(),
        )
        run_phases(study, table_objective(config), config, settings)
    frame = results.trials_frame(study)
    winner = results.best_row(frame)
    if winner is None:
        raise JobFailed(f"{task.sampler} seed {task.seed}: no complete trial")
    key = str(winner[results.TABLE_KEY])
    curve = _anytime(frame, rewards)
    return {
        "sampler": task.sampler,
        "trials": task.trials,
        "noise_sd": noise_label(task.noise_sd),
        "seed": task.seed,
        "target_flops": f"{task.target_flops:g}",
        "w": f"{task.w:g}",
        "winner": key,
        "observed_reward": float(winner["reward"]),
        "true_accuracy": truth[key].accuracy,
        "true_reward": rewards[key],
        "accuracy_percentile": truth.percentile(truth[key].accuracy),
        "reward_percentile": reward_percentile(rewards[key], task.table, task.target_flops, task.w),
        "distinct": int(frame[results.TABLE_KEY].nunique()),
        "seconds": time.perf_counter() - start,
        "curve": json.dumps([round(value, 6) for value in curve]),
        "noise_exponent": task.exponent_label,
        "images_seen": spent_images(study.get_trials(deepcopy=False)),
        "noise_slope": slope_label(task.noise_slope),
    }


def _anytime(frame, rewards: dict[str, float]) -> list[float]:
    """The true reward of the incumbent (the ranking's best so far) after each trial."""
    curve = []
    for count in range(1, len(frame) + 1):
        best = results.best_row(frame.iloc[:count])
        curve.append(rewards[str(best[results.TABLE_KEY])] if best is not None else float("nan"))
    return curve


def tasks(config: CompareConfig) -> list[Task]:
    """Every repetition, seed by seed so that a stopped benchmark has whole pairs."""
    return [
        Task(
            sampler,
            budget,
            noise_sd,
            seed,
            float(config.target_flops),
            config.w,
            config.table,
            config.noise_exponent,
            config.noise_slope,
        )
        for seed in config.seeds
        for noise_sd in config.noise_sds
        for budget in config.budgets
        for sampler in config.samplers
    ]


def run_repetitions(
    config: CompareConfig, progress: ProgressFactory = Silent
) -> list[dict[str, str]]:
    """Run every repetition the run log lacks; return the log's rows of this config's tasks."""
    load_table(config.table)  # a bad table fails here, once
    run_log = RunLog(
        config.folder / RUNS_FILE,
        LOG_COLUMNS,
        KEY_COLUMNS,
        older=OLDER_LOG_COLUMNS,
        kind="sampler benchmark's run log",
        field="out",
    )
    if config.noise_slope != 1 and run_log.header() in OLDER_LOG_COLUMNS:
        raise ConfigError(
            "out",
            str(config.folder),
            "holds a run log begun before --noise-slope, which cannot record a slope: give "
            "another --out",
        )
    logged = run_log.load()
    planned = tasks(config)
    todo = [task for task in planned if task.key not in logged]
    log.info(
        f"{len(planned)} repetitions: {len(planned) - len(todo)} in {run_log.path}, "
        f"{len(todo)} to run in {min(config.jobs, max(1, len(todo)))} process(es)"
    )
    bar = progress(len(planned), len(planned) - len(todo), config.show_progress and bool(todo), "")
    failures: list[str] = []

    def done(task: Task, row: dict[str, Any]) -> None:
        run_log.append(row)
        logged[task.key] = {name: str(value) for name, value in row.items()}
        bar.advance_to(len(planned) - len(todo) + len(failures) + _count(todo, logged))

    def failed(task: Task, error: BaseException) -> None:
        failures.append(f"{task.sampler} {task.trials} trials seed {task.seed}: {error}")
        log.warning("failed: %s", failures[-1])

    try:
        run_jobs(run_task, todo, config.jobs, done, failed)
    finally:
        bar.close()
    if failures:
        raise JobFailed(
            f"{len(failures)} repetition(s) failed ({'; '.join(failures[:3])}); the others are "
            f"logged in {run_log.path}: run the same command again to retry"
        )
    return [logged[task.key] for task in planned]


def _count(todo: list[Task], logged: dict) -> int:
    return sum(task.key in logged for task in todo)


@dataclass(frozen=True, eq=False)
class CompareResult:
    """A finished benchmark: its run log's rows as a frame, the summary and the curves."""

    config: CompareConfig
    runs: Any  # pandas DataFrame
    summary: Any  # pandas DataFrame, SUMMARY_COLUMNS
    curves: dict[str, dict[str, list[float]]]  # noise -> sampler -> median curve
    files: tuple[Path, ...]

    def as_dict(self) -> dict[str, Any]:
        config = self.config
        rows = [
            {name: plain(value) for name, value in row.items()}
            for row in self.summary.to_dict("records")
        ]
        return {
            "space": nb_macro.NAME,
            "target_flops": config.target_flops,
            "w": config.w,
            "noise_slope": config.noise_slope,
            "repeats": config.repeats,
            "first_seed": config.first_seed,
            "baseline": config.baseline,
            "confidence": config.confidence,
            "judged_by": "true reward: the table's mean accuracy x (FLOPs / T) ** w",
            "rows": rows,
            "anytime": self.curves,
        }


def run_compare(config: CompareConfig, progress: ProgressFactory = Silent) -> CompareResult:
    """Run what the log lacks, then write summary.csv and summary.json."""
    rows = run_repetitions(config, progress)
    frame = runs_frame(rows)
    summary = summarize(frame, config)
    curves = anytime(frame)
    folder = config.folder
    # Against another arm than random search: files of their own beside the usual ones.
    suffix = "" if config.baseline == BASELINE else f"-vs-{config.baseline.replace(':', '-')}"
    csv_file = folder / SUMMARY_CSV.replace(".csv", f"{suffix}.csv")
    json_file = folder / SUMMARY_JSON.replace(".json", f"{suffix}.json")
    result = CompareResult(config, frame, summary, curves, (csv_file, json_file))
    results.write_csv(summary, csv_file)
    results.write_atomic(json_file, json.dumps(result.as_dict(), indent=2) + "\n")
    return result
