"""``SearchConfig``: the reward, the space, the sampler and pruner, the study settings and one
ProxyConfig.

Objects inside, names at the edge: the space, the sampler, the pruner and the reward may be given
as objects (a ``MnasSpace`` built in Python, an Optuna sampler or pruner, a ``RewardConfig``) or
as names, which are resolved here, once. ``record`` writes a study's config.json and
``from_record`` reads it back as a config.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

import baselines
from nas.data import image_size_of
from nas.data.imagefolder import DEFAULT_RESIZE
from nas.errors import ConfigError, InputError
from nas.proxy import PROXY_FIELDS, ProxyConfig, resolve_device
from nas.results.files import CONFIG_FILE, JOURNAL_FILE
from nas.reward import (
    DEFAULT_TARGET_FLOPS,
    DEFAULT_V,
    DEFAULT_W,
    LatencyReward,
    RewardConfig,
    TrainingAwareReward,
)
from nas.search.budget import BudgetArithmetic
from nas.search.checks import (
    PRUNERS,
    SAMPLERS,
    check,
)
from nas.search.identity import study_identity
from nas.search.objective import Deployment
from nas.study.storage import HEARTBEAT_SECONDS, mask_url
from nas.train import TrainConfig
from search_spaces import (
    DEFAULT_SPACE,
    SPACES_WITH_REFERENCE,
    MnasSpace,
    NbMacroSpace,
    make_space,
    nb_macro,
    space_from_record,
    space_name,
    space_record,
)
from search_spaces.spaces import CUSTOM

DEFAULT_REFERENCE = baselines.DEFAULT_REFERENCE
DEFAULT_LATENCY_TABLE = "results/latency/torch-cpu-1t-b1.json"  # nas.cli.latency's default
# The deployment shape of spaces around a reference (ImageNet's: 224 px, 1000 classes).
DEPLOYMENT_RESOLUTION = baselines.DEPLOYMENT_RESOLUTION
DEPLOYMENT_CLASSES = baselines.DEPLOYMENT_CLASSES
CUSTOM_REFERENCE = "reference"  # the reference's name in a space built around an unnamed network
# Multi-objective samplers: the search then maximises accuracy and minimises FLOPs.
TWO_OBJECTIVE_SAMPLERS = (optuna.samplers.NSGAIISampler, optuna.samplers.NSGAIIISampler)
SearchSpace = MnasSpace | NbMacroSpace


@dataclass(frozen=True)
class SearchConfig(BudgetArithmetic):
    """Everything a search needs; the proxy's ``None`` fields take its preset's values."""

    target_flops: float | None = None  # None: the space's (400e6; nb-macro: 55e6)
    w: float = DEFAULT_W
    alpha: float | None = None
    beta: float | None = None
    min_flops: float | None = None
    max_flops: float | None = None
    # Latency in the reward (MnasNet's ACC x (LAT / T) ** w, T in ms) instead of FLOPs, LAT
    # predicted from a latency table (nas.cost.latency_table), built on first use if missing.
    target_latency_ms: float | None = None
    latency_table: str | None = None  # None: results/latency/torch-cpu-1t-b1.json when needed
    min_latency_ms: float | None = None  # a candidate predicted faster is never trained
    max_latency_ms: float | None = None  # a candidate predicted slower is never trained
    resolution: int | None = None  # the deployment size; None: the space's (224; nb-macro: 32)
    reference: str = DEFAULT_REFERENCE  # a space given as an object brings its own
    space: str | SearchSpace = DEFAULT_SPACE  # a name, or a MnasSpace / NbMacroSpace
    reward: RewardConfig | None = None  # instead of target_flops, alpha and beta
    use_reference: bool = True
    reward_kind: str = "flops"
    v: float = DEFAULT_V  # the v2 reward's exponent on parameters (w is the step time's)
    objective: str = "train"
    metric: str = "accuracy"  # the reward's ACC: "accuracy", "balanced_accuracy", "train_fit"
    noise_sd: float | None = None  # objective "table": Gaussian noise on the mean (else one run)
    table: str | None = None  # objective "table": the table's file; None: the one shipped
    # objective "table" with rungs: a rung seeing 1/k of the images sees noise_sd x k ** this.
    noise_exponent: float = 0.5
    # objective "table": the seen accuracy's log moves this times the truth's (nas.truth.sloped);
    # below 1 a proxy that compresses differences (the cpu proxy's accuracy: 0.64).
    noise_slope: float = 1.0
    proxy: ProxyConfig = dataclasses.field(default_factory=ProxyConfig)
    sampler: str | optuna.samplers.BaseSampler = "tpe"  # a name, or an Optuna sampler
    pruner: str | optuna.pruners.BasePruner | None = None  # None: the preset's
    trials: int = 12
    # How the budget is spent (nas.search.strategy): "plain", or "halving" over images seen.
    strategy: str = "plain"
    budget_images: int | None = None  # the whole search's training images; then trials follow
    rungs: int = 3  # halving: rungs per candidate
    reduction_factor: int = 3  # halving: 1 in this many goes on at each rung
    promotion: str = "restart"  # halving: a promoted candidate restarts, or "continue"s training
    # Train this share of proposals only (nas.search.prescreen); None: the space's default
    # (``DEFAULT_PRESCREEN``: 0.15 on nb-macro, else none), 1: every candidate trained.
    prescreen: float | None = None
    # The best this many networks are trained again, finalist_seeds times each with other
    # training seeds, within ``trials``, and the winner is the best mean of them (0: the best
    # single trial wins; None: the default, ``finalist_count``).
    finalists: int | None = None
    finalist_seeds: int = 2
    timeout: float | None = None
    study_name: str | None = None
    results_dir: str = "results"
    storage: str | None = None
    workers: int = 1
    devices: tuple[str, ...] | None = None  # one worker per entry, round robin
    threads: int | None = None  # torch threads per worker; default: the cores / workers
    heartbeat: float = HEARTBEAT_SECONDS
    top_k: int = 10
    show_progress: bool = True

    def __post_init__(self) -> None:
        check(self)

    # --- derived settings -------------------------------------------------------------------

    @property
    def two_objectives(self) -> bool:
        """Whether the sampler searches accuracy and FLOPs as two objectives (NSGA-II/III)."""
        return self.sampler == "nsga2" or isinstance(self.sampler, TWO_OBJECTIVE_SAMPLERS)

    @property
    def sampler_name(self) -> str:
        """The sampler's name, or its class's for an object (``TPESampler``)."""
        return self.sampler if isinstance(self.sampler, str) else type(self.sampler).__name__

    @property
    def pruning(self) -> str:
        """The pruner in effect: its own (a name, or an object's class name), else the
        preset's; none with two objectives (Optuna cannot prune them); successive halving
        with the halving strategy."""
        if self.two_objectives:
            return "none"
        if self.strategy == "halving":
            return "halving"
        if self.pruner is None:
            return self.proxy.preset_values.pruner
        return self.pruner if isinstance(self.pruner, str) else type(self.pruner).__name__

    @property
    def search_space(self) -> SearchSpace:
        """The space: the object given, else the one the name makes around the reference."""
        if not isinstance(self.space, str):
            return self.space
        if self.space not in SPACES_WITH_REFERENCE:
            return make_space(self.space)
        return make_space(self.space, baselines.get(self.reference))

    @property
    def space_name(self) -> str:
        """The space's name; ``custom`` for one built in Python that no name makes."""
        return self.space if isinstance(self.space, str) else space_name(self.space)

    @property
    def reference_name(self) -> str:
        """The reference's name: ``reference``, or for a space given as an object the baseline
        its reference is (``reference`` when it is none)."""
        if isinstance(self.space, str):
            return self.reference
        for name in baselines.names():
            if baselines.get(name) == self.space.reference:
                return name
        return CUSTOM_REFERENCE

    @property
    def name(self) -> str:
        if self.study_name:
            return self.study_name
        sampler = self.sampler_name
        if not isinstance(self.sampler, str):  # TPESampler -> tpe
            sampler = sampler.removesuffix("Sampler").lower() or "sampler"
        if self.strategy != "plain":
            sampler = f"{sampler}-{self.strategy}"
        if self.objective == "table":
            return f"{self.space_name}-table-{sampler}"
        return f"{self.study_prefix}-{sampler}"

    @property
    def study_prefix(self) -> str:
        """What a default study name starts with: the dataset, and the space when it is another
        named space than the default, given by name or as an object (so that ``--space
        nb-macro`` and the MnasNet space on the same data do not share a folder)."""
        dataset = self.proxy.dataset
        data = (
            dataset.split(":", 1)[0]
            if ":" not in dataset
            else ("imagefolder-" + Path(dataset.split(":", 1)[1].rstrip("/")).name)
        )
        space = self.space_name
        return data if space in (DEFAULT_SPACE, CUSTOM) else f"{data}-{space}"

    @property
    def folder(self) -> Path:
        return Path(self.results_dir) / self.name

    @property
    def journal(self) -> Path:
        """The default storage's file."""
        return self.folder / JOURNAL_FILE

    @property
    def where(self) -> str:
        """The storage, for messages: a masked URL or the journal's path."""
        return mask_url(self.storage or str(self.journal))

    @property
    def has_reference(self) -> bool:
        """Whether the space is built around a reference (a fixed space has none)."""
        if isinstance(self.space, str):
            return self.space in SPACES_WITH_REFERENCE
        return isinstance(self.space, MnasSpace)

    @property
    def target(self) -> float:
        """T: the one given, else the space's default."""
        if self.reward is not None:
            return self.reward.target_flops
        if self.target_flops is not None:
            return float(self.target_flops)
        return DEFAULT_TARGET_FLOPS if self.has_reference else nb_macro.TARGET_FLOPS

    @property
    def deployment_resolution(self) -> int:
        if self.resolution is not None:
            return self.resolution
        return DEPLOYMENT_RESOLUTION if self.has_reference else nb_macro.RESOLUTION

    @property
    def rewarding(self) -> RewardConfig | LatencyReward:
        """The reward in effect: the one given, else T, alpha and beta (w for both); on
        predicted latency when ``target_latency_ms`` is given."""
        if self.reward is not None:
            return self.reward
        if self.target_latency_ms is not None:
            alpha = self.w if self.alpha is None else self.alpha
            beta = self.w if self.beta is None else self.beta
            return LatencyReward(self.target_latency_ms, alpha, beta)
        return RewardConfig.soft(self.target, self.w, self.alpha, self.beta)

    @property
    def uses_latency(self) -> bool:
        """Whether candidates get a predicted latency (a latency reward or bound, or a table
        named: a FLOPs search then records ``latency_ms`` too)."""
        named = (self.target_latency_ms, self.min_latency_ms, self.max_latency_ms)
        return self.latency_table is not None or any(value is not None for value in named)

    @property
    def latency_table_path(self) -> Path:
        return Path(self.latency_table or DEFAULT_LATENCY_TABLE)

    @property
    def training_aware(self) -> TrainingAwareReward | None:
        """The v2 reward, when ``reward_kind`` asks for it."""
        return TrainingAwareReward(self.w, self.v) if self.reward_kind == "v2" else None

    def train_config(self, train_images: int | None = None) -> TrainConfig:
        """How every candidate trains on ``train_images`` training images (None: the preset's
        nominal training size)."""
        # Intermediate evaluations serve the pruner only; they do not change the training.
        evaluations = self.proxy.preset_values.evaluations if self.pruning != "none" else 1
        return self.proxy.train_config(evaluations, train_images)

    @property
    def deployment(self) -> Deployment:
        return Deployment(
            resolution=self.deployment_resolution,
            num_classes=DEPLOYMENT_CLASSES if self.has_reference else nb_macro.NUM_CLASSES,
            min_flops=self.min_flops,
            max_flops=self.max_flops,
            min_latency_ms=self.min_latency_ms,
            max_latency_ms=self.max_latency_ms,
        )

    def identity(self) -> dict[str, Any]:
        """The settings that give a study its meaning; a resumed study must keep them
        (``nas.search.identity``)."""
        return study_identity(self)

    def record(self) -> dict[str, Any]:
        """config.json: every setting, the proxy's flattened in, objects by name (a custom
        space as its record), the storage's password masked; ``from_record`` reads it back."""
        own = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in ("proxy", "reward")
        }
        reward = self.rewarding
        own |= {
            "name": self.name,
            "space": self.space_name,
            "reference": self.reference_name,
            "sampler": self.sampler_name,
            "pruner": self.pruner if self.pruner is None else self.pruning,
            "alpha": self.alpha if self.reward is None else reward.alpha,
            "beta": self.beta if self.reward is None else reward.beta,
        }
        if self.space_name == CUSTOM:
            own["space_record"] = space_record(self.space)
        # A latency search's T is target_latency_ms: no FLOPs target is resolved for it.
        target = None if self.target_latency_ms is not None else self.target
        resolved = {"target_flops": target, "resolution": self.deployment_resolution}
        # The proxy's images as trained on: the size (None would read "unknown") and the policy.
        data = {"image_size": image_size_of(self.proxy.dataset, self.proxy.image_size)}
        if self.proxy.dataset.startswith("imagefolder:"):
            data["resize"] = self.proxy.resize or DEFAULT_RESIZE
        return (
            own
            | resolved
            | dataclasses.asdict(self.proxy)
            | data
            | {"storage": mask_url(self.storage or "")}
        )

    @classmethod
    def from_record(
        cls,
        record: dict[str, Any],
        sampler: optuna.samplers.BaseSampler | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
    ) -> SearchConfig:
        """The config a study's config.json (``record``) was written from. A sampler or pruner
        that was an object is recorded by its class name: pass the object to resume with it;
        reading results does not need it (the name ``random`` stands in). A masked storage
        URL reads back as the default journal file. InputError naming what is wrong."""
        if not isinstance(record, dict):
            raise InputError(f"a study's config must be a JSON object, got {record!r}")
        names = {field.name for field in dataclasses.fields(cls)} - {"proxy", "reward"}
        values = {name: record[name] for name in names if name in record}
        proxy = {name: record[name] for name in PROXY_FIELDS if name in record}
        if not str(proxy.get("dataset", "")).startswith("imagefolder:"):
            for name in ("image_size", "resize", "val_fraction"):  # recorded for every dataset
                proxy.pop(name, None)
        if values.get("space") == CUSTOM:
            values["space"] = space_from_record(record.get("space_record"))
            values.pop("reference", None)
        if values.get("reference") == CUSTOM_REFERENCE:
            values.pop("reference")
        if sampler is not None:
            values["sampler"] = sampler
        elif values.get("sampler") not in (None, *SAMPLERS):
            values["sampler"] = "random"
        if pruner is not None:
            values["pruner"] = pruner
        elif values.get("pruner") not in (None, *PRUNERS):
            values["pruner"] = None
        if "name" in record and values.get("study_name") is None:
            values["study_name"] = record["name"]
        if not values.get("storage"):
            values["storage"] = None
        if "*" in str(values.get("storage")):  # a masked password cannot be used
            values["storage"] = None
        if isinstance(values.get("devices"), list):
            values["devices"] = tuple(values["devices"])
        # The devices are the machine's that ran the study: one this machine lacks (a GPU study
        # read on a laptop) reads as auto, so the study's results can still be read here.
        try:
            ProxyConfig(**proxy)
        except ConfigError as error:
            if error.field != "device":
                raise InputError(f"a study's config is invalid: {error}") from None
            proxy["device"] = "auto"
        try:
            for device in values.get("devices") or ():
                resolve_device(device, field="devices")
        except ConfigError:
            values["devices"] = None
        try:
            return cls(**values, proxy=ProxyConfig(**proxy))
        except TypeError as error:
            raise InputError(f"a study's config does not make a search config: {error}") from None

    @property
    def config_file(self) -> Path:
        return self.folder / CONFIG_FILE
