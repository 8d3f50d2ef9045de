"""Every NAS-Bench-Macro network's NASWOT score, measured by this project and shipped beside the
table, so that a table search can pre-screen as a training search does without building a
network.

Measured by ``python bench/zero_cost_vs_truth.py --networks 6561 --scores naswot`` (each network
at its initialisation with seed 0, on the first 128 CIFAR-10 training images of a batch drawn with
seed 0, 32 px; ``nas.cost.zero_cost.naswot``); the log is bench/zero_cost_nb_macro_naswot.csv.
"""

from __future__ import annotations

import csv
import functools
import math
from pathlib import Path

from nas.errors import ConfigError
from search_spaces import nb_macro

NASWOT_FILE = Path(__file__).parent / "nb_macro_naswot.csv"


@functools.lru_cache(maxsize=2)
def _load(path: Path) -> dict[str, float]:
    if not path.is_file():
        raise ConfigError("zero_cost_table", str(path), "no such file")
    scores: dict[str, float] = {}
    try:
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                key = row["key"]
                nb_macro.check_key(key)
                scores[key] = float(row["naswot"])
    except (KeyError, TypeError, ValueError, OSError, UnicodeDecodeError):
        raise ConfigError(
            "zero_cost_table", str(path), "is not a CSV of 8-digit keys and NASWOT scores"
        ) from None
    expected = len(nb_macro.DIGITS) ** nb_macro.LAYERS
    if len(scores) != expected or not all(map(math.isfinite, scores.values())):
        raise ConfigError(
            "zero_cost_table", str(path), f"must hold a finite score for each of {expected:,} keys"
        )
    return scores


def load_naswot(path: str | Path | None = None) -> dict[str, float]:
    """NASWOT by 8-digit key (default: the scores shipped with the project), read once."""
    return _load(Path(NASWOT_FILE if path is None else path).resolve())
