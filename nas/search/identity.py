"""A study's identity: the settings that give it its meaning, recorded when it is made; a
resumed study must keep them (``nas.study.loop.record_settings``). Settings added later are
recorded only where they differ from what older studies used, so those still resume."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search_spaces import DEFAULT_SPACE
from search_spaces.spaces import CUSTOM, space_record

if TYPE_CHECKING:
    from nas.search.config import SearchConfig


def study_identity(config: SearchConfig) -> dict[str, Any]:
    """The settings that give a study its meaning; a resumed study must keep them."""
    reward = config.rewarding
    proxy = config.proxy.identity()
    table = {"objective": "table", "noise_sd": config.noise_sd}
    if config.strategy != "plain" and config.noise_exponent != 0.5:
        table["noise_exponent"] = config.noise_exponent
    if config.noise_slope != 1:
        table["noise_slope"] = config.noise_slope
    return {
        "reference": config.reference_name if config.has_reference else None,
        "dataset": proxy.pop("dataset"),
        "sampler": config.sampler_name,
        "target_flops": getattr(reward, "target_flops", None),
        "alpha": reward.alpha,
        "beta": reward.beta,
        "resolution": config.deployment_resolution,
        "min_flops": config.min_flops,
        "max_flops": config.max_flops,
        "seed": config.proxy.seed,
        "seeding": "common",  # every trial trains from the seed (earlier: seed + trial number)
        **proxy,
        # Recorded only when they differ from what studies made before them used.
        **_space_identity(config),
        **(
            {"reward_kind": "v2", "w": config.w, "v": config.v}
            if config.reward_kind == "v2"
            else {}
        ),
        **(table if config.objective == "table" else {}),
        **({"metric": config.metric} if config.metric != "accuracy" else {}),
        **_strategy_identity(config),
        **_latency_identity(config),
    }


def _latency_identity(config: SearchConfig) -> dict[str, Any]:
    """The latency target and bound, and the table, only where latency is used."""
    if not config.uses_latency:
        return {}
    bounds = {
        name: getattr(config, name)
        for name in ("target_latency_ms", "min_latency_ms", "max_latency_ms")
        if getattr(config, name) is not None
    }
    return bounds | {"latency_table": str(config.latency_table_path)}


def _strategy_identity(config: SearchConfig) -> dict[str, Any]:
    """How candidates are trained; only where it differs from a plain search, so that
    studies made before strategies existed still resume."""
    shape: dict[str, Any] = {}
    if config.strategy != "plain":
        shape |= {
            "strategy": config.strategy,
            "rungs": config.rungs,
            "reduction_factor": config.reduction_factor,
        }
        if config.promotion != "restart":  # studies made before it restarted every rung
            shape["promotion"] = config.promotion
    if config.screening is not None:  # which candidates are trained
        shape["prescreen"] = config.screening
    # Not the finalists: they retrain at the end and may change when a study is resumed.
    return shape  # the budget, like ``trials``, may grow when a study is resumed


def _space_identity(config: SearchConfig) -> dict[str, Any]:
    name = config.space_name
    if name == CUSTOM:  # every choice, so that another custom space is not taken for it
        return {"space": space_record(config.space)}
    return {"space": name} if name != DEFAULT_SPACE else {}
