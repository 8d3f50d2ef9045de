"""Ground truth: NAS-Bench-Macro's table (Su et al. 2021), shipped with the project, read once.

``load_table()`` gives every network's true CIFAR-10 accuracy (the mean of 3 runs of 50 epochs,
and each run), params and FLOPs by its 8-digit key; ``search_spaces.nb_macro`` builds the
networks. The table is Apache-2.0 (nas/truth/nas_bench_macro/LICENSE); cite the paper.
"""

from __future__ import annotations

from nas.truth.table import (
    TABLE_FILE,
    Truth,
    TruthTable,
    check_noise_sd,
    check_noise_slope,
    load_table,
    sloped,
    true_reward,
)
from nas.truth.zero_cost import NASWOT_FILE, load_naswot

__all__ = [
    "NASWOT_FILE",
    "TABLE_FILE",
    "Truth",
    "TruthTable",
    "check_noise_sd",
    "check_noise_slope",
    "load_naswot",
    "load_table",
    "sloped",
    "true_reward",
]
