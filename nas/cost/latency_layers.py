"""The layers a latency table is keyed by: every layer of a network, and every distinct layer a
space can produce, each with the input size it runs at.

A network's latency is predicted as the sum over its layers (FBNet's and ProxylessNAS's lookup
table); a layer is identified by what changes its cost: kind (stem, layer, head, classifier),
op, kernel, stride, expansion, squeeze-excite ratio, residual, activation, input and output
channels and input size. Its text form is the table's JSON key, e.g.
``layer:ir_k5_s2_e6_se0.25_i16_o24_p112_silu`` (``_res`` when it adds its input back).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import baselines
from nas.errors import InputError
from search_spaces.spec import ACTIVATIONS, OP_TOKENS, OPS, TOKEN_OPS, ArchSpec, layer_plan

KINDS = ("stem", "layer", "head", "classifier")
STEM_KERNEL = 3  # search_spaces.network's


def conv_out(size: int, kernel: int, stride: int) -> int:
    """The output size of a 'same'-padded conv (padding kernel // 2)."""
    padding = kernel // 2
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True, order=True)
class LayerKey:
    """One layer as the latency table knows it. ``size`` is its input's height and width."""

    kind: str
    op: str
    kernel: int
    stride: int
    expansion: int
    se_ratio: float
    residual: bool
    activation: str
    in_channels: int
    out_channels: int
    size: int

    @property
    def text(self) -> str:
        """The JSON key: ``kind:token_k_s_e_se_i_o_p_act[_res]``."""
        token = OP_TOKENS.get(self.op, self.op)
        parts = [
            f"{token}_k{self.kernel}_s{self.stride}_e{self.expansion}",
            f"se{self.se_ratio:g}_i{self.in_channels}_o{self.out_channels}_p{self.size}",
            self.activation,
        ]
        text = f"{self.kind}:" + "_".join(parts)
        return text + "_res" if self.residual else text

    @classmethod
    def parse(cls, text: object) -> LayerKey:
        """The key back from its text; InputError naming it if it is not one."""
        rule = "is not a layer key (kind:op_kK_sS_eE_seR_iC_oC_pP_act[_res])"
        if not isinstance(text, str) or ":" not in text:
            raise InputError(f"{text!r} {rule}")
        kind, body = text.split(":", 1)
        parts = body.split("_")
        residual = parts[-1] == "res"
        if residual:
            parts = parts[:-1]
        try:
            token, kernel, stride, expansion, se, cin, cout, size, activation = parts
            values = dict(
                kernel=int(kernel.removeprefix("k")),
                stride=int(stride.removeprefix("s")),
                expansion=int(expansion.removeprefix("e")),
                se_ratio=float(se.removeprefix("se")),
                in_channels=int(cin.removeprefix("i")),
                out_channels=int(cout.removeprefix("o")),
                size=int(size.removeprefix("p")),
            )
        except ValueError:
            raise InputError(f"{text!r} {rule}") from None
        if kind not in KINDS:
            raise InputError(f"{text!r} {rule}: kind must be one of {', '.join(KINDS)}")
        op = TOKEN_OPS.get(token, token)
        if op not in (*OPS, "linear") or activation not in ACTIVATIONS:
            raise InputError(
                f"{text!r} {rule}: the op must be one of {', '.join(OP_TOKENS.values())} or "
                f"linear, the activation one of {', '.join(ACTIVATIONS)}"
            )
        return cls(kind, op, activation=activation, residual=residual, **values)


def _plain(kind: str, op: str, kernel: int, stride: int, act: str, cin: int, cout: int, size: int):
    return LayerKey(kind, op, kernel, stride, 1, 0.0, False, act, cin, cout, size)


def network_layers(
    arch: ArchSpec,
    resolution: int | None = None,
    in_channels: int = baselines.DEPLOYMENT_CHANNELS,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
) -> list[LayerKey]:
    """Every layer of ``arch`` at ``resolution`` (default: its own), in order: the stem, each
    layer of each stage, the 1x1 head, and the pool with the classifier."""
    if not isinstance(arch, ArchSpec):
        raise InputError(f"arch must be an ArchSpec, got {type(arch).__name__}")
    size = arch.resolution if resolution is None else resolution
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"resolution={size!r} is invalid: must be an integer >= 1")
    act = arch.activation
    keys = [
        _plain(
            "stem",
            "conv",
            STEM_KERNEL,
            arch.stem_stride,
            act,
            in_channels,
            arch.stem_channels,
            size,
        )
    ]
    size = conv_out(size, STEM_KERNEL, arch.stem_stride)
    for layer in layer_plan(arch):
        keys.append(
            LayerKey(
                "layer",
                layer.op,
                layer.kernel,
                layer.stride,
                layer.expansion,
                float(layer.se_ratio),
                layer.residual,
                act,
                layer.in_channels,
                layer.out_channels,
                size,
            )
        )
        size = conv_out(size, layer.kernel, layer.stride)
    last = arch.stages[-1].out_channels
    keys.append(_plain("head", "conv", 1, 1, act, last, arch.head_channels, size))
    keys.append(_plain("classifier", "linear", 1, 1, act, arch.head_channels, num_classes, size))
    return keys


def _block_layers(space, block: int, in_choices: Iterable[int], size: int, act: str):
    """The distinct layers block ``block`` of an MnasSpace can hold, at input size ``size``."""
    ref = space.reference.stages[block]
    choices = space.block_choices(block)
    bodies = []
    for op, kernel, se in itertools.product(choices["op"], choices["kernel"], choices["se_ratio"]):
        expansions = choices["expansion"] if op in ("mbconv", "fused_mbconv") else (1,)
        bodies += [(op, kernel, expansion, float(se)) for expansion in expansions]
    keys = set()
    repeats = max(choices["layers"]) > 1
    after = conv_out(size, max(choices["kernel"]), ref.stride)
    for (op, kernel, expansion, se), skip, cout in itertools.product(
        bodies, choices["skip"], choices["filters"]
    ):
        for cin in in_choices:
            residual = skip and ref.stride == 1 and cin == cout
            keys.add(
                LayerKey(
                    "layer", op, kernel, ref.stride, expansion, se, residual, act, cin, cout, size
                )
            )
        if repeats:
            keys.add(LayerKey("layer", op, kernel, 1, expansion, se, skip, act, cout, cout, after))
    return keys, after


def space_layers(
    space: object,
    resolution: int | None = None,
    in_channels: int = baselines.DEPLOYMENT_CHANNELS,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
) -> list[LayerKey]:
    """Every distinct layer the networks of ``space`` can hold at ``resolution`` (default: the
    reference's), sorted. An MnasSpace is walked block by block (its sizes do not depend on the
    choices: every kernel is 'same'-padded); a finite space (NAS-Bench-Macro's) network by
    network."""
    if hasattr(space, "block_choices"):
        ref = space.reference
        size = ref.resolution if resolution is None else resolution
        act = ref.activation
        keys = {
            _plain(
                "stem",
                "conv",
                STEM_KERNEL,
                ref.stem_stride,
                act,
                in_channels,
                ref.stem_channels,
                size,
            )
        }
        size = conv_out(size, STEM_KERNEL, ref.stem_stride)
        in_choices: Iterable[int] = (ref.stem_channels,)
        for block in range(space.num_blocks):
            block_keys, size = _block_layers(space, block, in_choices, size, act)
            keys |= block_keys
            in_choices = space.block_choices(block)["filters"]
        for cin in in_choices:
            keys.add(_plain("head", "conv", 1, 1, act, cin, ref.head_channels, size))
        keys.add(_plain("classifier", "linear", 1, 1, act, ref.head_channels, num_classes, size))
        return sorted(keys)
    if hasattr(space, "archs"):
        keys = set()
        for arch in space.archs():
            keys.update(network_layers(arch, resolution, in_channels, num_classes))
        return sorted(keys)
    raise InputError(f"{type(space).__name__} cannot list its layers: not a known kind of space")
