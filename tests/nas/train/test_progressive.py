"""The progressive schedule: sizes and regularization per stage, and its bad settings."""

from __future__ import annotations

import pytest

from nas.errors import ConfigError
from nas.train import ProgressiveSchedule

# The paper's ImageNet settings for V2-S (Tan & Le 2021, Table 6): 4 stages.
V2_S = ProgressiveSchedule(min_size=128, max_size=300, min_randaug=5, max_randaug=15)


def test_v2_s_sizes_and_magnitudes_grow_linearly_over_four_stages():
    rows = [V2_S.at(stage) for stage in range(4)]
    assert [r.image_size for r in rows] == [128, 185, 243, 300]  # 128 + 172 * i / 3, rounded
    assert [r.randaug for r in rows] == pytest.approx([5, 5 + 10 / 3, 5 + 20 / 3, 15])
    assert [r.dropout for r in rows] == pytest.approx([0.1, 0.1 + 0.2 / 3, 0.1 + 0.4 / 3, 0.3])
    assert [r.mixup for r in rows] == [0.0] * 4  # V2-S trains without mixup


def test_mixup_grows_like_the_rest():
    schedule = ProgressiveSchedule(128, 380, max_mixup=0.2, stages=3)
    assert [schedule.at(i).mixup for i in range(3)] == pytest.approx([0.0, 0.1, 0.2])
    assert [schedule.at(i).image_size for i in range(3)] == [128, 254, 380]


def test_epochs_split_into_equal_stages():
    assert [V2_S.stage_of(e, 10) for e in range(10)] == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    assert [V2_S.stage_of(e, 4) for e in range(4)] == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="epochs=3 is invalid: must be at least"):
        V2_S.stage_of(0, 3)


def test_fixed_size_is_min_equal_max_and_one_stage_is_the_final_settings():
    fixed = ProgressiveSchedule(32, 32)
    assert not fixed.progressive and V2_S.progressive
    assert {fixed.at(i).image_size for i in range(4)} == {32}
    single = ProgressiveSchedule(16, 32, stages=1)
    assert single.at(0).image_size == 32 and single.at(0).dropout == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"min_size": 300, "max_size": 128}, "min_size=300 is invalid: must not exceed"),
        ({"min_size": 16, "max_size": 32, "min_dropout": 0.5}, "min_dropout=0.5 is invalid"),
        ({"min_size": 4, "max_size": 32}, "min_size=4 is invalid"),
        ({"min_size": 16, "max_size": 32, "max_randaug": 30}, "max_randaug=30 is invalid"),
        ({"min_size": 16, "max_size": 32, "stages": 0}, "stages=0 is invalid"),
    ],
)
def test_bad_schedules_are_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        ProgressiveSchedule(**settings)
