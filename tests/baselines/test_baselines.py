from __future__ import annotations

import pytest

import baselines


def test_names():
    assert baselines.names() == [
        *(f"efficientnet_b{i}" for i in range(8)),
        "efficientnet_v2_s",
        "efficientnet_v2_m",
        "efficientnet_v2_l",
        "mobilenet_v2",
        "mnasnet_a1",
    ]


def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="'resnet'.*efficientnet_b0"):
        baselines.get("resnet")


def test_b0_is_table_1_with_official_strides():
    b0 = baselines.get("efficientnet_b0")
    rows = [(s.expansion, s.kernel, s.out_channels, s.repeats, s.stride) for s in b0.stages]
    assert rows == [
        (1, 3, 16, 1, 1),
        (6, 3, 24, 2, 2),
        (6, 5, 40, 2, 2),
        (6, 3, 80, 3, 2),
        (6, 5, 112, 3, 1),
        (6, 5, 192, 4, 2),
        (6, 3, 320, 1, 1),
    ]
    assert all(s.op == "mbconv" and s.se_ratio == 0.25 for s in b0.stages)
    assert (b0.stem_channels, b0.head_channels, b0.activation, b0.resolution) == (
        32,
        1280,
        "silu",
        224,
    )


def test_mobilenet_v2_is_the_mnasnet_reference_layout():
    v2 = baselines.get("mobilenet_v2")
    assert [s.repeats for s in v2.stages] == [1, 2, 3, 4, 3, 3, 1]
    assert [s.out_channels for s in v2.stages] == [16, 24, 32, 64, 96, 160, 320]
    assert [s.stride for s in v2.stages] == [1, 2, 2, 2, 1, 2, 1]


def test_v2_s_is_table_4():
    v2s = baselines.get("efficientnet_v2_s")
    rows = [(s.op, s.expansion, s.kernel, s.stride, s.out_channels, s.repeats) for s in v2s.stages]
    assert rows == [
        ("fused_mbconv", 1, 3, 1, 24, 2),
        ("fused_mbconv", 4, 3, 2, 48, 4),
        ("fused_mbconv", 4, 3, 2, 64, 4),
        ("mbconv", 4, 3, 2, 128, 6),
        ("mbconv", 6, 3, 1, 160, 9),
        ("mbconv", 6, 3, 2, 256, 15),
    ]
    # SE 0.25 of the block input in the MBConv stages only.
    assert [s.se_ratio for s in v2s.stages] == [0.0] * 3 + [0.25] * 3
    assert (v2s.stem_channels, v2s.head_channels, v2s.activation) == (24, 1280, "silu")


@pytest.mark.parametrize(
    ("name", "resolution", "dropout"),
    [
        ("efficientnet_v2_s", 384, 0.2),
        ("efficientnet_v2_m", 480, 0.3),
        ("efficientnet_v2_l", 480, 0.4),
    ],
)
def test_v2_evaluation_sizes_and_dropouts_are_torchvisions(name, resolution, dropout):
    assert baselines.get(name).resolution == resolution
    assert baselines.dropout(name) == dropout
