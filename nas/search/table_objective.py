"""One trial with no training: sample -> price -> look the accuracy up in the table of truth.

``--objective table``: everything else is the real search (samplers, storage, the loop,
trials.csv, the report), so a sampler or a budget can be tried over many seeds in seconds. The
accuracy a trial sees is one of the table's runs (by the study's seed) or the mean plus Gaussian
noise of ``noise_sd`` (``Truth.observed``), its logarithm scaled by ``noise_slope`` around the
table's mean (``nas.truth.sloped``: a proxy that compresses the differences between networks
weighs the FLOPs term more); the trial also records the true mean accuracy. A
pre-screen reads each network's NASWOT score from the scores shipped with the table
(``nas.truth.load_naswot``) instead of computing it.
"""

from __future__ import annotations

import time

import optuna

from nas import cost
from nas.results import TABLE_KEY, TRUE_ACCURACY
from nas.results.table import REUSED_FROM
from nas.reward import RewardConfig
from nas.search.config import SearchConfig
from nas.search.objective import REUSED_ATTRS, Deployment, trained_before
from nas.search.prescreen import PreScreen, screen_for
from nas.search.strategy import IMAGES_SEEN, RUNG, RUNG_REWARDS, Rungs
from nas.study.keys import FAIL_REASON, REPEAT, WORKER, worker_id
from nas.truth import TruthTable, load_naswot, load_table, sloped
from search_spaces import NbMacroSpace, encode, nb_macro

REPEAT_DRAW = 100  # a finalist's retraining k draws noise 100 + k (the rungs draw 1, 2, ...)


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
        rungs: Rungs | None = None,
        noise_exponent: float = 0.5,
        prescreen: PreScreen | None = None,
        noise_slope: float = 1.0,
    ) -> None:
        self.space = space
        self.table = table
        self.reward = reward
        self.deployment = deployment
        self.seed = seed
        self.noise_sd = noise_sd
        self.two_objectives = two_objectives
        self.noise_exponent = noise_exponent
        self.noise_slope = noise_slope
        self._centre = table.mean_accuracy
        self.rungs = rungs or Rungs(1)  # the images are nominal: a table trains nothing
        self._priced: dict[str, tuple[int, int]] = {}
        self.prescreen = prescreen
        self.naswot = load_naswot() if prescreen is not None else {}

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
        for name, number in (("arch", encode(arch)), (TABLE_KEY, key), ("flops", flops)):
            trial.set_user_attr(name, number)
        trial.set_user_attr("params", params)
        trial.set_user_attr(TRUE_ACCURACY, truth.accuracy)
        rungs = self.rungs
        rewards: list[float] = []
        last = rungs.rungs - 1
        repeat = int(trial.user_attrs.get(REPEAT) or 0)  # a finalist's retraining
        earlier = trained_before(trial, encode(arch), repeat)
        if earlier is not None:  # as a real search: the stored result, no image spent
            for name in REUSED_ATTRS:
                if name in earlier.user_attrs:
                    trial.set_user_attr(name, earlier.user_attrs[name])
            trial.set_user_attr(IMAGES_SEEN, 0)
            trial.set_user_attr(REUSED_FROM, earlier.number)
            trial.set_user_attr("seconds", time.perf_counter() - start)
            return tuple(earlier.values) if self.two_objectives else earlier.values[0]
        if self.prescreen is not None and not repeat:
            reason = self.prescreen.judge(trial, self.naswot[key], self._predicted_reward)
            if reason is not None:
                for name, value in ((IMAGES_SEEN, 0), (FAIL_REASON, reason)):
                    trial.set_user_attr(name, value)
                trial.set_user_attr("seconds", time.perf_counter() - start)
                raise optuna.TrialPruned(reason)
        if repeat:
            # Another training seed at the last rung: another table run, or another draw.
            seed, draw = self.seed + repeat, REPEAT_DRAW + repeat
            accuracy = self._seen(truth.observed(seed, self.rung_noise(last), draw))
            value = self.reward(accuracy, flops)
            trial.set_user_attr(IMAGES_SEEN, rungs.images)
            trial.set_user_attr(RUNG, last)
            trial.set_user_attr(RUNG_REWARDS, [None] * last + [value])
            return self._finish(trial, accuracy, value, flops, start)
        for rung, images in enumerate(rungs.images_at):
            draw = 0 if rung == last else rung + 1  # the last rung sees what a plain trial sees
            accuracy = self._seen(truth.observed(self.seed, self.rung_noise(rung), draw))
            value = self.reward(accuracy, flops)
            rewards.append(value)
            trial.set_user_attr(IMAGES_SEEN, rungs.seen_at(rung))
            trial.set_user_attr(RUNG, rung)
            trial.set_user_attr(RUNG_REWARDS, rewards)
            if rung == last:
                break
            trial.report(value, images)
            if trial.should_prune():
                trial.set_user_attr("accuracy", accuracy)
                trial.set_user_attr(
                    FAIL_REASON, f"pruned at rung {rung} ({images:,} images): reward {value:.4f}"
                )
                raise optuna.TrialPruned()
        return self._finish(trial, accuracy, value, flops, start)

    def _finish(self, trial, accuracy: float, value: float, flops: int, start: float):
        for name, number in (
            ("accuracy", accuracy),
            ("reward", value),
            ("seconds", time.perf_counter() - start),
        ):
            trial.set_user_attr(name, number)
        if self.two_objectives:
            return accuracy, float(flops)
        return value

    def _seen(self, accuracy: float) -> float:
        return sloped(accuracy, self.noise_slope, self._centre)

    def _predicted_reward(self, accuracy: float, attrs) -> float:
        return self.reward(accuracy, attrs["flops"])

    def rung_noise(self, rung: int) -> float | None:
        """The noise a trial sees at ``rung``: ``noise_sd`` at the last; a lower rung's training
        sees 1/k of the images and ``noise_sd * k ** noise_exponent`` noise (0.5: as an average
        over fewer images would; larger: the lower rungs rank worse than that)."""
        if self.noise_sd is None:
            return None
        share = self.rungs.images / self.rungs.images_at[rung]
        return self.noise_sd * share**self.noise_exponent


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
        rungs=config.rungs_for(),
        noise_exponent=config.noise_exponent,
        prescreen=screen_for(config.screening),
        noise_slope=config.noise_slope,
    )
