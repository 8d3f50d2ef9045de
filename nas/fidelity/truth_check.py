"""The fidelity check against the truth: ``run_truth_check(config, progress)`` trains networks of
NAS-Bench-Macro's space with the proxy (``config.proxy_seeds`` seeds each; no yardstick: the
table's 50-epoch accuracy is the truth) and ranks them against the table.

Runs go in the same run log as every fidelity check (a stopped check resumes, a finished one
trains nothing, and ``bench/proxy_vs_truth.py``'s base runs are reused); fidelity.csv holds one
row per network, fidelity.json the figures of ``nas.fidelity.truth``.
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
from nas.fidelity.config import FIGURES_FILE, TABLE_FILE, FidelityConfig
from nas.fidelity.execute import execute
from nas.fidelity.networks import Network, choose_truth_networks
from nas.fidelity.plan import Budget, budgets
from nas.fidelity.runs import PROXY, Run, RunLog
from nas.fidelity.truth import TOP_QUARTILE, figures_text, truth_figures, variant_table
from nas.proxy import resolve_device
from nas.results import write_atomic, write_csv
from nas.study.loop import terminate_as_interrupt
from nas.study.progress import ProgressFactory, Silent
from nas.truth import load_table

log = logging.getLogger(__name__)

VARIANT = "base"  # the proxy's rows in the figures


@dataclass(frozen=True, eq=False)
class TruthCheckResult:
    """A finished check against the truth: networks, table, figures, what was trained."""

    config: FidelityConfig
    networks: tuple[Network, ...]
    proxy: Budget
    device: str
    table: pd.DataFrame = field(repr=False)
    figures: dict[str, Any]
    trained: int
    reused: int
    seconds: float
    files: tuple[Path, ...]

    @property
    def folder(self) -> Path:
        return self.config.folder

    def as_dict(self) -> dict[str, Any]:
        config = self.config
        return {
            "space": config.space,
            "truth": "NAS-Bench-Macro's mean CIFAR-10 test accuracy over 3 runs of 50 epochs",
            "dataset": config.proxy.dataset,
            "preset": config.proxy.preset,
            "device": self.device,
            "proxy": {"seeds": config.proxy_seeds, **self.proxy.as_dict()},
            **self.figures["variants"][VARIANT],
            "ceiling": self.figures["ceiling"],
            "runs": {"trained": self.trained, "reused": self.reused, "log": str(config.runs_path)},
            "table": TABLE_FILE,
        }


def network_table(rows: pd.DataFrame, networks: tuple[Network, ...], truth) -> pd.DataFrame:
    """One row per network: key, FLOPs, params, each proxy seed's accuracy and their mean, the
    table's mean and runs, whether it is in the top quartile of the truth."""
    wide = rows.pivot_table(index="network", columns="seed", values="accuracy", aggfunc="first")
    records = []
    for network in networks:
        key = network.name
        record: dict[str, Any] = {"name": key, "flops": network.flops, "params": network.params}
        for seed in wide.columns:
            record[f"proxy_{seed}"] = wide.loc[key, seed] if key in wide.index else float("nan")
        seeds = [record[f"proxy_{seed}"] for seed in wide.columns]
        record["proxy_mean"] = float(pd.Series(seeds, dtype=float).mean())
        record["truth"] = truth[key].accuracy
        for index, run in enumerate(truth[key].runs):
            record[f"truth_{index}"] = run
        record["top_quartile"] = truth[key].accuracy > truth.quantile(TOP_QUARTILE)
        records.append(record)
    return pd.DataFrame(records)


def run_truth_check(config: FidelityConfig, progress: ProgressFactory = Silent) -> TruthCheckResult:
    """Train what the run log lacks, rank against the table, write fidelity.csv and .json."""
    table = load_table(config.table)
    run_log = RunLog(config.runs_path)
    logged = run_log.load()
    networks = choose_truth_networks(table, config.networks, seed=config.proxy.seed)
    proxy, _ = budgets(config)
    device = str(resolve_device(config.proxy.device))
    seed = config.proxy.seed
    runs = [
        Run(index, PROXY, repeat, seed + repeat, n.arch, proxy.data, proxy.train, device)
        for repeat in range(config.proxy_seeds)
        for index, n in enumerate(networks)
    ]
    todo = [run for run in runs if run.key not in logged]
    reused = len(runs) - len(todo)
    log.info(
        "%d runs: %d in %s, %s",
        len(runs),
        reused,
        config.runs_path,
        f"{len(todo)} to train on {device}" if todo else "nothing to train",
    )
    failures: list[str] = []
    listener = progress(len(runs), reused, config.show_progress and bool(todo), "")

    def finished(run: Run, accuracy: float, seconds: float, scores: dict[str, float]) -> None:
        run_log.append(run, accuracy, seconds, scores)
        logged[run.key] = None  # type: ignore[assignment]
        name = networks[run.network].name
        log.info("%s seed %d: %.2f%%  [%.1f s]", name, run.seed, 100 * accuracy, seconds)
        listener.advance_to(reused + sum(r.key in logged for r in todo) + len(failures))

    def failed(run: Run, error: BaseException) -> None:
        failures.append(f"{networks[run.network].name} seed {run.seed}: {error}")
        log.warning("failed: %s", failures[-1])

    start = time.perf_counter()
    try:
        with terminate_as_interrupt():
            execute(todo, config.jobs, finished, failed)
    finally:
        listener.close()
    if failures:
        raise JobFailed(
            f"{len(failures)} of {len(todo)} run(s) failed ({'; '.join(failures[:3])}); the "
            f"others are logged in {config.runs_path}: run the same command again to retry"
        )
    rows = variant_table(table, networks, [(VARIANT, run) for run in runs], run_log.load())
    figures = truth_figures(rows, table, config.resamples, config.confidence)
    folder = config.folder
    write_csv(network_table(rows, networks, table), folder / TABLE_FILE)
    result = TruthCheckResult(
        config=config,
        networks=networks,
        proxy=proxy,
        device=device,
        table=network_table(rows, networks, table),
        figures=figures,
        trained=len(todo),
        reused=reused,
        seconds=time.perf_counter() - start,
        files=(folder / TABLE_FILE, folder / FIGURES_FILE),
    )
    write_atomic(folder / FIGURES_FILE, json.dumps(result.as_dict(), indent=2) + "\n")
    return result


def truth_summary(result: TruthCheckResult) -> str:
    """The check as the command prints it: the networks, then the figures."""
    table = result.table
    shown = table.drop(columns=[c for c in table.columns if c.startswith("truth_")])
    percent = [c for c in shown.columns if c.startswith("proxy") or c == "truth"]
    formatters: dict[str, Any] = {name: "{:.2%}".format for name in percent}
    formatters |= {"flops": lambda v: f"{v / 1e6:.1f}M", "params": "{:,}".format}
    config = result.config
    return "\n".join(
        [
            shown.to_string(index=False, formatters=formatters, na_rep="-"),
            "",
            f"proxy: {config.proxy.dataset}, preset {config.proxy.preset}, "
            f"{result.proxy.describe()}; {config.proxy_seeds} seed(s); device {result.device}; "
            f"{result.trained} runs trained, {result.reused} from {config.runs_path}",
            "truth: NAS-Bench-Macro's mean CIFAR-10 test accuracy (3 runs of 50 epochs)",
            figures_text(result.figures),
        ]
    )
