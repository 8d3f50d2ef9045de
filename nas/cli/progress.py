"""The progress bar of a long job and its line per finished trial, on stderr."""

from __future__ import annotations

import sys

import optuna
from optuna.trial import TrialState
from tqdm.auto import tqdm

from nas.search.prescreen import SCREENED
from nas.study.keys import FAIL_REASON, LABEL, REFERENCE, counts_as_finished


class TrialProgress:
    """A ``nas.study.progress.Progress``: a bar with trials done, best reward, seconds per
    trial and ETA, and one line per finished trial (also when the bar is disabled)."""

    def __init__(self, total: int, done: int, enabled: bool = True, label: str = "") -> None:
        self.label = label
        self.bar = tqdm(
            total=total,
            initial=done,
            unit="trial",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.0,
        )
        self.best: float | None = None

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if not counts_as_finished(trial):
            return
        attrs = trial.user_attrs
        reward = attrs.get("reward")
        if trial.state == TrialState.COMPLETE and reward is not None:
            self.best = reward if self.best is None else max(self.best, reward)
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        if trial.state == TrialState.COMPLETE:
            parts = [] if reward is None else [f"reward {reward:.4f}"]
            if attrs.get("accuracy") is not None:
                parts.append(f"accuracy {attrs['accuracy']:.2%}")
            balanced = attrs.get("balanced_accuracy")
            if balanced is not None and balanced == balanced and balanced != attrs.get("accuracy"):
                parts.append(f"balanced {balanced:.2%}")
            if attrs.get("flops") is not None:
                parts.append(f"{attrs['flops'] / 1e6:.1f}M FLOPs")
            if attrs.get("latency_ms") is not None:  # predicted from a latency table
                parts.append(f"{attrs['latency_ms']:.2f} ms")
            outcome = "  ".join(parts)
        else:
            outcome = f"{trial.state.name.lower()}: {attrs.get(FAIL_REASON, '')}"
        name = attrs.get(REFERENCE) or attrs.get(LABEL)
        label = f" ({name})" if name else ""
        self.bar.write(
            f"{self.label}trial {trial.number}{label}: {outcome}  [{seconds:.1f} s]",
            file=sys.stderr,
        )
        if self.best is not None:
            self.bar.set_postfix_str(f"best reward {self.best:.4f}", refresh=False)
        if not str(attrs.get(FAIL_REASON, "")).startswith(SCREENED):  # the bar counts trainings
            self.bar.update(1)

    def advance_to(self, done: int) -> None:
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
