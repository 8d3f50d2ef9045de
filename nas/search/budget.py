"""The arithmetic of a search's budget in training images: the images one candidate sees, its
rungs, the finalists' share, and the trials that follow from a budget (``budgeted``).

``BudgetArithmetic`` is mixed into ``SearchConfig`` and reads its fields (``proxy``, ``strategy``,
``rungs``, ``reduction_factor``, ``promotion``, ``trials``, ``budget_images``, ``finalists``,
``finalist_seeds``, ``prescreen``, ``two_objectives``, ``space_name``, ``reward_kind``); it holds
no state of its own.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from nas.errors import ConfigError
from nas.search.strategy import Rungs

DEFAULT_FINALISTS = 3  # retrained ``finalist_seeds`` (2) times each, by default ...
FINALISTS_FROM = 30  # ... in a study of this many trials or more
# The pre-screen's share where a space's zero-cost score is measured to rank its networks
# (NASWOT on NAS-Bench-Macro: Kendall tau 0.74 against the truth; docs/samplers.md). Elsewhere
# (the MnasNet space: tau -0.06) every candidate is trained unless ``prescreen`` says otherwise.
DEFAULT_PRESCREEN = {"nb-macro": 0.15}
NO_SCREEN = 1.0  # ``prescreen`` training every candidate: no screen, whatever the space


class BudgetArithmetic:
    """Images per candidate, rungs, finalists and trials, derived from a search's settings."""

    proxy: Any
    strategy: str
    rungs: int
    reduction_factor: int
    promotion: str
    trials: int
    budget_images: int | None
    finalists: int | None
    finalist_seeds: int
    prescreen: float | None
    two_objectives: bool
    space_name: str
    reward_kind: str

    @property
    def screening(self) -> float | None:
        """The pre-screen's share in effect (None: every candidate trained): ``prescreen``, else
        the space's default where the search can use it (one objective, the FLOPs or latency
        reward, and with halving a budget in images)."""
        if self.prescreen is not None:
            return None if self.prescreen == NO_SCREEN else self.prescreen
        usable = not self.two_objectives and self.reward_kind != "v2"
        if self.strategy == "halving" and self.budget_images is None:
            usable = False
        return DEFAULT_PRESCREEN.get(self.space_name) if usable else None

    def candidate_images(self, train_images: int | None = None) -> int:
        """Training images one candidate sees (the last rung's) on ``train_images`` training
        images; None: the preset's nominal training size (a table search trains nothing)."""
        count = train_images if train_images is not None else self.proxy.value("train_subset")
        if not count:
            raise ConfigError(
                "budget_images", self.budget_images, "needs the proxy's training size"
            )
        return self.proxy.images_seen_on(count)

    def rungs_for(self, train_images: int | None = None) -> Rungs:
        """The rungs a candidate climbs (one for the plain strategy)."""
        return self.rungs_for_images(self.candidate_images(train_images))

    def rungs_for_images(self, images: int) -> Rungs:
        """The rungs of candidates that see ``images`` training images at the last."""
        rungs = self.rungs if self.strategy == "halving" else 1
        return Rungs(images, rungs, self.reduction_factor, self.promotion)

    @property
    def finalist_count(self) -> int:
        """The finalists in effect: ``finalists``, else (None) the default, which measured
        best on NAS-Bench-Macro's table at the cpu proxy's noise (docs/samplers.md): the best
        3, retrained twice, once the study trains 30 or more (below, re-ranking did not pay)."""
        if self.finalists is not None:
            return self.finalists
        if self.two_objectives:
            return 0
        paid = self.trials
        if self.budget_images is not None:
            try:
                paid = self.budget_images // self.candidate_images()
            except ConfigError:
                return 0  # the images per candidate follow the data: ``budgeted`` decides
        return DEFAULT_FINALISTS if paid >= FINALISTS_FROM else 0

    @property
    def finalist_trials(self) -> int:
        """The trials that train the finalists again."""
        return self.finalist_count * self.finalist_seeds

    @property
    def candidate_trials(self) -> int:
        """The trials of candidates: ``trials`` less the finalists' retrainings."""
        return self.trials - self.finalist_trials

    def candidate_budget(self, train_images: int | None = None) -> int | None:
        """The budget in images less the finalists' share (None without a budget)."""
        if self.budget_images is None:
            return None
        images = self.candidate_images(train_images)
        return self.budget_images - self.finalist_trials * images

    def total_trials(self, train_images: int | None = None) -> int:
        """The study's total: ``trials``, or, with a budget in images, the most candidate trials
        its share left after the finalists' can run, and the finalists' retrainings."""
        budget = self.candidate_budget(train_images)
        if budget is None:
            return self.trials
        candidates = self.rungs_for(train_images).candidates(max(0, budget))
        if self.screening is not None:  # room for the candidates screened out, which cost nothing
            candidates = math.ceil(candidates / self.screening)
        return candidates + self.finalist_trials

    def budgeted(self, train_images: int | None = None) -> Any:
        """This config with ``trials`` the budget's (pre-screened, ``trials`` trainings' images)."""
        if self.budget_images is None and self.screening is not None:
            images = self.trials * self.candidate_images(train_images)
            return dataclasses.replace(self, budget_images=images).budgeted(train_images)
        if self.budget_images is None:
            return self
        from nas.search.checks import check_budget

        check_budget(self, self.candidate_images(train_images))
        return dataclasses.replace(
            self, trials=self.total_trials(train_images), finalists=self.finalist_count
        )
