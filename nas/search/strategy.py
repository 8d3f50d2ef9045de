"""How a search spends its budget of training images: ``plain`` trains every candidate with the
proxy's images; ``halving`` (successive halving over images seen) trains many candidates on few
images and promotes the best to more.

A halving candidate climbs ``rungs`` rungs; rung r sees ``images / reduction_factor ** (rungs -
1 - r)`` images (the last rung is the proxy's own budget). How a promoted candidate gets them is
its ``promotion``: ``restart`` trains it afresh at each rung with a whole schedule of its own
(each rung's score comes from a finished training; the images of every rung count);
``continue`` trains it once with the last rung's schedule, scored when it reaches each rung's
images (a promoted candidate keeps training: it costs the last rung's images alone, but its
lower rungs are scored mid-schedule). Optuna's ``SuccessiveHalvingPruner`` (asynchronous
successive halving: a candidate goes on only while its reward is in the best
``1 / reduction_factor`` of those that reached its rung, every worker's counted, read from the
shared storage) decides after each rung. The winner is ranked by its last rung's reward, like
every other trial. A candidate's cost is the images it saw (``Rungs.seen_at``). A trial stopped
by a crash is tried again from its start, as every trial is.

A budget in images (``budget_images``) makes two strategies comparable: the search starts no
trial once its trials have seen the budget (``nas.study.keys.spent_images``: every rung of every
trial, the running ones' so far). ``plain`` thus trains ``budget / images`` candidates;
``halving`` starts candidates until its rungs have seen the budget (a synchronous bracket of that
cost would start ``n`` at rung 0, ``n / factor`` at rung 1, ..., each rung costing the same; the
asynchronous pruner promotes more generously early on, so it usually starts fewer). A trial
running when the budget is reached finishes: a search may overshoot by less than one candidate's
rungs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import optuna

from nas.results.table import RUNG, RUNG_REWARDS
from nas.study.keys import IMAGES_SEEN, spent_images
from nas.train import TrainConfig

STRATEGIES = ("plain", "halving")
PROMOTIONS = ("restart", "continue")  # how a promoted halving candidate gets its rung's images
REUSE_ALLOWANCE = 2  # a budgeted search runs at most this many times the trials it could pay
__all__ = [
    "IMAGES_SEEN",
    "PROMOTIONS",
    "RUNG",
    "RUNG_REWARDS",
    "STRATEGIES",
    "Rungs",
    "spent_images",
]


@dataclass(frozen=True)
class Rungs:
    """The rungs of a search whose candidates each see up to ``images`` training images."""

    images: int  # the last rung's: the proxy's images per candidate
    rungs: int = 1
    reduction_factor: int = 3
    promotion: str = "restart"  # or "continue": a promoted candidate keeps training

    @property
    def images_at(self) -> tuple[int, ...]:
        """Training images at each rung, lowest first: the first rung's times the factor per
        rung (the pruner's own rung thresholds), the last ``images``."""
        first = self.images // self.reduction_factor ** (self.rungs - 1)
        lower = tuple(first * self.reduction_factor**rung for rung in range(self.rungs - 1))
        return (*lower, self.images)

    def seen_at(self, rung: int) -> int:
        """Training images a candidate has seen once scored at ``rung``: every rung's up to it
        when each restarts, the rung's own when the candidate keeps training."""
        if self.promotion == "continue":
            return self.images_at[rung]
        return sum(self.images_at[: rung + 1])

    def candidates(self, budget: int) -> int:
        """The most trials a budget of ``budget`` images can run, the cap of the search's loop:
        as many as could be stopped at the first rung (one rung: ``budget / images``), twice
        over, since a network proposed again reuses its result and costs no image. The budget,
        not this cap, ends a search."""
        return max(0, REUSE_ALLOWANCE * (budget // self.images_at[0]))

    def last_rung_candidates(self, budget: int) -> int:
        """Candidates that reach the last rung in a synchronous bracket of ``budget`` images
        (each rung costing the same: n at rung 0, n / factor at rung 1, ...)."""
        first = budget // (self.rungs * self.images_at[0])
        return first // self.reduction_factor ** (self.rungs - 1)

    def kept_training(self, base: TrainConfig) -> TrainConfig:
        """``base`` scored also at each lower rung's images: a candidate that keeps training."""
        return dataclasses.replace(base, evaluations=1, eval_images=self.images_at[:-1])

    def train_config(self, base: TrainConfig, rung: int) -> TrainConfig:
        """``base`` (the last rung's training) shortened to rung ``rung``'s images: the same
        optimizer and a whole schedule of its own."""
        share = self.images_at[rung] / self.images
        return dataclasses.replace(base, epochs=base.epochs * share, evaluations=1)

    def pruner(self) -> optuna.pruners.BasePruner:
        """Asynchronous successive halving with these rungs, the step being the images seen."""
        if self.rungs == 1:
            return optuna.pruners.NopPruner()
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=self.images_at[0],
            reduction_factor=self.reduction_factor,
            min_early_stopping_rate=0,
        )
