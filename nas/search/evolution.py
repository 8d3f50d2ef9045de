"""Regularized evolution (Real et al. 2019, AmoebaNet) as an Optuna sampler.

The population is the ``population_size`` most recent COMPLETE trials of the study (by trial
number), so the oldest member dies each time a child is added, whatever its fitness ("aging").
Until the study has that many complete trials, parameters are sampled uniformly at random. Then
each new trial is a child: ``sample_size`` members are drawn without replacement, the best of them
is the parent, and the child copies the parent's parameters except one, chosen uniformly, which
gets a different value.

The parent and the mutated parameter are chosen once per trial, in ``before_trial``, and stored
as trial system attributes (``"evolution:parent"``, ``"evolution:mutated"``), so lineage is
visible in the study and nothing per trial lives in the sampler: several processes can share one
storage. All randomness of a trial is derived from ``(seed, trial.number)``, so the same seed
and the same trial results give the same parameters, and two workers given the same seed do not
propose the same points.
"""

from __future__ import annotations

import math
import secrets
import zlib
from typing import Any

import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from nas.errors import InputError

PARENT_KEY = "evolution:parent"
MUTATED_KEY = "evolution:mutated"

_MAX_REJECTIONS = 100


def _stream(*words: int) -> np.random.Generator:
    """An independent generator for one purpose of one trial."""
    return np.random.default_rng(np.random.SeedSequence(list(words)))


def _name_word(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _compatible(distribution: BaseDistribution, value: Any) -> bool:
    try:
        return bool(distribution._contains(distribution.to_internal_repr(value)))
    except (ValueError, TypeError):
        return False


def _other_index(rng: np.random.Generator, n: int, index: int) -> int:
    """Uniform index in ``range(n)`` other than ``index`` (n >= 2)."""
    k = int(rng.integers(n - 1))
    return k if k < index else k + 1


def _mutate(value: Any, distribution: BaseDistribution, rng: np.random.Generator) -> Any:
    """A value of ``distribution`` different from ``value`` (which it contains, not single)."""
    if isinstance(distribution, CategoricalDistribution):
        index = int(distribution.to_internal_repr(value))
        return distribution.choices[_other_index(rng, len(distribution.choices), index)]
    if isinstance(distribution, IntDistribution):
        low, high, step = distribution.low, distribution.high, distribution.step
        n = (high - low) // step + 1
        if distribution.log:
            lo, hi = math.log(low - 0.5), math.log(high + 0.5)
            for _ in range(_MAX_REJECTIONS):
                draw = min(max(round(math.exp(rng.uniform(lo, hi))), low), high)
                if draw != value:
                    return int(draw)
        return int(low + _other_index(rng, n, (int(value) - low) // step) * step)
    if isinstance(distribution, FloatDistribution):
        low, high, step = distribution.low, distribution.high, distribution.step
        if step is not None:
            n = int(round((high - low) / step)) + 1
            k = _other_index(rng, n, int(round((float(value) - low) / step)))
            return float(min(low + k * step, high))
        for _ in range(_MAX_REJECTIONS):
            if distribution.log:
                draw = math.exp(rng.uniform(math.log(low), math.log(high)))
            else:
                draw = rng.uniform(low, high)
            draw = float(min(max(draw, low), high))
            if draw != value:
                return draw
        return float(high if value != high else low)
    raise InputError(f"cannot mutate a parameter of distribution {distribution!r}")


class RegularizedEvolutionSampler(optuna.samplers.BaseSampler):
    """Aging (regularized) evolution with tournament selection and one-parameter mutation.

    Args:
        population_size: number of most recent complete trials forming the population (>= 2).
        sample_size: tournament size, members drawn per child (1 to ``population_size``).
        seed: base seed; trial ``n``'s choices are derived from ``(seed, n)``.
    """

    def __init__(
        self, population_size: int = 20, sample_size: int = 5, seed: int | None = None
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int):
            raise InputError(f"population_size={population_size!r} is invalid: must be an int")
        if isinstance(sample_size, bool) or not isinstance(sample_size, int):
            raise InputError(f"sample_size={sample_size!r} is invalid: must be an int")
        if population_size < 2:
            raise InputError(f"population_size={population_size} is invalid: must be >= 2")
        if not 1 <= sample_size <= population_size:
            raise InputError(
                f"sample_size={sample_size} is invalid: must be between 1 and "
                f"population_size={population_size}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InputError(f"seed={seed!r} is invalid: must be an int or None")
        self.population_size = population_size
        self.sample_size = sample_size
        self._seed = seed
        self._base = self._base_word(seed)

    @staticmethod
    def _base_word(seed: int | None) -> int:
        return secrets.randbits(64) if seed is None else seed % 2**64

    def reseed_rng(self) -> None:
        """Draw a new base seed, unless a seed was given (trials differ by number anyway)."""
        if self._seed is None:
            self._base = self._base_word(None)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def population(self, study: Study) -> list[FrozenTrial]:
        """The current population: the most recent complete trials, oldest first."""
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        complete = sorted(complete, key=lambda t: t.number)
        return complete[-self.population_size :]

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Choose the parent and the mutated parameter once, as trial system attributes."""
        if study._is_multi_objective():
            raise InputError(
                "RegularizedEvolutionSampler supports single-objective studies only; this study "
                f"has {len(study.directions)} objectives"
            )
        if PARENT_KEY in trial.system_attrs:  # already planned (trial re-opened or retried)
            return
        storage, trial_id = study._storage, trial._trial_id
        population = self.population(study)
        if "fixed_params" in trial.system_attrs or len(population) < self.population_size:
            storage.set_trial_system_attr(trial_id, PARENT_KEY, None)
            return

        rng = _stream(self._base, trial.number, 0)
        picks = rng.choice(len(population), size=self.sample_size, replace=False)
        maximize = study.direction == StudyDirection.MAXIMIZE
        parent = population[int(picks[0])]
        for pick in picks[1:]:
            member = population[int(pick)]
            if member.value > parent.value if maximize else member.value < parent.value:
                parent = member

        names = sorted(parent.params)
        mutable = [n for n in names if not parent.distributions[n].single()]
        mutated = mutable[int(rng.integers(len(mutable)))] if mutable else None
        storage.set_trial_system_attr(trial_id, PARENT_KEY, parent.number)
        storage.set_trial_system_attr(trial_id, MUTATED_KEY, mutated)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        attrs = dict(trial.system_attrs)
        parent_number = attrs.get(PARENT_KEY)
        if parent_number is not None:
            parent_id = study._storage.get_trial_id_from_study_id_trial_number(
                study._study_id, parent_number
            )
            parent = study._storage.get_trial(parent_id)
            value = parent.params.get(param_name)
            if param_name in parent.params and _compatible(param_distribution, value):
                value = param_distribution.to_external_repr(
                    param_distribution.to_internal_repr(value)
                )
                if param_name != attrs.get(MUTATED_KEY):
                    return value
                rng = _stream(self._base, trial.number, 1, _name_word(param_name))
                return _mutate(value, param_distribution, rng)
        # Random: the population is not full, the trial is enqueued, or the parent lacks it.
        seed = _stream(self._base, trial.number, 2, _name_word(param_name)).integers(2**32)
        return RandomSampler(seed=int(seed)).sample_independent(
            study, trial, param_name, param_distribution
        )
