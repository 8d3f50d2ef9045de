from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from nas.proxy import ProxyConfig
from nas.scale import ScaleConfig, preview, run_scale
from search_spaces.rules import flops_factor

# A small baseline keeps every training in these tests to a second or two.
SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"
PROXY = ProxyConfig(dataset="synthetic", train_subset=128, val_subset=64, device="cpu")


def _config(tmp_path, **changes) -> ScaleConfig:
    values = {
        "baseline": SMALL,
        "phis": (1, 2),
        "ablation": False,
        "with_fvcore": False,
        "with_latency": False,
        "proxy": PROXY,
        "results_dir": str(tmp_path),
    }
    return ScaleConfig(**(values | changes))


def test_the_library_writes_tables_and_prints_nothing(tmp_path, capsys):
    config = _config(tmp_path, coefficients=(1.2, 1.1, 1.15))
    tables = run_scale(config)
    assert set(tables) == {"family"}
    folder = tmp_path / "custom" / "scaling"
    assert config.folder == folder
    family = pd.read_csv(folder / "family.csv")
    assert list(family["model"]) == ["phi1", "phi2"] and "accuracy" not in family
    assert json.loads((folder / "b1.json").read_text())["coefficients"] == [1.2, 1.1, 1.15]
    assert not list(folder.glob("*.png"))  # figures are the command's (nas.report)
    assert capsys.readouterr() == ("", "")


def test_the_grid_search_says_its_grid_and_winner_through_logging(tmp_path, capsys, caplog):
    config = _config(tmp_path, grid_step=0.4, tolerance=0.25, phis=(1,))
    with caplog.at_level(logging.INFO, logger="nas"):
        tables = run_scale(config)
    assert capsys.readouterr() == ("", "")
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].startswith("grid: 4 points (step 0.4")
    winner = tuple(tables["grid"].iloc[0][["alpha", "beta", "gamma"]])
    assert messages[-1] == "grid search: alpha {:g}, beta {:g}, gamma {:g}".format(*winner)
    assert tables["family"]["constraint_ratio"].tolist() == pytest.approx([flops_factor(*winner)])


def test_preview_trains_and_writes_nothing(tmp_path):
    points, family = preview(_config(tmp_path, official=True, phis=(1, 2, 3)))
    assert points == 111
    assert sorted(set(family["source"])) == ["formula", "official"] and len(family) == 6
    assert not tmp_path.joinpath("custom").exists()
    points, _ = preview(_config(tmp_path, coefficients=(1.2, 1.1, 1.15)))
    assert points is None


def test_a_latency_table_predicts_each_member_measuring_what_it_lacks(tmp_path):
    from nas.cost.latency_layers import network_layers
    from nas.cost.latency_table import LatencyTable, Target
    from search_spaces import decode

    path = tmp_path / "latency.json"
    LatencyTable(Target()).save(path)  # empty: every member's layers are measured
    config = _config(tmp_path, coefficients=(1.2, 1.1, 1.15), latency_table=str(path))
    run_scale(config)
    family = pd.read_csv(tmp_path / "custom" / "scaling" / "family.csv")
    table = LatencyTable.load(path)
    for row in family.itertuples():
        arch = decode(row.arch)
        assert set(k.text for k in network_layers(arch, row.resolution)) <= set(table.entries)
        assert row.predicted_latency_ms == pytest.approx(table.predict(arch, row.resolution))
    assert family["predicted_latency_ms"].is_monotonic_increasing  # phi 2 is the larger
