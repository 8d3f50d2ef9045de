from __future__ import annotations

import numpy as np
import pandas as pd

from nas.report import frames
from nas.report.inputs import Scaling
from nas.reward import RewardConfig


def test_pareto_mask_matches_brute_force():
    rng = np.random.default_rng(0)
    flops = rng.permutation(60).astype(float) + 1
    accuracy = rng.random(60)
    mask = frames.pareto_mask(flops, accuracy)
    for i in range(60):
        dominated = any(
            flops[j] <= flops[i] and accuracy[j] >= accuracy[i] for j in range(60) if j != i
        )
        assert mask[i] == (not dominated)
    assert 0 < mask.sum() < 60
    # Ties: of two equal points one is kept; a point as accurate with more FLOPs is not.
    assert frames.pareto_mask([3, 1, 2, 2, 4], [0.5, 0.2, 0.6, 0.6, 0.6]).tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_an_untrained_family_without_an_accuracy_column_shows_flops_against_phi():
    family = pd.DataFrame(
        {
            "source": "formula",
            "model": ["phi1", "phi2"],
            "phi": [1, 2],
            "params": [2e6, 3e6],
            "flops": [0.2e9, 0.4e9],
            "flops_ratio": [2.0, 4.0],
        }
    )
    scaling = Scaling("s", None, family, None, None)  # type: ignore[arg-type]
    info = frames.family_info([scaling])
    assert not info.trained and info.unit == "millions"
    (line,) = info.lines
    assert line.label == "formula family" and line.percent.isna().all()
    assert line.flops.tolist() == [200.0, 400.0]
    phis, doubled = info.doubling
    assert phis.tolist() == [0, 1, 2] and doubled.tolist() == [100.0, 200.0, 400.0]


def test_isolines_hold_the_reward_level():
    config = RewardConfig(400e6, -0.07, -0.07)
    millions = np.array([100.0, 400.0, 1600.0])
    accuracy = frames.isoline(config, 0.5, millions)
    assert accuracy[1] == 50.0  # at T the reward is the accuracy
    rewards = [config(p / 100, m * 1e6) for m, p in zip(millions, accuracy, strict=True)]
    assert np.allclose(rewards, 0.5)
