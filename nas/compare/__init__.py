"""Benchmarks of the search. The sampler benchmark: samplers and strategies (arms, ``Arm``)
against a table of true accuracies (NAS-Bench-Macro), over budgets, noise levels and many seeds,
each paired with random search of the same seed (or another arm). ``retrain`` and
``retrain_table``: real searches paired by seed, judged by a yardstick or the truth.

``run_compare(CompareConfig(...))`` runs table searches (``nas.search`` with ``objective="table"``)
in parallel processes, logs each repetition as it ends (a stopped benchmark resumes), and
returns the winners' truth, their percentiles in the space, the win rate against random search
with its bootstrap interval, the one-sided Wilcoxon p and the anytime curves.
"""

from __future__ import annotations

from nas.compare.analysis import SUMMARY_COLUMNS, summary_text
from nas.compare.config import (
    BASELINE,
    DEFAULT_BUDGETS,
    DEFAULT_SAMPLERS,
    PLOT_FILE,
    RUNS_FILE,
    SUMMARY_CSV,
    SUMMARY_JSON,
    Arm,
    CompareConfig,
    noise_label,
)
from nas.compare.run import CompareResult, run_compare

__all__ = [
    "BASELINE",
    "Arm",
    "DEFAULT_BUDGETS",
    "DEFAULT_SAMPLERS",
    "PLOT_FILE",
    "RUNS_FILE",
    "SUMMARY_COLUMNS",
    "SUMMARY_CSV",
    "SUMMARY_JSON",
    "CompareConfig",
    "CompareResult",
    "run_compare",
    "noise_label",
    "summary_text",
]
