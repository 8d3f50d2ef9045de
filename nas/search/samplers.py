"""The search's Optuna sampler and pruner: the objects given, or those the names make, seeded from
the study and the worker."""

from __future__ import annotations

import warnings

import optuna

from nas.search.config import SearchConfig


def make_sampler(
    config: SearchConfig, offset: int = 0, worker: int | None = None
) -> optuna.samplers.BaseSampler:
    """The sampler: the object given, else the one its name makes, seeded by the proxy's seed,
    ``offset`` (the trials already in the study) and ``worker`` (each of several workers that
    open the study together draws its own candidates)."""
    if not isinstance(config.sampler, str):
        if worker:  # each worker process holds its own copy: reseeded, they draw apart
            config.sampler.reseed_rng()
        return config.sampler
    seed = (config.proxy.seed * 1_000_003 + offset + 7_919 * (worker or 0)) % 2**32
    if config.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if config.sampler == "nsga2":
        population = max(4, min(50, config.trials // 3))
        return optuna.samplers.NSGAIISampler(population_size=population, seed=seed)
    if config.sampler == "evolution":
        from nas.search.evolution import RegularizedEvolutionSampler

        population = max(2, min(20, config.trials // 3))
        return RegularizedEvolutionSampler(
            population_size=population, sample_size=max(1, min(5, population // 2)), seed=seed
        )
    if config.sampler == "tpe-univariate":  # the classic independent TPE (Bergstra et al. 2011)
        return optuna.samplers.TPESampler(seed=seed, multivariate=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=seed,
            multivariate=True,
            group=True,
            constant_liar=True,
            n_startup_trials=max(3, min(10, config.trials // 2)),
        )


def make_pruner(config: SearchConfig) -> optuna.pruners.BasePruner:
    """The pruner: the object given, else the one its name makes (none with two objectives)."""
    if config.pruner is not None and not isinstance(config.pruner, str):
        return optuna.pruners.NopPruner() if config.two_objectives else config.pruner
    if config.pruning == "halving":  # its rungs follow the data: run_search sets it once loaded
        return optuna.pruners.NopPruner()
    if config.pruning == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5)
    if config.pruning == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()
