from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from nas.search.evolution import MUTATED_KEY, PARENT_KEY, RegularizedEvolutionSampler

NAMES = [f"p{i}" for i in range(8)]
CHOICES = ["a", "b", "c", "d"]


@pytest.fixture(autouse=True)
def quiet_optuna():
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    yield
    optuna.logging.set_verbosity(verbosity)


def count_a(trial) -> int:
    return sum(trial.suggest_categorical(name, CHOICES) == "a" for name in NAMES)


def run(sampler, objective=count_a, n_trials=60, direction="maximize") -> optuna.Study:
    study = optuna.create_study(direction=direction, sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return study


def population_before(study, number: int, size: int) -> list:
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE and t.number < number]
    return complete[-size:]


def test_children_differ_from_their_parent_in_exactly_one_param():
    study = run(RegularizedEvolutionSampler(population_size=10, sample_size=3, seed=0))
    children = 0
    for trial in study.trials:
        parent_number = trial.system_attrs[PARENT_KEY]
        if trial.number < 10:
            assert parent_number is None
            continue
        population = population_before(study, trial.number, 10)
        assert parent_number in [t.number for t in population]
        parent = study.trials[parent_number]
        changed = [n for n in NAMES if trial.params[n] != parent.params[n]]
        assert changed == [trial.system_attrs[MUTATED_KEY]]
        children += 1
    assert children == 50


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_whole_population_tournament_picks_the_best(direction):
    sampler = RegularizedEvolutionSampler(population_size=6, sample_size=6, seed=1)
    study = run(sampler, n_trials=30, direction=direction)
    best = max if direction == "maximize" else min
    for trial in study.trials[6:]:
        population = population_before(study, trial.number, 6)
        parent = study.trials[trial.system_attrs[PARENT_KEY]]
        assert parent.value == best(t.value for t in population)


def test_beats_random_search_on_the_toy_problem():
    seeds = range(4)
    evo = [run(RegularizedEvolutionSampler(10, 3, seed=s), n_trials=150) for s in seeds]
    rnd = [run(optuna.samplers.RandomSampler(seed=s), n_trials=150) for s in seeds]
    assert sum(s.best_value for s in evo) > sum(s.best_value for s in rnd)
    # The aged population concentrates on good points; random search stays near 8/4 = 2.
    late = [sum(t.value for t in s.trials[-50:]) / 50 for s in evo]
    assert min(late) > 4


def test_same_seed_gives_same_params_and_another_seed_differs():
    def params(seed):
        study = run(RegularizedEvolutionSampler(5, 2, seed=seed), n_trials=40)
        return [(t.params, t.system_attrs[PARENT_KEY]) for t in study.trials]

    assert params(7) == params(7)
    assert params(7) != params(8)


def test_numeric_params_mutate_within_their_distribution():
    def objective(trial):
        i = trial.suggest_int("i", 0, 3)
        f = trial.suggest_float("f", 0.0, 1.0)
        s = trial.suggest_float("s", 0.0, 1.0, step=0.25)
        lg = trial.suggest_int("lg", 1, 64, log=True)
        lf = trial.suggest_float("lf", 1e-4, 1.0, log=True)
        trial.suggest_categorical("single", ["only"])
        return i + f + s + lg / 64 + lf

    study = run(RegularizedEvolutionSampler(5, 2, seed=3), objective, n_trials=60)
    mutated = set()
    for trial in study.trials[5:]:
        parent = study.trials[trial.system_attrs[PARENT_KEY]]
        changed = [n for n in trial.params if trial.params[n] != parent.params[n]]
        assert changed == [trial.system_attrs[MUTATED_KEY]]
        mutated.update(changed)
        p = trial.params
        assert p["i"] in range(4) and 1 <= p["lg"] <= 64 and 1e-4 <= p["lf"] <= 1.0
        assert p["s"] in (0.0, 0.25, 0.5, 0.75, 1.0) and 0.0 <= p["f"] <= 1.0
    assert mutated == {"i", "f", "s", "lg", "lf"}  # never the single-valued parameter


def test_conditional_params():
    def objective(trial):
        if trial.suggest_categorical("op", ["a", "b"]) == "a":
            return trial.suggest_float("x", -1.0, 1.0) ** 2
        return 0.5

    study = run(RegularizedEvolutionSampler(8, 3, seed=0), objective, 100, "minimize")
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(("x" in t.params) == (t.params["op"] == "a") for t in study.trials)
    assert {t.params["op"] for t in study.trials[8:]} == {"a", "b"}


def test_mnas_space_runs(space):
    def objective(trial):
        return sum(stage.out_channels for stage in space.sample(trial).stages)

    study = run(RegularizedEvolutionSampler(10, 3, seed=0), objective, n_trials=60)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(t.system_attrs[PARENT_KEY] is not None for t in study.trials[10:])


def test_enqueued_trials_keep_their_params():
    study = optuna.create_study(
        direction="maximize", sampler=RegularizedEvolutionSampler(5, 2, seed=0)
    )
    study.optimize(count_a, n_trials=10)
    full = {name: "d" for name in NAMES}
    study.enqueue_trial(full)
    study.enqueue_trial({"p0": "c", "p1": "c"})
    study.optimize(count_a, n_trials=3)
    assert study.trials[10].params == full
    assert study.trials[11].params["p0"] == study.trials[11].params["p1"] == "c"
    assert study.trials[10].system_attrs[PARENT_KEY] is None
    assert study.trials[12].system_attrs[PARENT_KEY] is not None


def test_workers_sharing_a_storage_with_one_seed_do_not_duplicate():
    storage = optuna.storages.InMemoryStorage()
    studies = [
        optuna.create_study(
            storage=storage,
            study_name="shared",
            direction="maximize",
            sampler=RegularizedEvolutionSampler(5, 2, seed=0),
            load_if_exists=True,
        )
        for _ in range(2)
    ]
    for _ in range(15):
        for study in studies:
            study.optimize(count_a, n_trials=1)
    trials = studies[0].trials
    assert len(trials) == 30
    # A per-process random stream with one seed would repeat the first worker's points.
    assert len({tuple(t.params.values()) for t in trials[:5]}) == 5
    assert all(t.system_attrs[PARENT_KEY] is not None for t in trials[5:])


def test_plan_is_made_once_per_trial():
    study = run(RegularizedEvolutionSampler(5, 2, seed=0), n_trials=8)
    trial_id = study.ask()._trial_id
    attrs = study._storage.get_trial(trial_id).system_attrs
    plan = (attrs[PARENT_KEY], attrs[MUTATED_KEY])
    assert plan[0] is not None
    study.optimize(count_a, n_trials=10)  # the population changes meanwhile
    for _ in range(3):  # a Trial re-opened on the same id does not re-plan
        optuna.trial.Trial(study, trial_id)
    attrs = study._storage.get_trial(trial_id).system_attrs
    assert (attrs[PARENT_KEY], attrs[MUTATED_KEY]) == plan


def test_threads_share_one_sampler():
    study = optuna.create_study(
        direction="maximize", sampler=RegularizedEvolutionSampler(5, 2, seed=0)
    )
    study.optimize(count_a, n_trials=30, n_jobs=2)
    assert sum(t.state == TrialState.COMPLETE for t in study.trials) == 30


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"population_size": 1}, "population_size=1"),
        ({"population_size": 10, "sample_size": 0}, "sample_size=0"),
        ({"population_size": 10, "sample_size": 11}, "sample_size=11"),
        ({"population_size": 2.5}, "population_size=2.5"),
    ],
)
def test_bad_arguments(kwargs, named):
    with pytest.raises(ValueError, match=named):
        RegularizedEvolutionSampler(**kwargs)


def test_multi_objective_study_is_refused():
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=RegularizedEvolutionSampler(5, 2)
    )
    with pytest.raises(ValueError, match="single-objective"):
        study.optimize(lambda t: (count_a(t), 0.0), n_trials=1)
