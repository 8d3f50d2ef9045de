"""``--metric train_fit``: the reward's ACC from the training loss over the last quarter of
training (Ru et al. 2021), recorded in trials.csv beside the accuracies."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.train.proxy import TrainResult
from tests.nas.report.helpers import write_trials

TINY = ["--dataset", "synthetic", "--train-subset", "192", "--val-subset", "96"]
TINY += ["--batch-size", "64", "--no-progress", "--device", "cpu"]


def result(loss_last: float) -> TrainResult:
    return TrainResult(0.5, (0.5,), 1.0, 10.0, 3, loss_all=2.0, loss_last=loss_last)


def test_train_fit_is_exp_of_the_negated_last_loss_and_zero_when_diverged():
    assert result(0.0).train_fit == 1
    assert result(1.5).train_fit == pytest.approx(math.exp(-1.5))
    assert result(0.7).train_fit > result(0.8).train_fit  # lower loss, better fit
    assert result(math.nan).train_fit == 0 and result(math.inf).train_fit == 0


def test_the_reward_takes_train_fit_and_trials_csv_records_it(tmp_path):
    argv = [*TINY, "--trials", "3", "--metric", "train_fit", "--results-dir", str(tmp_path)]
    assert main(argv) == 0
    frame = results.load(tmp_path / "synthetic-tpe")
    done = frame[frame["state"] == "COMPLETE"]
    assert len(done) == 3 and done["train_fit"].between(0, 1, inclusive="neither").all()
    expected = done["train_fit"] * (done["flops"] / 400e6) ** -0.07
    assert list(done["reward"]) == pytest.approx(list(expected))
    assert list(done["reward"]) != pytest.approx(
        list(done["accuracy"] * expected / done["train_fit"])
    )


def test_the_accuracy_search_records_train_fit_without_rewarding_it(tmp_path):
    assert main([*TINY, "--trials", "2", "--results-dir", str(tmp_path)]) == 0
    done = results.load(tmp_path / "synthetic-tpe")
    assert done["train_fit"].between(0, 1, inclusive="neither").all()
    expected = done["accuracy"] * (done["flops"] / 400e6) ** -0.07
    assert list(done["reward"]) == pytest.approx(list(expected))


def test_a_kept_training_cannot_be_scored_by_train_fit(tmp_path, capsys):
    argv = ["--metric", "train_fit", "--strategy", "halving", "--promotion", "continue"]
    argv += ["--budget-images", "100000", "--results-dir", str(tmp_path), "--no-progress"]
    assert run(main, PROG, argv) == 2
    err = capsys.readouterr().err.strip()
    assert "--metric='train_fit' is invalid" in err and "--promotion continue" in err
    assert len(err.splitlines()) == 1 and not any(tmp_path.iterdir())


def test_a_trials_csv_from_before_train_fit_still_loads(tmp_path):
    path = write_trials(tmp_path / "old")
    pd.read_csv(path).drop(columns=["train_fit"]).to_csv(path, index=False)
    loaded = results.load(path)
    assert list(loaded.columns[: len(results.COLUMNS)]) == results.COLUMNS
    assert loaded["train_fit"].isna().all()
