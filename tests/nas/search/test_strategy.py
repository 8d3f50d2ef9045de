"""Budgets in training images and successive halving over images seen (``--strategy halving``):
the rungs, the budget that ends a search, trials.csv's rung columns, training afresh per rung,
several workers sharing the rungs, and bad input."""

from __future__ import annotations

import dataclasses

import optuna
import pytest

from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.cli.search_text import budget_text
from nas.errors import ConfigError
from nas.proxy import ProxyConfig
from nas.search import SearchConfig, run_search
from nas.search.strategy import Rungs
from nas.study.keys import spent_images
from nas.train import TrainConfig
from tests import helpers
from tests.helpers import tiny_config


def table_config(tmp_path, **changes) -> SearchConfig:
    """A table search seeing 1.3 points of noise (the 20,000-image cpu proxy's), its candidates
    pinned at 10,000 images (the arithmetic below counts in them)."""
    pinned = {"noise_sd": 0.013, "proxy": ProxyConfig(images_seen=10_000, train_subset=10_000)}
    return helpers.table_config(tmp_path, **(pinned | changes))


def test_the_rungs_multiply_by_the_factor_up_to_the_proxy_images():
    rungs = Rungs(10_000, 3, 3)
    assert rungs.images_at == (1111, 3333, 10_000)
    assert rungs.candidates(300_000) == 2 * 270  # all stopped at the first rung, or reused
    assert rungs.last_rung_candidates(300_000) == 10  # 90 -> 30 -> 10 in a synchronous bracket
    assert Rungs(20_000, 2, 2).images_at == (10_000, 20_000)
    assert Rungs(10_000).images_at == (10_000,) and Rungs(10_000).candidates(35_000) == 6
    base = TrainConfig(epochs=2.0, batch_size=32, evaluations=4)
    first = rungs.train_config(base, 0)
    assert first.epochs == pytest.approx(2.0 * 1111 / 10_000) and first.evaluations == 1
    assert rungs.train_config(base, 2).epochs == pytest.approx(2.0)


def test_a_plain_budget_trains_budget_over_images_candidates(tmp_path):
    config = table_config(tmp_path, budget_images=250_000, sampler="tpe-univariate")
    study = run_search(config)
    frame = results.load(config.folder)
    assert (frame["state"] == "COMPLETE").all() and (frame["rung"] == 0).all()
    assert (frame["reward_rung0"] == frame["reward"]).all()
    # 25 trainings of 10,000 images (the cpu preset's); a network proposed again reuses its
    # result and costs nothing (univariate TPE repeats itself often).
    trained = frame[frame["reused_from"].isna()]
    reused = frame[frame["reused_from"].notna()]
    assert len(trained) == 25 and (trained["images_seen"] == 10_000).all()
    assert len(reused) >= 1 and (reused["images_seen"] == 0).all()
    for row in reused.itertuples():
        first = frame[frame["number"] == row.reused_from].iloc[0]
        assert row.arch == first.arch and row.reward == first.reward
    assert spent_images(study.get_trials()) == 250_000


def test_halving_spends_the_budget_and_records_every_rung(tmp_path):
    budget = 300_000
    config = table_config(tmp_path, strategy="halving", budget_images=budget, finalists=0)
    assert config.name == "nb-macro-table-tpe-halving"
    study = run_search(config)
    frame = results.load(config.folder)
    images = (1111, 3333, 10_000)
    # The budget ends the search; the trial running then finishes its rungs.
    assert budget <= frame["images_seen"].sum() < budget + sum(images)
    assert frame["images_seen"].sum() == spent_images(study.get_trials())
    reused = frame["reused_from"].notna() if "reused_from" in frame else frame["number"] < 0
    assert (frame[reused]["images_seen"] == 0).all()  # a network proposed again costs nothing
    for row in frame[~reused].itertuples():
        assert row.images_seen == sum(images[: row.rung + 1])
        rewards = [getattr(row, f"reward_rung{r}") for r in range(3)]
        assert all(r == r for r in rewards[: row.rung + 1])  # a reward at each rung reached
        assert all(r != r for r in rewards[row.rung + 1 :])  # none above
        if row.state == "COMPLETE":
            assert row.rung == 2 and row.reward == rewards[2]
        else:
            assert row.state == "PRUNED" and row.rung < 2
            assert row.fail_reason.startswith(f"pruned at rung {row.rung} ({images[row.rung]:,}")
    complete = frame[frame["state"] == "COMPLETE"]
    assert 1 <= len(complete) < len(frame)
    assert results.best_row(frame)["rung"] == 2  # the winner is ranked at the last rung
    # A pruned trial stopped because others at its rung did better: asynchronous halving keeps
    # at least the best 1 in 3 of those that reported at a rung.
    at_first = frame["reward_rung0"]
    promoted = frame[frame["rung"] >= 1]
    assert promoted["reward_rung0"].mean() > at_first.mean()


def test_the_lower_rungs_see_more_noise(tmp_path):
    """At noise sd s on the last rung, a rung with 1/9 of the images sees s x 3 (exponent 0.5):
    its rewards spread wider around the truth's."""
    config = table_config(
        tmp_path, strategy="halving", budget_images=400_000, noise_sd=0.01, finalists=0
    )
    run_search(config)
    frame = results.load(config.folder)
    gap0 = frame["reward_rung0"] - frame["true_accuracy"] * (frame["flops"] / 55e6) ** -0.07
    done = frame[frame["rung"] == 2]
    gap2 = done["reward_rung2"] - done["true_accuracy"] * (done["flops"] / 55e6) ** -0.07
    assert 0.02 < gap0.std() < 0.045  # about 0.03
    assert gap2.std() < 0.02


def halving_run(tmp_path, monkeypatch, **changes) -> tuple[list[TrainConfig], object]:
    """A real halving search on tiny data (2 rungs, factor 2, 2 epochs: 192 then 384 images),
    and the training config of every ``train_arch`` call it made."""
    from nas.search import objective as objective_module

    configs: list[TrainConfig] = []
    original = objective_module.train_arch

    def recording(arch, data, config, seed=0, **kwargs):
        configs.append(config)
        return original(arch, data, config, seed=seed, **kwargs)

    monkeypatch.setattr(objective_module, "train_arch", recording)
    config = tiny_config(
        tmp_path,
        strategy="halving",
        rungs=2,
        reduction_factor=2,
        epochs=2.0,
        use_reference=False,
        **changes,
    )
    run_search(config)
    return configs, results.load(config.folder)


def test_halving_trains_each_rung_afresh_on_its_images(tmp_path, monkeypatch):
    """Real training: rung r trains the candidate from scratch on its own schedule over its
    share of the proxy's images; the images of every rung are counted."""
    configs, frame = halving_run(tmp_path, monkeypatch, trials=4)
    epochs = [c.epochs for c in configs]
    assert set(epochs) <= {1.0, 2.0}  # rung 0: half the images (one epoch of 192), rung 1: all
    per_rung = {0: 192, 1: 192 + 384}
    for row in frame.itertuples():
        # 192 images in batches of 64: 3 steps an epoch
        assert row.images_seen == per_rung[row.rung]
    assert epochs.count(1.0) == len(frame)  # every trial trains rung 0
    assert epochs.count(2.0) == int((frame["rung"] == 1).sum())


def test_a_promoted_candidate_can_keep_training(tmp_path, monkeypatch):
    """Real training, ``promotion="continue"``: one training per candidate with the last rung's
    schedule, scored at the lower rung's images; a pruned one stops there, a promoted one goes on,
    and each has cost the images it saw, not the sum of its rungs."""
    configs, frame = halving_run(tmp_path, monkeypatch, promotion="continue", trials=6)
    assert len(configs) == len(frame)  # one training per candidate, whatever rung it reached
    assert {(c.epochs, c.eval_images) for c in configs} == {(2.0, (192,))}
    seen = {0: 192, 1: 384}  # 192 images an epoch in batches of 64; rung 0 at 192 of 384
    for row in frame.itertuples():
        assert row.images_seen == seen[row.rung]
        assert row.reward_rung0 == row.reward_rung0  # scored at rung 0 on the way
        if row.rung == 1:
            assert row.state == "COMPLETE" and row.reward == row.reward_rung1
        else:
            assert row.state == "PRUNED" and row.fail_reason.startswith("pruned at rung 0 (192")
    assert (frame["state"] == "PRUNED").any() and (frame["rung"] == 1).any()


def test_the_table_counts_a_kept_training_once(tmp_path):
    config = table_config(
        tmp_path, strategy="halving", promotion="continue", budget_images=200_000, finalists=0
    )
    assert "continuing its training" in budget_text(config)
    run_search(config)
    frame = results.load(config.folder)
    trained = frame[frame["reused_from"].isna()] if "reused_from" in frame else frame
    assert set(trained["images_seen"]) <= {1111, 3333, 10_000}
    assert set(frame["rung"]) == {0, 1, 2}


def test_a_resumed_halving_search_goes_on_to_a_larger_budget(tmp_path):
    config = table_config(tmp_path, strategy="halving", budget_images=100_000)
    run_search(config)
    first = results.load(config.folder)
    run_search(dataclasses.replace(config, budget_images=200_000))
    second = results.load(config.folder)
    assert len(second) > len(first)
    assert second.iloc[: len(first)]["arch"].tolist() == first["arch"].tolist()
    assert 200_000 <= second["images_seen"].sum() < 200_000 + 14_444


def test_two_workers_share_the_rungs(tmp_path):
    """Both workers' trials report to the same rungs (the pruner reads the shared storage), and
    the budget counts every worker's images."""
    config = table_config(
        tmp_path, strategy="halving", budget_images=200_000, workers=2, finalists=0
    )
    run_search(config)
    frame = results.load(config.folder)
    assert frame["worker"].nunique() == 2
    assert 200_000 <= frame["images_seen"].sum() < 200_000 + 2 * 14_444
    assert (frame["state"] == "PRUNED").any() and (frame["state"] == "COMPLETE").any()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--budget-images", "5000"], "--budget-images=5000 is invalid: is below one candidate's"),
        (
            ["--strategy", "halving", "--budget-images", "3000"],
            "--budget-images=3000 is invalid: is below one rung",
        ),
        (["--strategy", "halving", "--reduction-factor", "1"], "--reduction-factor=1 is invalid"),
        (
            ["--strategy", "halving", "--rungs", "12"],
            "--rungs=12 is invalid: do not fit 20,000 images per candidate",
        ),
        (
            ["--strategy", "halving", "--budget-images", "20000"],
            "too few for one to reach rung 2",
        ),
        (
            ["--strategy", "halving", "--sampler", "nsga2"],
            "--sampler 'nsga2' searches two objectives",
        ),
        (["--strategy", "halving", "--pruner", "median"], "--pruner='median' is invalid"),
        (
            ["--promotion", "continue"],
            "--promotion='continue' is invalid: goes with --strategy halving",
        ),
    ],
)
def test_bad_strategy_settings_are_one_line_and_write_nothing(tmp_path, capsys, flags, message):
    code = run(main, PROG, ["--results-dir", str(tmp_path / "out"), *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_halving_on_the_table_needs_a_noise_level(tmp_path):
    with pytest.raises(ConfigError, match="needs {noise_sd}|needs noise_sd"):
        table_config(tmp_path, strategy="halving", noise_sd=None)


def test_the_strategy_is_part_of_the_study_identity(tmp_path):
    plain = table_config(tmp_path, study_name="s", trials=5)
    run_search(plain)
    halving = dataclasses.replace(plain, strategy="halving", budget_images=100_000)
    with pytest.raises(Exception, match="strategy"):
        run_search(halving)
    kept = table_config(
        tmp_path, study_name="h", strategy="halving", budget_images=100_000, finalists=0
    )
    run_search(kept)
    with pytest.raises(Exception, match="promotion"):
        run_search(dataclasses.replace(kept, promotion="continue"))


# --- finalists: the best networks retrained with other seeds ------------------------------------


def test_finalists_are_retrained_and_the_best_mean_wins(tmp_path):
    config = table_config(tmp_path, budget_images=300_000, finalists=3, finalist_seeds=2)
    # A cap: 24 paid candidates, or reused ones for free, and the 6 retrainings.
    assert config.total_trials() == 48 + 6
    study = run_search(config)
    frame = results.load(config.folder)
    assert frame["images_seen"].sum() == 300_000
    candidates = frame[frame["rerank_of"].isna()]
    retrained = frame[frame["rerank_of"].notna()]
    assert (candidates["images_seen"] > 0).sum() == 24 and len(retrained) == 6
    # The best three networks by their single reward, twice each, with new noise draws.
    best = candidates.sort_values(["reward", "flops", "number"], ascending=[False, True, True])
    finalists = list(dict.fromkeys(best["arch"]))[:3]
    numbers = [int(best[best["arch"] == arch].iloc[0]["number"]) for arch in finalists]
    assert sorted(retrained["rerank_of"].astype(int)) == sorted(numbers * 2)
    assert sorted(retrained["repeat"].astype(int)) == [1, 1, 1, 2, 2, 2]
    for row in retrained.itertuples():
        original = frame[frame["number"] == row.rerank_of].iloc[0]
        assert row.arch == original.arch and row.accuracy != original.accuracy
    # The ranking: the finalists first, by the mean of their three trainings.
    order = results.ranked(frame)
    assert list(order["trainings"][:3]) == [3, 3, 3] and set(order["arch"][:3]) == set(finalists)
    winner = results.best_row(frame)
    own = frame[frame["arch"] == winner["arch"]].drop_duplicates(["arch", "repeat"])
    assert winner["reward"] == pytest.approx(own["reward"].mean())
    assert winner["reward"] == max(
        frame[frame["arch"] == arch].drop_duplicates(["arch", "repeat"])["reward"].mean()
        for arch in finalists
    )
    # Running it again runs nothing.
    again = run_search(config)
    assert len(again.trials) == len(study.trials)


def test_a_finalist_trains_with_another_seed(tmp_path, monkeypatch):
    from nas.search import objective as objective_module

    seeds = []
    original = objective_module.train_arch

    def recording(arch, data, config, seed=0, **kwargs):
        seeds.append(seed)
        return original(arch, data, config, seed=seed, **kwargs)

    monkeypatch.setattr(objective_module, "train_arch", recording)
    config = tiny_config(tmp_path, trials=5, finalists=1, finalist_seeds=2, seed=5)
    run_search(config)
    frame = results.load(config.folder)
    assert len(frame) == 5
    assert seeds == [5, 5, 5, 1005, 2005]  # the candidates', then the finalist's two


def test_a_retried_finalist_keeps_its_seed(tmp_path):
    """A retraining whose worker died is retried as a retraining (not as the candidate)."""
    from nas.study.keys import HEARTBEAT, REPEAT, RERANK_OF, WORKER
    from nas.study.storage import open_storage, recover_stale_trials

    study = optuna.create_study(storage=open_storage(None, tmp_path / "journal.log"))
    study.enqueue_trial({"x": 3}, user_attrs={REPEAT: 2, RERANK_OF: 0})
    trial = study.ask()
    trial.suggest_int("x", 0, 9)
    trial.set_user_attr(WORKER, "another-host:1:2")
    trial.set_user_attr(HEARTBEAT, 1_000_000.0)
    assert recover_stale_trials(study, grace=10, now=1_000_100.0) == [0]
    retry = study.get_trials()[1]
    assert retry.user_attrs[REPEAT] == 2 and retry.user_attrs[RERANK_OF] == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            dict(finalists=5, trials=12),
            "finalists=5 is invalid: with finalist_seeds 2 leave 2 of trials 12 for candidates",
        ),
        (dict(finalists=-1), "finalists=-1 is invalid"),
        (dict(finalists=2, finalist_seeds=0), "finalist_seeds=0 is invalid"),
        (dict(finalists=2, sampler="nsga2"), "re-rank by one reward"),
        (
            dict(finalists=3, finalist_seeds=3, budget_images=200_000),
            "budget_images=200000 is invalid: leaves 20,000 images after the finalists' 180,000",
        ),
    ],
)
def test_bad_finalist_settings_are_refused(changes, message):
    with pytest.raises(ConfigError) as error:
        SearchConfig(**changes)
    assert message in str(error.value)


def test_the_default_retrains_three_finalists_from_thirty_trials_on():
    """The default (docs/samplers.md): re-ranking paid from 30 trials' budget on, not at 15."""
    assert SearchConfig(trials=29).finalist_count == 0
    assert SearchConfig(trials=30).finalist_count == 3
    assert SearchConfig(trials=30).candidate_trials == 24  # within the trials: 24 + 3 x 2
    assert SearchConfig(trials=60, finalists=0).finalist_count == 0
    assert SearchConfig(trials=60, sampler="nsga2").finalist_count == 0  # two objectives
    # Candidates of the cpu preset's 20,000 images: 30 of them are 600,000.
    assert SearchConfig(budget_images=580_000).finalist_count == 0
    budgeted = SearchConfig(budget_images=600_000).budgeted()
    assert budgeted.finalists == 3 and budgeted.candidate_trials == 48  # 24 paid, x2 reuse cap


def test_the_top_table_says_how_many_trainings_a_reward_averages(tmp_path):
    config = table_config(tmp_path, budget_images=100_000, finalists=2, finalist_seeds=1)
    run_search(config)
    frame = results.load(config.folder)
    lines = results.top_table(frame, k=4).splitlines()
    assert lines[0].split()[:4] == ["rank", "trial", "reward", "trainings"]
    assert [line.split()[3] for line in lines[1:]] == ["2", "2", "1", "1"]


def test_a_finished_study_from_before_finalists_runs_nothing_when_resumed(tmp_path):
    """The default finalists apply to studies made since they exist: one made before (no
    record) resumes with none; a new one records its own; resumed with fewer trials, the
    default follows the trials asked for."""
    config = table_config(tmp_path, trials=30, finalists=0)
    study = run_search(config)
    assert study.user_attrs["finalists"] == 0
    study.set_user_attr("finalists", None)  # as a study made before finalists existed
    older = run_search(dataclasses.replace(config, finalists=None))
    assert len(older.trials) == 30
    new = run_search(dataclasses.replace(config, finalists=None, study_name="new"))
    assert new.user_attrs["finalists"] == 3 and len(new.trials) == 30
    assert sum("rerank_of" in t.user_attrs for t in new.trials) == 6
    fewer = table_config(tmp_path, trials=40, study_name="fewer")
    assert fewer.finalist_count == 3
    resumed = run_search(dataclasses.replace(fewer, trials=4))  # the default at 4 trials: none
    assert len(resumed.trials) == 4 and resumed.user_attrs["finalists"] == 0


def test_the_status_of_a_budgeted_study_counts_its_images(tmp_path, capsys):
    argv = ["--space", "nb-macro", "--objective", "table", "--noise-sd", "0.013"]
    argv += ["--budget-images", "120000", "--results-dir", str(tmp_path), "--no-progress"]
    assert run(main, PROG, argv) == 0
    capsys.readouterr()
    assert run(main, PROG, [*argv, "--status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("study 'nb-macro-table-tpe': ") and " of " not in out[0]
    assert out[1] == "training images seen: 120,000 of the budget's 120,000 (100%)"
