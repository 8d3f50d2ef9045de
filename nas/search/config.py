"""``SearchConfig``: the reward, the space's reference, the study settings and one ProxyConfig."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import baselines
from nas.errors import ConfigError
from nas.proxy import ProxyConfig, check_positive, resolve_device
from nas.results.files import CONFIG_FILE, JOURNAL_FILE
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_V, DEFAULT_W, RewardConfig, TrainingAwareReward
from nas.search.objective import Deployment
from nas.study.storage import HEARTBEAT_SECONDS, mask_url, scheme_of
from nas.train import TrainConfig
from search_spaces import DEFAULT_SPACE, SPACES

SAMPLERS = ("tpe", "random", "nsga2", "evolution")
PRUNERS = ("median", "hyperband", "none")
# "flops": ACC x (FLOPS / T) ** w; "v2": EfficientNetV2's training-aware ACC x S ** w x P ** v.
REWARDS = ("flops", "v2")
DEFAULT_REFERENCE = "efficientnet_b0"


@dataclass(frozen=True)
class SearchConfig:
    """Everything a search needs; the proxy's ``None`` fields take its preset's values."""

    target_flops: float = DEFAULT_TARGET_FLOPS
    w: float = DEFAULT_W
    alpha: float | None = None
    beta: float | None = None
    min_flops: float | None = None
    max_flops: float | None = None
    resolution: int = 224
    reference: str = DEFAULT_REFERENCE
    space: str = DEFAULT_SPACE
    use_reference: bool = True
    reward_kind: str = "flops"
    v: float = DEFAULT_V  # the v2 reward's exponent on parameters (w is the step time's)
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
        for name in ("target_flops", "heartbeat"):
            check_positive(self, name)
        for name in ("resolution", "trials", "top_k", "workers"):
            check_positive(self, name, integer=True)
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
    def reward(self) -> RewardConfig:
        alpha = self.w if self.alpha is None else self.alpha
        beta = self.w if self.beta is None else self.beta
        return RewardConfig(self.target_flops, alpha, beta)

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
            resolution=self.resolution, min_flops=self.min_flops, max_flops=self.max_flops
        )

    def identity(self) -> dict[str, Any]:
        """The settings that give a study its meaning; a resumed study must keep them."""
        reward = self.reward
        proxy = self.proxy.identity()
        return {
            "reference": self.reference,
            "dataset": proxy.pop("dataset"),
            "sampler": self.sampler,
            "target_flops": reward.target_flops,
            "alpha": reward.alpha,
            "beta": reward.beta,
            "resolution": self.resolution,
            "min_flops": self.min_flops,
            "max_flops": self.max_flops,
            "seed": self.proxy.seed,
            "seeding": "common",  # every trial trains from the seed (earlier: seed + trial number)
            **proxy,
            # Recorded only when they differ from what studies made before them used.
            **({"space": self.space} if self.space != DEFAULT_SPACE else {}),
            **({"reward_kind": "v2", "w": self.w, "v": self.v} if self.reward_kind == "v2" else {}),
        }

    def record(self) -> dict[str, Any]:
        """config.json: every setting, the proxy's flattened in, the storage's password masked."""
        own = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name != "proxy"
        }
        return own | dataclasses.asdict(self.proxy) | {"storage": mask_url(self.storage or "")}

    @property
    def config_file(self) -> Path:
        return self.folder / CONFIG_FILE
