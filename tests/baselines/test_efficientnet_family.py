from __future__ import annotations

import pytest

import baselines
from baselines.efficientnet import EFFICIENTNET_B3, EFFICIENTNET_B7, EFFICIENTNET_FAMILY
from baselines.efficientnet_v2 import EFFICIENTNETS_V2
from nas.cost import flops, fvcore_flops, module_params, params
from search_spaces import build_model, decode, encode, from_json, to_json
from search_spaces.rules import scale

EFFICIENTNETS = [f"efficientnet_b{i}" for i in range(8)]

# torchvision's parameter counts (1000 classes) and fvcore FLOPs at the official resolution.
PUBLISHED = {
    "efficientnet_b0": (5_288_548, 401.7e6, 224, 0.2),
    "efficientnet_b1": (7_794_184, 712.7e6, 240, 0.2),
    "efficientnet_b2": (9_109_994, 1_026.6e6, 260, 0.3),
    "efficientnet_b3": (12_233_232, 1_883.9e6, 300, 0.3),
    "efficientnet_b4": (19_341_616, 4_512.5e6, 380, 0.4),
    "efficientnet_b5": (30_389_784, 10_505.1e6, 456, 0.4),
    "efficientnet_b6": (43_040_704, 19_472.1e6, 528, 0.5),
    "efficientnet_b7": (66_347_960, 38_449.4e6, 600, 0.5),
}


def test_names_and_registry():
    assert baselines.names() == [*EFFICIENTNETS, *EFFICIENTNETS_V2, "mobilenet_v2", "mnasnet_a1"]
    assert baselines.get("efficientnet_b3") is EFFICIENTNET_B3
    assert baselines.get("efficientnet_b7") is EFFICIENTNET_B7
    with pytest.raises(ValueError, match=r"^unknown baseline 'efficientnet_b8'; known: .*_b7"):
        baselines.get("efficientnet_b8")


@pytest.mark.parametrize("name", EFFICIENTNETS)
def test_params_and_resolution(name):
    count, _, resolution, _ = PUBLISHED[name]
    arch = baselines.get(name)
    assert params(arch) == count
    assert arch.resolution == resolution


@pytest.mark.parametrize("name", EFFICIENTNETS)
def test_closed_form_flops_match_torchvision_fvcore(name):
    _, published, _, _ = PUBLISHED[name]
    assert abs(flops(baselines.get(name)) - published) / published < 0.01


@pytest.mark.parametrize("name", ["efficientnet_b1", "efficientnet_b2"])
def test_fvcore_flops(name):
    _, published, _, _ = PUBLISHED[name]
    arch = baselines.get(name)
    counted = fvcore_flops(arch)
    assert abs(counted - published) / published < 0.01
    assert counted == flops(arch)


@pytest.mark.parametrize("name", ["efficientnet_b1", "efficientnet_b3", "efficientnet_b7"])
def test_built_module_params(name):
    assert module_params(build_model(baselines.get(name))) == PUBLISHED[name][0]


def test_b3_and_b7_stage_tables():
    rows = [(s.out_channels, s.repeats) for s in EFFICIENTNET_B3.stages]
    assert rows == [(24, 2), (32, 3), (48, 3), (96, 5), (136, 5), (232, 6), (384, 2)]
    assert (EFFICIENTNET_B3.stem_channels, EFFICIENTNET_B3.head_channels) == (40, 1536)
    rows = [(s.out_channels, s.repeats) for s in EFFICIENTNET_B7.stages]
    assert rows == [(32, 4), (48, 7), (80, 7), (160, 10), (224, 10), (384, 13), (640, 4)]
    assert (EFFICIENTNET_B7.stem_channels, EFFICIENTNET_B7.head_channels) == (64, 2560)


def test_family_is_b0_compound_scaled_at_official_resolutions():
    b0 = baselines.get("efficientnet_b0")
    assert [m.name for m in EFFICIENTNET_FAMILY] == EFFICIENTNETS
    for member in EFFICIENTNET_FAMILY:
        scaled = scale(b0, member.depth, member.width).replace(resolution=member.resolution)
        assert baselines.get(member.name) == scaled
    assert scale(b0) == b0


@pytest.mark.parametrize("name", EFFICIENTNETS)
def test_dropout(name):
    assert baselines.dropout(name) == PUBLISHED[name][3]


def test_dropout_of_others_and_unknown():
    assert baselines.dropout("mobilenet_v2") == baselines.dropout("mnasnet_a1") == 0.2
    with pytest.raises(ValueError, match=r"^unknown baseline 'resnet'; known: efficientnet_b0"):
        baselines.dropout("resnet")


@pytest.mark.parametrize("name", EFFICIENTNETS + ["mobilenet_v2", "mnasnet_a1"])
def test_round_trip(name):
    arch = baselines.get(name)
    assert decode(encode(arch)) == arch
    assert from_json(to_json(arch)) == arch
