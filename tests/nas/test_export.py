from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import baselines
from nas import checkpoint
from nas.cli import run
from nas.data import DataConfig, load_data
from nas.export import (
    INSTALL_HINT,
    PROG,
    Network,
    check_onnx,
    export_pytorch,
    main,
    untrained_network,
)
from nas.timm_format import from_timm, parse_block_string, timm_snippet, timm_state_dict, to_timm
from nas.train import evaluate
from search_spaces import ArchSpec, build_model, decode
from search_spaces.mnasnet import MnasSpace

ROOT = Path(__file__).resolve().parents[2]
# Small enough that building, training and exporting it take a second or two.
SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"
# EfficientNet-B0's arch_def as written in timm 1.0's timm/models/efficientnet.py
# (_gen_efficientnet), copied from that file.
TIMM_B0_ARCH_DEF = [
    ["ds_r1_k3_s1_e1_c16_se0.25"],
    ["ir_r2_k3_s2_e6_c24_se0.25"],
    ["ir_r2_k5_s2_e6_c40_se0.25"],
    ["ir_r3_k3_s2_e6_c80_se0.25"],
    ["ir_r3_k5_s1_e6_c112_se0.25"],
    ["ir_r4_k5_s2_e6_c192_se0.25"],
    ["ir_r1_k3_s1_e6_c320_se0.25"],
]


def _round_trip(arch: ArchSpec) -> ArchSpec:
    timm_arch = to_timm(arch)
    return from_timm(
        timm_arch.arch_def_lists(),
        stem_size=timm_arch.stem_size,
        num_features=timm_arch.num_features,
        act_layer=timm_arch.act_layer,  # the torch.nn class name: SiLU, ReLU6...
        resolution=timm_arch.resolution,
    )


def _has_conv_with_se(arch: ArchSpec) -> bool:
    return any(
        stage.se_ratio > 0
        and (stage.op == "conv" or (stage.op == "fused_mbconv" and stage.expansion == 1))
        for stage in arch.stages
    )


def _randomized(arch: ArchSpec, num_classes: int = 10, in_channels: int = 3) -> Network:
    """A network whose every tensor matters (a fresh one has a zero classifier and
    activations that shrink to nothing through identity BatchNorm statistics)."""
    network = untrained_network(arch, num_classes, in_channels)
    generator = torch.Generator().manual_seed(1)

    def fill(tensor: torch.Tensor, low: float, high: float) -> None:
        tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)

    with torch.no_grad():
        for module in network.model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                bound = 2.0 / module.weight[0].numel() ** 0.5
                fill(module.weight, -bound, bound)
                if module.bias is not None:
                    fill(module.bias, -0.1, 0.1)
            elif isinstance(module, torch.nn.BatchNorm2d):
                fill(module.weight, 0.5, 1.5)
                fill(module.bias, -0.2, 0.2)
                fill(module.running_mean, -0.2, 0.2)
                fill(module.running_var, 0.5, 1.5)
    return network


def _images(network: Network, batch: int = 2) -> torch.Tensor:
    info = network.info
    return torch.randn(batch, info.in_channels, info.image_size, info.image_size)


# ----------------------------------------------------------------------------- timm strings


def test_b0_gives_timms_own_arch_def():
    assert to_timm(baselines.get("efficientnet_b0")).arch_def_lists() == TIMM_B0_ARCH_DEF
    b0 = from_timm(TIMM_B0_ARCH_DEF, stem_size=32, num_features=1280, act_layer="swish")
    assert b0 == baselines.get("efficientnet_b0")


@pytest.mark.parametrize("name", baselines.names())
def test_every_baseline_round_trips_through_timm(name):
    assert _round_trip(baselines.get(name)) == baselines.get(name)


def test_random_samples_round_trip_or_are_refused_for_conv_with_se():
    rng = random.Random(11)
    spaces = [MnasSpace(), MnasSpace("mobilenet_v2")]
    expressible = refused = 0
    for draw in range(400):
        arch = spaces[draw % 2].sample_random(rng)
        if _has_conv_with_se(arch):
            with pytest.raises(ValueError, match="has no squeeze-excite"):
                to_timm(arch)
            refused += 1
        else:
            assert _round_trip(arch) == arch
            expressible += 1
        if expressible >= 20 and refused >= 3:
            break
    assert expressible >= 20 and refused >= 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ds_r1_k3_s1_e1_c16_se0.25", ("mbconv", 1, 0.25, True)),
        ("ds_r1_k3_s1_c16_noskip", ("ds", 1, 0.0, False)),
        ("ir_r2_k5_s2_e6_c24_skip", ("mbconv", 6, 0.0, True)),
        ("er_r4_k3_s2_e4_c48", ("fused_mbconv", 4, 0.0, True)),
        ("cn_r2_k3_s1_e1_c24_skip", ("fused_mbconv", 1, 0.0, True)),  # timm's EfficientNetV2-S
        ("cn_r1_k3_s1_c24", ("conv", 1, 0.0, False)),  # timm's cn: no residual unless _skip
    ],
)
def test_timm_block_strings_parse_with_timms_meaning(text, expected):
    block = parse_block_string(text)
    assert (block.op, block.expansion, block.se_ratio, block.skip) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ir_r1_k3_s1_e1_c16", "keeps an expand conv"),
        ("er_r1_k3_s1_e1_c16", "keeps an expand conv"),
        ("cn_r1_k3_s1_c16_se0.25", "no squeeze-excite"),
        ("uir_r1_k3_s1_e4_c16", "is not one of"),
        ("ir_r1_k3_s1_e4_c16_nre", "not supported"),
        ("ir_r1_k3_s1_e4", "missing c"),
        ("ir_r1_k3_s1_e1.5_c16", "whole number"),
    ],
)
def test_timm_strings_without_an_exact_archspec_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_block_string(text)


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        ("stem16-cn_r1_k3_s1_c16_se0.25-head32-silu-res64", "no squeeze-excite"),
        ("stem10-ir_r1_k3_s1_e3_c16-head32-silu-res64", "rounds the expanded width 10x3=30"),
        ("stem22-ds_r1_k3_s1_c16_se0.25-head32-silu-res64", "squeeze-excite width"),
    ],
)
def test_networks_timm_would_build_differently_are_refused(arch, message):
    with pytest.raises(ValueError, match=message):
        to_timm(decode(arch))


def test_timm_weight_names_follow_timms_modules():
    model = build_model(decode(SMALL), num_classes=10)
    state = timm_state_dict(model)
    assert len(state) == len(model.state_dict())
    expected = {
        "conv_stem.weight",
        "bn1.running_var",
        "blocks.0.0.conv_dw.weight",  # ds: conv_dw, bn1, [se], conv_pw, bn2
        "blocks.0.0.conv_pw.weight",
        "blocks.1.0.conv_pw.weight",  # ir: conv_pw, bn1, conv_dw, bn2, se, conv_pwl, bn3
        "blocks.1.1.se.conv_reduce.bias",
        "blocks.1.1.bn3.weight",
        "blocks.2.0.conv_pwl.weight",
        "conv_head.weight",
        "bn2.num_batches_tracked",
        "classifier.weight",
    }
    assert expected <= set(state)
    for ours, theirs in zip(model.state_dict().values(), state.values(), strict=True):
        assert torch.equal(ours, theirs)


def test_timm_builds_the_same_network():
    pytest.importorskip("timm")
    rng = random.Random(5)
    samples = [
        a for a in (MnasSpace().sample_random(rng) for _ in range(30)) if not _has_conv_with_se(a)
    ][:2]
    for arch in [baselines.get("efficientnet_b0"), baselines.get("mnasnet_a1"), *samples]:
        network = _randomized(arch, num_classes=10)
        namespace: dict = {}
        exec(timm_snippet(arch, num_classes=10, in_channels=3), namespace)
        theirs = namespace["model"].eval()
        ours = network.model
        assert sum(p.numel() for p in theirs.parameters()) == network.parameters
        theirs.load_state_dict(timm_state_dict(ours), strict=True)
        images = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            torch.testing.assert_close(theirs(images), ours(images))


# ----------------------------------------------------------------------------- the command


def test_timm_format_prints_a_script_and_writes_timm_weights(tmp_path, capsys):
    folder = export_pytorch(_randomized(decode(SMALL)), tmp_path / "ckpt")
    weights = tmp_path / "small_timm.pth"
    argv = ["--checkpoint", str(folder), "--format", "timm", "--out", str(weights)]
    assert run(main, PROG, argv) == 0
    script = capsys.readouterr().out
    compile(script, "timm_script.py", "exec")  # what it prints is a Python script
    assert "ir_r2_k3_s2_e3_c16_se0.25" in script and "num_classes=10" in script
    assert f"torch.load({str(weights)!r}, weights_only=True)" in script
    model, _ = checkpoint.load(folder)
    saved = torch.load(weights, weights_only=True)
    assert list(saved) == list(timm_state_dict(model))


def test_onnx_export_matches_pytorch_and_the_check_can_fail(tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    network = _randomized(decode(SMALL))
    folder = export_pytorch(network, tmp_path / "ckpt")
    path = tmp_path / "small.onnx"
    argv = ["--checkpoint", str(folder), "--format", "onnx", "--out", str(path)]
    assert run(main, PROG, argv) == 0
    out = capsys.readouterr().out
    assert "max abs difference" in out and "pooled features" in out
    check = check_onnx(network, path)
    assert check.passed and check.features_diff is not None
    assert check.logits_scale > 0.1  # the comparison is not of zeros

    proto = onnx.load(str(path))
    weights = next(t for t in proto.graph.initializer if len(t.dims) == 4)
    array = onnx.numpy_helper.to_array(weights).copy()
    array.flat[0] += 1.0
    weights.CopyFrom(onnx.numpy_helper.from_array(array, weights.name))
    tampered = tmp_path / "tampered.onnx"
    onnx.save(proto, str(tampered))
    assert not check_onnx(network, tampered).passed


def test_pytorch_format_loads_back_with_the_same_outputs(tmp_path, capsys):
    out = tmp_path / "small"
    argv = [SMALL, "--format", "pytorch", "--out", str(out), "--num-classes", "7"]
    argv += ["--in-channels", "1"]
    assert run(main, PROG, argv) == 0
    assert f'nas.checkpoint.load("{out}")' in capsys.readouterr().out
    model, info = checkpoint.load(out)
    assert (info.num_classes, info.in_channels, info.arch) == (7, 1, decode(SMALL))
    fresh = untrained_network(decode(SMALL), 7, 1, seed=0)
    for ours, loaded in zip(
        fresh.model.state_dict().values(), model.state_dict().values(), strict=True
    ):
        assert torch.equal(ours, loaded)

    network = _randomized(decode(SMALL))
    model, _ = checkpoint.load(export_pytorch(network, tmp_path / "random"))
    images = _images(network)
    with torch.no_grad():
        torch.testing.assert_close(model(images), network.model(images), rtol=0, atol=0)


def test_train_writes_a_checkpoint_with_its_accuracy(tmp_path, capsys):
    out = tmp_path / "trained"
    proxy = ["--dataset", "synthetic", "--train-subset", "128", "--val-subset", "64"]
    proxy += ["--epochs", "1", "--batch-size", "64", "--device", "cpu"]
    argv = [SMALL, "--train", *proxy, "--format", "pytorch", "--out", str(out)]
    assert run(main, PROG, argv) == 0
    printed = capsys.readouterr().out
    model, info = checkpoint.load(out)
    accuracy = info.metrics["accuracy"]
    assert f"validation accuracy {accuracy:.2%} on 64 held-out images" in printed
    assert (info.num_classes, info.in_channels, info.image_size) == (10, 1, 28)
    assert len(info.mean) == len(info.std) == 1 and info.std[0] > 0
    data = load_data(DataConfig("synthetic", train_subset=128, val_subset=64, seed=0))
    assert info.mean == pytest.approx(data.mean)
    assert evaluate(model, data, batch_size=64) == pytest.approx(accuracy)
    on_disk = json.loads((out / checkpoint.ARCH_FILE).read_text())
    assert on_disk["metrics"]["accuracy"] == accuracy


# ----------------------------------------------------------------------------- bad input


def _bad_best_json(tmp_path: Path) -> str:
    path = tmp_path / "best.json"
    path.write_text(json.dumps({"arch": {"stem_channels": "wide", "stages": []}}))
    return str(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.json"], "does not exist"),
        (["stem32-ir_r1_k3-head1280-silu-res224"], "bad"),
        (["BEST_JSON"], "architecture file"),
        (["efficientnet_b0", "--format", "tflite"], "invalid choice"),
        (["--checkpoint", "EMPTY_DIR", "--format", "pytorch", "--out", "x"], "no arch.json"),
        (["efficientnet_b0", "--format", "onnx"], "needs --out"),
        ([], "give ARCH or --checkpoint"),
        (["efficientnet_b0", "--num-classes", "0"], "--num-classes=0"),
        (["stem16-cn_r1_k3_s1_c16_se0.25-head32-silu-res64"], "no exact timm equivalent"),
        (["efficientnet_b0", "--train", "--format", "timm"], "--train needs --out"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    replace = {"BEST_JSON": _bad_best_json(tmp_path), "EMPTY_DIR": str(tmp_path)}
    argv = [replace.get(arg, arg) for arg in argv]
    try:
        code = run(main, PROG, argv)
    except SystemExit as exit_info:  # argparse's own errors exit from inside main
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{PROG}: error:") and message in err


def test_missing_onnxruntime_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    argv = [SMALL, "--format", "onnx", "--out", str(tmp_path / "x.onnx")]
    assert run(main, PROG, argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and INSTALL_HINT in err and "onnxruntime" in err
    assert not (tmp_path / "x.onnx").exists()


def test_the_real_command_fails_with_one_line(tmp_path):
    command = [sys.executable, "-m", "nas.export", str(tmp_path / "nope.json")]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith(f"{PROG}: error:") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: timm)" in text and "(default: 1000;" in text and "(default: 0)" in text
