"""ArchSpec <-> timm block strings, weights under timm's names, and timm building the same net."""

from __future__ import annotations

import dataclasses
import random

import pytest
import torch

import baselines
from nas.export import from_timm, parse_block_string, timm_snippet, timm_state_dict, to_timm
from search_spaces import ArchSpec, MnasSpace, build_model, decode, nb_macro
from search_spaces.spec import layer_plan
from tests.nas.export.helpers import SMALL, randomized

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


# NAS-Bench-Macro keys: identities only (projections at the three stage starts, the rest
# plain), plain and projecting identities among MBConvs, and the table's best (a plain one last).
NB_MACRO_KEYS = ("00000000", "10201012", "22212220")
# Stem stride 1 and five stride-2 stages: timm's builder counts the stem as 2, a total of 64.
STEM1_STRIDE64 = "stem8s1-" + "-".join(["ir_r1_k3_s2_e3_c16"] * 5) + "-head32-silu-res64"


def _round_trip(arch: ArchSpec) -> ArchSpec:
    timm_arch = to_timm(arch)
    return from_timm(
        timm_arch.arch_def_lists(),
        stem_size=timm_arch.stem_size,
        num_features=timm_arch.num_features,
        act_layer=timm_arch.act_layer,  # the torch.nn class name: SiLU, ReLU6...
        resolution=timm_arch.resolution,
        stem_stride=timm_arch.stem_stride,
        no_act_stages=timm_arch.no_act_stages,
    )


def _without_plain_identities(arch: ArchSpec) -> ArchSpec:
    """``arch`` less its identity layers of stride 1 that keep their channels (nothing)."""
    plan = layer_plan(arch)  # one layer per stage in these tests
    assert len(plan) == len(arch.stages)
    stages = tuple(
        stage
        for stage, layer in zip(arch.stages, plan, strict=True)
        if not (
            stage.op == "identity" and layer.stride == 1 and layer.in_channels == layer.out_channels
        )
    )
    return dataclasses.replace(arch, stages=stages)


def _has_conv_with_se(arch: ArchSpec) -> bool:
    return any(
        stage.se_ratio > 0
        and (stage.op == "conv" or (stage.op == "fused_mbconv" and stage.expansion == 1))
        for stage in arch.stages
    )


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
    spaces = [MnasSpace(baselines.get(name)) for name in ("efficientnet_b0", "mobilenet_v2")]
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


def test_nb_macro_networks_give_timm_strings():
    timm_arch = to_timm(nb_macro.arch("10201012"))
    assert timm_arch.arch_def_lists() == [
        ["ir_r1_k3_s2_e3_c64"],
        ["ir_r1_k5_s2_e6_c128"],  # layers 2 and 4, identities of stride 1, are left out
        ["ir_r1_k3_s1_e3_c128"],
        ["cn_r1_k1_s2_c256"],  # layer 6: the identity's 1x1 projection, built without act
        ["ir_r1_k3_s1_e3_c256"],
        ["ir_r1_k5_s1_e6_c256"],
    ]
    assert (timm_arch.no_act_stages, timm_arch.stem_stride) == ((3,), 1)
    assert (timm_arch.act_layer, timm_arch.output_stride, timm_arch.resolution) == ("ReLU", 32, 32)
    only_identities = to_timm(nb_macro.arch("00000000"))
    assert only_identities.arch_def_lists() == [
        ["cn_r1_k1_s2_c64"],
        ["cn_r1_k1_s2_c128"],
        ["cn_r1_k1_s2_c256"],
    ]
    assert only_identities.no_act_stages == (0, 1, 2)
    assert to_timm(decode(STEM1_STRIDE64)).output_stride == 64  # timm counts the stem as 2


@pytest.mark.parametrize("key", NB_MACRO_KEYS)
def test_nb_macro_networks_round_trip_through_timm_less_their_plain_identities(key):
    arch = nb_macro.arch(key)
    back = _round_trip(arch)
    assert back == _without_plain_identities(arch)
    count = [sum(p.numel() for p in build_model(a, 10).parameters()) for a in (arch, back)]
    assert count[0] == count[1]


@pytest.mark.parametrize(
    ("arch_def", "no_act_stages", "message"),
    [
        ([["ir_r1_k3_s2_e3_c64"]], [0], "only cn_r1_k1_s<stride>_c<channels>"),
        ([["cn_r1_k3_s2_c64"]], [0], "only cn_r1_k1_s<stride>_c<channels>"),
        ([["cn_r2_k1_s2_c64"]], [0], "only cn_r1_k1_s<stride>_c<channels>"),
        ([["cn_r1_k1_s2_c64_skip"]], [0], "only cn_r1_k1_s<stride>_c<channels>"),
        ([["cn_r1_k1_s2_e1_c64"]], [0], "takes no e or se"),
        ([["cn_r1_k1_s1_c32"]], [0], "keeps 32 channels at stride 1"),  # stem_size=32
        ([["cn_r1_k1_s2_c64"]], [1], "not stages of the arch_def"),
    ],
)
def test_timm_blocks_without_activation_other_than_a_projection_are_refused(
    arch_def, no_act_stages, message
):
    with pytest.raises(ValueError, match=message):
        from_timm(arch_def, stem_size=32, no_act_stages=no_act_stages)


def test_a_network_of_plain_identities_only_is_refused():
    with pytest.raises(ValueError, match="needs at least one block"):
        to_timm(decode("stem16s1-id_r2_k1_s1_c16_noskip-head32-relu-res32"))


def test_nb_macro_weight_names_skip_the_plain_identities():
    model = build_model(nb_macro.arch("10201012"), num_classes=10)
    state = timm_state_dict(model)
    assert len(state) == len(model.state_dict())
    expected = {
        "conv_stem.weight",
        "blocks.0.0.conv_pwl.weight",  # layer 1
        "blocks.1.0.conv_dw.weight",  # layer 3: layer 2 has no weights and no timm stage
        "blocks.3.0.conv.weight",  # layer 6: the identity's projection conv
        "blocks.3.0.bn1.running_var",
        "blocks.5.0.bn3.weight",  # layer 8
        "conv_head.weight",
    }
    assert expected <= set(state)
    assert not any(key.startswith("blocks.6.") for key in state)


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
    space = MnasSpace(baselines.get("efficientnet_b0"))
    samples = [
        a for a in (space.sample_random(rng) for _ in range(30)) if not _has_conv_with_se(a)
    ][:2]
    for arch in [baselines.get("efficientnet_b0"), baselines.get("mnasnet_a1"), *samples]:
        network = randomized(arch, num_classes=10)
        namespace: dict = {}
        exec(timm_snippet(arch, num_classes=10, in_channels=3), namespace)
        theirs = namespace["model"].eval()
        ours = network.model
        assert sum(p.numel() for p in theirs.parameters()) == network.parameters
        theirs.load_state_dict(timm_state_dict(ours), strict=True)
        images = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            torch.testing.assert_close(theirs(images), ours(images))


@pytest.mark.parametrize("name", [*(f"nb-macro:{key}" for key in NB_MACRO_KEYS), STEM1_STRIDE64])
def test_timm_builds_the_same_network_with_identities_and_a_stride_1_stem(name):
    pytest.importorskip("timm")
    arch = nb_macro.arch(name.partition(":")[2]) if name.startswith("nb-macro:") else decode(name)
    network = randomized(arch, num_classes=10)
    namespace: dict = {}
    exec(timm_snippet(arch, num_classes=10, in_channels=3), namespace)
    theirs = namespace["model"].eval()
    ours = network.model
    assert sum(p.numel() for p in theirs.parameters()) == network.parameters
    theirs.load_state_dict(timm_state_dict(ours), strict=True)
    images = torch.randn(2, 3, arch.resolution, arch.resolution)
    with torch.no_grad():
        assert theirs.forward_features(images).shape == ours.forward_features(images).shape
        torch.testing.assert_close(theirs(images), ours(images))
