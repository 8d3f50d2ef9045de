"""Reading results back: a corrupt or foreign trials.csv is one clear ValueError."""

from __future__ import annotations

import pandas as pd
import pytest

from nas import results
from nas.results.table import COLUMNS
from tests.nas.report.helpers import write_trials


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('number,state\n1,COMPLETE,"unterminated\n', "is not a readable trials.csv"),
        ("a,b\n1,2\n", "missing column(s) number, state"),
        ("\x00\x01\x02", "is not a trials.csv"),
    ],
)
def test_a_corrupt_trials_csv_is_one_value_error(tmp_path, text, message):
    path = tmp_path / "trials.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        results.load(path)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_missing_trials_csv_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no trials.csv at"):
        results.load(tmp_path / "nothing")


def test_a_trials_csv_from_before_balanced_accuracy_still_loads(tmp_path):
    path = write_trials(tmp_path / "old")
    frame = pd.read_csv(path).drop(columns=["balanced_accuracy"])
    frame.to_csv(path, index=False)
    loaded = results.load(path)
    assert list(loaded.columns[:7]) == COLUMNS[:7] and loaded["balanced_accuracy"].isna().all()
