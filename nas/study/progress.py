"""What a long job tells about its progress: the listener a command passes in."""

from __future__ import annotations

from typing import Protocol

import optuna


class Progress(Protocol):
    """Made with ``factory(total, done, enabled, label)`` by the job: ``done`` trials were
    finished when it started; ``enabled`` False asks for no bar (a worker's lines only)."""

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """After every trial (an Optuna callback)."""

    def advance_to(self, done: int) -> None:
        """When trials finish elsewhere (other workers): ``done`` are finished now."""

    def close(self) -> None:
        """When the job stops."""


class ProgressFactory(Protocol):
    def __call__(
        self, total: int, done: int, enabled: bool = True, label: str = ""
    ) -> Progress: ...


class Silent:
    """No progress shown: the default for library calls."""

    def __init__(self, total: int, done: int, enabled: bool = True, label: str = "") -> None:
        pass

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        pass

    def advance_to(self, done: int) -> None:
        pass

    def close(self) -> None:
        pass
