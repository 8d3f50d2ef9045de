"""NAS-Bench-Macro's table read once: each network's true CIFAR-10 accuracy, params and FLOPs.

Accuracies are fractions in [0, 1] here (the file holds percentages), like every accuracy in
the project. ``flops`` is the table's own count (convolutions and the classifier, at 32x32);
``nas.cost`` also counts BatchNorm and the final pooling, 1.2% to 3.8% more, in the same order
(Kendall tau 0.993 over the 6,561 networks).
"""

from __future__ import annotations

import bisect
import functools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nas.errors import ConfigError
from search_spaces import nb_macro

TABLE_FILE = Path(__file__).parent / "nas_bench_macro" / "nas-bench-macro_cifar10.json"
RUNS = 3  # trainings per network in the table
_FIELDS = ("test_acc", "mean_acc", "std", "params", "flops")


@dataclass(frozen=True)
class Truth:
    """One network's row: its mean accuracy, each run's, params and FLOPs."""

    key: str
    accuracy: float  # the mean of the runs, in [0, 1]
    runs: tuple[float, ...]  # each seed's test accuracy
    params: int
    flops: int  # the table's multiply-adds at 32x32

    def observed(self, seed: int, noise_sd: float | None = None, draw: int = 0) -> float:
        """What a search sees of this network with ``seed``: one of the table's runs (the
        ``seed % 3``-th), or, with ``noise_sd``, the mean plus Gaussian noise of that standard
        deviation, drawn from (seed, key), so the same network looks the same within a study
        and studies of different seeds see independent noise. ``draw`` > 0 draws another,
        independent, noise (a lower rung's training)."""
        if noise_sd is None:
            return self.runs[seed % RUNS]
        check_noise_sd(noise_sd)
        rng = np.random.default_rng([seed, int(self.key), *([draw] if draw else [])])
        return self.accuracy + noise_sd * float(rng.standard_normal())

    def reward(self, target_flops: float, alpha: float, beta: float | None = None) -> float:
        """ACC x (FLOPS / T) ** w with the table's accuracy and FLOPs (w = alpha at or under
        the target, else beta; beta defaults to alpha: the soft constraint)."""
        return true_reward(self.accuracy, self.flops, target_flops, alpha, beta)


def check_noise_sd(noise_sd: object) -> None:
    """ConfigError unless ``noise_sd`` is a finite number >= 0 (an accuracy fraction)."""
    if (
        isinstance(noise_sd, bool)
        or not isinstance(noise_sd, (int, float))
        or not math.isfinite(noise_sd)
        or noise_sd < 0
    ):
        raise ConfigError(
            "noise_sd", noise_sd, "must be a number >= 0 (accuracy as a fraction: 0.01 is 1 point)"
        )


def check_noise_slope(slope: object) -> None:
    """ConfigError unless ``slope`` is a number in (0, 10]."""
    if (
        isinstance(slope, bool)
        or not isinstance(slope, (int, float))
        or not math.isfinite(slope)
        or not 0 < slope <= 10
    ):
        raise ConfigError(
            "noise_slope", slope, "must be a number > 0 and <= 10 (1: a calibrated proxy)"
        )


def sloped(accuracy: float, slope: float, centre: float) -> float:
    """``centre ** (1 - slope) * accuracy ** slope``: an accuracy whose logarithm moves
    ``slope`` times the truth's around ``centre``, as a proxy that compresses (slope < 1) or
    stretches the differences between networks does. The ranking is unchanged; the trade
    against the reward's FLOPs term is not. Slope 1 is the accuracy itself."""
    if slope == 1:
        return accuracy
    return centre ** (1 - slope) * max(accuracy, 1e-9) ** slope


def true_reward(
    accuracy: float, flops: float, target_flops: float, alpha: float, beta: float | None = None
) -> float:
    """The reward of an accuracy and FLOPs (nas.reward's formula, on the table's numbers)."""
    if not (isinstance(target_flops, (int, float)) and target_flops > 0):
        raise ConfigError("target_flops", target_flops, "must be > 0")
    exponent = alpha if (beta is None or flops <= target_flops) else beta
    return accuracy * (flops / target_flops) ** exponent


def _bad_table(path: Path, why: str) -> ConfigError:
    return ConfigError(
        "table", str(path), f"{why}; it must be NAS-Bench-Macro's nas-bench-macro_cifar10.json"
    )


@dataclass(frozen=True, eq=False)
class TruthTable:
    """Every network's truth, by key; ``percentile`` places any accuracy among them."""

    path: Path
    rows: dict[str, Truth] = field(repr=False)
    _sorted_accuracy: tuple[float, ...] = field(repr=False, default=())

    def __post_init__(self) -> None:
        ordered = tuple(sorted(row.accuracy for row in self.rows.values()))
        object.__setattr__(self, "_sorted_accuracy", ordered)

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: object) -> bool:
        return key in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __getitem__(self, key: str) -> Truth:
        return self.truth(key)

    def keys(self) -> tuple[str, ...]:
        return tuple(self.rows)

    def truth(self, key: str) -> Truth:
        """The row of ``key``; ConfigError for a malformed key or one the table lacks."""
        try:
            nb_macro.check_key(key)
        except ValueError as error:
            raise ConfigError("key", key, str(error).split(": ", 1)[1]) from None
        row = self.rows.get(key)
        if row is None:
            raise ConfigError("key", key, f"is not in the table {self.path}")
        return row

    @property
    def mean_accuracy(self) -> float:
        """The mean of every network's mean accuracy (``sloped``'s centre)."""
        return float(np.mean(self._sorted_accuracy))

    def percentile(self, accuracy: float) -> float:
        """The share (0-100) of the table's networks whose mean accuracy is below ``accuracy``,
        ties counted half."""
        below = bisect.bisect_left(self._sorted_accuracy, accuracy)
        equal = bisect.bisect_right(self._sorted_accuracy, accuracy) - below
        return 100.0 * (below + equal / 2) / len(self._sorted_accuracy)

    def quantile(self, share: float) -> float:
        """The mean accuracy at ``share`` (0-1) of the table, lowest first."""
        values = self._sorted_accuracy
        return values[min(len(values) - 1, max(0, math.ceil(share * len(values)) - 1))]


def _row(key: str, value: object, path: Path) -> Truth:
    if not isinstance(value, dict) or set(value) != set(_FIELDS):
        raise _bad_table(path, f"key {key!r} does not hold {', '.join(_FIELDS)}")
    runs = value["test_acc"]
    try:
        if not isinstance(runs, list) or len(runs) != RUNS:
            raise TypeError
        return Truth(
            key=key,
            accuracy=float(value["mean_acc"]) / 100.0,
            runs=tuple(float(run) / 100.0 for run in runs),
            params=int(value["params"]),
            flops=int(value["flops"]),
        )
    except (TypeError, ValueError):
        raise _bad_table(path, f"key {key!r} holds values of the wrong types") from None


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> TruthTable:
    if not path.is_file():
        raise ConfigError("table", str(path), "no such file")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _bad_table(path, f"it cannot be read as JSON ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise _bad_table(path, "it is not a JSON object")
    rows = {}
    for key, value in data.items():
        try:
            nb_macro.check_key(key)
        except ValueError:
            raise _bad_table(path, f"{key!r} is not an 8-digit key of 0, 1 and 2") from None
        rows[key] = _row(key, value, path)
    expected = len(nb_macro.DIGITS) ** nb_macro.LAYERS
    if len(rows) != expected:
        raise _bad_table(path, f"it holds {len(rows)} networks, not {expected:,}")
    return TruthTable(path, rows)


def load_table(path: str | Path | None = None) -> TruthTable:
    """The table at ``path`` (default: the copy shipped with the project), read once."""
    return _load(Path(TABLE_FILE if path is None else path).resolve())
