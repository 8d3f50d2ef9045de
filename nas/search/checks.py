"""The rules a ``SearchConfig`` must keep, checked when it is made: each broken rule is a
``ConfigError`` naming the setting."""

from __future__ import annotations

import math
from typing import Any

import optuna

import baselines
from nas.errors import ConfigError
from nas.proxy import ProxyConfig, check_positive, resolve_device
from nas.reward import RewardConfig
from nas.search.strategy import PROMOTIONS, STRATEGIES, Rungs
from nas.study.storage import mask_url, scheme_of
from nas.truth import check_noise_sd, check_noise_slope
from search_spaces import SPACES, MnasSpace, NbMacroSpace, nb_macro

# tpe: multivariate and grouped, the search's default; tpe-univariate: the classic independent
# TPE, one density per choice (Optuna 5's own default is multivariate).
SAMPLERS = ("tpe", "tpe-univariate", "random", "nsga2", "evolution")
PRUNERS = ("median", "hyperband", "none")
# "flops": ACC x (FLOPS / T) ** w; "v2": EfficientNetV2's training-aware ACC x S ** w x P ** v.
REWARDS = ("flops", "v2")
# "train": each candidate trains on the proxy; "table": its accuracy is looked up in the space's
# table of true accuracies (nb-macro only), so a study runs in seconds.
OBJECTIVES = ("train", "table")
# What the reward's ACC is: top-1 accuracy, or the mean per-class accuracy (imbalanced data).
METRICS = ("accuracy", "balanced_accuracy", "train_fit")
SPACES_WITH_TABLE = (nb_macro.NAME,)


def check_latency(config: Any) -> None:
    """Latency in the search: a positive target or bound, a table file named by a string,
    networks trained (a table search prices nothing), one reward."""
    if config.latency_table is not None and (
        not isinstance(config.latency_table, str) or not config.latency_table
    ):
        raise ConfigError("latency_table", config.latency_table, "must be a file name")
    if not config.uses_latency:
        return
    if config.objective == "table":
        raise ConfigError(
            None,
            None,
            "{target_latency_ms}, {min_latency_ms}, {max_latency_ms} and {latency_table} apply "
            "to searches that train",
        )
    low, high = config.min_latency_ms, config.max_latency_ms
    if low is not None and high is not None and low > high:
        raise ConfigError("min_latency_ms", low, f"must not exceed {{max_latency_ms}}={high!r}")
    if config.target_latency_ms is not None and config.reward is not None:
        raise ConfigError(None, None, "give {target_latency_ms} or a reward object, not both")
    if config.target_latency_ms is not None and config.reward_kind == "v2":
        raise ConfigError(
            "reward_kind", "v2", "weighs the step time, not {target_latency_ms}: give one"
        )
    if config.target_latency_ms is not None and config.target_flops is not None:
        raise ConfigError(
            None, None, "give {target_flops} or {target_latency_ms}: the reward weighs one"
        )


def check(config: Any) -> None:
    """Raise ConfigError for the first rule ``config`` (a SearchConfig) breaks."""
    if not isinstance(config.proxy, ProxyConfig):
        raise ConfigError("proxy", config.proxy, "must be a ProxyConfig")
    check_positive(config, "heartbeat")
    check_positive(config, "target_flops", optional=True)
    for name in ("trials", "top_k", "workers"):
        check_positive(config, name, integer=True)
    check_positive(config, "resolution", integer=True, optional=True)
    check_positive(config, "threads", integer=True, optional=True)
    names = ("target_latency_ms", "min_latency_ms", "max_latency_ms")
    for name in ("min_flops", "max_flops", "timeout", *names):
        check_positive(config, name, optional=True)
    check_latency(config)
    if (
        config.min_flops is not None
        and config.max_flops is not None
        and config.min_flops > config.max_flops
    ):
        raise ConfigError(
            "min_flops", config.min_flops, f"must not exceed {{max_flops}}={config.max_flops!r}"
        )
    for name in ("w", "v", "alpha", "beta"):
        value = getattr(config, name)
        if value is not None and not (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        ):
            raise ConfigError(name, value, "must be a finite number")
    if (config.alpha is None) != (config.beta is None):
        raise ConfigError(
            None,
            None,
            "{alpha} and {beta} go together (the hard constraint is {alpha} 0 {beta} -1)",
        )
    if isinstance(config.space, str):
        if config.space not in SPACES:
            raise ConfigError("space", config.space, f"must be one of {', '.join(SPACES)}")
    elif not isinstance(config.space, (MnasSpace, NbMacroSpace)):
        raise ConfigError(
            "space",
            config.space,
            f"must be one of {', '.join(SPACES)}, a MnasSpace or NbMacroSpace",
        )
    if config.reward is not None:
        if not isinstance(config.reward, RewardConfig):
            raise ConfigError("reward", config.reward, "must be a RewardConfig")
        given = [n for n in ("target_flops", "alpha", "beta") if getattr(config, n) is not None]
        if given:
            raise ConfigError(
                None,
                None,
                "give {reward} or "
                + ", ".join(f"{{{name}}}" for name in given)
                + ", not both: the reward holds them",
            )
    if config.objective not in OBJECTIVES:
        raise ConfigError("objective", config.objective, f"must be one of {', '.join(OBJECTIVES)}")
    if config.objective == "table" and config.space_name not in SPACES_WITH_TABLE:
        raise ConfigError(
            "objective",
            config.objective,
            f"needs a space with a table of true accuracies ({', '.join(SPACES_WITH_TABLE)}); "
            f"{{space}} is {config.space_name!r}",
        )
    if config.metric not in METRICS:
        raise ConfigError("metric", config.metric, f"must be one of {', '.join(METRICS)}")
    if config.metric != "accuracy" and config.objective == "table":
        raise ConfigError("metric", config.metric, "the table knows accuracy only")
    if config.metric == "train_fit" and (config.strategy, config.promotion) == (
        "halving",
        "continue",
    ):
        raise ConfigError(
            "metric",
            config.metric,
            "is scored over the end of a whole training; {promotion} continue scores the lower "
            "rungs mid-training (use restart)",
        )
    if config.noise_sd is not None:
        check_noise_sd(config.noise_sd)
    check_noise_slope(config.noise_slope)
    value = config.noise_exponent
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 100:
        raise ConfigError("noise_exponent", value, "must be a number from 0 to 100")
    if config.objective != "table":
        for name in ("noise_sd", "table"):
            if getattr(config, name) is not None:
                raise ConfigError(name, getattr(config, name), "applies to {objective} table")
        if config.noise_slope != 1:
            raise ConfigError("noise_slope", config.noise_slope, "applies to {objective} table")
    if config.objective == "table" and config.reward_kind == "v2":
        raise ConfigError(
            "reward_kind", "v2", "times training steps, which {objective} table does not run"
        )
    if not config.has_reference and config.resolution not in (None, nb_macro.RESOLUTION):
        raise ConfigError(
            "resolution",
            config.resolution,
            f"the {config.space_name} space is defined at {nb_macro.RESOLUTION} px",
        )
    if config.reward_kind not in REWARDS:
        raise ConfigError("reward_kind", config.reward_kind, f"must be one of {', '.join(REWARDS)}")
    if config.reward_kind == "v2" and config.alpha is not None:
        raise ConfigError(
            None,
            None,
            "{alpha} and {beta} shape the FLOPs reward; the v2 reward takes {w} and {v}",
        )
    if isinstance(config.sampler, str):
        if config.sampler not in SAMPLERS:
            raise ConfigError("sampler", config.sampler, f"must be one of {', '.join(SAMPLERS)}")
    elif not isinstance(config.sampler, optuna.samplers.BaseSampler):
        raise ConfigError("sampler", config.sampler, "must be a name or an Optuna sampler")
    if isinstance(config.pruner, str):
        if config.pruner not in PRUNERS:
            raise ConfigError("pruner", config.pruner, f"must be one of {', '.join(PRUNERS)}")
    elif config.pruner is not None and not isinstance(config.pruner, optuna.pruners.BasePruner):
        raise ConfigError("pruner", config.pruner, "must be a name or an Optuna pruner")
    if config.reference not in baselines.names():
        raise ConfigError(
            "reference", config.reference, f"must be one of {', '.join(baselines.names())}"
        )
    if config.study_name is not None and (
        not config.study_name or "/" in config.study_name or config.study_name.startswith(".")
    ):
        raise ConfigError(
            "study_name",
            config.study_name,
            "must be a plain name (no '/', not starting with '.')",
        )
    if config.devices is not None:
        if not config.devices:
            raise ConfigError("devices", config.devices, "must name at least one device")
        for device in config.devices:
            resolve_device(device, field="devices")
    check_strategy(config)
    if config.workers > 1 and scheme_of(config.storage) == "sqlite":
        raise ConfigError(
            None,
            None,
            f"{{workers}} {config.workers} with {{storage}} {mask_url(config.storage or '')!r} "
            "is refused: SQLite does not take concurrent writers; use the default journal "
            "file, postgresql:// or redis://",
        )


def check_strategy(config: Any) -> None:
    """The strategy's rules; the budget's against the rungs where the proxy's images per
    candidate are known before any data is loaded (else ``check_budget`` after loading)."""
    if config.strategy not in STRATEGIES:
        raise ConfigError("strategy", config.strategy, f"must be one of {', '.join(STRATEGIES)}")
    check_positive(config, "budget_images", integer=True, optional=True)
    check_positive(config, "rungs", integer=True)
    value = config.reduction_factor
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ConfigError("reduction_factor", value, "must be an integer >= 2")
    if config.promotion not in PROMOTIONS:
        raise ConfigError("promotion", config.promotion, f"must be one of {', '.join(PROMOTIONS)}")
    if config.strategy == "halving":
        check_halving(config)
    elif config.promotion != "restart":
        raise ConfigError(
            "promotion",
            config.promotion,
            "goes with {strategy} halving: a plain search has no rungs",
        )
    check_finalists(config)
    check_prescreen(config)
    try:
        images = config.candidate_images()
    except ConfigError:
        return  # known once the data is loaded
    check_budget(config, images)


def check_halving(config: Any) -> None:
    if config.two_objectives:
        raise ConfigError(
            "strategy",
            "halving",
            f"ranks candidates by one reward; {{sampler}} {config.sampler_name!r} searches two "
            "objectives (use the plain strategy)",
        )
    if config.pruner is not None:
        raise ConfigError(
            "pruner", config.pruner, "goes with the plain strategy: halving is its own pruner"
        )
    if config.objective == "table" and config.noise_sd is None:
        raise ConfigError(
            "strategy",
            "halving",
            "with {objective} table needs {noise_sd}: the table has no runs for the lower rungs",
        )


def check_prescreen(config: Any) -> None:
    """The pre-screen's share, and what it cannot judge: two objectives, the v2 reward (the
    space's default share applies only where it can judge: ``screening``)."""
    value = config.prescreen
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(
            "prescreen",
            value,
            "must be the share of candidates trained, above 0 and at most 1 (1: every one)",
        )
    if value == 1:
        return  # no screen
    if config.two_objectives:
        raise ConfigError(
            "prescreen",
            value,
            f"predicts one reward; {{sampler}} {config.sampler_name!r} searches two objectives",
        )
    if config.strategy == "halving" and config.budget_images is None:
        raise ConfigError(
            "prescreen",
            value,
            "with {strategy} halving needs {budget_images}: its trials count candidates, most "
            "stopped early, not the trainings a screened search counts",
        )
    if config.reward_kind == "v2":
        raise ConfigError(
            "prescreen",
            value,
            "predicts the FLOPs or latency reward, not {reward_kind} v2's (it needs each "
            "candidate's measured step time)",
        )


def check_finalists(config: Any) -> None:
    value = config.finalists
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError("finalists", value, "must be a whole number (0: no re-ranking)")
    check_positive(config, "finalist_seeds", integer=True)
    count = config.finalist_count
    if not count:
        return
    if config.two_objectives:
        if value is None:
            return  # the default: none with two objectives
        raise ConfigError(
            "finalists",
            value,
            f"re-rank by one reward; {{sampler}} {config.sampler_name!r} searches two objectives",
        )
    if config.budget_images is None and config.candidate_trials < count:
        raise ConfigError(
            "finalists",
            count,
            f"with {{finalist_seeds}} {config.finalist_seeds} leave {config.candidate_trials} of "
            f"{{trials}} {config.trials} for candidates, fewer than the finalists",
        )


def check_budget(config: Any, images: int) -> None:
    """ConfigError unless the rungs and the budget fit ``images`` per candidate."""
    rungs: Rungs = config.rungs_for_images(images)
    if rungs.rungs > 1 and rungs.images_at[0] < 1:
        raise ConfigError(
            "rungs",
            rungs.rungs,
            f"do not fit {images:,} images per candidate with {{reduction_factor}} "
            f"{rungs.reduction_factor}: the first rung would see no image",
        )
    if config.budget_images is None:
        return
    reserve = config.finalist_trials * images
    budget = config.budget_images - reserve
    if reserve and budget < config.finalist_count * images:
        raise ConfigError(
            "budget_images",
            config.budget_images,
            f"leaves {max(0, budget):,} images after the finalists' {reserve:,} ({{finalists}} "
            f"{config.finalist_count} x {{finalist_seeds}} {config.finalist_seeds} x "
            f"{images:,}): too few for {config.finalist_count} candidates",
        )
    first = rungs.images if rungs.rungs == 1 else rungs.rungs * rungs.images_at[0]
    if budget < first:
        raise ConfigError(
            "budget_images",
            budget,
            f"is below one candidate's {images:,} training images"
            if rungs.rungs == 1
            else f"is below one rung: {rungs.rungs} candidates of {rungs.images_at[0]:,} images "
            f"({first:,}) start the first",
        )
    if rungs.last_rung_candidates(budget) < 1:
        raise ConfigError(
            "budget_images",
            budget,
            f"starts {budget // (rungs.rungs * rungs.images_at[0])} candidates (a synchronous "
            f"bracket's), too few for one to reach rung "
            f"{rungs.rungs - 1} with {{reduction_factor}} {rungs.reduction_factor}: raise it "
            f"to {rungs.rungs * rungs.images_at[0] * rungs.reduction_factor ** (rungs.rungs - 1):,}"
            " or lower {rungs}",
        )
