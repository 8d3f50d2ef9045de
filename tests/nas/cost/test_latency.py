"""Latency tables: the layers of networks and spaces, the table file, measuring, building,
checking, and the command (on small inputs: the real tables take minutes)."""

from __future__ import annotations

import itertools
import json
import math

import pandas as pd
import pytest

import baselines
from nas.cli.common import run
from nas.cli.latency import PROG, main
from nas.cost.latency_build import Measurement, build_table, check_table, fit_calibration
from nas.cost.latency_layers import LayerKey, network_layers, space_layers
from nas.cost.latency_measure import measure_layers, measure_networks
from nas.cost.latency_table import Entry, LatencyTable, Target
from nas.errors import ConfigError, InputError, MissingFile
from search_spaces import ArchSpec, BlockSpec, MnasSpace, make_space

QUICK = Measurement(warmup=1, repeats=3, calibration_networks=2, fresh_process=False)


def small_reference() -> ArchSpec:
    stages = (
        BlockSpec("mbconv", 3, 1, 1, 0.25, True, 16, 1),
        BlockSpec("mbconv", 3, 2, 6, 0.25, True, 24, 2),
        BlockSpec("mbconv", 5, 2, 6, 0.25, True, 40, 1),
    )
    return ArchSpec(16, stages, 64, "silu", 32)


def small_space() -> MnasSpace:
    return MnasSpace(
        small_reference(),
        ops=("mbconv", "conv"),
        kernels=(3,),
        expansions=(1, 6),
        se_ratios=(0.0,),
        filter_multipliers=(1.0, 1.5),
        layer_deltas=(0, 1),
    )


def every_network(space: MnasSpace):
    """Every network of ``space``, by brute force over its choices."""
    per_block = []
    for block in range(space.num_blocks):
        choices = space.block_choices(block)
        options = []
        for op, kernel, se, skip, filters, layers in itertools.product(
            choices["op"],
            choices["kernel"],
            choices["se_ratio"],
            choices["skip"],
            choices["filters"],
            choices["layers"],
        ):
            expansions = choices["expansion"] if op == "mbconv" else (1,)
            ref = space.reference.stages[block]
            options += [
                BlockSpec(op, kernel, ref.stride, e, se, skip, filters, layers) for e in expansions
            ]
        per_block.append(options)
    for stages in itertools.product(*per_block):
        yield space.reference.replace(stages=tuple(stages))


def test_a_space_s_layers_are_exactly_those_its_networks_hold():
    space = small_space()
    found = set()
    count = 0
    for arch in every_network(space):
        found.update(network_layers(arch, 32, 3, 10))
        count += 1
    assert count == (3 * 2 * 2 * 2) ** 3  # 3 op/expansion bodies x skip x filters x layers
    assert set(space_layers(space, 32, 3, 10)) == found


def test_every_layer_of_b0_s_space_is_listed_and_reads_back_from_its_text():
    space = MnasSpace(baselines.get("efficientnet_b0"))
    listed = space_layers(space)
    assert len(listed) == len(set(listed))
    assert all(LayerKey.parse(key.text) == key for key in listed)
    known = set(listed)
    for seed in range(200):
        assert set(network_layers(space.sample_random(seed))) <= known
    b0 = network_layers(baselines.get("efficientnet_b0"))
    assert len(b0) == 1 + 16 + 2 and set(b0) <= known  # stem, 16 layers, head, classifier
    assert b0[0].text == "stem:cn_k3_s2_e1_se0_i3_o32_p224_silu"
    assert b0[2].text == "layer:ir_k3_s2_e6_se0.25_i16_o24_p112_silu"
    assert b0[3].text == "layer:ir_k3_s1_e6_se0.25_i24_o24_p56_silu_res"


def test_nb_macro_s_layers_are_its_networks():
    space = make_space("nb-macro")
    listed = set(space_layers(space, 32, 3, 10))
    assert set(network_layers(space.reference, 32, 3, 10)) <= listed
    assert {key.kind for key in listed} == {"stem", "layer", "head", "classifier"}
    assert {key.op for key in listed if key.kind == "layer"} == {"identity", "mbconv"}


@pytest.mark.parametrize(
    "text", ["layer", "bogus:ir_k3_s1_e1_se0_i8_o8_p8_silu", "layer:ir_kx_s1_e1_se0_i8_o8_p8_silu"]
)
def test_a_bad_layer_key_is_named(text):
    with pytest.raises(InputError, match="is not a layer key"):
        LayerKey.parse(text)


def test_a_table_predicts_scale_times_its_layers_plus_the_overhead(tmp_path):
    arch = small_reference()
    keys = network_layers(arch, 32, 3, 10)
    entries = {
        key.text: Entry(0.5 + index, 0.01, 5) for index, key in enumerate(dict.fromkeys(keys))
    }
    table = LatencyTable(Target(), entries, overhead_ms=0.25, scale=0.9, per_layer_ms=-0.1)
    summed = sum(entries[key.text].ms for key in keys)
    assert table.layers_sum(arch, 32, 3, 10) == (pytest.approx(summed), len(keys))
    assert table.predict(arch, 32, 3, 10) == pytest.approx(0.9 * summed - 0.1 * len(keys) + 0.25)
    table.save(tmp_path / "t.json")
    again = LatencyTable.load(tmp_path / "t.json")
    assert again.entries == entries and again.scale == 0.9 and again.overhead_ms == 0.25
    assert again.per_layer_ms == -0.1
    assert again.target == Target() and again.created == table.created
    assert again.missing(keys) == []
    del again.entries[keys[1].text]
    assert again.missing(keys + keys) == [keys[1]]
    with pytest.raises(InputError, match=f"no entry for {keys[1].text}"):
        again.predict(arch, 32, 3, 10)


def test_the_calibration_fits_a_scale_and_a_per_layer_term():
    """Networks whose layers each run 0.1 ms faster inside them than alone, and 5% slower
    overall: the fit finds both; too few networks, or one layer count, fall back to the median
    ratio."""
    sums = [10.0, 20.0, 15.0, 40.0, 12.0, 30.0]
    counts = [10, 14, 20, 18, 25, 12]
    measured = [1.05 * s - 0.1 * n for s, n in zip(sums, counts, strict=True)]
    scale, per_layer = fit_calibration(sums, counts, measured)
    assert scale == pytest.approx(1.05) and per_layer == pytest.approx(-0.1)
    ratios = [m / s for m, s in zip(measured, sums, strict=True)]
    assert fit_calibration(sums[:3], counts[:3], measured[:3]) == (
        pytest.approx(sorted(ratios[:3])[1]),
        0.0,
    )
    middle = sorted(ratios)[2:4]
    assert fit_calibration(sums, [10] * 6, measured) == (pytest.approx(sum(middle) / 2), 0.0)


def test_a_table_says_when_it_was_measured_elsewhere():
    table = LatencyTable(Target(), versions={"torch": "0.0.1"})
    assert "not onnxruntime on cpu" in table.mismatch(Target("onnxruntime"))
    assert "measured with torch 0.0.1" in table.mismatch(Target())


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "is not a latency table"),
        (json.dumps({"format": "other"}), "its format is not 'efficientnas-latency-table'"),
        (
            json.dumps({"format": "efficientnas-latency-table", "version": 9}),
            "of version 1: version 9",
        ),
        (
            json.dumps(
                {
                    "format": "efficientnas-latency-table",
                    "version": 1,
                    "target": {"backend": "torch", "device": "cpu", "threads": 1, "batch": 1},
                    "entries": {"layer:nonsense": {"ms": 1.0}},
                }
            ),
            "is not a layer key",
        ),
        (
            json.dumps(
                {
                    "format": "efficientnas-latency-table",
                    "version": 1,
                    "target": {"backend": "torch", "device": "cpu", "threads": 1, "batch": 1},
                    "entries": [],
                }
            ),
            "entries must be an object",
        ),
        (
            json.dumps(
                {
                    "format": "efficientnas-latency-table",
                    "version": 1,
                    "target": {"backend": "torch", "device": "cpu", "threads": 1, "batch": 1},
                    "entries": {"stem:cn_k3_s2_e1_se0_i3_o32_p224_bogus": {"ms": 1.0}},
                }
            ),
            "the activation one of",
        ),
        (
            json.dumps(
                {
                    "format": "efficientnas-latency-table",
                    "version": 1,
                    "target": {"backend": "torch", "device": "cpu", "threads": 1, "batch": 1},
                    "versions": ["x"],
                    "entries": {},
                }
            ),
            "is not a latency table",
        ),
        (
            json.dumps(
                {
                    "format": "efficientnas-latency-table",
                    "version": 1,
                    "target": {"backend": "torch", "device": "cpu", "threads": 1, "batch": 1},
                    "entries": {"stem:cn_k3_s2_e1_se0_i3_o32_p224_silu": {"ms": -1.0}},
                }
            ),
            "ms=-1.0, must be >= 0",
        ),
    ],
)
def test_a_file_that_is_not_a_table_is_refused(tmp_path, content, message):
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        LatencyTable.load(path)
    with pytest.raises(MissingFile):
        LatencyTable.load(tmp_path / "none.json")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"backend": "tvm"}, "backend='tvm' is invalid"),
        ({"threads": 0}, "threads=0 is invalid"),
        ({"backend": "onnxruntime", "device": "cuda"}, "measured on the cpu"),
    ],
)
def test_bad_targets_are_refused(fields, message):
    with pytest.raises(ConfigError, match=message):
        Target(**fields)


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_layers_and_networks_are_measured_on_each_backend(backend):
    arch = small_reference()
    keys = sorted(set(network_layers(arch, 16, 3, 10)))
    found = measure_layers(keys, Target(backend), warmup=1, repeats=3)
    assert set(found) == {key.text for key in keys}
    assert all(
        entry.ms > 0 and entry.repeats == 3 and entry.spread >= 0 for entry in found.values()
    )
    (network,) = measure_networks([arch], Target(backend), 16, 3, 10, warmup=1, repeats=3)
    assert network.ms > 0 and network.repeats == 3


def test_a_build_measures_only_what_the_table_lacks_and_fits_its_scale(tmp_path):
    space = small_space()
    path = tmp_path / "table.json"
    first = build_table(path, space, Target(), 16, 3, 10, QUICK)
    assert first.measured == first.needed == len(space_layers(space, 16, 3, 10))
    assert first.table.calibration == {"networks": 2, "seed": 1000}
    assert 0.2 < first.table.scale < 5
    saved = LatencyTable.load(path)
    assert saved.entries == first.table.entries
    # A build stopped part-way resumes: only the layers the file lacks are measured.
    lost = sorted(saved.entries)[:5]
    for text in lost:
        del saved.entries[text]
    saved.save(path)
    calls = []
    second = build_table(path, space, Target(), 16, 3, 10, QUICK, lambda d, t: calls.append(t))
    assert second.measured == 5 and calls[0] == 5
    assert set(LatencyTable.load(path).entries) == set(first.table.entries)
    third = build_table(path, space, Target(), 16, 3, 10, QUICK)
    assert third.measured == 0
    with pytest.raises(InputError, match="was measured on torch on cpu, 1 thread"):
        build_table(path, space, Target(threads=2), 16, 3, 10, QUICK)


def test_the_check_sets_predictions_beside_measurements(tmp_path):
    space = small_space()
    table = build_table(tmp_path / "t.json", space, Target(), 16, 3, 10, QUICK).table
    frame, figures = check_table(table, space, Target(), 4, 0, 16, 3, 10, QUICK)
    assert len(frame) == figures.networks == 4
    error = frame["predicted_ms"] / frame["measured_ms"] - 1
    assert figures.mape == pytest.approx(error.abs().mean())
    assert figures.worst == pytest.approx(error.abs().max())
    assert -1 <= figures.tau <= 1 and math.isfinite(figures.mape_sum)
    missing = LatencyTable(Target())
    with pytest.raises(InputError, match="has no entry for stem:"):
        check_table(missing, space, Target(), 2, 0, 16, 3, 10, QUICK)


def test_the_command_builds_and_checks_a_table(tmp_path, capsys):
    table = tmp_path / "nb.json"
    argv = ["--space", "nb-macro", "--table", str(table), "--repeats", "2", "--warmup", "1"]
    assert run(main, PROG, ["build", *argv, "--calibration-networks", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "layers on torch on cpu, 1 thread(s), batch 1" in out and "scale" in out
    assert run(main, PROG, ["check", *argv, "--networks", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 networks of nb-macro at 32 px" in out and "Kendall tau" in out
    frame = pd.read_csv(tmp_path / "nb-check-nb-macro-32px.csv")
    assert len(frame) == 3 and (frame["measured_ms"] > 0).all()
    assert (tmp_path / "nb-check-nb-macro-32px.png").stat().st_size > 5_000


@pytest.mark.parametrize(
    "argv, message",
    [
        (["build", "--threads", "0", "--table", "{tmp}/new.json"], "--threads=0 is invalid"),
        (["build", "--repeats", "0", "--table", "{tmp}/new.json"], "--repeats=0 is invalid"),
        (
            ["check", "--backend", "onnxruntime", "--table", "{tmp}/nb.json"],
            "was measured on torch on cpu, 1 thread(s), batch 1, not onnxruntime",
        ),
        (["check", "--table", "{tmp}/none.json"], "none.json not found"),
        (["check", "--table", "{tmp}/bad.json"], "is not a latency table"),
        (
            ["check", "--space", "nb-macro", "--resolution", "16", "--table", "{tmp}/nb.json"],
            "has no entry for stem:cn_k3_s1_e1_se0_i3_o32_p16_relu",
        ),
        (["measure"], "invalid choice: 'measure'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "bad.json").write_text("{}")
    entries = {"stem:cn_k3_s1_e1_se0_i3_o32_p32_relu": Entry(1.0)}
    LatencyTable(Target(), entries).save(tmp_path / "nb.json")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    try:
        code = run(main, PROG, argv)
    except SystemExit as leaving:  # argparse's own errors leave through SystemExit
        code = leaving.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.csv"))


def test_a_key_written_otherwise_is_read_in_its_canonical_form(tmp_path):
    record = LatencyTable(Target()).record()
    record["entries"] = {"layer:mbconv_k3_s1_e6_se0.250_i24_o24_p56_silu_res": {"ms": 1.5}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(record))
    text = "layer:ir_k3_s1_e6_se0.25_i24_o24_p56_silu_res"
    assert LatencyTable.load(path).entries == {text: Entry(1.5)}


def test_an_existing_table_keeps_its_scale_unless_told_and_one_from_elsewhere_is_not_extended(
    tmp_path,
):
    space = small_space()
    path = tmp_path / "t.json"
    build_table(path, space, Target(), 16, 3, 10, QUICK)
    table = LatencyTable.load(path)
    table.scale = 0.5  # set by hand, or fitted on another space
    table.save(path)
    other = MnasSpace(
        small_reference(),
        ops=("conv",),
        kernels=(3,),
        expansions=(1,),
        se_ratios=(0.0,),
        filter_multipliers=(1.0,),
        layer_deltas=(0,),
    )
    grown = build_table(path, other, Target(), 24, 3, 10, QUICK)
    assert grown.measured > 0 and LatencyTable.load(path).scale == 0.5
    refit = build_table(path, other, Target(), 24, 3, 10, QUICK, recalibrate=True)
    assert refit.measured == 0 and LatencyTable.load(path).scale != 0.5
    foreign = LatencyTable.load(path)
    foreign.machine = "a phone"
    foreign.save(path)
    with pytest.raises(InputError, match="was measured on a phone, not here, and lacks"):
        build_table(path, space, Target(), 32, 3, 10, QUICK)
    assert build_table(path, space, Target(), 16, 3, 10, QUICK).measured == 0  # nothing lacking


def test_a_cuda_target_has_one_name_whatever_its_threads():
    assert Target(device="cuda", threads=4) == Target(device="cuda")
