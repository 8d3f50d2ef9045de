"""One trial with no training: sample -> price -> look the accuracy up in the table of truth.

``--objective table``: everything else is the real search (samplers, storage, the loop,
trials.csv, the report), so a sampler or a budget can be tried over many seeds in seconds. The
accuracy a trial sees is one of the table's runs (by the study's seed) or the mean plus Gaussian
noise of ``noise_sd`` (``Truth.observed``); the trial also records the true mean accuracy.
"""

from __future__ import annotations

import time

import optuna

from nas import cost
from nas.results import TABLE_KEY, TRUE_ACCURACY
from nas.reward import RewardConfig
from nas.search.config import SearchConfig
from nas.search.objective import Deployment
from nas.study.keys import WORKER, worker_id
from nas.truth import TruthTable, load_table
from search_spaces import NbMacroSpace, encode, nb_macro


class TableObjective:
    """Callable for ``study.optimize``, like ``Objective`` but looking accuracies up."""

    def __init__(
        self,
        space: NbMacroSpace,
        table: TruthTable,
        reward: RewardConfig,
        deployment: Deployment,
        seed: int = 0,
        noise_sd: float | None = None,
        two_objectives: bool = False,
    ) -> None:
        self.space = space
        self.table = table
        self.reward = reward
        self.deployment = deployment
        self.seed = seed
        self.noise_sd = noise_sd
        self.two_objectives = two_objectives
        self._priced: dict[str, tuple[int, int]] = {}

    def price(self, key: str) -> tuple[int, int]:
        """(FLOPs, params) of the network ``key`` at the deployment shape, computed once."""
        if key not in self._priced:
            arch = nb_macro.arch(key)
            deploy = self.deployment
            self._priced[key] = (
                cost.flops(arch, deploy.resolution, deploy.in_channels, deploy.num_classes),
                cost.params(arch, deploy.num_classes, deploy.in_channels),
            )
        return self._priced[key]

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        start = time.perf_counter()
        trial.set_user_attr(WORKER, worker_id())
        arch = self.space.sample(trial)
        key = nb_macro.key(arch)
        flops, params = self.price(key)
        truth = self.table[key]
        accuracy = truth.observed(self.seed, self.noise_sd)
        value = self.reward(accuracy, flops)
        for name, number in (
            ("arch", encode(arch)),
            (TABLE_KEY, key),
            ("flops", flops),
            ("params", params),
            ("accuracy", accuracy),
            (TRUE_ACCURACY, truth.accuracy),
            ("reward", value),
            ("seconds", time.perf_counter() - start),
        ):
            trial.set_user_attr(name, number)
        if self.two_objectives:
            return accuracy, float(flops)
        return value


def table_objective(config: SearchConfig) -> TableObjective:
    """The table objective of a search with ``objective="table"``."""
    return TableObjective(
        config.search_space,  # type: ignore[arg-type]
        load_table(config.table),
        config.rewarding,
        config.deployment,
        seed=config.proxy.seed,
        noise_sd=config.noise_sd,
        two_objectives=config.two_objectives,
    )
