"""The proxy-fidelity check: does the proxy rank networks as longer training would?

``run_fidelity(FidelityConfig(...))`` trains the reference and samples of the space spread over
its FLOPs range with the proxy and with a yardstick that sees several times the images, several
seeds each, resumably, and measures the rank agreement (Kendall tau and Spearman rho with
bootstrap intervals), the proxy's seed-to-seed agreement and spread, the yardstick's own
agreement (the noise ceiling) and the ranking by reward. ``run_truth_check`` ranks networks of
NAS-Bench-Macro's space against the table's true accuracy instead. The command is ``python -m
nas.fidelity`` (nas.cli.fidelity).
"""

from __future__ import annotations

from nas.fidelity.analysis import Figures, build_table, measure
from nas.fidelity.config import (
    DEFAULT_REFERENCE,
    FIGURES_FILE,
    PLOT_FILE,
    RUNS_FILE,
    TABLE_FILE,
    FidelityConfig,
)
from nas.fidelity.networks import Network, choose_networks
from nas.fidelity.run import FidelityResult, run_fidelity
from nas.fidelity.runs import LOG_COLUMNS, Run, RunLog, recipe, run_key
from nas.fidelity.stats import Interval, bootstrap, kendall, mean_cv, seed_agreement, spearman
from nas.fidelity.summary import summary
from nas.fidelity.truth_check import TruthCheckResult, run_truth_check, truth_summary

__all__ = [
    "DEFAULT_REFERENCE",
    "FIGURES_FILE",
    "LOG_COLUMNS",
    "PLOT_FILE",
    "RUNS_FILE",
    "TABLE_FILE",
    "FidelityConfig",
    "FidelityResult",
    "Figures",
    "Interval",
    "Network",
    "Run",
    "RunLog",
    "TruthCheckResult",
    "bootstrap",
    "build_table",
    "choose_networks",
    "kendall",
    "mean_cv",
    "measure",
    "recipe",
    "run_fidelity",
    "run_key",
    "run_truth_check",
    "seed_agreement",
    "spearman",
    "summary",
    "truth_summary",
]
