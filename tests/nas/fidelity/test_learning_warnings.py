from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from nas.fidelity.summary import learning_warnings

BUDGET = SimpleNamespace(num_classes=4, val_images=40)


def test_constant_accuracies_say_nothing_was_ranked():
    lines = learning_warnings(pd.Series([0.425, 0.425, 0.425]), BUDGET, "proxy")
    assert len(lines) == 1
    assert "every network scored 42.50% with the proxy: a constant prediction" in lines[0]
    assert "the budget is too small to rank" in lines[0]


def test_chance_level_networks_are_named():
    every = learning_warnings(pd.Series([0.25, 0.275, 0.25]), BUDGET, "proxy")
    assert len(every) == 1 and "every network is at chance (25.00%, 4 classes)" in every[0]
    some = learning_warnings(pd.Series([0.25, 0.6, 0.7]), BUDGET, "yardstick")
    assert some == [
        "warning: 1 of 3 networks are at chance (25.00%) with the yardstick: they learned "
        "nothing, and rank by noise"
    ]
    assert learning_warnings(pd.Series([0.5, 0.6, 0.7]), BUDGET, "proxy") == []
