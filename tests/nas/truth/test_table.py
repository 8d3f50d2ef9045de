from __future__ import annotations

import json
import math

import pytest

from nas.errors import ConfigError
from nas.truth import TABLE_FILE, load_table, true_reward
from search_spaces import nb_macro


@pytest.fixture(scope="module")
def table():
    return load_table()


def test_the_shipped_table_holds_every_network_of_the_space(table):
    assert len(table) == 6561
    assert set(table) == set(nb_macro.keys())
    assert (TABLE_FILE.parent / "LICENSE").is_file()
    assert "Su" in (TABLE_FILE.parent / "README.md").read_text()


def test_a_row_is_the_file_s_numbers_as_fractions(table):
    raw = json.loads(TABLE_FILE.read_text())["22212220"]
    row = table["22212220"]
    assert row.accuracy == pytest.approx(raw["mean_acc"] / 100)
    assert row.runs == pytest.approx([run / 100 for run in raw["test_acc"]])
    assert (row.params, row.flops) == (raw["params"], raw["flops"]) == (1985514, 85164544)
    best = max(table, key=lambda key: table[key].accuracy)
    assert best == "22212220" and table.percentile(row.accuracy) > 99.9


def test_percentiles_and_quantiles_agree(table):
    worst = min(table, key=lambda key: table[key].accuracy)
    assert table.percentile(table[worst].accuracy) < 0.1
    assert table.percentile(0.0) == 0.0 and table.percentile(1.0) == 100.0
    assert table.percentile(table.quantile(0.5)) == pytest.approx(50, abs=0.5)
    assert 0.915 < table.quantile(0.75) < 0.92


def test_the_true_reward_is_the_reward_of_the_table_s_numbers(table):
    row = table["11111111"]
    expected = row.accuracy * (row.flops / 55e6) ** -0.07
    assert row.reward(55e6, -0.07) == pytest.approx(expected)
    # The hard constraint leaves a network under T unpenalised.
    assert row.reward(1e9, 0.0, -1.0) == pytest.approx(row.accuracy)
    assert true_reward(0.5, 2e6, 1e6, 0.0, -1.0) == pytest.approx(0.25)


def test_what_a_search_sees_is_a_run_or_seeded_noise(table):
    row = table["10201012"]
    assert [row.observed(seed) for seed in range(4)] == [*row.runs, row.runs[0]]
    noisy = [row.observed(seed, 0.01) for seed in range(200)]
    assert noisy[0] == row.observed(0, 0.01)  # the same network looks the same in a study
    assert len(set(noisy)) == 200
    mean = sum(noisy) / len(noisy)
    sd = math.sqrt(sum((v - mean) ** 2 for v in noisy) / (len(noisy) - 1))
    assert mean == pytest.approx(row.accuracy, abs=0.003) and 0.008 < sd < 0.012
    assert row.observed(3, 0.0) == row.accuracy
    with pytest.raises(ConfigError, match="noise_sd=-0.1 is invalid"):
        row.observed(0, -0.1)


@pytest.mark.parametrize(
    ("key", "message"),
    [("1234", "8 digits"), ("01201203", "8 digits"), (12012012, "8 digits")],
)
def test_a_bad_key_names_itself(table, key, message):
    with pytest.raises(ConfigError, match=f"key={key!r} is invalid: .*{message}"):
        table.truth(key)


def _write(tmp_path, data, name="table.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_missing_unreadable_or_foreign_table_is_refused_with_one_line(tmp_path):
    with pytest.raises(ConfigError, match="table=.*missing.json.*no such file"):
        load_table(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        load_table(_write(tmp_path, "{not json"))
    with pytest.raises(ConfigError, match="not a JSON object"):
        load_table(_write(tmp_path, [1, 2], "list.json"))
    row = {"test_acc": [90.0, 91.0, 92.0], "mean_acc": 91.0, "std": 0.8, "params": 1, "flops": 2}
    with pytest.raises(ConfigError, match="holds 1 networks, not 6,561"):
        load_table(_write(tmp_path, {"00000000": row}, "one.json"))
    with pytest.raises(ConfigError, match="'abc' is not an 8-digit key"):
        load_table(_write(tmp_path, {"abc": row}, "key.json"))
    with pytest.raises(ConfigError, match="does not hold"):
        load_table(_write(tmp_path, {"00000000": {"mean_acc": 1}}, "fields.json"))
    with pytest.raises(ConfigError, match="wrong types"):
        load_table(_write(tmp_path, {"00000000": row | {"test_acc": [1.0]}}, "runs.json"))
