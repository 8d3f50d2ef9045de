"""Latency in the search: MnasNet's ACC x (LAT / T) ** w on latency predicted from a table,
the table built on first use, a bound that skips training, and bad settings."""

from __future__ import annotations

import pytest

import baselines
from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.cost.latency_build import Measurement, build_table
from nas.cost.latency_table import LatencyTable, Target
from nas.errors import ConfigError
from nas.search import run_search
from search_spaces import MnasSpace, make_space
from tests.helpers import tiny_config
from tests.nas.cost.test_latency import small_reference


def small_space() -> MnasSpace:
    return MnasSpace(
        small_reference(),
        ops=("mbconv", "conv"),
        kernels=(3, 5),
        expansions=(1, 6),
        se_ratios=(0.0, 0.25),
        filter_multipliers=(1.0,),
        layer_deltas=(0,),
    )


def test_a_latency_target_scores_the_predicted_latency(tmp_path):
    table = tmp_path / "latency.json"
    config = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=0.5,
        latency_table=str(table),
        trials=3,
    )
    run_search(config)
    built = LatencyTable.load(table)  # built on first use for the space's layers at 32 px
    frame = results.load(config.folder)
    done = frame[frame["state"] == "COMPLETE"]
    assert len(done) == 3
    for row in done.itertuples():
        arch = config.search_space.reference  # trial 0 is the reference
        if row.number == 0:
            assert row.latency_ms == pytest.approx(built.predict(arch, 32, 3, 1000))
        assert row.reward == pytest.approx(row.accuracy * (row.latency_ms / 0.5) ** -0.07)


def test_a_candidate_predicted_too_slow_is_not_trained(tmp_path):
    config = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        max_latency_ms=1e-6,
        latency_table=str(tmp_path / "latency.json"),
        trials=2,
    )
    run_search(config)
    frame = results.load(config.folder)
    assert (frame["state"] == "PRUNED").all()
    assert frame["fail_reason"].str.contains(r"ms above max_latency_ms 1e-06 ms").all()
    assert frame["latency_ms"].notna().all() and frame["accuracy"].isna().all()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"target_latency_ms": 0}, "target_latency_ms=0 is invalid"),
        ({"target_latency_ms": -5.0}, "target_latency_ms=-5.0 is invalid"),
        ({"max_latency_ms": 0.0}, "max_latency_ms=0.0 is invalid"),
        ({"target_latency_ms": 20.0, "target_flops": 4e8}, "the reward weighs one"),
        ({"target_latency_ms": 20.0, "reward_kind": "v2"}, "weighs the step time"),
        ({"latency_table": ""}, "latency_table='' is invalid"),
    ],
)
def test_bad_latency_settings_are_refused(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message):
        tiny_config(tmp_path, **changes)


def test_latency_needs_a_search_that_trains(tmp_path):
    from tests.helpers import table_config

    with pytest.raises(ConfigError, match="apply to searches that train"):
        table_config(tmp_path, target_latency_ms=5.0)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--target-latency-ms", "0"], "--target-latency-ms=0.0 is invalid"),
        (["--target-latency-ms", "20", "--latency-table", "{tmp}/bad.json"], "is not a latency"),
    ],
)
def test_bad_latency_flags_are_one_line_and_write_nothing(tmp_path, capsys, flags, message):
    (tmp_path / "bad.json").write_text("[]")
    flags = [flag.replace("{tmp}", str(tmp_path)) for flag in flags]
    code = run(main, PROG, ["--results-dir", str(tmp_path / "out"), *flags])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_report_draws_accuracy_against_latency(tmp_path):
    from nas.report.make import make_report

    config = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=0.5,
        latency_table=str(tmp_path / "latency.json"),
        trials=3,
    )
    run_search(config)
    make_report([config.folder], tmp_path / "report")
    assert (tmp_path / "report" / "latency.png").stat().st_size > 10_000
    assert "T = 0.5 ms, w = -0.07" in (tmp_path / "report" / "report.html").read_text()


def test_a_latency_band_trains_only_candidates_inside_it(tmp_path):
    table = tmp_path / "latency.json"
    probe = tiny_config(
        tmp_path / "probe",
        space=small_space(),
        resolution=32,
        latency_table=str(table),
        max_latency_ms=1e9,
        trials=1,
    )
    run_search(probe)
    reference = results.load(probe.folder)["latency_ms"].iloc[0]
    config = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=float(reference),
        min_latency_ms=float(reference) * 0.98,
        max_latency_ms=float(reference) * 1.02,
        latency_table=str(table),
        trials=6,
    )
    run_search(config)
    frame = results.load(config.folder)
    inside = frame["latency_ms"].between(reference * 0.98, reference * 1.02)
    assert (frame[inside]["state"] == "COMPLETE").all() and inside.iloc[0]
    assert (frame[~inside]["state"] == "PRUNED").all()
    assert frame[~inside]["fail_reason"].str.contains("_latency_ms").all()
    with pytest.raises(ConfigError, match="min_latency_ms=3.0 is invalid: must not exceed"):
        tiny_config(tmp_path, min_latency_ms=3.0, max_latency_ms=2.0)


def test_a_table_measured_elsewhere_warns_once_and_one_lacking_layers_is_extended(tmp_path, caplog):
    from nas.search.latency import search_latency_table

    table = tmp_path / "latency.json"
    config = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=1.0,
        latency_table=str(table),
    )
    built = search_latency_table(config)
    built.versions["torch"] = "0.0.1"
    lost = sorted(built.entries)[:3]
    for text in lost:
        del built.entries[text]
    built.save(table)
    with caplog.at_level("WARNING", logger="nas"):
        again = search_latency_table(config)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "measured with torch 0.0.1" in warnings[0]
    assert set(lost) <= set(again.entries) and set(LatencyTable.load(table).entries) >= set(lost)


def test_the_hard_constraint_spares_networks_under_t_and_punishes_those_over_it(tmp_path):
    table = tmp_path / "latency.json"
    probe = tiny_config(
        tmp_path / "probe", space=small_space(), resolution=32, latency_table=str(table), trials=4
    )
    run_search(probe)
    seen = results.load(probe.folder)["latency_ms"]
    assert seen.nunique() > 1  # a FLOPs search given a table records the latency too
    target = float(seen.median())
    config = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=target,
        alpha=0.0,
        beta=-1.0,
        latency_table=str(table),
        trials=4,
    )
    run_search(config)
    frame = results.load(config.folder)
    done = frame[frame["state"] == "COMPLETE"]
    under = done["latency_ms"] <= target
    assert under.any() and (~under).any()
    assert (done[under]["reward"] == done[under]["accuracy"]).all()
    over = done[~under]
    expected = over["accuracy"] * (over["latency_ms"] / target) ** -1.0
    assert over["reward"].to_numpy() == pytest.approx(expected.to_numpy())


def test_the_command_shows_each_trial_s_predicted_latency(tmp_path, capsys):
    table = tmp_path / "latency.json"
    space = make_space("mnasnet", baselines.get("efficientnet_b0"))
    build_table(table, space, Target(), 16, 3, 1000, Measurement(0, 1, 0))  # a quick table
    argv = ["--dataset", "synthetic", "--train-subset", "64", "--val-subset", "32", "--trials", "2"]
    argv += ["--resolution", "16", "--target-latency-ms", "1", "--latency-table", str(table)]
    argv += ["--results-dir", str(tmp_path / "out"), "--no-progress", "--device", "cpu"]
    assert run(main, PROG, argv) == 0
    captured = capsys.readouterr()
    assert captured.err.count(" ms  [") == 2  # each trial's line
    header = next(line for line in captured.out.splitlines() if line.strip().startswith("rank"))
    assert header.split()[4:6] == ["MFLOPs", "ms"]


def test_a_resume_refused_for_its_settings_measures_nothing(tmp_path):
    first = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=1.0,
        latency_table=str(tmp_path / "a.json"),
        trials=1,
        study_name="s",
    )
    run_search(first)
    changed = tiny_config(
        tmp_path / "out",
        space=small_space(),
        resolution=32,
        target_latency_ms=2.0,
        latency_table=str(tmp_path / "b.json"),
        trials=1,
        study_name="s",
    )
    with pytest.raises(Exception, match="other settings"):
        run_search(changed)
    assert not (tmp_path / "b.json").exists()
