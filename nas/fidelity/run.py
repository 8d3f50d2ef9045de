"""Running the fidelity check: ``run_fidelity(config, progress)`` trains what its run log lacks,
then writes fidelity.csv and fidelity.json and returns a ``FidelityResult``.

Every finished run is appended to the run log as it ends, so a stopped check resumes and a
finished one trains nothing. A run that fails is logged as failed and the others go on; the
check then writes the table it has and raises JobFailed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nas.errors import JobFailed
from nas.fidelity.analysis import Figures, build_table, measure
from nas.fidelity.config import FIGURES_FILE, TABLE_FILE, FidelityConfig
from nas.fidelity.execute import execute
from nas.fidelity.networks import Network, choose_networks
from nas.fidelity.plan import Budget, Plan, plan
from nas.fidelity.runs import PROXY, YARDSTICK, Run, RunLog
from nas.results import write_atomic, write_csv
from nas.study.loop import terminate_as_interrupt
from nas.study.progress import ProgressFactory, Silent

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class FidelityResult:
    """A finished check: its networks, table and figures, and what was trained for it."""

    config: FidelityConfig
    networks: tuple[Network, ...]
    proxy: Budget
    yardstick: Budget
    device: str
    table: pd.DataFrame = field(repr=False)
    figures: Figures
    trained: int  # runs trained by this call
    reused: int  # runs taken from the run log
    seconds: float  # this call's training time, wall clock
    files: tuple[Path, ...]  # what was written

    @property
    def folder(self) -> Path:
        return self.config.folder

    def as_dict(self) -> dict[str, Any]:
        """fidelity.json: the figures, the two recipes and the networks."""
        config = self.config
        return {
            **self.figures.as_dict(),
            "dataset": config.proxy.dataset,
            "preset": config.proxy.preset,
            "reference": config.reference,
            "factor": self.yardstick.times(self.proxy),  # the yardstick's images seen / the proxy's
            "device": self.device,
            "proxy": {"seeds": config.proxy_seeds, **self.proxy.as_dict()},
            "yardstick": {"seeds": config.yardstick_seeds, **self.yardstick.as_dict()},
            "deployment_resolution": config.resolution,
            "runs": {"trained": self.trained, "reused": self.reused, "log": str(config.runs_path)},
            "table": TABLE_FILE,
        }


def _label(networks: tuple[Network, ...], run: Run) -> str:
    return f"{networks[run.network].name} {run.budget} seed {run.seed}"


def run_fidelity(config: FidelityConfig, progress: ProgressFactory = Silent) -> FidelityResult:
    """Train every run of ``config`` that its run log lacks, measure, write the folder's files."""
    run_log = RunLog(config.runs_path)
    logged = run_log.load()  # a foreign log fails here, before any data is loaded
    networks = choose_networks(
        config.reference_arch,
        config.networks,
        seed=config.proxy.seed,
        resolution=config.resolution,
        pool=config.pool,
        reference_name=config.reference_name,
    )
    the_plan = plan(config, networks)
    log.info(
        "yardstick: %s (%.3gx the proxy's images seen)",
        the_plan.yardstick.describe(),
        the_plan.yardstick.times(the_plan.proxy),
    )
    accuracy: dict[tuple[int, str, int], float] = {}
    seconds: dict[tuple[int, str, int], float] = {}
    todo = []
    for run in the_plan.runs:
        found = logged.get(run.key)
        if found is None:
            todo.append(run)
        else:
            accuracy[run.network, run.budget, run.repeat] = found.accuracy
            seconds[run.network, run.budget, run.repeat] = found.seconds
    reused = len(the_plan.runs) - len(todo)
    log.info(
        "%d runs: %d in %s, %s",
        len(the_plan.runs),
        reused,
        config.runs_path,
        f"{len(todo)} to train on {the_plan.device} in {min(config.jobs, len(todo))} process(es)"
        if todo
        else "nothing to train",
    )
    failures: list[str] = []
    listener = progress(len(the_plan.runs), reused, config.show_progress and bool(todo), "")

    def finished(run: Run, acc: float, secs: float, scores: dict[str, float]) -> None:
        run_log.append(run, acc, secs, scores)
        accuracy[run.network, run.budget, run.repeat] = acc
        seconds[run.network, run.budget, run.repeat] = secs
        log.info("%s: %.2f%%  [%.1f s]", _label(networks, run), 100 * acc, secs)
        listener.advance_to(len(accuracy) + len(failures))

    def failed(run: Run, error: BaseException) -> None:
        failures.append(f"{_label(networks, run)}: {error}")
        log.warning("failed: %s", failures[-1])
        listener.advance_to(len(accuracy) + len(failures))

    start = time.perf_counter()
    try:
        with terminate_as_interrupt():  # SIGTERM stops like Ctrl-C: the finished runs are logged
            execute(todo, config.jobs, finished, failed)
    finally:
        listener.close()
    elapsed = time.perf_counter() - start
    seeds = {PROXY: config.proxy_seeds, YARDSTICK: config.yardstick_seeds}
    table = build_table(networks, accuracy, seconds, seeds)
    folder = config.folder
    write_csv(table, folder / TABLE_FILE)
    if failures:
        raise JobFailed(
            f"{len(failures)} of {len(todo)} run(s) failed ({'; '.join(failures)}); the "
            f"{len(todo) - len(failures)} others are logged in {config.runs_path}: run the same "
            "command again to retry the failed ones"
        )
    figures = measure(
        table, config.reward, config.resamples, config.confidence, seed=config.proxy.seed
    )
    result = FidelityResult(
        config=config,
        networks=networks,
        proxy=the_plan.proxy,
        yardstick=the_plan.yardstick,
        device=the_plan.device,
        table=table,
        figures=figures,
        trained=len(todo),
        reused=reused,
        seconds=elapsed,
        files=(folder / TABLE_FILE, folder / FIGURES_FILE),
    )
    write_atomic(folder / FIGURES_FILE, json.dumps(result.as_dict(), indent=2) + "\n")
    return result


__all__ = ["FidelityResult", "Plan", "run_fidelity"]
