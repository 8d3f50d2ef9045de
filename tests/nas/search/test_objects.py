"""The Python API takes objects: a space built in Python, an Optuna sampler and pruner, a
RewardConfig; a study's config.json reads back as the config it was written from."""

from __future__ import annotations

import json

import optuna
import pytest

import baselines
from nas import results
from nas.errors import ConfigError
from nas.reward import RewardConfig
from nas.search import SearchConfig, run_search
from nas.search.samplers import make_sampler
from search_spaces import MnasSpace, make_space
from tests.helpers import tiny_config

B0 = baselines.get("efficientnet_b0")


def tiny(tmp_path, **changes) -> SearchConfig:
    small = dict(train_subset=128, val_subset=64, trials=2, use_reference=False)
    return tiny_config(tmp_path, **(small | changes))


def test_a_custom_space_built_in_python_is_searched_and_resumed(tmp_path):
    space = MnasSpace(B0, kernels=(3,), expansions=(6,), ops=("mbconv",))
    config = tiny(tmp_path, space=space, sampler="random")
    assert config.space_name == "custom" and config.reference_name == "efficientnet_b0"
    run_search(config)
    frame = results.trials_frame(
        run_search(tiny(tmp_path, space=space, sampler="random", trials=3))
    )
    assert (frame["state"] == "COMPLETE").sum() == 3
    kernels = {
        value for name, value in frame.items() if name.endswith("_kernel") for value in value
    }
    assert kernels == {3}
    recorded = json.loads((tmp_path / "synthetic-random" / "config.json").read_text())
    assert recorded["space"] == "custom" and recorded["space_record"]["kernels"] == [3]
    # Another custom space is another study: resuming this one with it is refused.
    with pytest.raises(ValueError, match="other settings"):
        run_search(tiny(tmp_path, space=MnasSpace(B0, kernels=(5,)), sampler="random", trials=4))


def test_a_named_space_as_an_object_is_the_same_study_as_its_name(tmp_path):
    by_name = tiny(tmp_path, sampler="random")
    by_object = tiny(tmp_path, sampler="random", space=make_space("mnasnet", B0))
    assert by_object.identity() == by_name.identity() and by_object.name == by_name.name
    macro = tiny(tmp_path, space="nb-macro", sampler="random")
    assert macro.name == "synthetic-nb-macro-random"  # not the MnasNet space's folder
    assert tiny(tmp_path, space=make_space("nb-macro"), sampler="random").name == macro.name


def test_an_optuna_sampler_object_draws_the_candidates(tmp_path):
    sampler = optuna.samplers.RandomSampler(seed=7)
    config = tiny(tmp_path, sampler=sampler, pruner=optuna.pruners.NopPruner())
    assert make_sampler(config) is sampler and config.name == "synthetic-random"
    study = run_search(config)
    assert study.sampler is sampler and isinstance(study.pruner, optuna.pruners.NopPruner)
    recorded = json.loads((tmp_path / "synthetic-random" / "config.json").read_text())
    assert recorded["sampler"] == "RandomSampler" and recorded["pruner"] == "NopPruner"
    nsga = tiny(tmp_path, sampler=optuna.samplers.NSGAIISampler(seed=0))
    assert nsga.two_objectives and nsga.pruning == "none"


def test_a_reward_config_is_the_reward(tmp_path):
    reward = RewardConfig(300e6, 0.0, -1.0)
    config = tiny(tmp_path, reward=reward)
    assert config.rewarding == reward and config.target == 300e6
    assert config.identity()["alpha"] == 0.0 and config.identity()["beta"] == -1.0
    with pytest.raises(ConfigError, match="give reward or target_flops"):
        tiny(tmp_path, reward=reward, target_flops=400e6)
    with pytest.raises(ConfigError, match="must be a RewardConfig"):
        tiny(tmp_path, reward=(300e6, 0.0, -1.0))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"space": MnasSpace(B0, kernels=(3,)), "sampler": "evolution", "target_flops": 200e6},
        {"space": "nb-macro", "objective": "table", "noise_sd": 0.01, "sampler": "random"},
        {
            "reward": RewardConfig(300e6, 0.0, -1.0),
            "storage": "sqlite:///x.db",
            "devices": ("cpu",),
        },
    ],
)
def test_config_json_reads_back_as_the_config(tmp_path, changes):
    if changes.get("objective") == "table":
        changes = changes | {"dataset": "cifar10"}
    config = tiny(tmp_path, **changes)
    read = SearchConfig.from_record(json.loads(json.dumps(config.record())))
    assert read.identity() == config.identity()
    assert (read.folder, read.search_space, read.rewarding) == (
        config.folder,
        config.search_space,
        config.rewarding,
    )
    assert (read.proxy, read.storage, read.devices) == (
        config.proxy,
        config.storage,
        config.devices,
    )


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_sampler_object_reads_back_by_name_or_as_given(tmp_path):
    sampler = optuna.samplers.QMCSampler(seed=1)
    record = json.loads(json.dumps(tiny(tmp_path, sampler=sampler).record()))
    assert SearchConfig.from_record(record).folder.name == "synthetic-qmc"
    again = SearchConfig.from_record(record, sampler=sampler)
    assert again.identity() == tiny(tmp_path, sampler=sampler).identity()


def test_workers_opening_a_study_together_draw_different_candidates(tmp_path):
    config = tiny(tmp_path, sampler="random")
    study = optuna.create_study()
    first = [
        make_sampler(config, offset=0, worker=worker).sample_independent(
            study,
            optuna.trial.create_trial(state=optuna.trial.TrialState.RUNNING),
            "x",
            optuna.distributions.FloatDistribution(0, 1),
        )
        for worker in (0, 1)
    ]
    assert first[0] != first[1]
    assert make_sampler(config, 0, 0).sample_independent(
        study, optuna.trial.create_trial(state=optuna.trial.TrialState.RUNNING), "x",
        optuna.distributions.FloatDistribution(0, 1),
    ) == first[0]  # fmt: skip


def test_a_network_already_trained_in_the_study_is_not_trained_again(tmp_path, monkeypatch):
    import nas.search.objective

    one_network = MnasSpace(
        B0,
        ops=("mbconv",),
        kernels=(3,),
        expansions=(6,),
        se_ratios=(0.25,),
        skips=(True,),
        filter_multipliers=(1.0,),
        layer_deltas=(0,),
    )
    real_train = nas.search.objective.train_arch
    calls = []
    monkeypatch.setattr(
        nas.search.objective,
        "train_arch",
        lambda *args, **kwargs: calls.append(1) or real_train(*args, **kwargs),
    )
    study = run_search(tiny(tmp_path, space=one_network, sampler="random", trials=3))
    frame = results.trials_frame(study)
    assert len(calls) == 1 and (frame["state"] == "COMPLETE").sum() == 3
    assert list(frame["reused_from"].fillna(-1)) == [-1, 0, 0]
    assert frame["accuracy"].nunique() == 1 and list(frame["seconds"])[1:] == [0.0, 0.0]
    loaded = results.load(tmp_path / "synthetic-random" / "trials.csv")
    assert list(loaded["reused_from"].fillna(-1)) == [-1, 0, 0]


def test_a_sampler_object_is_reseeded_in_every_worker_but_the_first(tmp_path):
    def first_draw(sampler):
        trial = optuna.trial.create_trial(state=optuna.trial.TrialState.RUNNING)
        distribution = optuna.distributions.FloatDistribution(0, 1)
        return sampler.sample_independent(optuna.create_study(), trial, "x", distribution)

    draws = []
    for worker in (0, 1):  # as two spawned workers would: each its own copy of the config
        config = tiny(tmp_path, sampler=optuna.samplers.RandomSampler(seed=3))
        draws.append(first_draw(make_sampler(config, worker=worker)))
    assert draws[0] == first_draw(optuna.samplers.RandomSampler(seed=3)) and draws[1] != draws[0]


def test_a_gpu_studys_config_reads_back_on_a_machine_without_one(tmp_path):
    """Its results must stay readable (report, export, train and scale read the config): the
    devices it ran on read as auto here."""
    record = json.loads(json.dumps(tiny(tmp_path, sampler="random").record()))
    record |= {"device": "cuda:3", "devices": ["cuda:0", "cuda:1"]}
    read = SearchConfig.from_record(record)
    assert read.proxy.device in ("auto", "cuda:3") and read.proxy.dataset == "synthetic"
    assert read.devices in (None, ("cuda:0", "cuda:1"))
