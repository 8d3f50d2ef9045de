"""The pre-screen: train a candidate only if the reward its zero-cost score predicts is among the
best ``keep`` share of the candidates proposed so far.

Every candidate is scored with NASWOT (``nas.cost.zero_cost``: its untrained weights on one batch,
about a second; a table search reads the score shipped with the table) before it is trained. Once
``warmup`` candidates have been trained, a straight line fitted to their accuracy (the reward's
metric) against their score predicts each candidate's accuracy, and the reward's exact cost term
(FLOPs or predicted latency) makes it a predicted reward. A candidate whose predicted reward is
below the ``1 - keep`` quantile of every proposed candidate's (all predicted with the current
line) is not trained: the trial is pruned with the reason, sees no image, and tells the sampler
the region is poor. NASWOT alone ranks NAS-Bench-Macro's accuracy at Kendall tau 0.74 but its
reward at 0.08 (it grows with size, the reward penalises size); the line and the exact cost term
turn it into a screen on what the search maximises (docs/samplers.md). The screen acts only
while the trained candidates' scores correlate with their metric (``EVIDENCE_Z``); otherwise every
candidate is trained, as without a screen.

Screened candidates cost no training images, so a search with a budget in images trains as many
as one without; its cap on trials grows by ``1 / keep`` to leave room for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from nas.results.table import PREDICTED, REUSED_FROM, ZERO_COST
from nas.study.keys import FAIL_REASON, REPEAT

WARMUP = 8  # candidates trained before the screen starts
# The screen acts only while the trained candidates show that their score predicts their metric:
# a positive Pearson correlation at one-sided p < 0.1 (Fisher's z above this). Where the score
# says nothing (NASWOT on the MnasNet space: docs/samplers.md) the line is flat and the screen
# would keep the smallest networks; it then trains every candidate instead.
EVIDENCE_Z = 1.2816
SCREENED = "screened out"  # how a screened candidate's fail_reason begins

# A candidate's predicted reward from its predicted metric and its own attributes (its FLOPs or
# predicted latency).
RewardOf = Callable[[float, Mapping[str, Any]], float]


@dataclass(frozen=True)
class PreScreen:
    """Train only the best ``keep`` share of the candidates proposed, by predicted reward."""

    keep: float
    warmup: int = WARMUP
    evidence_z: float | None = EVIDENCE_Z  # None: screen whatever the correlation

    def judge(
        self, trial: optuna.Trial, score: float, reward_of: RewardOf, metric: str = "accuracy"
    ) -> str | None:
        """Why ``trial`` (its score ``score``, recorded here) is not to be trained, or None to
        train it. ``reward_of`` prices a predicted ``metric`` for a trial's attributes. A score
        that is not finite (a batch of identical images) screens nothing and is not recorded."""
        if not math.isfinite(score):
            return None
        trial.set_user_attr(ZERO_COST, score)
        others = [
            t
            for t in trial.study.get_trials(deepcopy=False)
            if t.number != trial.number
            and ZERO_COST in t.user_attrs
            and not t.user_attrs.get(REPEAT)
            and not (t.state == TrialState.FAIL and FAIL_REASON not in t.user_attrs)
        ]  # a trial whose worker died is retried: its retry stands for it
        trained = [
            t
            for t in others
            if t.state == TrialState.COMPLETE
            and not t.user_attrs.get(REUSED_FROM)
            and _finite(t.user_attrs.get(metric))
        ]
        scores = [t.user_attrs[ZERO_COST] for t in trained]
        values = [t.user_attrs[metric] for t in trained]
        line = fit_line(scores, values)
        if len(trained) < self.warmup or line is None:
            return None
        if self.evidence_z is not None and correlation_z(scores, values) < self.evidence_z:
            return None
        slope, intercept = line
        predicted = reward_of(slope * score + intercept, trial.user_attrs)
        trial.set_user_attr(PREDICTED, predicted)
        # Every proposal judged so far (a network proposed again counts again, as the sampler
        # drew it again; a network reused from an earlier training was not judged).
        past = [
            reward_of(slope * t.user_attrs[ZERO_COST] + intercept, t.user_attrs) for t in others
        ]
        threshold = float(np.quantile(past, 1.0 - self.keep))
        if predicted >= threshold:
            return None
        return (
            f"{SCREENED}: predicted reward {predicted:.4f} below {threshold:.4f}, the best "
            f"{self.keep:.0%} of {len(past)} proposed"
        )


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def screen_for(share: float | None) -> PreScreen | None:
    """The pre-screen training ``share`` of the candidates proposed (None: no screen)."""
    return None if share is None else PreScreen(share)


def fit_line(scores: list[float], values: list[float]) -> tuple[float, float] | None:
    """Least-squares (slope, intercept) of ``values`` on ``scores``; None when the scores do
    not vary (no line through them predicts anything)."""
    if len(scores) < 2 or float(np.ptp(scores)) == 0.0:
        return None
    slope, intercept = np.polyfit(np.asarray(scores, float), np.asarray(values, float), 1)
    return float(slope), float(intercept)


def correlation_z(scores: list[float], values: list[float]) -> float:
    """Fisher's z statistic of the Pearson correlation of ``values`` with ``scores`` (about
    standard normal when they are unrelated): atanh(r) sqrt(n - 3); -inf when undefined."""
    if len(scores) < 4 or float(np.ptp(values)) == 0.0 or float(np.ptp(scores)) == 0.0:
        return -math.inf
    r = float(np.corrcoef(scores, values)[0, 1])
    return math.atanh(min(max(r, -1 + 1e-12), 1 - 1e-12)) * math.sqrt(len(scores) - 3)


def earlier_score(trial: optuna.Trial, arch: str) -> float | None:
    """The score an earlier trial of the same network recorded (a network proposed again is
    not scored again)."""
    for other in trial.study.get_trials(deepcopy=False):
        attrs = other.user_attrs
        if other.number != trial.number and attrs.get("arch") == arch and ZERO_COST in attrs:
            return float(attrs[ZERO_COST])
    return None
