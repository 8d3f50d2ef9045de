"""ArchSpec <-> timm's EfficientNet block strings (the script and the weights: ``timm_script``).

timm builds the very same network from them. ``to_timm(arch)`` gives the nested list that
``timm.models._efficientnet_builder.decode_arch_def`` takes, one list of one string per stage
(none for a stage of plain identities), plus the stem, head and activation settings for
``timm.models.efficientnet.EfficientNet``;
``from_timm`` reads them back. The mapping follows timm's builder and blocks (checked against
timm 1.0's source):

- ``ir`` (InvertedResidual) with expansion > 1 is our ``mbconv``; timm's ``ir`` with ``e1`` keeps
  a 1x1 expand conv, so our expansion-1 MBConv is timm's ``ds`` (DepthwiseSeparableConv), written
  with ``e1`` as timm's own EfficientNet-B0 is; a ``ds`` string without ``e`` is our ``ds`` op.
  Both build the same layers.
- ``er`` (EdgeResidual) with expansion > 1 is our ``fused_mbconv``; our regular conv (``conv``,
  or ``fused_mbconv`` with expansion 1) is timm's ``cn`` (ConvBnAct), ``e1`` marking the latter.
  timm's ``cn`` has no residual unless told ``skip`` and has no squeeze-excite.
- Squeeze-excite: timm's EfficientNet computes SE widths from the block input (``se_from_exp``
  is False: it divides the ratio by the expansion and applies it to the expanded width), as we
  do, but rounds where we truncate; timm also rounds an expanded width to a multiple of 8.
  ``to_timm`` checks every layer and refuses a network timm would build differently.
- ``identity``: where its stride is 1 and its channels stay, it has nothing to build and is left
  out of the arch_def (a stage of such layers disappears; the weight names follow). Else it is a
  1x1 conv + BatchNorm without activation: ``cn_r1_k1_s2_c64`` with its block args' ``act_layer``
  set to ``nn.Identity`` after ``decode_arch_def`` (``TimmArch.no_act_stages``). No block string
  says it: timm's ``n`` option only picks one of its activations and ignores other values.
- Stem stride 1: timm's ``EfficientNet`` always builds a stride-2 stem (no option); the script
  sets ``model.conv_stem.stride = (1, 1)`` after building, which is exact (the 3x3 conv's
  padding is 1 at either stride). timm's builder still counts the stem as stride 2, so
  ``output_stride`` is at least twice the stages' stride, else timm would dilate.
- ``round_chs_fn=int`` keeps timm from rounding the stage, stem and head channels.
- ``drop_path_rate``: timm spreads it over its blocks, so with plain identities left out the
  stochastic-depth rates of later blocks differ a little from ours (training only).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import baselines
from nas.errors import InputError
from search_spaces.blocks import squeeze_channels
from search_spaces.spec import (
    ACTIVATIONS,
    OPS_WITH_EXPANSION,
    ArchSpec,
    BlockSpec,
    LayerSpec,
    encode_block,
    layer_plan,
)

TIMM_BLOCK_TYPES = ("ir", "ds", "er", "cn")
# (fused, expanded) -> timm block type: an unexpanded MBConv is timm's ds, a fused one its cn.
_TIMM_TYPE = {(False, True): "ir", (False, False): "ds", (True, True): "er", (True, False): "cn"}
# Our activation name -> the torch.nn class given to timm as act_layer.
ACT_LAYERS: dict[str, str] = {
    "silu": "SiLU",
    "relu": "ReLU",
    "relu6": "ReLU6",
    "hardswish": "Hardswish",
}
_ACT_ALIASES = {"swish": "silu"}  # timm's name for SiLU
TIMM_DIVISOR = 8  # timm's make_divisible default, applied to every expanded width
TIMM_OUTPUT_STRIDE = 32
TIMM_STEM_STRIDE = 2  # timm's EfficientNet builds its stem with stride 2, and its builder counts 2
_OPTION = re.compile(r"(se|r|k|s|e|c)(\d+(?:\.\d+)?(?:e-?\d+)?)")


@dataclass(frozen=True)
class TimmArch:
    """What timm's ``EfficientNet`` needs to build an ArchSpec's network."""

    arch_def: tuple[tuple[str, ...], ...]  # for decode_arch_def, one string per stage
    stem_size: int
    num_features: int  # the head's 1x1 conv width
    activation: str  # ours: silu, relu, relu6 or hardswish
    output_stride: int  # at least the stride timm's builder counts, so timm never dilates
    resolution: int
    stem_stride: int = 2  # 1: set model.conv_stem.stride = (1, 1) after building
    # arch_def stages whose block timm must build without activation (our projecting identity):
    # set act_layer=nn.Identity in their decoded block args
    no_act_stages: tuple[int, ...] = ()

    @property
    def act_layer(self) -> str:
        """The torch.nn class name to pass as act_layer."""
        return ACT_LAYERS[self.activation]

    def arch_def_lists(self) -> list[list[str]]:
        return [list(stage) for stage in self.arch_def]


# ----------------------------------------------------------------------------- ArchSpec -> timm


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _timm_make_divisible(value: float, divisor: int = TIMM_DIVISOR) -> int:
    """timm.layers.make_divisible with its defaults (min_value=divisor, round_limit=0.9)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def block_string(stage: BlockSpec) -> str:
    """One stage as a timm block string, e.g. ``ir_r2_k3_s2_e6_c24_se0.25``. An identity stage
    gives its first layer's projection, ``cn_r1_k1_s<stride>_c<channels>``, which timm builds
    right only without activation (``TimmArch.no_act_stages``)."""
    if stage.op == "identity":
        return f"cn_r1_k1_s{stage.stride}_c{stage.out_channels}"
    fused = stage.op in ("fused_mbconv", "conv")
    block_type = _TIMM_TYPE[(fused, stage.expansion > 1)]
    parts = [block_type, f"r{stage.repeats}", f"k{stage.kernel}", f"s{stage.stride}"]
    if stage.op in OPS_WITH_EXPANSION:
        parts.append(f"e{stage.expansion}")
    parts.append(f"c{stage.out_channels}")
    if stage.se_ratio > 0:
        parts.append(f"se{_number(stage.se_ratio)}")
    if block_type == "cn":
        parts += ["skip"] if stage.skip else []
    elif not stage.skip:
        parts.append("noskip")
    return "_".join(parts)


def _timm_layer_mismatch(stage: BlockSpec, in_channels: int) -> str | None:
    """Why timm would build this stage's layer (given its input width) differently, or None."""
    if stage.op == "identity":  # nothing, or timm's cn_r1_k1 built without activation
        return None
    if stage.expansion == 1 and stage.op in ("fused_mbconv", "conv"):
        return "timm's regular conv block (cn) has no squeeze-excite" if stage.se_ratio else None
    mid = in_channels * stage.expansion
    if stage.expansion > 1 and _timm_make_divisible(mid) != mid:
        return (
            f"timm rounds the expanded width {in_channels}x{stage.expansion}={mid} to "
            f"{_timm_make_divisible(mid)} (a multiple of {TIMM_DIVISOR})"
        )
    if stage.se_ratio > 0:
        timm_squeeze = round(mid * (stage.se_ratio / float(stage.expansion)))
        ours = squeeze_channels(in_channels, stage.se_ratio)
        if timm_squeeze != ours:
            return (
                f"timm's squeeze-excite width from {in_channels} input channels is "
                f"{timm_squeeze}, ours {ours}"
            )
    return None


def _timm_stride(arch: ArchSpec) -> int:
    """The total stride timm's builder counts: its stem as 2, whatever the conv's stride."""
    return TIMM_STEM_STRIDE * math.prod(stage.stride for stage in arch.stages)


def _projects(layer: LayerSpec) -> bool:
    """Whether an identity layer has weights (a 1x1 projection) rather than passing x on."""
    return layer.stride != 1 or layer.in_channels != layer.out_channels


def _first_layers(arch: ArchSpec) -> list[LayerSpec]:
    """Each stage's first layer."""
    plan = layer_plan(arch)
    starts = itertools.accumulate((stage.repeats for stage in arch.stages[:-1]), initial=0)
    return [plan[start] for start in starts]


def timm_stages(arch: ArchSpec) -> list[int | None]:
    """Each of our stages' index in timm's arch_def; None for a stage of plain identities (an
    identity stage's later layers are all plain: only its first can change the shape)."""
    indices: list[int | None] = []
    count = 0
    for stage, first in zip(arch.stages, _first_layers(arch), strict=True):
        if stage.op == "identity" and not _projects(first):
            indices.append(None)
        else:
            indices.append(count)
            count += 1
    return indices


def to_timm(arch: ArchSpec) -> TimmArch:
    """timm's definition of ``arch``; ValueError where timm cannot build the same network."""
    if not isinstance(arch, ArchSpec):
        raise InputError(f"expected an ArchSpec, got {type(arch).__name__}")
    plan = layer_plan(arch)
    position = 0
    for index, stage in enumerate(arch.stages):
        for layer in plan[position : position + stage.repeats]:
            problem = _timm_layer_mismatch(stage, layer.in_channels)
            if problem:
                raise InputError(
                    f"stage {index + 1} ({encode_block(stage)}) has no exact timm equivalent: "
                    f"{problem} (the onnx and pytorch exports have no such limit)"
                )
        position += stage.repeats
    indices = timm_stages(arch)
    kept = [
        (stage, index)
        for stage, index in zip(arch.stages, indices, strict=True)
        if index is not None
    ]
    if not kept:
        raise InputError(
            "every layer is an identity of stride 1 that keeps its channels: timm's EfficientNet "
            "needs at least one block (the onnx and pytorch exports have no such limit)"
        )
    return TimmArch(
        arch_def=tuple((block_string(stage),) for stage, _ in kept),
        stem_size=arch.stem_channels,
        num_features=arch.head_channels,
        activation=arch.activation,
        output_stride=max(TIMM_OUTPUT_STRIDE, _timm_stride(arch)),
        resolution=arch.resolution,
        stem_stride=arch.stem_stride,
        no_act_stages=tuple(index for stage, index in kept if stage.op == "identity"),
    )


# ----------------------------------------------------------------------------- timm -> ArchSpec


def _parse_options(text: str, options: list[str]) -> tuple[dict[str, float], bool | None]:
    values: dict[str, float] = {}
    skip = None
    for option in options:
        if option in ("skip", "noskip"):
            skip = option == "skip"
            continue
        match = _OPTION.fullmatch(option)
        if match is None:
            raise InputError(f"timm block {text!r}: option {option!r} is not supported")
        key, value = match.groups()
        if key in values:
            raise InputError(f"timm block {text!r}: option {key!r} given twice")
        values[key] = float(value)
    missing = [key for key in ("r", "k", "s", "c") if key not in values]
    if missing:
        raise InputError(f"timm block {text!r}: missing {', '.join(missing)}")
    for key in ("r", "k", "s", "c", "e"):
        if key in values and not values[key].is_integer():
            raise InputError(f"timm block {text!r}: {key} must be a whole number")
    return values, skip


def _block_op(text: str, block_type: str, values: dict[str, float]) -> tuple[str, int]:
    """(our op, expansion) of a timm block type and its options."""
    expansion = int(values.get("e", 1))
    if block_type in ("ir", "er"):
        if "e" not in values:
            raise InputError(f"timm block {text!r}: {block_type} needs e<expansion>")
        if expansion < 2:
            raise InputError(
                f"timm block {text!r}: timm's {block_type} with e1 keeps an expand conv that no "
                f"ArchSpec op has (write {'ds' if block_type == 'ir' else 'cn'}_..._e1)"
            )
        return ("mbconv" if block_type == "ir" else "fused_mbconv"), expansion
    if "e" in values and expansion != 1:
        raise InputError(f"timm block {text!r}: {block_type} takes no expansion but e1")
    if block_type == "cn" and "se" in values:
        raise InputError(f"timm block {text!r}: timm's cn block has no squeeze-excite")
    if block_type == "ds":
        return ("mbconv" if "e" in values else "ds"), 1
    return ("fused_mbconv" if "e" in values else "conv"), 1


def _check_no_act_block(text: str, block_type: str, values: dict[str, float], skip: bool | None):
    """ValueError unless a block built without activation is our identity's projection."""
    if block_type != "cn" or values["r"] != 1 or values["k"] != 1 or skip:
        raise InputError(
            f"timm block {text!r} without activation: only cn_r1_k1_s<stride>_c<channels> has "
            "an ArchSpec op (identity, a 1x1 projection conv + BatchNorm)"
        )
    if "e" in values or "se" in values:
        raise InputError(f"timm block {text!r} without activation: takes no e or se")


def parse_block_string(text: str, no_act: bool = False) -> BlockSpec:
    """One timm block string (ir, ds, er or cn, without per-block activation overrides).
    ``no_act``: the block is built with ``act_layer=nn.Identity``, which only a
    ``cn_r1_k1_...`` block can be (our identity op)."""
    if not isinstance(text, str):
        raise InputError(f"a timm block must be a str, got {type(text).__name__}")
    block_type, *options = text.split("_")
    if block_type not in TIMM_BLOCK_TYPES:
        raise InputError(
            f"timm block {text!r}: type {block_type!r} is not one of {', '.join(TIMM_BLOCK_TYPES)}"
        )
    values, skip = _parse_options(text, options)
    if no_act:
        _check_no_act_block(text, block_type, values, skip)
        op, expansion = "identity", 1
    else:
        op, expansion = _block_op(text, block_type, values)
    default_skip = block_type != "cn"
    try:
        return BlockSpec(
            op=op,
            kernel=int(values["k"]),
            stride=int(values["s"]),
            expansion=expansion,
            se_ratio=values.get("se", 0.0),
            skip=default_skip if skip is None else skip,
            out_channels=int(values["c"]),
            repeats=int(values["r"]),
        )
    except ValueError as error:
        raise InputError(f"timm block {text!r}: {error}") from None


def _activation_name(act_layer: Any) -> str:
    name = act_layer if isinstance(act_layer, str) else getattr(act_layer, "__name__", "")
    key = str(name).lower().replace("_", "")
    key = _ACT_ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        raise InputError(f"act_layer {act_layer!r} is not one of {', '.join(ACTIVATIONS)}")
    return key


def from_timm(
    arch_def: Sequence[Sequence[str]],
    stem_size: int = 32,
    num_features: int = 1280,
    act_layer: Any = "silu",
    resolution: int = baselines.DEPLOYMENT_RESOLUTION,
    stem_stride: int = 2,
    no_act_stages: Sequence[int] = (),
) -> ArchSpec:
    """The ArchSpec of a timm arch_def (each string of a stage becomes a stage of ours) and
    EfficientNet settings; ``act_layer`` is a name (silu, swish, relu6...) or a torch.nn class;
    ``stem_stride`` 1 for a model whose ``conv_stem.stride`` was set to 1; ``no_act_stages``, the
    arch_def stages built with ``act_layer=nn.Identity`` (as ``TimmArch``). ValueError for
    strings or networks that have no exact ArchSpec. The identities ``to_timm`` leaves out do
    not come back: the ArchSpec builds the same network without them."""
    if isinstance(arch_def, str) or not isinstance(arch_def, Sequence):
        raise InputError("arch_def must be a list of lists of block strings")
    no_act = set(no_act_stages)
    if any(not isinstance(i, int) or not 0 <= i < len(arch_def) for i in no_act):
        raise InputError(f"no_act_stages {tuple(no_act_stages)!r}: not stages of the arch_def")
    stages = []
    for index, stage in enumerate(arch_def):
        if isinstance(stage, str) or not isinstance(stage, Sequence):
            raise InputError(f"arch_def stage {stage!r} must be a list of block strings")
        stages.extend(parse_block_string(text, no_act=index in no_act) for text in stage)
    if not stages:
        raise InputError("arch_def has no blocks")
    activation = _activation_name(act_layer)
    arch = ArchSpec(stem_size, tuple(stages), num_features, activation, resolution, stem_stride)
    for stage, layer in zip(arch.stages, _first_layers(arch), strict=True):
        if stage.op == "identity" and not _projects(layer):
            raise InputError(
                f"timm block {block_string(stage)!r} without activation keeps {layer.in_channels} "
                "channels at stride 1: a 1x1 conv that no ArchSpec op is (our identity there "
                "has no weights)"
            )
    to_timm(arch)  # refuses what timm would build differently
    return arch
