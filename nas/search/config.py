"""``SearchConfig``: the reward, the space's reference, the study settings and one ProxyConfig."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import baselines
from nas.data import image_size_of
from nas.data.imagefolder import DEFAULT_RESIZE
from nas.errors import ConfigError
from nas.proxy import ProxyConfig, check_positive, resolve_device
from nas.results.files import CONFIG_FILE, JOURNAL_FILE
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_V, DEFAULT_W, RewardConfig, TrainingAwareReward
from nas.search.objective import Deployment
from nas.study.storage import HEARTBEAT_SECONDS, mask_url, scheme_of
from nas.train import TrainConfig
from nas.truth import check_noise_sd
from search_spaces import DEFAULT_SPACE, SPACES, SPACES_WITH_REFERENCE, nb_macro

# tpe: multivariate and grouped, the search's default; tpe-univariate: the classic independent
# TPE, one density per choice (Optuna 5's own default is multivariate).
SAMPLERS = ("tpe", "tpe-univariate", "random", "nsga2", "evolution")
PRUNERS = ("median", "hyperband", "none")
# "flops": ACC x (FLOPS / T) ** w; "v2": EfficientNetV2's training-aware ACC x S ** w x P ** v.
REWARDS = ("flops", "v2")
DEFAULT_REFERENCE = "efficientnet_b0"
# "train": each candidate trains on the proxy; "table": its accuracy is looked up in the space's
# table of true accuracies (nb-macro only), so a study runs in seconds.
OBJECTIVES = ("train", "table")
# What the reward's ACC is: top-1 accuracy, or the mean per-class accuracy (imbalanced data).
METRICS = ("accuracy", "balanced_accuracy")
SPACES_WITH_TABLE = (nb_macro.NAME,)
DEPLOYMENT_RESOLUTION = 224  # the deployment shape of spaces around a reference: 224 px, 1000
DEPLOYMENT_CLASSES = 1000  # classes (ImageNet's, as EfficientNet prices its networks)


@dataclass(frozen=True)
class SearchConfig:
    """Everything a search needs; the proxy's ``None`` fields take its preset's values."""

    target_flops: float | None = None  # None: the space's (400e6; nb-macro: 55e6)
    w: float = DEFAULT_W
    alpha: float | None = None
    beta: float | None = None
    min_flops: float | None = None
    max_flops: float | None = None
    resolution: int | None = None  # the deployment size; None: the space's (224; nb-macro: 32)
    reference: str = DEFAULT_REFERENCE
    space: str = DEFAULT_SPACE
    use_reference: bool = True
    reward_kind: str = "flops"
    v: float = DEFAULT_V  # the v2 reward's exponent on parameters (w is the step time's)
    objective: str = "train"
    metric: str = "accuracy"  # the reward's ACC: "accuracy" or "balanced_accuracy"
    noise_sd: float | None = None  # objective "table": Gaussian noise on the mean (else one run)
    table: str | None = None  # objective "table": the table's file; None: the one shipped
    proxy: ProxyConfig = dataclasses.field(default_factory=ProxyConfig)
    sampler: str = "tpe"
    pruner: str | None = None  # None: the preset's
    trials: int = 12
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
        if not isinstance(self.proxy, ProxyConfig):
            raise ConfigError("proxy", self.proxy, "must be a ProxyConfig")
        check_positive(self, "heartbeat")
        check_positive(self, "target_flops", optional=True)
        for name in ("trials", "top_k", "workers"):
            check_positive(self, name, integer=True)
        check_positive(self, "resolution", integer=True, optional=True)
        check_positive(self, "threads", integer=True, optional=True)
        for name in ("min_flops", "max_flops", "timeout"):
            check_positive(self, name, optional=True)
        if (
            self.min_flops is not None
            and self.max_flops is not None
            and self.min_flops > self.max_flops
        ):
            raise ConfigError(
                "min_flops", self.min_flops, f"must not exceed {{max_flops}}={self.max_flops!r}"
            )
        for name in ("w", "v", "alpha", "beta"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            ):
                raise ConfigError(name, value, "must be a finite number")
        if (self.alpha is None) != (self.beta is None):
            raise ConfigError(
                None,
                None,
                "{alpha} and {beta} go together (the hard constraint is {alpha} 0 {beta} -1)",
            )
        if self.space not in SPACES:
            raise ConfigError("space", self.space, f"must be one of {', '.join(SPACES)}")
        if self.objective not in OBJECTIVES:
            raise ConfigError(
                "objective", self.objective, f"must be one of {', '.join(OBJECTIVES)}"
            )
        if self.objective == "table" and self.space not in SPACES_WITH_TABLE:
            raise ConfigError(
                "objective",
                self.objective,
                f"needs a space with a table of true accuracies ({', '.join(SPACES_WITH_TABLE)}); "
                f"{{space}} is {self.space!r}",
            )
        if self.metric not in METRICS:
            raise ConfigError("metric", self.metric, f"must be one of {', '.join(METRICS)}")
        if self.metric != "accuracy" and self.objective == "table":
            raise ConfigError("metric", self.metric, "the table knows accuracy only")
        if self.noise_sd is not None:
            check_noise_sd(self.noise_sd)
        if self.objective != "table":
            for name in ("noise_sd", "table"):
                if getattr(self, name) is not None:
                    raise ConfigError(name, getattr(self, name), "applies to {objective} table")
        if self.objective == "table" and self.reward_kind == "v2":
            raise ConfigError(
                "reward_kind", "v2", "times training steps, which {objective} table does not run"
            )
        if self.space not in SPACES_WITH_REFERENCE and self.resolution not in (
            None,
            nb_macro.RESOLUTION,
        ):
            raise ConfigError(
                "resolution",
                self.resolution,
                f"the {self.space} space is defined at {nb_macro.RESOLUTION} px",
            )
        if self.reward_kind not in REWARDS:
            raise ConfigError(
                "reward_kind", self.reward_kind, f"must be one of {', '.join(REWARDS)}"
            )
        if self.reward_kind == "v2" and self.alpha is not None:
            raise ConfigError(
                None,
                None,
                "{alpha} and {beta} shape the FLOPs reward; the v2 reward takes {w} and {v}",
            )
        if self.sampler not in SAMPLERS:
            raise ConfigError("sampler", self.sampler, f"must be one of {', '.join(SAMPLERS)}")
        if self.pruner is not None and self.pruner not in PRUNERS:
            raise ConfigError("pruner", self.pruner, f"must be one of {', '.join(PRUNERS)}")
        if self.reference not in baselines.names():
            raise ConfigError(
                "reference", self.reference, f"must be one of {', '.join(baselines.names())}"
            )
        if self.study_name is not None and (
            not self.study_name or "/" in self.study_name or self.study_name.startswith(".")
        ):
            raise ConfigError(
                "study_name",
                self.study_name,
                "must be a plain name (no '/', not starting with '.')",
            )
        if self.devices is not None:
            if not self.devices:
                raise ConfigError("devices", self.devices, "must name at least one device")
            for device in self.devices:
                resolve_device(device, field="devices")
        if self.workers > 1 and scheme_of(self.storage) == "sqlite":
            raise ConfigError(
                None,
                None,
                f"{{workers}} {self.workers} with {{storage}} {mask_url(self.storage or '')!r} "
                "is refused: SQLite does not take concurrent writers; use the default journal "
                "file, postgresql:// or redis://",
            )

    # --- derived settings -------------------------------------------------------------------

    @property
    def pruning(self) -> str:
        """The pruner in effect: its own, else the preset's; none for nsga2 (two objectives)."""
        if self.sampler == "nsga2":
            return "none"
        return self.proxy.preset_values.pruner if self.pruner is None else self.pruner

    @property
    def name(self) -> str:
        if self.study_name:
            return self.study_name
        if self.objective == "table":
            return f"{self.space}-table-{self.sampler}"
        dataset = self.proxy.dataset
        data = (
            dataset.split(":", 1)[0]
            if ":" not in dataset
            else ("imagefolder-" + Path(dataset.split(":", 1)[1].rstrip("/")).name)
        )
        return f"{data}-{self.sampler}"

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
        """Whether the space is built around ``reference`` (a fixed space has none)."""
        return self.space in SPACES_WITH_REFERENCE

    @property
    def target(self) -> float:
        """T: the one given, else the space's default."""
        if self.target_flops is not None:
            return float(self.target_flops)
        return DEFAULT_TARGET_FLOPS if self.has_reference else nb_macro.TARGET_FLOPS

    @property
    def deployment_resolution(self) -> int:
        if self.resolution is not None:
            return self.resolution
        return DEPLOYMENT_RESOLUTION if self.has_reference else nb_macro.RESOLUTION

    @property
    def reward(self) -> RewardConfig:
        alpha = self.w if self.alpha is None else self.alpha
        beta = self.w if self.beta is None else self.beta
        return RewardConfig(self.target, alpha, beta)

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
        )

    def identity(self) -> dict[str, Any]:
        """The settings that give a study its meaning; a resumed study must keep them."""
        reward = self.reward
        proxy = self.proxy.identity()
        table = {"objective": "table", "noise_sd": self.noise_sd}
        return {
            "reference": self.reference if self.has_reference else None,
            "dataset": proxy.pop("dataset"),
            "sampler": self.sampler,
            "target_flops": reward.target_flops,
            "alpha": reward.alpha,
            "beta": reward.beta,
            "resolution": self.deployment_resolution,
            "min_flops": self.min_flops,
            "max_flops": self.max_flops,
            "seed": self.proxy.seed,
            "seeding": "common",  # every trial trains from the seed (earlier: seed + trial number)
            **proxy,
            # Recorded only when they differ from what studies made before them used.
            **({"space": self.space} if self.space != DEFAULT_SPACE else {}),
            **({"reward_kind": "v2", "w": self.w, "v": self.v} if self.reward_kind == "v2" else {}),
            **(table if self.objective == "table" else {}),
            **({"metric": self.metric} if self.metric != "accuracy" else {}),
        }

    def record(self) -> dict[str, Any]:
        """config.json: every setting, the proxy's flattened in, the storage's password masked."""
        own = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name != "proxy"
        }
        resolved = {"target_flops": self.target, "resolution": self.deployment_resolution}
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

    @property
    def config_file(self) -> Path:
        return self.folder / CONFIG_FILE
