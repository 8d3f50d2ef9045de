"""``--noise-slope``: a table search that sees a proxy compressing (or stretching) the truth's
differences, the seen accuracy's log moving B times the truth's around the table's mean."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from nas import results
from nas.cli.common import run
from nas.cli.compare import PROG as COMPARE_PROG
from nas.cli.compare import main as compare_main
from nas.compare import CompareConfig, run_compare
from nas.compare.run import LOG_COLUMNS, Task, run_task
from nas.errors import ConfigError
from nas.search import run_search
from nas.search.identity import study_identity
from nas.truth import check_noise_slope, load_table, sloped
from tests.helpers import table_config


def test_a_slope_scales_the_log_of_the_accuracy_around_the_centre():
    assert sloped(0.9, 1.0, 0.8) == 0.9
    assert sloped(0.8, 0.5, 0.8) == pytest.approx(0.8)  # the centre stays
    low, high = sloped(0.85, 0.64, 0.88), sloped(0.93, 0.64, 0.88)
    assert math.log(high / low) == pytest.approx(0.64 * math.log(0.93 / 0.85))
    assert sloped(0.93, 2.0, 0.88) > 0.93 > sloped(0.93, 0.5, 0.88)  # stretched, compressed


@pytest.mark.parametrize("bad", [0, -0.5, 11, float("nan"), True, "1"])
def test_a_bad_slope_names_the_value(bad):
    with pytest.raises(ConfigError, match="noise_slope"):
        check_noise_slope(bad)


def test_a_sloped_search_sees_the_compressed_accuracy_and_keeps_its_identity(tmp_path):
    config = table_config(tmp_path, noise_sd=0.0, noise_slope=0.5, trials=10, finalists=0)
    run_search(config)
    frame = results.load(config.folder)
    centre = load_table().mean_accuracy
    assert 0.85 < centre < 0.92
    for row in frame.itertuples():
        assert row.accuracy == pytest.approx(math.sqrt(centre * row.true_accuracy))
        assert row.reward == pytest.approx(row.accuracy * (row.flops / 55e6) ** -0.07)
    with pytest.raises(ValueError, match="noise_slope"):
        run_search(dataclasses.replace(config, noise_slope=0.8, trials=12))
    plain = table_config(tmp_path, noise_sd=0.0, trials=5, study_name="plain")
    assert "noise_slope" not in study_identity(plain)  # studies made before slopes resume
    assert study_identity(config)["noise_slope"] == 0.5
    with pytest.raises(ConfigError, match="noise_slope=0.5 is invalid: applies to"):
        dataclasses.replace(plain, objective="train", noise_sd=None, noise_slope=0.5)


def test_the_benchmark_logs_the_slope_and_reads_logs_made_before_it(tmp_path):
    row = run_task(Task("random", 8, 0.0, 3, 55e6, -0.07, None, noise_slope=0.5))
    assert row["noise_slope"] == "0.5"
    flat = run_task(Task("random", 8, 0.0, 3, 55e6, -0.07, None))
    assert flat["noise_slope"] == "" and flat["winner"] == row["winner"]  # the same ranking
    assert row["observed_reward"] != pytest.approx(flat["observed_reward"])
    # A log begun before slopes: its rows are slope 1 and resume; another slope is refused.
    folder = tmp_path / "old"
    config = CompareConfig(
        samplers=("random",),
        budgets=(6,),
        noise_sds=(0.01,),
        repeats=2,
        out=str(folder),
        show_progress=False,
        resamples=200,
    )
    run_compare(config)
    runs = pd.read_csv(folder / "runs.csv", dtype=str, keep_default_na=False)
    runs.drop(columns="noise_slope").to_csv(folder / "runs.csv", index=False)
    old_header = (folder / "runs.csv").read_text().splitlines()[0].split(",")
    assert old_header == LOG_COLUMNS[:-1]
    again = run_compare(config)  # nothing runs: the older rows are these tasks
    assert len(pd.read_csv(folder / "runs.csv")) == 2 and len(again.runs) == 2
    with pytest.raises(ConfigError, match="begun before --noise-slope"):
        run_compare(dataclasses.replace(config, noise_slope=0.64))


def test_the_benchmark_flag_refuses_a_bad_slope(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = run(compare_main, COMPARE_PROG, ["--noise-slope", "0", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "--noise-slope=0.0 is invalid" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
