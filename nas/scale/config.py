"""What compound scaling scales and how: ``ScaleConfig``, validated when it is made."""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import baselines
from nas.archs import resolve_arch
from nas.errors import ConfigError
from nas.proxy import ProxyConfig
from nas.results.files import SCALING_FOLDER
from search_spaces import ArchSpec
from search_spaces.rules import grid_points

MIN_GRID_STEP = 1e-6  # the grid's values are rounded to 6 decimals


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ScaleConfig:
    """What to scale and how; ``proxy`` is the data, training, device and seed every stage
    trains on, and the outputs go to ``folder`` (with the stages' study in ``storage``)."""

    baseline: str = baselines.DEFAULT_REFERENCE  # a baseline name, an arch string or a .json
    coefficients: tuple[float, float, float] | None = None  # None: grid-search them
    official: bool = False  # also the official B1..B7 table, written as b<phi>.json
    phis: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    grid_step: float = 0.05
    tolerance: float = 0.1  # |alpha * beta^2 * gamma^2 - 2| allowed on the grid
    repeats: int = 1  # seeds averaged per grid point
    train_family: bool = False
    ablation: bool = True
    ablation_factor: float = 4.0  # the ablation's FLOPs target, times the baseline's
    with_fvcore: bool = True
    with_latency: bool = True
    # A latency table (nas.cost.latency_table): each member's latency predicted from it too,
    # the layers it lacks measured on its target first.
    latency_table: str | None = None
    proxy: ProxyConfig = dataclasses.field(default_factory=ProxyConfig)
    results_dir: str = "results"
    study_name: str | None = None  # outputs in results_dir/<study_name>/scaling
    storage: str | None = None  # an Optuna storage URL; None: a journal file in ``folder``
    show_progress: bool = True

    def __post_init__(self) -> None:
        if self.coefficients is not None:
            values = tuple(self.coefficients)
            if len(values) != 3 or not all(_is_number(v) and v > 0 for v in values):
                raise ConfigError(
                    "coefficients",
                    self.coefficients,
                    "give three positive numbers alpha,beta,gamma",
                )
        if (
            not isinstance(self.phis, (tuple, list))
            or not self.phis
            or any(isinstance(p, bool) or not isinstance(p, int) or p < 1 for p in self.phis)
        ):
            raise ConfigError("phis", self.phis, "give whole numbers >= 1")
        if isinstance(self.repeats, bool) or not isinstance(self.repeats, int) or self.repeats < 1:
            raise ConfigError("repeats", self.repeats, "must be an integer >= 1")
        if not (_is_number(self.ablation_factor) and self.ablation_factor > 1):
            raise ConfigError("ablation_factor", self.ablation_factor, "must be > 1")
        if not isinstance(self.proxy, ProxyConfig):
            raise ConfigError("proxy", type(self.proxy).__name__, "must be a ProxyConfig")
        if self.coefficients is None:
            self.grid()  # refuses a grid with no point

    def grid(self) -> list[tuple[float, float, float]]:
        """The grid search's (alpha, beta, gamma) points; ConfigError when there are none."""
        step, tolerance = self.grid_step, self.tolerance
        if not (_is_number(step) and step >= MIN_GRID_STEP):
            raise ConfigError("grid_step", step, f"must be a number >= {MIN_GRID_STEP:g}")
        if not (_is_number(tolerance) and tolerance >= 0):
            raise ConfigError("tolerance", tolerance, "must be a finite number >= 0")
        try:
            points = grid_points(step, tolerance)
        except ValueError:
            raise ConfigError("grid_step", step, "too fine: the grid would be too large") from None
        if not points:
            raise ConfigError(
                None,
                None,
                f"{{grid_step}}={step!r} with {{tolerance}}={tolerance!r} leaves no grid point: "
                "widen the tolerance",
            )
        return points

    @functools.cached_property
    def arch(self) -> ArchSpec:
        return resolve_arch(self.baseline)

    @property
    def base_dropout(self) -> float:
        return baselines.dropout(self.baseline) if self.baseline in baselines.names() else 0.2

    @property
    def folder(self) -> Path:
        """results_dir/<study_name>/scaling/ when a study is named, else beside a search's
        best.json, else results_dir/<baseline>/scaling/ (``custom`` for an architecture)."""
        if self.study_name:
            return Path(self.results_dir) / self.study_name / SCALING_FOLDER
        path = Path(self.baseline)
        if path.suffix == ".json":
            return path.parent / SCALING_FOLDER
        name = self.baseline if self.baseline in baselines.names() else "custom"
        return Path(self.results_dir) / name / SCALING_FOLDER
