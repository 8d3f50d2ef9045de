from __future__ import annotations

import optuna
import pytest

import baselines
from nas.data import DataConfig, load_data
from nas.reward import RewardConfig
from nas.search.objective import Deployment, Objective
from nas.train import TrainConfig
from search_spaces.mnasnet import MnasSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def data():
    return load_data(DataConfig(dataset="synthetic", train_subset=256, val_subset=64))


DEPLOYMENT = Deployment()


def objective(data, evaluations=1, deployment=DEPLOYMENT):
    space = MnasSpace(
        baselines.get("efficientnet_b0"), ops=("mbconv",), expansions=(1,), layer_deltas=(-1,)
    )  # small networks
    config = TrainConfig(epochs=1, batch_size=64, evaluations=evaluations)
    return Objective(space, data, config, RewardConfig(), deployment)


def test_trial_records_its_metrics(data):
    study = optuna.create_study(direction="maximize")
    study.optimize(objective(data), n_trials=1)
    attrs = study.trials[0].user_attrs
    assert {
        "arch",
        "flops",
        "params",
        "accuracy",
        "reward",
        "seconds",
        "images_per_s",
        "device",
        "worker",
    } <= set(attrs)
    assert study.trials[0].value == pytest.approx(RewardConfig()(attrs["accuracy"], attrs["flops"]))


def test_every_trial_trains_with_the_same_seed(data):
    """Common random numbers: the same candidate at trial 0 and trial 3 scores the same."""
    space = MnasSpace(
        baselines.get("efficientnet_b0"), ops=("mbconv",), expansions=(1,), layer_deltas=(-1,)
    )
    params = space.params_of(space.sample_random(7))
    study = optuna.create_study(direction="maximize")
    for _ in range(4):
        study.enqueue_trial(params)
    study.optimize(objective(data), n_trials=4)
    accuracies = {trial.user_attrs["accuracy"] for trial in study.trials}
    assert len(accuracies) == 1


def test_pruner_stops_early_but_never_at_the_last_evaluation(data):
    always = optuna.pruners.ThresholdPruner(lower=2.0)  # every accuracy is "too low"
    study = optuna.create_study(direction="maximize", pruner=always)
    study.optimize(objective(data, evaluations=2), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert trial.user_attrs["fail_reason"].startswith("pruned at step 2")
    single = optuna.create_study(direction="maximize", pruner=always)
    single.optimize(objective(data, evaluations=1), n_trials=1)
    assert single.trials[0].state == optuna.trial.TrialState.COMPLETE


def test_out_of_range_is_not_trained(data):
    study = optuna.create_study(direction="maximize")
    study.optimize(objective(data, deployment=Deployment(min_flops=1e12)), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert "below min_flops" in trial.user_attrs["fail_reason"]
    assert "accuracy" not in trial.user_attrs
