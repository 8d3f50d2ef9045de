"""What the fidelity check trains and measures: ``FidelityConfig``, validated when it is made.

The check trains ``networks`` networks (the reference and samples of the space around it, spread
over its FLOPs range) with the proxy, ``proxy_seeds`` seeds each, and with the yardstick, the same
proxy seeing ``factor`` times the images, ``yardstick_seeds`` seeds each, and measures how well
the proxy's ranking agrees with the yardstick's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import baselines
from nas.archs import resolve_arch
from nas.errors import ConfigError
from nas.proxy import ProxyConfig
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W, RewardConfig
from search_spaces import ArchSpec, nb_macro

DEFAULT_REFERENCE = baselines.DEFAULT_REFERENCE
MIN_NETWORKS = 3  # a rank correlation of two networks is +-1 whatever the proxy
TRUTH_TABLE = "table"  # the proxy judged against NAS-Bench-Macro's table
FIDELITY_SPACES = ("mnasnet", nb_macro.NAME)

# The files a fidelity folder holds.
TABLE_FILE = "fidelity.csv"  # one row per network: accuracies of every seed, their means
FIGURES_FILE = "fidelity.json"  # every figure of the check
PLOT_FILE = "fidelity.png"  # proxy against yardstick accuracy, one point per network
RUNS_FILE = "runs.csv"  # the run log: one row per finished run, reused when resuming


def _check_int(owner: object, name: str, minimum: int, why: str = "") -> None:
    value = getattr(owner, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(name, value, f"must be an integer >= {minimum}{why}")


@dataclass(frozen=True)
class FidelityConfig:
    """The fidelity check: the proxy, the networks, the yardstick, the seeds and the outputs."""

    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    networks: int = 16  # the reference included
    factor: float = 5.0  # the yardstick sees this many times the proxy's images
    proxy_seeds: int = 2
    yardstick_seeds: int = 2
    jobs: int = 1  # training processes; above 1 they are spawned and split the CPU cores
    # A yardstick pinned apart from the proxy, so that proxy variants compare against the same
    # one (and reuse its logged runs): its images seen instead of ``factor`` x the proxy's, and
    # its own learning rate and batch size. None: the proxy's.
    yardstick_images_seen: int | None = None
    yardstick_lr: float | None = None
    yardstick_batch_size: int | None = None
    reference: str = DEFAULT_REFERENCE  # a baseline name, an architecture string or a JSON file
    out: str | None = None  # the folder; None: results/fidelity-<dataset>-<preset>
    runs: str | None = None  # the run log; None: <out>/runs.csv
    target_flops: float = DEFAULT_TARGET_FLOPS  # T of the reward the ranking by reward uses
    w: float = DEFAULT_W
    resolution: int = baselines.DEPLOYMENT_RESOLUTION  # the input size FLOPs are priced at
    pool: int = 400  # random samples the networks are chosen from by FLOPs
    # The space the networks come from: mnasnet (around ``reference``) or nb-macro, whose truth
    # is known: with truth "table" the proxy is ranked against the table, no yardstick trained.
    space: str = "mnasnet"
    truth: str | None = None  # "table": NAS-Bench-Macro's table (space nb-macro, cifar10)
    table: str | None = None  # the table's file; None: the one shipped
    resamples: int = 2000  # bootstrap resamples of the networks
    confidence: float = 0.9  # of the bootstrap intervals
    show_progress: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.proxy, ProxyConfig):
            raise ConfigError("proxy", self.proxy, "must be a ProxyConfig")
        _check_int(self, "networks", MIN_NETWORKS, ": a rank correlation needs 3 networks or more")
        factor = self.factor
        if (
            isinstance(factor, bool)
            or not isinstance(factor, (int, float))
            or not math.isfinite(factor)
            or factor < 1
        ):
            raise ConfigError(
                "factor", factor, "must be a number >= 1 (the yardstick trains longer)"
            )
        for name in ("proxy_seeds", "yardstick_seeds", "jobs"):
            _check_int(self, name, 1)
        for name in ("yardstick_images_seen", "yardstick_batch_size"):
            if getattr(self, name) is not None:
                _check_int(self, name, 1)
        lr = self.yardstick_lr
        if lr is not None and (
            isinstance(lr, bool)
            or not isinstance(lr, (int, float))
            or not math.isfinite(lr)
            or lr <= 0
        ):
            raise ConfigError("yardstick_lr", lr, "must be a positive number")
        _check_int(self, "resolution", 8)
        _check_int(self, "pool", self.networks, ": at least {networks} samples to choose from")
        _check_int(self, "resamples", 100)
        if not (isinstance(self.confidence, float) and 0 < self.confidence < 1):
            raise ConfigError("confidence", self.confidence, "must be a number between 0 and 1")
        for name in ("out", "runs"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(name, value, "must name a path")
        if self.space not in FIDELITY_SPACES:
            rule = f"must be one of {', '.join(FIDELITY_SPACES)}"
            raise ConfigError("space", self.space, rule)
        if self.truth not in (None, TRUTH_TABLE):
            raise ConfigError("truth", self.truth, f"must be {TRUTH_TABLE!r} or not given")
        if (self.space == nb_macro.NAME) != (self.truth == TRUTH_TABLE):
            raise ConfigError(
                None,
                None,
                f"{{truth}} {TRUTH_TABLE} goes with {{space}} {nb_macro.NAME} (its table holds "
                "the truth of that space only), and that space is checked against it",
            )
        if self.truth == TRUTH_TABLE and self.proxy.dataset != "cifar10":
            raise ConfigError(
                "dataset",
                self.proxy.dataset,
                "the table's truth is CIFAR-10 accuracy: the proxy must train on cifar10",
            )
        if self.table is not None and self.truth is None:
            raise ConfigError("table", self.table, "applies to {truth} table")
        self.reward  # noqa: B018 -- validates target_flops and w
        self.reference_arch  # noqa: B018 -- an unknown reference fails here, before any training

    @property
    def reward(self) -> RewardConfig:
        return RewardConfig.soft(self.target_flops, self.w)

    @property
    def reference_arch(self) -> ArchSpec:
        if not isinstance(self.reference, str) or not self.reference:
            raise ConfigError("reference", self.reference, "must name an architecture")
        try:
            return resolve_arch(self.reference)
        except (ValueError, OSError) as error:
            raise ConfigError(
                "reference",
                self.reference,
                f"use one of {', '.join(baselines.names())}, an architecture string or a JSON "
                f"file ({error})",
            ) from None

    @property
    def reference_name(self) -> str:
        """The reference's name in the tables: the baseline's, else ``reference``."""
        return self.reference if self.reference in baselines.names() else "reference"

    @property
    def folder(self) -> Path:
        if self.out is not None:
            return Path(self.out)
        dataset = self.proxy.dataset
        kind, _, path = dataset.partition(":")
        data = f"{kind}-{Path(path.rstrip('/')).name}" if path else kind
        space = f"{self.space}-" if self.space != "mnasnet" else ""
        return Path("results") / f"fidelity-{space}{data}-{self.proxy.preset}"

    @property
    def runs_path(self) -> Path:
        return Path(self.runs) if self.runs is not None else self.folder / RUNS_FILE
