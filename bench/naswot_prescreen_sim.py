"""Would a NASWOT pre-screen make the search beat random sampling? A standalone simulation.

    python bench/naswot_prescreen_sim.py [--trained 30] [--repeats 200] [--noise-sd 0.013]

Not the project's search: Optuna's TPE (the search's settings) and random sampling ask for
NAS-Bench-Macro networks directly and see the table's mean accuracy plus Gaussian noise of
``--noise-sd`` (the cpu proxy's, 1.3 points; the same network the same draw within a run), the
reward at the table's FLOPs (T = 55M, w = -0.07). Each arm trains ``--trained`` candidates (a
network proposed again reuses its result). A pre-screen ("+preK") trains a candidate only if its
predicted reward is in the best K% of the candidates proposed so far: its accuracy predicted by
a straight line fitted to the trained candidates' observed accuracy against their NASWOT
(bench/zero_cost_nb_macro_naswot.csv, every network's score), times its exact FLOPs penalty;
the first 8 train unscreened; a screened-out candidate costs nothing and is told to the sampler
as pruned. "+3x2": the best 3 trained twice more (fresh noise), the best mean wins. Printed:
each arm's win rate against random sampling of the same seed (ties half) with a 90% bootstrap
interval, and the median percentile of its winner's true reward in the space. Its purpose is
to decide whether the pre-screen is worth building into ``nas.search`` and ``nas.compare``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import optuna
import pandas as pd

from nas.truth import load_table
from search_spaces import nb_macro

ROOT = Path(__file__).resolve().parent
WARM = 8  # candidates trained before the pre-screen starts
ARMS = {
    "random": {"sampler": "random"},
    "tpe": {"sampler": "tpe"},
    "tpe+3x2": {"sampler": "tpe", "finalists": 3},
    "random+pre30": {"sampler": "random", "keep": 0.3},
    "tpe+pre50": {"sampler": "tpe", "keep": 0.5},
    "tpe+pre30+3x2": {"sampler": "tpe", "keep": 0.3, "finalists": 3},
    "tpe+pre15+3x2": {"sampler": "tpe", "keep": 0.15, "finalists": 3},
    "tpe+pre10+3x2": {"sampler": "tpe", "keep": 0.1, "finalists": 3},
}


class Space:
    """Every network's truth, FLOPs penalty and NASWOT."""

    def __init__(self, noise_sd: float) -> None:
        table = load_table()
        scores = pd.read_csv(ROOT / "zero_cost_nb_macro_naswot.csv", dtype={"key": str})
        self.naswot = dict(zip(scores["key"].str.zfill(8), scores["naswot"], strict=True))
        self.accuracy = {key: table[key].accuracy for key in table}
        target = nb_macro.TARGET_FLOPS
        self.penalty = {key: (table[key].flops / target) ** -0.07 for key in table}
        self.rewards = np.sort([self.accuracy[k] * self.penalty[k] for k in table])
        self.noise_sd = noise_sd

    def observed(self, key: str, seed: int, draw: int = 0) -> float:
        rng = np.random.default_rng([seed, int(key), draw])
        return self.accuracy[key] + rng.normal(0.0, self.noise_sd)

    def reward(self, key: str) -> float:
        return self.accuracy[key] * self.penalty[key]

    def percentile(self, key: str) -> float:
        return float(np.searchsorted(self.rewards, self.reward(key)) / len(self.rewards) * 100)


def _sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(
        seed=seed, multivariate=True, group=True, constant_liar=True, n_startup_trials=10
    )


def search(space: Space, seed: int, trained: int, sampler: str, keep=None, finalists=0) -> str:
    """One run's winner."""
    study = optuna.create_study(direction="maximize", sampler=_sampler(sampler, seed))
    seen: dict[str, float] = {}  # trained network -> observed reward
    proposed: list[str] = []  # every candidate the pre-screen judged
    candidates = trained - 2 * finalists
    for _ in range(20 * trained):
        if len(seen) >= candidates:
            break
        trial = study.ask()
        key = "".join(str(trial.suggest_categorical(f"l{i}", [0, 1, 2])) for i in range(8))
        if key in seen:
            study.tell(trial, seen[key])
            continue
        if keep is not None and len(seen) >= WARM:
            trained_keys = list(seen)
            slope, intercept = np.polyfit(
                [space.naswot[k] for k in trained_keys],
                [seen[k] / space.penalty[k] for k in trained_keys],
                1,
            )

            def predicted(k: str, slope=slope, intercept=intercept) -> float:
                return (slope * space.naswot[k] + intercept) * space.penalty[k]

            past = [predicted(k) for k in proposed]
            proposed.append(key)
            if predicted(key) < np.quantile(past, 1 - keep):
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                continue
        else:
            proposed.append(key)
        seen[key] = space.observed(key, seed) * space.penalty[key]
        study.tell(trial, seen[key])
    ranked = sorted(seen, key=seen.__getitem__, reverse=True)
    if not finalists:
        return ranked[0]
    means = {
        key: np.mean(
            [seen[key]] + [space.observed(key, seed, d) * space.penalty[key] for d in (1, 2)]
        )
        for key in ranked[:finalists]
    }
    return max(means, key=means.__getitem__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trained", type=int, default=30, help="candidates trained per run")
    parser.add_argument("--repeats", type=int, default=200, help="paired seeds")
    parser.add_argument("--noise-sd", type=float, default=0.013, help="the proxy's noise")
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    space = Space(args.noise_sd)
    winners = {
        name: [search(space, seed, args.trained, **arm) for seed in range(args.repeats)]
        for name, arm in ARMS.items()
    }
    rng = np.random.default_rng(0)
    against = np.array([space.reward(k) for k in winners["random"]])
    print(f"{args.trained} trained candidates, {args.noise_sd:g} noise, {args.repeats} seeds")
    for name, keys in winners.items():
        rewards = np.array([space.reward(k) for k in keys])
        wins = (rewards > against) + 0.5 * (rewards == against)
        boots = [wins[rng.integers(0, len(wins), len(wins))].mean() for _ in range(2000)]
        low, high = np.percentile(boots, [5, 95])
        percentile = np.median([space.percentile(k) for k in keys])
        print(
            f"{name:16s} win {wins.mean():.3f} [{low:.2f}, {high:.2f}], median pct {percentile:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
