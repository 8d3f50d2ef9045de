"""EfficientNetV2-S, -M and -L as ArchSpec data.

V2-S is Table 4 of the paper; M and L are as torchvision builds them (the paper gives only S).
Stages 1-3 are Fused-MBConv without squeeze-excite, the rest MBConv with SE 0.25 of the block
input; SiLU throughout; the head is a 1x1 conv to 1280. The resolutions are the evaluation
sizes (S 384, M and L 480). With 1000 classes ``build_model`` gives torchvision 0.29's parameter
counts exactly: 21,458,488 / 54,139,356 / 118,515,272.
"""

from __future__ import annotations

from search_spaces.spec import ArchSpec, BlockSpec

# (op, expansion, kernel, stride, out_channels, repeats) per stage, after the stem.
_Row = tuple[str, int, int, int, int, int]

_V2_S: tuple[_Row, ...] = (
    ("fused_mbconv", 1, 3, 1, 24, 2),
    ("fused_mbconv", 4, 3, 2, 48, 4),
    ("fused_mbconv", 4, 3, 2, 64, 4),
    ("mbconv", 4, 3, 2, 128, 6),
    ("mbconv", 6, 3, 1, 160, 9),
    ("mbconv", 6, 3, 2, 256, 15),
)
_V2_M: tuple[_Row, ...] = (
    ("fused_mbconv", 1, 3, 1, 24, 3),
    ("fused_mbconv", 4, 3, 2, 48, 5),
    ("fused_mbconv", 4, 3, 2, 80, 5),
    ("mbconv", 4, 3, 2, 160, 7),
    ("mbconv", 6, 3, 1, 176, 14),
    ("mbconv", 6, 3, 2, 304, 18),
    ("mbconv", 6, 3, 1, 512, 5),
)
_V2_L: tuple[_Row, ...] = (
    ("fused_mbconv", 1, 3, 1, 32, 4),
    ("fused_mbconv", 4, 3, 2, 64, 7),
    ("fused_mbconv", 4, 3, 2, 96, 7),
    ("mbconv", 4, 3, 2, 192, 10),
    ("mbconv", 6, 3, 1, 224, 19),
    ("mbconv", 6, 3, 2, 384, 25),
    ("mbconv", 6, 3, 1, 640, 7),
)


def _v2(stem: int, rows: tuple[_Row, ...], resolution: int) -> ArchSpec:
    stages = tuple(
        BlockSpec(
            op=op,
            kernel=kernel,
            stride=stride,
            expansion=expansion,
            se_ratio=0.25 if op == "mbconv" else 0.0,
            skip=True,
            out_channels=channels,
            repeats=repeats,
        )
        for op, expansion, kernel, stride, channels, repeats in rows
    )
    return ArchSpec(stem, stages, head_channels=1280, activation="silu", resolution=resolution)


EFFICIENTNET_V2_S = _v2(24, _V2_S, 384)
EFFICIENTNET_V2_M = _v2(24, _V2_M, 480)
EFFICIENTNET_V2_L = _v2(32, _V2_L, 480)

EFFICIENTNETS_V2: dict[str, ArchSpec] = {
    "efficientnet_v2_s": EFFICIENTNET_V2_S,
    "efficientnet_v2_m": EFFICIENTNET_V2_M,
    "efficientnet_v2_l": EFFICIENTNET_V2_L,
}
# The dropout before the classifier, as torchvision's builders set it.
EFFICIENTNET_V2_DROPOUT: dict[str, float] = {
    "efficientnet_v2_s": 0.2,
    "efficientnet_v2_m": 0.3,
    "efficientnet_v2_l": 0.4,
}
