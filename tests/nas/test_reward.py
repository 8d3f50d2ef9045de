from __future__ import annotations

import pytest

from nas.reward import RewardConfig, reward


def test_soft_constraint_doubling_flops_costs_about_five_percent():
    assert reward(0.8, 400e6) == pytest.approx(0.8)
    assert reward(0.8, 800e6) / reward(0.8, 400e6) == pytest.approx(2**-0.07)
    assert pytest.approx(0.0474, abs=1e-4) == 1 - 2**-0.07
    assert reward(0.8, 200e6) == pytest.approx(0.8 * 0.5**-0.07)


def test_hard_constraint():
    hard = RewardConfig(400e6, alpha=0.0, beta=-1.0)
    assert hard(0.7, 100e6) == pytest.approx(0.7)
    assert hard(0.7, 800e6) == pytest.approx(0.35)


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [({"target_flops": 0}, "target_flops=0"), ({"alpha": float("nan")}, "alpha=nan")],
)
def test_bad_reward_config(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        RewardConfig(**kwargs)


def test_flops_must_be_positive():
    with pytest.raises(ValueError, match="flops=0"):
        reward(0.5, 0)
