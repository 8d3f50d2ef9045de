"""The pre-screen (``--prescreen``): a candidate is trained only if the reward its NASWOT score
predicts is among the best share proposed; screened candidates cost no image; the table search
reads the shipped scores; bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import optuna
import pytest

from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.cli.search_text import plan_text
from nas.compare.config import Arm, CompareConfig
from nas.compare.run import Task
from nas.errors import ConfigError
from nas.results.table import PREDICTED, ZERO_COST
from nas.reward import RewardConfig
from nas.search import objective as objective_module
from nas.search import run as run_module
from nas.search import run_search
from nas.search.prescreen import SCREENED, PreScreen, correlation_z, fit_line
from nas.study.keys import spent_images
from nas.truth import load_naswot
from tests import helpers
from tests.helpers import tiny_config

REWARD = RewardConfig.soft(55e6, -0.07)


def reward_of(accuracy: float, attrs) -> float:
    return REWARD(accuracy, attrs["flops"])


def study_with(trained: list[tuple[float, float]], proposed: list[float] = ()) -> optuna.Study:
    """A study whose complete trials were trained (score, accuracy) at 55M FLOPs, and whose
    screened ones were proposed (score) only."""
    study = optuna.create_study(direction="maximize")
    for number, (score, accuracy) in enumerate(trained):
        attrs = {ZERO_COST: score, "accuracy": accuracy, "flops": 55e6, "arch": f"a{number}"}
        study.add_trial(optuna.trial.create_trial(value=accuracy, user_attrs=attrs))
    for score in proposed:
        attrs = {ZERO_COST: score, "flops": 55e6}
        study.add_trial(
            optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED, user_attrs=attrs)
        )
    return study


def judged(study: optuna.Study, screen: PreScreen, score: float, flops: float = 55e6):
    trial = study.ask()
    trial.set_user_attr("flops", flops)
    return screen.judge(trial, score, reward_of), trial


def test_a_line_through_the_scores_is_recovered_exactly():
    slope, intercept = fit_line([1.0, 2.0, 3.0, 4.0], [0.7, 0.72, 0.74, 0.76])
    assert slope == pytest.approx(0.02) and intercept == pytest.approx(0.68)
    assert fit_line([5.0, 5.0, 5.0], [0.1, 0.2, 0.3]) is None  # the scores do not vary
    assert fit_line([5.0], [0.1]) is None


def test_nothing_is_screened_before_the_warmup():
    study = study_with([(float(s), 0.8 + 0.01 * s) for s in range(7)])
    reason, trial = judged(study, PreScreen(0.1, warmup=8), score=-100.0)
    assert reason is None
    assert trial.user_attrs[ZERO_COST] == -100.0  # recorded: the line will need it
    assert PREDICTED not in trial.user_attrs


def test_a_candidate_predicted_poor_is_screened_and_a_good_one_trained():
    """Accuracy rises 1 point per score unit; proposals scored 0..19: keeping the best 25%
    trains a candidate predicted above the 75th percentile of them (score 14.25) only."""
    trained = [(float(s), 0.8 + 0.01 * s) for s in range(10)]
    study = study_with(trained, proposed=[float(s) for s in range(10, 20)])
    screen = PreScreen(0.25, warmup=8)
    reason, trial = judged(study, screen, score=14.0)
    assert reason is not None and reason.startswith(SCREENED)
    assert "best 25% of 20 proposed" in reason
    assert trial.user_attrs[PREDICTED] == pytest.approx(REWARD(0.94, 55e6))
    assert judged(study, screen, score=14.5)[0] is None


def test_the_exact_cost_term_decides_between_equal_scores():
    """Two candidates with the same score: the one with fewer FLOPs is predicted the better
    reward (NASWOT alone grows with size; the screen judges the reward)."""
    trained = [(float(s), 0.8 + 0.01 * s) for s in range(10)]
    study = study_with(trained, proposed=[9.0] * 10)
    screen = PreScreen(0.5, warmup=8)
    assert judged(study, screen, score=9.0, flops=20e6)[0] is None
    assert judged(study, screen, score=9.0, flops=200e6)[0] is not None


def test_a_score_that_does_not_predict_the_metric_screens_nothing():
    """Scores unrelated to the accuracy (the MnasNet space's NASWOT): the line is flat, and the
    screen would keep the smallest networks; it trains every candidate instead, unless told to
    screen whatever the evidence."""
    accuracies = [0.80, 0.84, 0.81, 0.83, 0.80, 0.84, 0.82, 0.82, 0.81, 0.83]
    scores = [3.0, 1.0, 8.0, 5.0, 0.0, 9.0, 2.0, 7.0, 6.0, 4.0]
    trained = list(zip(scores, accuracies, strict=True))
    assert abs(correlation_z(scores, accuracies)) < 1.0
    study = study_with(trained, proposed=[float(s) for s in range(10)])
    assert judged(study, PreScreen(0.1), score=0.0, flops=200e6)[0] is None
    assert judged(study, PreScreen(0.1, evidence_z=None), score=0.0, flops=200e6)[0] is not None


def test_the_evidence_is_fishers_z_of_the_correlation():
    scores = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert correlation_z(scores, [1, 2, 3, 4, 5, 6, 8]) > 1.2816  # r = 0.99
    assert correlation_z(scores, scores[::-1]) < 0  # a negative correlation is no evidence
    r = float(np.corrcoef(scores, [2, 1, 4, 3, 6, 5, 7])[0, 1])
    assert correlation_z(scores, [2, 1, 4, 3, 6, 5, 7]) == pytest.approx(math.atanh(r) * 2)
    assert correlation_z(scores, [0.5] * 7) == -math.inf
    assert correlation_z([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == -math.inf  # too few to tell


def test_a_score_that_is_not_finite_screens_nothing():
    study = study_with([(float(s), 0.8) for s in range(10)])
    reason, trial = judged(study, PreScreen(0.1), score=-math.inf)
    assert reason is None and ZERO_COST not in trial.user_attrs


def test_the_shipped_scores_cover_every_network():
    scores = load_naswot()
    assert len(scores) == 6561 and all(math.isfinite(v) for v in scores.values())
    assert 1200 < min(scores.values()) < max(scores.values()) < 1700


@pytest.mark.parametrize(
    "content", ["", "key,naswot\n00000000,1.0\n", "key,naswot\n0000000x,1.0\n", "a,b\n1,2\n"]
)
def test_a_bad_scores_file_is_refused(tmp_path, content):
    path = tmp_path / "scores.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match="zero_cost_table"):
        load_naswot(path)


def test_a_screened_table_search_trains_its_budget_and_screens_the_rest(tmp_path):
    """30 trials' images, the best 15% trained: the search proposes many more candidates than
    it trains; a screened candidate is pruned, sees no image and says why; every candidate
    has its shipped NASWOT score."""
    config = helpers.table_config(tmp_path, trials=30, noise_sd=0.013, prescreen=0.15)
    study = run_search(config)
    frame = results.load(config.folder)
    images = config.candidate_images()
    assert spent_images(study.get_trials()) == 30 * images
    screened = frame[frame["fail_reason"].str.startswith(SCREENED)]
    fresh = frame[(frame["state"] == "COMPLETE") & frame["reused_from"].isna()]
    assert len(fresh) == 30  # 24 candidates, then the best 3 retrained twice
    assert len(screened) > 10  # proposals not trained, at no cost
    assert (screened["state"] == "PRUNED").all() and (screened["images_seen"] == 0).all()
    assert screened["predicted_reward"].notna().all()
    scores = load_naswot()
    candidates = frame[frame["repeat"].isna() & frame["reused_from"].isna()]
    assert [scores[k] for k in candidates["table_key"]] == pytest.approx(
        list(candidates["zero_cost"])
    )
    # The first 8 trained candidates are never screened.
    first = candidates.iloc[:8]
    assert (first["state"] == "COMPLETE").all() and first["predicted_reward"].isna().all()


def test_the_prescreen_is_part_of_the_study_identity(tmp_path):
    config = helpers.table_config(tmp_path, trials=10, noise_sd=0.013, prescreen=0.3)
    run_search(config)
    with pytest.raises(Exception, match="prescreen"):
        run_search(dataclasses.replace(config, prescreen=0.5))


def test_a_training_search_scores_each_candidate_and_trains_only_those_kept(tmp_path, monkeypatch):
    """Real training on tiny data: every candidate is scored on its untrained weights; once
    the warmup is trained, a screened candidate is never trained."""
    # Synthetic images: no score predicts anything, so the screen acts whatever the evidence.
    screen = PreScreen(0.05, warmup=3, evidence_z=None)
    monkeypatch.setattr(run_module, "screen_for", lambda share: screen)
    trained_archs: list[str] = []
    original = objective_module.train_arch

    def recording(arch, data, config, seed=0, **kwargs):
        from search_spaces import encode

        trained_archs.append(encode(arch))
        return original(arch, data, config, seed=seed, **kwargs)

    monkeypatch.setattr(objective_module, "train_arch", recording)
    config = tiny_config(tmp_path, trials=10, prescreen=0.05, use_reference=False, finalists=0)
    study = run_search(config)
    frame = results.load(config.folder)
    assert frame["zero_cost"].map(math.isfinite).all()
    screened = frame[frame["fail_reason"].str.startswith(SCREENED)]
    assert len(screened) >= 1
    assert not set(screened["arch"]) & set(trained_archs)
    assert (frame["state"] == "COMPLETE").sum() == 10 == len(trained_archs)
    assert spent_images(study.get_trials()) == 10 * config.candidate_images(192)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prescreen": 0.0}, "above 0"),
        ({"prescreen": 1.5}, "at most 1"),
        ({"prescreen": True}, "above 0"),
        ({"prescreen": 0.2, "sampler": "nsga2"}, "two objectives"),
        ({"prescreen": 0.2, "reward_kind": "v2"}, "v2"),
        ({"prescreen": 0.2, "strategy": "halving"}, "halving needs budget_images"),
    ],
)
def test_bad_prescreen_settings_are_refused(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message):
        tiny_config(tmp_path, **changes)


def test_a_bad_prescreen_flag_is_one_line_and_writes_nothing(tmp_path, capsys):
    code = run(main, PROG, ["--results-dir", str(tmp_path / "out"), "--prescreen", "1.5"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--prescreen=1.5 is invalid" in err
    assert not (tmp_path / "out").exists()


def test_the_dry_run_says_what_is_screened(tmp_path):
    text = plan_text(helpers.table_config(tmp_path, trials=30, noise_sd=0.013, prescreen=0.15))
    assert "best 15% proposed" in text and "600,000 training images" in text


def test_nb_macro_screens_by_default_and_other_spaces_do_not(tmp_path):
    """The default share is the space's: 0.15 on nb-macro (NASWOT ranks it), none on the
    MnasNet space; 1 trains every candidate; where the screen cannot judge (two objectives,
    the v2 reward, halving counted in trials) the default is none rather than an error."""
    table = helpers.table_config(tmp_path, prescreen=None, trials=30, noise_sd=0.013)
    assert table.screening == 0.15 and table.identity()["prescreen"] == 0.15
    assert "best 15% proposed" in plan_text(table)
    off = dataclasses.replace(table, prescreen=1.0)
    assert off.screening is None and "prescreen" not in off.identity()
    assert tiny_config(tmp_path).screening is None  # the MnasNet space
    assert tiny_config(tmp_path, prescreen=0.3).screening == 0.3
    for changes in ({"sampler": "nsga2"}, {"strategy": "halving"}):
        assert dataclasses.replace(table, **changes).screening is None
    assert tiny_config(tmp_path, space="nb-macro").screening == 0.15  # real training too
    assert tiny_config(tmp_path, space="nb-macro", reward_kind="v2").screening is None
    halving = dataclasses.replace(table, strategy="halving", budget_images=600_000)
    assert halving.screening == 0.15


def test_a_default_screened_table_search_screens(tmp_path):
    config = helpers.table_config(tmp_path, prescreen=None, trials=30, noise_sd=0.013)
    study = run_search(config)
    frame = results.load(config.folder)
    assert spent_images(study.get_trials()) == 30 * config.candidate_images()
    assert frame["fail_reason"].str.startswith(SCREENED).sum() > 10


def test_a_study_made_without_the_screen_says_how_to_resume_it(tmp_path):
    """A nb-macro study made before the screen was its default (or with --prescreen 1) is not
    resumed with the default's screen: the refusal names the flag that resumes it."""
    config = helpers.table_config(tmp_path, trials=10, noise_sd=0.013, prescreen=1.0)
    run_search(config)
    with pytest.raises(Exception, match="resumes with --prescreen 1"):
        run_search(dataclasses.replace(config, prescreen=None))
    run_search(dataclasses.replace(config, trials=12))  # the same settings resume


def test_a_compare_arm_screens_only_when_its_name_says_so():
    for sampler in ("tpe+3x2", "random", "tpe"):
        config = Task(sampler, 30, 0.013, 0, 55e6, -0.07, None).search_config()
        assert config.screening is None, sampler


def test_a_compare_arm_can_prescreen():
    arm = Arm.parse("tpe+pre15+3x2")
    assert (arm.prescreen, arm.finalists, arm.finalist_seeds) == (0.15, 3, 2) and arm.budgeted
    config = Task("tpe+pre15+3x2", 30, 0.013, 0, 55e6, -0.07, None).search_config()
    assert config.prescreen == 0.15 and config.budget_images == 30 * config.candidate_images()
    for bad in ("tpe+pre0", "tpe+pre100", "tpe+pre15+pre10", "tpe+prex"):
        with pytest.raises(ConfigError, match="samplers"):
            Arm.parse(bad)
    with pytest.raises(ConfigError, match="one reward"):
        CompareConfig(samplers=("nsga2+pre15", "random"), noise_sds=(0.013,))


def test_the_progress_bar_counts_trainings_not_screened_proposals(capsys):
    from nas.cli.progress import TrialProgress

    study = optuna.create_study(direction="maximize")
    screened = optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED,
        user_attrs={"fail_reason": f"{SCREENED}: predicted reward 0.9 below 0.91"},
    )
    trained = optuna.trial.create_trial(value=0.9, user_attrs={"reward": 0.9, "accuracy": 0.9})
    progress = TrialProgress(10, 0)
    progress(study, screened)
    assert progress.bar.n == 0
    progress(study, trained)
    assert progress.bar.n == 1
    assert "screened out" in capsys.readouterr().err  # still said, line by line


def test_an_interrupted_budgeted_search_says_the_images_seen_not_its_cap(
    tmp_path, monkeypatch, caplog
):
    """A budgeted (here: pre-screened) search's trials are a cap on proposals: interrupted, it
    says how much of its budget it has seen."""
    from nas.errors import Interrupted
    from nas.search import table_objective as table_module

    calls = {"n": 0}
    real = table_module.TableObjective.__call__

    def interrupting(self, trial):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(self, trial)

    monkeypatch.setattr(table_module.TableObjective, "__call__", interrupting)
    config = helpers.table_config(tmp_path, trials=30, noise_sd=0.013, prescreen=0.15)
    with caplog.at_level("WARNING"), pytest.raises((KeyboardInterrupt, Interrupted)):
        run_search(config)
    images = config.candidate_images()
    assert f"{3 * images:,} of {30 * images:,} training images seen" in caplog.text


def test_a_real_training_arm_screens_only_when_its_name_says_so():
    """bench/search_vs_random's arms (``nas.compare.retrain``): ``+preK`` screens, a bare arm
    trains every candidate on nb-macro too."""
    from nas.compare.retrain import RetrainPlan

    plan = RetrainPlan(
        proxy=tiny_config("unused").proxy,
        samplers=("tpe+pre15+3x2", "tpe+3x2", "random"),
        seeds=(0,),
        trials=30,
        results_dir="unused",
        factor=2.0,
        yardstick_seeds=1,
        runs_log="unused",
        train_images=192,
        val_images=64,
        available=256,
        space="nb-macro",
    )
    screened = plan.search_config("tpe+pre15+3x2", 0)
    assert screened.screening == 0.15
    assert screened.budget_images == 30 * screened.candidate_images(192)
    assert screened.trials > 30  # room for the proposals screened out
    assert plan.search_config("tpe+3x2", 0).screening is None
    assert plan.search_config("random", 0).screening is None
