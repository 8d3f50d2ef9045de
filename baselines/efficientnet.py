"""The official EfficientNet family B0..B7: B0 compound-scaled by the official hand-picked table.

Stages, stem and head follow ``search_spaces.rules.scale`` (official channel and depth
rounding); each resolution is the official one exactly, not ``round_resolution``'s. The
ArchSpecs have torchvision's and timm's parameter counts exactly (7,794,184 for B1 ...
66,347,960 for B7).
"""

from __future__ import annotations

from baselines.reference import EFFICIENTNET_B0
from search_spaces.rules import FamilyMember
from search_spaces.spec import ArchSpec

# (name, phi, depth, width, resolution, dropout), from the official code's table.
EFFICIENTNET_FAMILY: tuple[FamilyMember, ...] = (
    FamilyMember("efficientnet_b0", 0, depth=1.0, width=1.0, resolution=224, dropout=0.2),
    FamilyMember("efficientnet_b1", 1, depth=1.1, width=1.0, resolution=240, dropout=0.2),
    FamilyMember("efficientnet_b2", 2, depth=1.2, width=1.1, resolution=260, dropout=0.3),
    FamilyMember("efficientnet_b3", 3, depth=1.4, width=1.2, resolution=300, dropout=0.3),
    FamilyMember("efficientnet_b4", 4, depth=1.8, width=1.4, resolution=380, dropout=0.4),
    FamilyMember("efficientnet_b5", 5, depth=2.2, width=1.6, resolution=456, dropout=0.4),
    FamilyMember("efficientnet_b6", 6, depth=2.6, width=1.8, resolution=528, dropout=0.5),
    FamilyMember("efficientnet_b7", 7, depth=3.1, width=2.0, resolution=600, dropout=0.5),
)

_B = {member.name: member.apply(EFFICIENTNET_B0) for member in EFFICIENTNET_FAMILY[1:]}

EFFICIENTNET_B1: ArchSpec = _B["efficientnet_b1"]
EFFICIENTNET_B2: ArchSpec = _B["efficientnet_b2"]
EFFICIENTNET_B3: ArchSpec = _B["efficientnet_b3"]
EFFICIENTNET_B4: ArchSpec = _B["efficientnet_b4"]
EFFICIENTNET_B5: ArchSpec = _B["efficientnet_b5"]
EFFICIENTNET_B6: ArchSpec = _B["efficientnet_b6"]
EFFICIENTNET_B7: ArchSpec = _B["efficientnet_b7"]

# name -> ArchSpec for B0..B7, in order (B0 is reference.EFFICIENTNET_B0 itself).
EFFICIENTNETS: dict[str, ArchSpec] = {"efficientnet_b0": EFFICIENTNET_B0, **_B}
# name -> the official dropout rate before the classifier.
EFFICIENTNET_DROPOUT: dict[str, float] = {m.name: m.dropout for m in EFFICIENTNET_FAMILY}
