from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nas.cli.common import run
from nas.cli.compare import PROG, main
from nas.compare import SUMMARY_COLUMNS, CompareConfig, run_compare
from nas.compare.analysis import one_sided_wilcoxon, summarize, win_interval
from nas.compare.run import Task, run_task, true_rewards
from nas.errors import ConfigError
from nas.truth import load_table


def small(tmp_path, **changes) -> CompareConfig:
    values = dict(
        samplers=("tpe", "random"),
        budgets=(6, 10),
        noise_sds=(None, 0.01),
        repeats=3,
        out=str(tmp_path / "cmp"),
        show_progress=False,
        resamples=200,
    )
    return CompareConfig(**(values | changes))


def test_a_repetition_is_a_table_search_judged_by_the_truth():
    row = run_task(Task("random", 12, None, 5, 55e6, -0.07, None))
    table = load_table()
    rewards = true_rewards(None, 55e6, -0.07)
    assert row["true_accuracy"] == pytest.approx(table[row["winner"]].accuracy)
    assert row["true_reward"] == pytest.approx(rewards[row["winner"]])
    assert 0 <= row["reward_percentile"] <= 100
    curve = json.loads(row["curve"])
    assert len(curve) == 12 and curve[-1] == pytest.approx(row["true_reward"], abs=1e-6)
    # The same seed gives the same repetition.
    assert run_task(Task("random", 12, None, 5, 55e6, -0.07, None))["winner"] == row["winner"]


def test_the_benchmark_writes_its_summary_and_resumes(tmp_path):
    config = small(tmp_path)
    result = run_compare(config)
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    assert len(result.summary) == 2 * 2 * 2
    data = json.loads((config.folder / "summary.json").read_text())
    keys = {"sampler", "trials", "noise_sd", "repeats", "win_rate", "win_rate_low"}
    keys |= {"win_rate_high", "median_percentile"}
    assert all(keys <= set(row) for row in data["rows"])
    tpe = [row for row in data["rows"] if row["sampler"] == "tpe"]
    for row in tpe:
        assert 0 <= row["win_rate_low"] <= row["win_rate"] <= row["win_rate_high"] <= 1
    assert set(data["anytime"]) == {"run", "0.01"}
    assert len(data["anytime"]["run"]["tpe"]) == 10
    runs = pd.read_csv(config.folder / "runs.csv")
    assert len(runs) == 2 * 2 * 2 * 3
    again = run_compare(config)  # everything is in the log: nothing runs, the same figures
    pd.testing.assert_frame_equal(again.summary, result.summary)
    assert len(pd.read_csv(config.folder / "runs.csv")) == len(runs)


def test_win_rates_and_tests_on_known_gaps():
    rows = []
    for seed in range(10):
        rows.append({"sampler": "random", "seed": seed, "true_reward": 0.5})
        rows.append({"sampler": "good", "seed": seed, "true_reward": 0.6 if seed < 8 else 0.5})
    frame = pd.DataFrame(rows).assign(
        trials=20,
        noise_sd="run",
        true_accuracy=0.9,
        reward_percentile=50.0,
        accuracy_percentile=50.0,
    )
    summary = summarize(frame, CompareConfig(samplers=("tpe", "random"), repeats=10))
    good = summary[summary["sampler"] == "good"].iloc[0]
    assert good["win_rate"] == pytest.approx(0.9)  # 8 wins, 2 ties counted half
    assert good["median_gap"] == pytest.approx(0.1)
    assert good["wilcoxon_p"] < 0.01
    assert pd.isna(summary[summary["sampler"] == "random"].iloc[0]["win_rate"])
    assert one_sided_wilcoxon(np.zeros(5)) == 1.0
    assert one_sided_wilcoxon(np.array([-0.1] * 6)) > 0.9
    low, high = win_interval(np.array([1.0] * 5 + [0.0] * 5), 1000, 0.9)
    assert 0.1 < low < 0.5 < high < 0.9


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"samplers": ("tpe",)}, "must include random"),
        ({"samplers": ("tpe", "random", "grid")}, "samplers='grid' is invalid"),
        ({"budgets": (1,)}, "budgets=1 is invalid"),
        ({"noise_sds": (-0.5,)}, "noise_sd=-0.5 is invalid"),
        ({"repeats": 1}, "repeats=1 is invalid"),
        ({"budgets": (10, 10)}, "repeats an entry"),
    ],
)
def test_bad_settings_name_the_value(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message):
        small(tmp_path, **changes)


def test_the_command_prints_the_table_and_writes_the_files(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["--samplers", "evolution,random", "--budgets", "6", "--repeats", "2"]
    argv += ["--noise-sd", "run", "--jobs", "1", "--out", str(out), "--no-progress"]
    assert run(main, PROG, argv) == 0
    printed = capsys.readouterr().out
    assert "win vs random" in printed and "evolution" in printed
    assert {p.name for p in out.iterdir()} >= {"runs.csv", "summary.csv", "summary.json"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--noise-sd", "-1"], "--noise-sd=-1.0 is invalid"),
        (["--noise-sd", "loud"], "--noise-sd='loud' is invalid"),
        (["--budgets", "ten"], "--budgets='ten' is invalid"),
        (["--table", "NOFILE"], "no such file"),
        (["--samplers", "tpe"], "must include random"),
    ],
)
def test_bad_flags_give_one_line_exit_2_and_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "cmp"
    argv = [arg.replace("NOFILE", str(tmp_path / "none.json")) for arg in argv]
    code = run(main, PROG, [*argv, "--repeats", "2", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_sign_test_counts_wins_among_the_nonzero_gaps():
    from nas.compare.analysis import sign_test

    # 7 wins of 8 (one tie dropped): P(X >= 7 | 8, 1/2) = 9/256.
    gaps = np.array([1, 2, 3, 4, 5, 6, 7, -1, 0], dtype=float)
    assert sign_test(gaps) == pytest.approx(9 / 256)
    assert sign_test(np.zeros(4)) == 1.0
    assert sign_test(np.array([-1.0, -2.0])) == pytest.approx(1.0)


def test_the_paired_figures_count_a_tie_as_half_a_win():
    from nas.compare.analysis import paired_figures

    figures = paired_figures(np.array([0.5, 0.0, -0.25, 1.0]), resamples=500, confidence=0.9)
    assert figures["win_rate"] == pytest.approx(2.5 / 4)
    assert 0 <= figures["win_rate_low"] <= figures["win_rate"] <= figures["win_rate_high"] <= 1
    assert figures["median_gap"] == pytest.approx(0.25)
    assert figures["sign_p"] == pytest.approx(0.5)  # 2 wins of 3 nonzero: 4/8
    assert 0 < figures["wilcoxon_p"] < 1


def test_an_arm_names_a_sampler_its_strategy_and_its_finalists():
    from nas.compare.config import Arm
    from nas.errors import ConfigError

    assert Arm.parse("tpe") == Arm("tpe") and not Arm("tpe").budgeted
    assert Arm.parse("tpe:plain") == Arm("tpe", explicit=True) and Arm.parse("tpe:plain").budgeted
    assert Arm.parse("tpe:halving") == Arm("tpe", "halving", 3, 3)
    assert Arm.parse("evolution:halving:2x4") == Arm("evolution", "halving", 2, 4)
    assert Arm.parse("tpe+3x2") == Arm("tpe", finalists=3, finalist_seeds=2)
    assert Arm.parse("random:halving:2x2+5x1") == Arm("random", "halving", 2, 2, 5, 1)
    kept = Arm.parse("tpe:halving-continue:2x2")
    assert kept == Arm("tpe", "halving", 2, 2, promotion="continue")
    task = Task("tpe:halving-continue", 30, 0.013, 0, 55e6, -0.07, None)
    assert task.search_config().promotion == "continue"
    for bad in ("bogus", "tpe:sometimes", "tpe:halving:1x3", "tpe:halving:3", "tpe+0x2", "tpe+3"):
        with pytest.raises(ConfigError, match="samplers="):
            Arm.parse(bad)
    with pytest.raises(ConfigError, match="halving needs noise levels"):
        CompareConfig(samplers=("tpe:halving", "random"), noise_sds=(None,))


def test_every_arm_sees_the_same_training_images(tmp_path):
    """At equal compute: ``tpe:plain``, a halving arm and one with finalists see the training
    images of the budget's trials (halving: up to one candidate's rungs more); a bare sampler
    runs the trials, a network it proposes again costing a trial but no image."""
    config = CompareConfig(
        samplers=("tpe", "tpe:plain", "tpe:halving:2x2", "tpe+2x2", "random"),
        budgets=(20,),
        noise_sds=(0.01,),
        repeats=3,
        jobs=1,
        out=str(tmp_path),
        show_progress=False,
    )
    run_compare(config)
    runs = pd.read_csv(tmp_path / "runs.csv")
    seen = runs.groupby("sampler")["images_seen"]
    budget = 20 * 20_000  # 20 trials of the cpu preset's 20,000 images
    assert (seen.min()[["tpe:plain", "tpe+2x2"]] == budget).all()
    assert (seen.max()[["tpe:plain", "tpe+2x2"]] == budget).all()
    assert seen.max()["tpe"] <= budget and seen.max()["random"] <= budget
    assert (
        seen.min()["tpe:halving:2x2"] >= budget and seen.max()["tpe:halving:2x2"] < budget + 30_000
    )
    assert (runs[runs["sampler"] == "tpe:halving:2x2"]["noise_exponent"] == 0.5).all()
    assert runs[runs["sampler"] == "tpe"]["noise_exponent"].isna().all()


def test_the_pairs_baseline_may_be_another_arm(tmp_path, capsys):
    """--against ARM pairs every arm with that one (here the plain TPE) and writes its own
    summary files beside the usual ones, from the same run log."""
    argv = ["--samplers", "tpe:plain,tpe+2x1,random", "--budgets", "10", "--noise-sd", "0.01"]
    argv += ["--repeats", "4", "--jobs", "1", "--out", str(tmp_path), "--no-progress"]
    assert run(main, PROG, [*argv, "--no-plot"]) == 0
    assert run(main, PROG, [*argv, "--no-plot", "--against", "tpe:plain"]) == 0
    out = capsys.readouterr().out
    assert "win vs tpe:plain [90% CI]" in out
    versus = pd.read_csv(tmp_path / "summary-vs-tpe-plain.csv").set_index("sampler")
    usual = pd.read_csv(tmp_path / "summary.csv").set_index("sampler")
    assert pd.isna(versus.loc["tpe:plain", "win_rate"]) and pd.notna(
        usual.loc["tpe:plain", "win_rate"]
    )
    runs = pd.read_csv(tmp_path / "runs.csv")
    mine = runs[runs["sampler"] == "tpe+2x1"].set_index("seed")["true_reward"]
    theirs = runs[runs["sampler"] == "tpe:plain"].set_index("seed")["true_reward"]
    gaps = mine - theirs
    expected = ((gaps > 0) + 0.5 * (gaps == 0)).mean()
    assert versus.loc["tpe+2x1", "win_rate"] == pytest.approx(expected)
    with pytest.raises(ConfigError, match="must include tpe"):
        CompareConfig(samplers=("random", "evolution"), baseline="tpe")
