"""``CompareConfig``: which samplers, budgets, noise levels and repetitions the sampler benchmark
runs against a table of true accuracies, validated when it is made."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from nas.errors import ConfigError
from nas.reward import DEFAULT_W
from nas.search.budget import NO_SCREEN
from nas.search.checks import SAMPLERS
from nas.truth import check_noise_sd, check_noise_slope
from search_spaces import nb_macro

BASELINE = "random"  # every sampler is paired with random search of the same seed
DEFAULT_SAMPLERS = ("tpe", "tpe-univariate", "evolution", "nsga2", "random")
DEFAULT_BUDGETS = (20, 40, 60, 120)
RUN = None  # a noise level of None: a trial sees one of the table's runs (chosen by its seed)

# The files the benchmark's folder holds.
RUNS_FILE = "runs.csv"  # one row per repetition (its anytime curve too): the run log
SUMMARY_CSV = "summary.csv"  # one row per sampler, budget and noise level
SUMMARY_JSON = "summary.json"
PLOT_FILE = "anytime.png"  # the median true reward of the incumbent by trial


# An arm's halving, by its name: how a promoted candidate gets its rung's images.
HALVING_ARMS = {"halving": "restart", "halving-continue": "continue"}


@dataclass(frozen=True)
class Arm:
    """One searcher of the benchmark: a sampler and how it spends the budget, written
    ``sampler`` (its trials), ``sampler:plain`` (the plain strategy on the trials' training
    images: a network proposed again reuses its result and costs none), ``sampler:halving``
    (3 rungs, factor 3) or ``sampler:halving:RxF`` (``halving-continue``: a promoted candidate
    keeps training rather than restarting), each optionally followed by ``+preK``: the
    pre-screen training only the best K% of the candidates proposed by their NASWOT-predicted
    reward, and by ``+KxM``: the best K networks retrained M times and the winner the best mean
    (``tpe+3x2``, ``tpe:halving:2x2+2x1``, ``tpe+pre15+3x2``). Every arm but a bare sampler runs
    on the budget."""

    sampler: str
    strategy: str = "plain"
    rungs: int = 3
    reduction_factor: int = 3
    finalists: int = 0
    finalist_seeds: int = 2
    promotion: str = "restart"
    prescreen: float | None = None  # the share of proposed candidates trained

    @property
    def budgeted(self) -> bool:
        """Whether the arm runs on a budget of training images (every arm but a bare sampler,
        which runs its trials: a network it proposes again then costs a trial, not nothing)."""
        return (
            self.strategy != "plain"
            or self.finalists > 0
            or self.explicit
            or self.prescreen is not None
        )

    explicit: bool = False  # written ``sampler:plain``: the plain strategy on the budget

    @property
    def screen(self) -> float:
        """The search's ``prescreen``: the arm's share, else none, whatever the space's
        default (an arm screens only when its name says so)."""
        return NO_SCREEN if self.prescreen is None else self.prescreen

    @classmethod
    def parse(cls, text: str) -> Arm:
        searcher, *terms = text.split("+")
        extra: dict = {}
        for term in terms:
            kind = "prescreen" if term.startswith("pre") else "finalists"
            if kind in extra:
                raise ConfigError("samplers", text, "takes at most one +preK and one +KxM")
            if kind == "prescreen":
                share = term.removeprefix("pre")
                if not (share.isdigit() and 1 <= int(share) <= 99):
                    raise ConfigError("samplers", text, "+preK: K% of candidates trained, 1-99")
                extra["prescreen"] = int(share) / 100
            else:
                rule = "+KxM: K finalists >= 1, retrained M >= 1 times"
                extra["finalists"], extra["finalist_seeds"] = _shape(text, term, 1, rule)
        sampler, _, rest = searcher.partition(":")
        if sampler not in SAMPLERS:
            raise ConfigError("samplers", text, f"must name one of {', '.join(SAMPLERS)}")
        if not rest:
            return cls(sampler, **extra)
        strategy, _, shape = rest.partition(":")
        if strategy == "plain" and not shape:
            return cls(sampler, explicit=True, **extra)
        if strategy not in HALVING_ARMS:
            raise ConfigError(
                "samplers",
                text,
                "takes :plain, :halving, :halving-continue or :halving:RxF after the sampler",
            )
        extra["promotion"] = HALVING_ARMS[strategy]
        if not shape:
            return cls(sampler, "halving", **extra)
        rungs, factor = _shape(text, shape, 2, "halving's shape is RxF: R rungs >= 2, F >= 2")
        return cls(sampler, "halving", rungs, factor, **extra)


def _shape(text: str, shape: str, minimum: int, rule: str) -> tuple[int, int]:
    """``AxB`` as two whole numbers >= ``minimum``; ("", ...) gives (0, 0)."""
    if not shape:
        return (0, 0)
    first, _, second = shape.partition("x")
    if not (first.isdigit() and second.isdigit() and min(int(first), int(second)) >= minimum):
        raise ConfigError("samplers", text, rule)
    return int(first), int(second)


def noise_label(noise_sd: float | None) -> str:
    """How a noise level is written in files and tables: ``run`` or the sd."""
    return "run" if noise_sd is None else f"{noise_sd:g}"


def slope_label(noise_slope: float) -> str:
    """How a noise slope is written in the run log: blank for 1 (logs made before slopes)."""
    return "" if noise_slope == 1 else f"{noise_slope:g}"


@dataclass(frozen=True)
class CompareConfig:
    """The benchmark: every sampler x budget x noise level, ``repeats`` seeds each."""

    samplers: tuple[str, ...] = DEFAULT_SAMPLERS  # arms: ``Arm.parse``
    # In trials of a plain search; a halving arm gets the same training images (trials x the
    # images of one candidate).
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    noise_sds: tuple[float | None, ...] = (RUN,)
    repeats: int = 100
    first_seed: int = 0
    target_flops: float = nb_macro.TARGET_FLOPS
    w: float = DEFAULT_W
    table: str | None = None  # None: the table shipped with the project
    noise_exponent: float = 0.5  # halving arms: how the noise grows at the lower rungs
    noise_slope: float = 1.0  # the seen accuracy's log x this around the mean (nas.truth.sloped)
    jobs: int = 1  # processes
    out: str = "results/compare-nb-macro"
    resamples: int = 2000  # bootstrap resamples of the repetitions
    confidence: float = 0.9
    show_progress: bool = True
    # The arm every other is paired with (the win rate, the Wilcoxon p); random search unless
    # another arm is to be beaten (``tpe:plain`` to judge a recipe against the plain search).
    baseline: str = BASELINE

    def __post_init__(self) -> None:
        for name in ("samplers", "budgets", "noise_sds"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or not value:
                raise ConfigError(name, value, "must be a non-empty list")
            if len(set(value)) != len(value):
                raise ConfigError(name, value, "repeats an entry")
            object.__setattr__(self, name, tuple(value))
        for sampler in self.samplers:
            arm = Arm.parse(sampler)
            ranked = arm.strategy == "halving" or arm.finalists or arm.prescreen is not None
            if ranked and arm.sampler == "nsga2":
                raise ConfigError(
                    "samplers", sampler, "halving, +preK and +KxM rank by one reward, not two"
                )
            if arm.strategy == "halving" and any(n is RUN for n in self.noise_sds):
                raise ConfigError(
                    "noise_sds", "run", f"{sampler}: halving needs noise levels (lower rungs)"
                )
        if self.baseline not in self.samplers:
            raise ConfigError(
                "samplers",
                ",".join(self.samplers),
                f"must include {self.baseline}: the pairs' baseline",
            )
        for budget in self.budgets:
            if isinstance(budget, bool) or not isinstance(budget, int) or budget < 2:
                raise ConfigError("budgets", budget, "must be whole numbers of trials >= 2")
        for noise_sd in self.noise_sds:
            if noise_sd is not RUN:
                check_noise_sd(noise_sd)
        check_noise_slope(self.noise_slope)
        value = self.noise_exponent
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 100:
            raise ConfigError("noise_exponent", value, "must be a number from 0 to 100")
        for name, minimum in (("repeats", 2), ("jobs", 1), ("resamples", 100)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(name, value, f"must be an integer >= {minimum}")
        if isinstance(self.first_seed, bool) or not isinstance(self.first_seed, int):
            raise ConfigError("first_seed", self.first_seed, "must be an integer >= 0")
        if self.first_seed < 0:
            raise ConfigError("first_seed", self.first_seed, "must be an integer >= 0")
        if not (isinstance(self.target_flops, (int, float)) and self.target_flops > 0):
            raise ConfigError("target_flops", self.target_flops, "must be a positive number")
        if not (isinstance(self.w, (int, float)) and math.isfinite(self.w)):
            raise ConfigError("w", self.w, "must be a finite number")
        if not (isinstance(self.confidence, float) and 0 < self.confidence < 1):
            raise ConfigError("confidence", self.confidence, "must be between 0 and 1")
        if not isinstance(self.out, str) or not self.out.strip():
            raise ConfigError("out", self.out, "must name a folder")

    @property
    def folder(self) -> Path:
        return Path(self.out)

    @property
    def seeds(self) -> range:
        return range(self.first_seed, self.first_seed + self.repeats)
