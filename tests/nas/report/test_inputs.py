from __future__ import annotations

import json

import pytest

from nas.report import inputs
from nas.reward import DEFAULT_TARGET_FLOPS, DEFAULT_W, RewardConfig
from tests.nas.report.helpers import write_trials


def test_reward_settings_come_from_config_json_unless_a_flag_is_given():
    settings = {"target_flops": 3e8, "w": -0.1, "alpha": None, "beta": None}
    assert inputs.reward_config(settings, None, None) == RewardConfig(3e8, -0.1, -0.1)
    assert inputs.reward_config(settings, 5e8, -0.2) == RewardConfig(5e8, -0.2, -0.2)
    hard = {"target_flops": 3e8, "w": -0.07, "alpha": 0.0, "beta": -1.0}
    assert inputs.reward_config(hard, None, None) == RewardConfig(3e8, 0.0, -1.0)
    assert inputs.reward_config({}, None, None) == RewardConfig(400e6, -0.07, -0.07)
    assert inputs.reward_config({}, None, None) == RewardConfig(
        DEFAULT_TARGET_FLOPS, DEFAULT_W, DEFAULT_W
    )


def test_json_of_config_is_used_for_isolines(fresh_study):
    config = json.loads((fresh_study / "config.json").read_text())
    study = inputs.load_study(fresh_study, None, None)
    assert study.reward.target_flops == config["target_flops"]
    assert study.resolution == config["resolution"] and study.reference == "mobilenet_v2"


def test_kind_of_tells_studies_from_scaling_folders(tmp_path):
    write_trials(tmp_path / "study")
    (tmp_path / "scaling").mkdir()
    (tmp_path / "scaling" / "grid.csv").write_text("alpha,beta,gamma\n1.2,1.1,1.15\n")
    (tmp_path / "empty").mkdir()
    assert inputs.kind_of(tmp_path / "study") == "study"
    assert inputs.kind_of(tmp_path / "study" / "trials.csv") == "study"
    assert inputs.kind_of(tmp_path / "scaling") == "scaling"
    with pytest.raises(FileNotFoundError, match="no trials.csv in"):
        inputs.kind_of(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        inputs.kind_of(tmp_path / "nope")


def test_a_scaling_table_without_its_columns_is_refused(tmp_path):
    (tmp_path / "family.csv").write_text("model,phi\nphi1,1\n")
    with pytest.raises(ValueError, match="missing column"):
        inputs.load_scaling(tmp_path)


def test_studies_that_share_a_name_are_told_apart(tmp_path):
    write_trials(tmp_path / "a" / "study")
    write_trials(tmp_path / "b" / "study")
    studies, scalings = inputs.load_inputs([tmp_path / "a" / "study", tmp_path / "b" / "study"])
    assert [s.label for s in studies] == ["a/study", "b/study"] and scalings == []
