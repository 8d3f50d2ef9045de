"""One trial: sample -> price at the deployment shape -> build -> train -> reward.

Every outcome is written to the trial's user attributes, so the results table can show why a
trial was skipped or failed as well as what a finished one scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import optuna
import torch
from optuna.trial import TrialState

import baselines
from nas import cost
from nas.cost.latency_table import LatencyTable
from nas.cost.zero_cost import naswot
from nas.data import ProxyData, train_batches
from nas.errors import InputError
from nas.results.table import LATENCY, REPEAT, REUSED_FROM, STEP_COLUMNS
from nas.reward import LatencyReward, RewardConfig, TrainingAwareReward
from nas.search.prescreen import PreScreen, earlier_score
from nas.search.step_cost import StepCoster
from nas.search.strategy import IMAGES_SEEN, RUNG, RUNG_REWARDS, Rungs
from nas.study.faults import is_connection_error
from nas.study.heartbeat import Heartbeat
from nas.study.keys import FAIL_REASON, WORKER, worker_id
from nas.study.loop import stop_requested
from nas.train import TrainConfig, TrainingFailed, build_for, train_arch
from search_spaces import MnasSpace, encode


@dataclass(frozen=True)
class Deployment:
    """The shape a candidate is priced at: the deployable network, not the proxy's input."""

    resolution: int = baselines.DEPLOYMENT_RESOLUTION
    in_channels: int = baselines.DEPLOYMENT_CHANNELS
    num_classes: int = baselines.DEPLOYMENT_CLASSES
    min_flops: float | None = None
    max_flops: float | None = None
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None

    def out_of_range(self, flops: int, latency_ms: float | None = None) -> str | None:
        if self.min_flops is not None and flops < self.min_flops:
            return f"{flops / 1e6:.1f}M FLOPs below min_flops {self.min_flops / 1e6:.1f}M"
        if self.max_flops is not None and flops > self.max_flops:
            return f"{flops / 1e6:.1f}M FLOPs above max_flops {self.max_flops / 1e6:.1f}M"
        if latency_ms is None:
            return None
        if self.min_latency_ms is not None and latency_ms < self.min_latency_ms:
            return f"{latency_ms:.2f} ms below min_latency_ms {self.min_latency_ms:g} ms"
        if self.max_latency_ms is not None and latency_ms > self.max_latency_ms:
            return f"{latency_ms:.2f} ms above max_latency_ms {self.max_latency_ms:g} ms"
        return None


# What a trial copies from an earlier trial of the same network.
# Its images seen are not: a reused result costs none.
REUSED_ATTRS = (
    "accuracy",
    "balanced_accuracy",
    "train_fit",
    "reward",
    "images_per_s",
    "device",
    RUNG,
    RUNG_REWARDS,
    *STEP_COLUMNS,
)


REPEAT_SEED = 1000  # a finalist's retraining k trains with the study's seed + 1000 k
SCREEN_BATCH = 128  # training images the pre-screen's zero-cost score sees


def trained_before(
    trial: optuna.Trial, string: str, repeat: int = 0
) -> optuna.trial.FrozenTrial | None:
    """The first complete trial of the study that trained the network ``string`` with the same
    seed (``repeat``), if any: every trial of a study trains with its recipe, so its result is
    this one's."""
    for other in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if (
            other.number != trial.number
            and other.user_attrs.get("arch") == string
            and (other.user_attrs.get(REPEAT) or 0) == repeat
        ):
            return other
    return None


class Objective:
    """Callable for ``study.optimize``: returns the reward, or (accuracy, FLOPs) when
    ``two_objectives`` is set (NSGA-II's Pareto front). ``heartbeat`` (seconds) keeps a
    heartbeat on the running trial, for storages that have none of their own.

    With ``training_aware`` (and its ``step_coster``) the reward is EfficientNetV2's
    ACC x S ** w x P ** v instead of the FLOPs reward; the step time is measured before training.
    With ``prescreen`` a candidate whose zero-cost score predicts a poor reward is not trained
    (``nas.search.prescreen``).
    """

    def __init__(
        self,
        space: MnasSpace,
        data: ProxyData,
        train_config: TrainConfig,
        reward: RewardConfig | LatencyReward,
        deployment: Deployment,
        seed: int = 0,
        two_objectives: bool = False,
        heartbeat: float | None = None,
        training_aware: TrainingAwareReward | None = None,
        step_coster: StepCoster | None = None,
        metric: str = "accuracy",
        rungs: Rungs | None = None,
        latency: LatencyTable | None = None,
        prescreen: PreScreen | None = None,
    ) -> None:
        if (training_aware is None) != (step_coster is None):
            raise InputError("training_aware and step_coster go together")
        self.space = space
        self.data = data
        self.train_config = train_config
        self.reward = reward
        self.deployment = deployment
        self.seed = seed
        self.two_objectives = two_objectives
        self.heartbeat = heartbeat
        self.training_aware = training_aware
        self.step_coster = step_coster
        self.metric = metric
        self.rungs = rungs  # halving: the rungs each candidate climbs
        # Predicts each candidate's latency (trials.csv's latency_ms); the reward weighs it
        # instead of the FLOPs when it is a LatencyReward.
        self.latency = latency
        self.prescreen = prescreen
        self._screen_images: torch.Tensor | None = None  # the batch the zero-cost score sees

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        trial.set_user_attr(WORKER, worker_id())
        with Heartbeat(trial, self.heartbeat):
            try:
                return self._run(trial)
            except optuna.TrialPruned:
                raise
            except TrainingFailed as error:
                trial.set_user_attr(FAIL_REASON, str(error))
                raise
            except Exception as error:  # a bug in one candidate must not stop the search
                if stop_requested():  # an interrupt that came out as another error
                    raise KeyboardInterrupt from error
                if not is_connection_error(error):  # a lost storage is not the candidate's fault
                    trial.set_user_attr(FAIL_REASON, f"{type(error).__name__}: {error}")
                raise

    def _run(self, trial: optuna.Trial) -> float | tuple[float, float]:
        arch = self.space.sample(trial)
        deploy = self.deployment
        flops = cost.flops(arch, deploy.resolution, deploy.in_channels, deploy.num_classes)
        trial.set_user_attr("arch", encode(arch))
        trial.set_user_attr("flops", flops)
        trial.set_user_attr("params", cost.params(arch, deploy.num_classes, deploy.in_channels))
        latency_ms = None
        if self.latency is not None:
            latency_ms = self.latency.predict(
                arch, deploy.resolution, deploy.in_channels, deploy.num_classes
            )
            trial.set_user_attr(LATENCY, latency_ms)
        # What the reward weighs against its target: the FLOPs, or the predicted latency.
        flops_or_ms = latency_ms if isinstance(self.reward, LatencyReward) else flops
        reason = deploy.out_of_range(flops, latency_ms)
        if reason is not None:
            trial.set_user_attr(FAIL_REASON, f"not trained: {reason}")
            raise optuna.TrialPruned(reason)
        repeat = int(trial.user_attrs.get(REPEAT) or 0)  # a finalist's retraining: its seed
        earlier = trained_before(trial, encode(arch), repeat)
        if earlier is not None:  # the same network, the same recipe (the study's): not again
            for key in REUSED_ATTRS:
                if key in earlier.user_attrs:
                    trial.set_user_attr(key, earlier.user_attrs[key])
            trial.set_user_attr(REUSED_FROM, earlier.number)
            trial.set_user_attr("seconds", 0.0)
            return tuple(earlier.values) if self.two_objectives else earlier.values[0]
        if self.prescreen is not None and not repeat:
            self._screen(trial, arch)
        trial.set_user_attr("device", str(self.data.device))
        step_cost = None
        if self.step_coster is not None:
            step_cost = self.step_coster(arch)
            for key, number in step_cost.attrs().items():
                trial.set_user_attr(key, number)

        seed = self.seed + REPEAT_SEED * repeat
        if self.rungs is not None and self.rungs.rungs > 1 and not repeat:
            return self._climb(trial, arch, flops_or_ms, step_cost)

        def report(accuracy: float, step: int, last: bool) -> None:
            if self.two_objectives:
                return  # Optuna's pruners work on single-objective studies only
            trial.report(accuracy, step)
            if not last and trial.should_prune():  # pruning the last evaluation saves nothing
                trial.set_user_attr("accuracy", accuracy)
                trial.set_user_attr(FAIL_REASON, f"pruned at step {step}: accuracy {accuracy:.4f}")
                raise optuna.TrialPruned()

        # Common random numbers: every candidate starts from the same seed and so sees the same
        # batches in the same order with the same crops and flips; candidates then differ by
        # their architecture, not by the luck of their data order.
        # A finalist's retraining is never pruned: it is judged whole, with the others.
        result = train_arch(
            arch, self.data, self.train_config, seed=seed, report=None if repeat else report
        )
        scored, value = self._score(result, flops_or_ms, step_cost)
        self._record(trial, result, value)
        trial.set_user_attr(IMAGES_SEEN, result.steps * self.train_config.batch_size)
        last = 0 if self.rungs is None else self.rungs.rungs - 1  # a finalist trains the last
        trial.set_user_attr(RUNG, last)
        trial.set_user_attr(RUNG_REWARDS, [None] * last + [value])
        if self.two_objectives:
            return scored, float(flops_or_ms)
        return value

    def _climb(self, trial: optuna.Trial, arch, cost: float, step_cost) -> float:
        """Successive halving: each rung trains the candidate afresh on its rung's images and
        reports the reward with the rung's images as the step; the pruner stops it or lets it
        climb. The images of every rung trained count."""
        rungs = self.rungs
        if rungs.promotion == "continue":
            return self._keep_training(trial, arch, cost, step_cost)
        seen = 0
        seconds = 0.0
        rewards: list[float] = []
        for rung, images in enumerate(rungs.images_at):
            config = rungs.train_config(self.train_config, rung)
            result = train_arch(arch, self.data, config, seed=self.seed)
            seen += result.steps * config.batch_size
            seconds += result.seconds
            value = self._score(result, cost, step_cost)[1]
            rewards.append(value)
            trial.set_user_attr(IMAGES_SEEN, seen)
            trial.set_user_attr(RUNG, rung)
            trial.set_user_attr(RUNG_REWARDS, rewards)
            if rung == rungs.rungs - 1:
                self._record(trial, result, value)
                trial.set_user_attr("seconds", seconds)
                return value
            trial.report(value, images)
            if trial.should_prune():
                _prune(trial, rung, images, value, result.accuracy, seconds)
        raise AssertionError("unreachable: the last rung returns")

    def _keep_training(self, trial: optuna.Trial, arch, cost: float, step_cost) -> float:
        """Successive halving whose promoted candidates keep training: one training with the
        last rung's schedule, scored when it has seen each lower rung's images; the pruner
        stops it there or lets it go on. The images it has seen count."""
        rungs = self.rungs
        config = rungs.kept_training(self.train_config)
        rewards: list[float] = []
        started = time.perf_counter()

        def report(accuracy: float, step: int, last: bool) -> None:
            if last:
                return
            # Its only other evaluations are the lower rungs' points, in order.
            rung, images = len(rewards), rungs.images_at[len(rewards)]
            value = self._reward(accuracy, cost, step_cost)
            rewards.append(value)
            trial.set_user_attr(IMAGES_SEEN, step * config.batch_size)
            trial.set_user_attr(RUNG, rung)
            trial.set_user_attr(RUNG_REWARDS, rewards)
            trial.report(value, images)
            if trial.should_prune():
                _prune(trial, rung, images, value, accuracy, time.perf_counter() - started)

        result = train_arch(arch, self.data, config, seed=self.seed, report=report)
        value = self._score(result, cost, step_cost)[1]
        rewards.append(value)
        self._record(trial, result, value)
        trial.set_user_attr(IMAGES_SEEN, result.steps * config.batch_size)
        trial.set_user_attr(RUNG, rungs.rungs - 1)
        trial.set_user_attr(RUNG_REWARDS, rewards)
        return value

    def _screen(self, trial: optuna.Trial, arch) -> None:
        """Prune ``trial`` untrained if the pre-screen judges its network not worth training."""
        started = time.perf_counter()
        score = earlier_score(trial, encode(arch))
        if score is None:
            if self._screen_images is None:
                generator = torch.Generator().manual_seed(0)
                self._screen_images = next(iter(train_batches(self.data, SCREEN_BATCH, generator)))[
                    0
                ]
            model = build_for(arch, self.data, self.train_config, self.seed)
            score = naswot(model.to(self.data.device), self._screen_images)
        reason = self.prescreen.judge(trial, score, self._predicted_reward, self.metric)
        if reason is not None:
            trial.set_user_attr(IMAGES_SEEN, 0)
            trial.set_user_attr("seconds", time.perf_counter() - started)
            trial.set_user_attr(FAIL_REASON, reason)
            raise optuna.TrialPruned(reason)

    def _predicted_reward(self, value: float, attrs) -> float:
        """The reward of a trial (its ``attrs``) whose metric is predicted to be ``value``."""
        latency = isinstance(self.reward, LatencyReward)
        return self.reward(value, attrs[LATENCY] if latency else attrs["flops"])

    def _score(self, result, cost: float, step_cost) -> tuple[float, float]:
        """(the metric the reward takes, the reward) of one training."""
        scored = getattr(result, self.metric)  # accuracy, balanced_accuracy or train_fit
        return scored, self._reward(scored, cost, step_cost)

    def _reward(self, scored: float, cost: float, step_cost) -> float:
        if step_cost is not None and self.training_aware is not None:
            return self.training_aware(scored, step_cost.step_ratio, step_cost.params_ratio)
        return self.reward(scored, cost)

    def _record(self, trial: optuna.Trial, result, value: float) -> None:
        trial.set_user_attr("accuracy", result.accuracy)
        trial.set_user_attr("balanced_accuracy", result.balanced_accuracy)
        trial.set_user_attr("train_fit", result.train_fit)
        trial.set_user_attr("reward", value)
        trial.set_user_attr("seconds", result.seconds)
        trial.set_user_attr("images_per_s", result.images_per_s)


def _prune(
    trial: optuna.Trial, rung: int, images: int, value: float, accuracy: float, seconds: float
) -> None:
    """Stop a halving candidate at ``rung``, saying why."""
    trial.set_user_attr("accuracy", accuracy)
    trial.set_user_attr("seconds", seconds)
    reason = f"pruned at rung {rung} ({images:,} images): reward {value:.4f}"
    trial.set_user_attr(FAIL_REASON, reason)
    raise optuna.TrialPruned()
