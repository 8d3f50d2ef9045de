"""Architectures as data: BlockSpec and ArchSpec, their validation, string and JSON forms.

A network is a stem conv, a sequence of stages and a 1x1 head conv followed by pooling and a
classifier. Each stage repeats one block; only its first layer may have stride 2, and that layer
carries the change of channels. Input channels are not stored: the builder carries them.

The string form is one token per stage in the style of the TensorFlow and timm block strings,
between a stem token and the head, activation and resolution tokens, all joined by ``-``::

    stem32-ir_r1_k3_s1_e1_c16_se0.25-ir_r2_k3_s2_e6_c24_se0.25-...-head1280-silu-res224

Stage keys: ``r`` repeats, ``k`` kernel, ``s`` stride, ``e`` expansion (``ir`` and ``er`` only),
``c`` output channels, ``se`` squeeze-excite ratio (absent means 0), ``noskip`` for no residual.
A stem of stride 1 (small inputs such as CIFAR's 32x32) is written ``stem32s1``; stride 2, the
ImageNet stem, is the default and is written ``stem32``.

The ``id`` op is a layer that passes its input on: a plain identity where its stride is 1 and its
channels do not change, else a 1x1 projection conv with that stride and BatchNorm (no
activation), as NAS-Bench-Macro's skip choice is. It has kernel 1, no expansion, no
squeeze-excite and no residual of its own (``id_r1_k1_s2_c64_noskip``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from search_spaces.errors import SpecError

# Operator name -> string token. The tokens are timm's, so its users read them at sight.
OP_TOKENS: dict[str, str] = {
    "mbconv": "ir",  # inverted residual: 1x1 expand, kxk depthwise, SE, 1x1 project
    "fused_mbconv": "er",  # EfficientNetV2 "edge residual": kxk expand conv, SE, 1x1 project
    "ds": "ds",  # depthwise-separable: kxk depthwise, SE, 1x1 project
    "conv": "cn",  # regular kxk conv
    "identity": "id",  # the input passed on (a 1x1 projection where stride or channels change)
}
TOKEN_OPS: dict[str, str] = {token: op for op, token in OP_TOKENS.items()}
OPS: tuple[str, ...] = tuple(OP_TOKENS)
OPS_WITH_EXPANSION: frozenset[str] = frozenset({"mbconv", "fused_mbconv"})
# The ops of the MnasNet space (an identity layer is not one of its choices).
MNASNET_OPS: tuple[str, ...] = ("mbconv", "fused_mbconv", "ds", "conv")
ACTIVATIONS: tuple[str, ...] = ("silu", "relu", "relu6", "hardswish")
MIN_RESOLUTION, MAX_RESOLUTION = 8, 4096  # the input sizes an architecture may have
RESOLUTION_RULE = f"must be an integer from {MIN_RESOLUTION} to {MAX_RESOLUTION}"
KERNELS: tuple[int, ...] = (1, 3, 5, 7, 9)
STRIDES: tuple[int, ...] = (1, 2)
STEM_STRIDES: tuple[int, ...] = (1, 2)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _require(condition: bool, owner: str, field: str, value: Any, rule: str) -> None:
    if not condition:
        raise SpecError(f"{owner}.{field}={value!r} is invalid: {rule}")


@dataclass(frozen=True)
class BlockSpec:
    """One stage: ``repeats`` identical layers of ``op``; the first has ``stride``."""

    op: str
    kernel: int
    stride: int
    expansion: int
    se_ratio: float
    skip: bool
    out_channels: int
    repeats: int

    def __post_init__(self) -> None:
        own = "BlockSpec"
        _require(self.op in OPS, own, "op", self.op, f"must be one of {', '.join(OPS)}")
        _require(
            self.kernel in KERNELS and _is_int(self.kernel),
            own,
            "kernel",
            self.kernel,
            "must be an odd size from 1 to 9",
        )
        _require(
            self.stride in STRIDES and _is_int(self.stride),
            own,
            "stride",
            self.stride,
            "must be 1 or 2",
        )
        _require(
            _is_int(self.expansion) and self.expansion >= 1,
            own,
            "expansion",
            self.expansion,
            "must be an integer >= 1",
        )
        if self.op not in OPS_WITH_EXPANSION:
            _require(
                self.expansion == 1,
                own,
                "expansion",
                self.expansion,
                f"op {self.op!r} has no expansion; it must be 1",
            )
        _require(
            _is_number(self.se_ratio) and 0.0 <= self.se_ratio <= 1.0,
            own,
            "se_ratio",
            self.se_ratio,
            "must be a number from 0 to 1",
        )
        _require(isinstance(self.skip, bool), own, "skip", self.skip, "must be True or False")
        if self.op == "identity":
            rule = "an identity layer has kernel 1, no squeeze-excite and no residual of its own"
            _require(self.kernel == 1, own, "kernel", self.kernel, rule)
            _require(self.se_ratio == 0, own, "se_ratio", self.se_ratio, rule)
            _require(not self.skip, own, "skip", self.skip, rule)
        _require(
            _is_int(self.out_channels) and self.out_channels >= 1,
            own,
            "out_channels",
            self.out_channels,
            "must be an integer >= 1",
        )
        _require(
            _is_int(self.repeats) and self.repeats >= 1,
            own,
            "repeats",
            self.repeats,
            "must be an integer >= 1",
        )
        object.__setattr__(self, "se_ratio", float(self.se_ratio))


@dataclass(frozen=True)
class ArchSpec:
    """A whole network: stem, stages, head, activation and the resolution it is deployed at."""

    stem_channels: int
    stages: tuple[BlockSpec, ...]
    head_channels: int
    activation: str = "silu"
    resolution: int = 224
    stem_stride: int = 2  # 1 for small inputs (CIFAR's 32x32), as NAS-Bench-Macro's stem

    def __post_init__(self) -> None:
        own = "ArchSpec"
        _require(
            _is_int(self.stem_channels) and self.stem_channels >= 1,
            own,
            "stem_channels",
            self.stem_channels,
            "must be an integer >= 1",
        )
        _require(
            isinstance(self.stages, (tuple, list)) and len(self.stages) > 0,
            own,
            "stages",
            self.stages,
            "must be a non-empty sequence of BlockSpec",
        )
        for index, stage in enumerate(self.stages):
            _require(
                isinstance(stage, BlockSpec), own, f"stages[{index}]", stage, "must be a BlockSpec"
            )
        _require(
            _is_int(self.head_channels) and self.head_channels >= 1,
            own,
            "head_channels",
            self.head_channels,
            "must be an integer >= 1",
        )
        _require(
            self.activation in ACTIVATIONS,
            own,
            "activation",
            self.activation,
            f"must be one of {', '.join(ACTIVATIONS)}",
        )
        _require(
            _is_int(self.resolution) and MIN_RESOLUTION <= self.resolution <= MAX_RESOLUTION,
            own,
            "resolution",
            self.resolution,
            RESOLUTION_RULE,
        )
        _require(
            self.stem_stride in STEM_STRIDES and _is_int(self.stem_stride),
            own,
            "stem_stride",
            self.stem_stride,
            "must be 1 or 2",
        )
        object.__setattr__(self, "stages", tuple(self.stages))

    @property
    def depth(self) -> int:
        """Number of layers in all stages (the stem and head not counted)."""
        return sum(stage.repeats for stage in self.stages)

    def replace(self, **changes: Any) -> ArchSpec:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class LayerSpec:
    """One concrete layer of a stage, with the input channels the builder carries to it."""

    op: str
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    expansion: int
    se_ratio: float
    residual: bool


def layer_plan(arch: ArchSpec) -> tuple[LayerSpec, ...]:
    """Every layer after the stem, in order. The single source of the stride/residual rules:
    a stage's first layer takes its stride and channel change; a layer has an identity
    residual when the stage asks for skip, its stride is 1 and its channels are unchanged."""
    layers = []
    in_channels = arch.stem_channels
    for stage in arch.stages:
        for index in range(stage.repeats):
            stride = stage.stride if index == 0 else 1
            residual = stage.skip and stride == 1 and in_channels == stage.out_channels
            layers.append(
                LayerSpec(
                    stage.op,
                    in_channels,
                    stage.out_channels,
                    stage.kernel,
                    stride,
                    stage.expansion,
                    stage.se_ratio,
                    residual,
                )
            )
            in_channels = stage.out_channels
    return tuple(layers)


# ----------------------------------------------------------------------------- string form


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def encode_block(block: BlockSpec) -> str:
    parts = [OP_TOKENS[block.op], f"r{block.repeats}", f"k{block.kernel}", f"s{block.stride}"]
    if block.op in OPS_WITH_EXPANSION:
        parts.append(f"e{block.expansion}")
    parts.append(f"c{block.out_channels}")
    if block.se_ratio > 0:
        parts.append(f"se{_format_number(block.se_ratio)}")
    if not block.skip:
        parts.append("noskip")
    return "_".join(parts)


def encode(arch: ArchSpec) -> str:
    """The architecture's one string; ``decode(encode(a)) == a``."""
    stages = "-".join(encode_block(stage) for stage in arch.stages)
    stem_stride = "" if arch.stem_stride == 2 else f"s{arch.stem_stride}"
    return (
        f"stem{arch.stem_channels}{stem_stride}-{stages}-head{arch.head_channels}"
        f"-{arch.activation}-res{arch.resolution}"
    )


def _parse_int(token: str, text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise SpecError(f"bad token {token!r}: {what} must be a whole number")
    return int(text)


def decode_block(token: str) -> BlockSpec:
    """Parse one stage token such as ``ir_r2_k3_s2_e6_c24_se0.25``."""
    op_token, *options = token.split("_")
    if op_token not in TOKEN_OPS:
        known = ", ".join(TOKEN_OPS)
        raise SpecError(f"bad token {token!r}: unknown op {op_token!r} (known: {known})")
    fields: dict[str, Any] = {
        "op": TOKEN_OPS[op_token],
        "expansion": 1,
        "se_ratio": 0.0,
        "skip": True,
    }
    keys = {"r": "repeats", "k": "kernel", "s": "stride", "e": "expansion", "c": "out_channels"}
    seen: set[str] = set()
    for option in options:
        if option == "noskip":
            key, field, value = "noskip", "skip", False
        elif option.startswith("se"):
            key, field = "se", "se_ratio"
            try:
                value = float(option[2:])
            except ValueError:
                raise SpecError(f"bad token {token!r}: {option!r} is not se<ratio>") from None
            if not math.isfinite(value):
                raise SpecError(f"bad token {token!r}: {option!r} is not a finite ratio")
        elif option[:1] in keys:
            key, field = option[:1], keys[option[:1]]
            value = _parse_int(token, option[1:], f"{option!r}")
        else:
            raise SpecError(f"bad token {token!r}: unknown option {option!r}")
        if key in seen:
            raise SpecError(f"bad token {token!r}: option {key!r} given twice")
        seen.add(key)
        fields[field] = value
    missing = [key for key in ("r", "k", "s", "c") if key not in seen]
    if missing:
        raise SpecError(f"bad token {token!r}: missing {', '.join(missing)}")
    if "e" in seen and fields["op"] not in OPS_WITH_EXPANSION:
        raise SpecError(f"bad token {token!r}: op {op_token!r} takes no expansion")
    try:
        return BlockSpec(**fields)
    except ValueError as error:
        raise SpecError(f"bad token {token!r}: {error}") from None


def _decode_prefixed(token: str, prefix: str) -> int:
    if not token.startswith(prefix):
        raise SpecError(f"bad token {token!r}: expected {prefix}<channels>")
    return _parse_int(token, token[len(prefix) :], f"{prefix} value")


def decode(text: str) -> ArchSpec:
    """Parse an architecture string; any malformed input raises ValueError naming the token."""
    if not isinstance(text, str):
        raise SpecError(f"architecture string must be a str, got {type(text).__name__}")
    tokens = text.strip().split("-")
    if len(tokens) < 5:
        raise SpecError(
            f"bad architecture string {text!r}: expected "
            "stem<c>-<stage>[-<stage>...]-head<c>-<activation>-res<pixels>"
        )
    stem_token, stem_stride = tokens[0], 2
    if stem_token.startswith("stem") and "s" in stem_token[4:]:
        stem_token, _, stride_text = stem_token.rpartition("s")
        stem_stride = _parse_int(tokens[0], stride_text, "the stem's stride")
        if stem_stride != 1:
            raise SpecError(
                f"bad token {tokens[0]!r}: the stem's stride is written s1 or left out (stride 2)"
            )
    stem = _decode_prefixed(stem_token, "stem")
    stages = tuple(decode_block(token) for token in tokens[1:-3])
    head = _decode_prefixed(tokens[-3], "head")
    activation = tokens[-2]
    if activation not in ACTIVATIONS:
        raise SpecError(
            f"bad token {activation!r}: activation must be one of {', '.join(ACTIVATIONS)}"
        )
    resolution = _decode_prefixed(tokens[-1], "res")
    try:
        return ArchSpec(stem, stages, head, activation, resolution, stem_stride)
    except ValueError as error:
        raise SpecError(f"bad architecture string {text!r}: {error}") from None


# ----------------------------------------------------------------------------- JSON form

_BLOCK_FIELDS = tuple(field.name for field in dataclasses.fields(BlockSpec))
_ARCH_FIELDS = tuple(field.name for field in dataclasses.fields(ArchSpec))


def to_dict(arch: ArchSpec) -> dict[str, Any]:
    return dataclasses.asdict(arch) | {"stages": [dataclasses.asdict(s) for s in arch.stages]}


def _check_keys(data: Any, allowed: tuple[str, ...], required: tuple[str, ...], where: str) -> None:
    if not isinstance(data, dict):
        raise SpecError(f"{where} must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(map(str, data)) - set(allowed))
    if unknown:
        raise SpecError(f"{where} has unknown field(s) {', '.join(unknown)}")
    missing = [key for key in required if key not in data]
    if missing:
        raise SpecError(f"{where} is missing field(s) {', '.join(missing)}")


def from_dict(data: Any) -> ArchSpec:
    """Inverse of to_dict; wrong shapes and values raise ValueError."""
    _check_keys(data, _ARCH_FIELDS, ("stem_channels", "stages", "head_channels"), "architecture")
    stages = data["stages"]
    if not isinstance(stages, list):
        raise SpecError(f"architecture.stages must be a list, got {type(stages).__name__}")
    blocks = []
    for index, stage in enumerate(stages):
        _check_keys(stage, _BLOCK_FIELDS, _BLOCK_FIELDS, f"architecture.stages[{index}]")
        blocks.append(BlockSpec(**stage))
    return ArchSpec(**(data | {"stages": tuple(blocks)}))


def to_json(arch: ArchSpec, indent: int | None = 2) -> str:
    return json.dumps(to_dict(arch), indent=indent)


def from_json(text: str | bytes) -> ArchSpec:
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:  # JSONDecodeError and UnicodeDecodeError
        raise SpecError(f"architecture JSON is not valid JSON: {error}") from None
    return from_dict(data)
