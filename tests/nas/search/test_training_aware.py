"""The v2 reward: step time and parameters priced against the reference, in trials.csv."""

from __future__ import annotations

import pytest
import torch

import baselines
from nas import cost, results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.cost import StepTime
from nas.data import DataConfig, load_data
from nas.reward import TrainingAwareReward
from nas.search.step_cost import StepCoster
from search_spaces import build_model, decode
from tests.helpers import tiny_config
from tests.nas.search.test_run import TINY

SMALL = "stem8-ir_r1_k3_s2_e1_c8-er_r1_k3_s2_e4_c16-head32-silu-res28"
LARGER = "stem8-ir_r2_k5_s2_e6_c32-er_r2_k3_s2_e6_c64-head64-silu-res28"


@pytest.fixture(scope="module")
def data():
    return load_data(DataConfig(dataset="synthetic", train_subset=64, val_subset=16))


def test_candidates_are_priced_against_the_reference_timed_once(data, monkeypatch):
    timed = []

    def fake_step_time(model, batch_shape, num_classes, device, warmup, repeats):
        timed.append(batch_shape)
        seconds = sum(p.numel() for p in model.parameters()) * 1e-6  # a stand-in clock
        return StepTime(seconds, (seconds * 0.9, seconds, seconds * 1.2))

    monkeypatch.setattr(cost, "step_time", fake_step_time)
    coster = StepCoster(decode(SMALL), data, batch_size=32)
    itself = coster(decode(SMALL))
    assert (itself.step_ratio, itself.params_ratio) == (1.0, 1.0)
    assert itself.spread == pytest.approx(0.3)
    larger = coster(decode(LARGER))
    assert larger.params_ratio == cost.params(decode(LARGER), 10, 1) / cost.params(
        decode(SMALL), 10, 1
    )
    assert larger.step_ratio == pytest.approx(larger.step_seconds / itself.step_seconds)
    assert len(timed) == 3  # the reference once, then each candidate
    assert set(timed) == {(32, 1, 28, 28)}  # the proxy's training batch shape
    assert set(larger.attrs()) == {"step_seconds", "step_ratio", "params_ratio"}


def test_step_time_times_real_steps(data):
    model = build_model(decode(SMALL), num_classes=10, in_channels=1)
    timed = cost.step_time(model, (8, 1, 28, 28), 10, "cpu", warmup=1, repeats=3)
    assert len(timed.samples) == 3 and min(timed.samples) <= timed.seconds <= max(timed.samples)
    with pytest.raises(ValueError, match="repeats=0 is invalid"):
        cost.step_time(model, (8, 1, 28, 28), 10, "cpu", repeats=0)


def test_timing_leaves_the_global_random_state_alone(data):
    coster = StepCoster(decode(SMALL), data, batch_size=16, warmup=0, repeats=1)
    state = torch.random.get_rng_state()
    coster(decode(LARGER))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_training_aware_reward_is_acc_times_s_w_times_p_v():
    reward = TrainingAwareReward(w=-0.07, v=-0.05)
    assert reward(0.8, 1.0, 1.0) == pytest.approx(0.8)
    assert reward(0.8, 2.0, 4.0) == pytest.approx(0.8 * 2.0**-0.07 * 4.0**-0.05)
    assert reward(0.8, 2.0, 1.0) < reward(0.8, 1.0, 1.0)  # slower to train: lower


def test_v2_search_records_the_step_columns(tmp_path, monkeypatch):
    real = cost.step_time

    def quick(model, batch_shape, num_classes, device, warmup, repeats):
        return real(model, batch_shape, num_classes, device, warmup=0, repeats=2)

    monkeypatch.setattr(cost, "step_time", quick)
    config = tiny_config(
        tmp_path,
        space="v2",
        reward_kind="v2",
        trials=2,
        train_subset=64,
        val_subset=32,
        batch_size=32,
    )
    from nas.search import run_search

    run_search(config)
    frame = results.load(config.folder)
    steps = list(frame.columns[len(results.COLUMNS) : len(results.COLUMNS) + 3])
    assert steps == results.STEP_COLUMNS
    assert (frame["step_seconds"] > 0).all()
    reference = frame.iloc[0]
    assert reference["reference"] == "efficientnet_b0"
    assert reference["params_ratio"] == 1.0
    for _, row in frame.iterrows():
        expected = row["accuracy"] * row["step_ratio"] ** -0.07 * row["params_ratio"] ** -0.05
        assert row["reward"] == pytest.approx(expected)
    # Only MBConv and Fused-MBConv, expansions 1, 4, 6.
    ops = {frame[c].iloc[1] for c in frame.columns if c.endswith("_op")}
    assert ops <= {"mbconv", "fused_mbconv"}
    expansions = {frame[c].iloc[1] for c in frame.columns if c.endswith("_expansion")}
    assert expansions <= {1, 4, 6}


def test_flops_reward_studies_keep_their_columns(tmp_path):
    from nas.search import run_search

    config = tiny_config(tmp_path, trials=1)
    run_search(config)
    assert not set(results.STEP_COLUMNS) & set(results.load(config.folder).columns)


def test_v2_s_is_the_reference_of_a_v2_space(tmp_path, capsys):
    argv = [*TINY, "--results-dir", str(tmp_path), "--dry-run"]
    assert main([*argv, "--reference", "efficientnet_v2_s", "--space", "v2", "--reward", "v2"]) == 0
    out = capsys.readouterr().out
    assert "21,458,488 params" in out and "reward ACC x S^-0.07 x P^-0.05" in out
    assert "op=['mbconv', 'fused_mbconv'], kernel=[3, 5], expansion=[1, 4, 6]" in out


def test_unknown_reward_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(main, PROG, ["--reward", "latency", "--results-dir", str(tmp_path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --reward: invalid choice: 'latency'" in err and len(err.splitlines()) == 1


def test_a_study_changes_reward_only_under_another_name(tmp_path):
    from nas.search import run_search

    run_search(tiny_config(tmp_path, trials=1))
    with pytest.raises(ValueError, match="reward_kind None -> 'v2'"):
        run_search(tiny_config(tmp_path, trials=2, reward_kind="v2"))


def test_baseline_names_are_references():
    assert {"efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"} <= set(baselines.names())
