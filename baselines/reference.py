"""Published reference architectures written as ArchSpec data."""

from __future__ import annotations

from search_spaces.spec import ArchSpec, BlockSpec


def _stage(
    op: str,
    repeats: int,
    kernel: int,
    stride: int,
    expansion: int,
    out_channels: int,
    se_ratio: float = 0.0,
    skip: bool = True,
) -> BlockSpec:
    return BlockSpec(
        op=op,
        kernel=kernel,
        stride=stride,
        expansion=expansion,
        se_ratio=se_ratio,
        skip=skip,
        out_channels=out_channels,
        repeats=repeats,
    )


# EfficientNet-B0, Table 1 of the paper with the official code's strides (14x14 at stage 6).
EFFICIENTNET_B0 = ArchSpec(
    stem_channels=32,
    stages=(
        _stage("mbconv", 1, 3, 1, 1, 16, 0.25),
        _stage("mbconv", 2, 3, 2, 6, 24, 0.25),
        _stage("mbconv", 2, 5, 2, 6, 40, 0.25),
        _stage("mbconv", 3, 3, 2, 6, 80, 0.25),
        _stage("mbconv", 3, 5, 1, 6, 112, 0.25),
        _stage("mbconv", 4, 5, 2, 6, 192, 0.25),
        _stage("mbconv", 1, 3, 1, 6, 320, 0.25),
    ),
    head_channels=1280,
    activation="silu",
    resolution=224,
)

# MobileNetV2 1.0 (Sandler et al. 2018), as torchvision's mobilenet_v2.
MOBILENET_V2 = ArchSpec(
    stem_channels=32,
    stages=(
        _stage("mbconv", 1, 3, 1, 1, 16),
        _stage("mbconv", 2, 3, 2, 6, 24),
        _stage("mbconv", 3, 3, 2, 6, 32),
        _stage("mbconv", 4, 3, 2, 6, 64),
        _stage("mbconv", 3, 3, 1, 6, 96),
        _stage("mbconv", 3, 3, 2, 6, 160),
        _stage("mbconv", 1, 3, 1, 6, 320),
    ),
    head_channels=1280,
    activation="relu6",
    resolution=224,
)

# MnasNet-A1 1.0 (Tan et al. 2019, Figure 7), as timm's semnasnet_100.
MNASNET_A1 = ArchSpec(
    stem_channels=32,
    stages=(
        _stage("ds", 1, 3, 1, 1, 16, skip=False),
        _stage("mbconv", 2, 3, 2, 6, 24),
        _stage("mbconv", 3, 5, 2, 3, 40, 0.25),
        _stage("mbconv", 4, 3, 2, 6, 80),
        _stage("mbconv", 2, 3, 1, 6, 112, 0.25),
        _stage("mbconv", 3, 5, 2, 6, 160, 0.25),
        _stage("mbconv", 1, 3, 1, 6, 320),
    ),
    head_channels=1280,
    activation="relu",
    resolution=224,
)
