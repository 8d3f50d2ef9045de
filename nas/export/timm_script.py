"""timm's side of an export: the Python script that builds ``arch`` in timm, and our weights under
timm's names (the mapping itself, ArchSpec <-> block strings, is ``nas.export.timm``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

import baselines
from nas.export.network import Network
from nas.export.timm import (
    TIMM_OUTPUT_STRIDE,
    TIMM_STEM_STRIDE,
    timm_stages,
    to_timm,
)
from search_spaces.network import ArchNet
from search_spaces.spec import ArchSpec, BlockSpec, encode


def timm_snippet(
    arch: ArchSpec,
    num_classes: int = baselines.DEPLOYMENT_CLASSES,
    in_channels: int = 3,
    weights_file: str | None = None,
    image_size: int | None = None,
) -> str:
    """A Python script that builds ``arch`` with timm (and loads ``weights_file`` if given)."""
    timm_arch = to_timm(arch)
    size = image_size or arch.resolution
    stages = "\n".join(f"    {list(stage)!r}," for stage in timm_arch.arch_def)
    stride = (
        [f"    output_stride={timm_arch.output_stride},  # the stride timm counts: no dilation"]
        if timm_arch.output_stride != TIMM_OUTPUT_STRIDE
        else []
    )
    left_out = [i + 1 for i, index in enumerate(timm_stages(arch)) if index is None]
    lines = [
        f"# {encode(arch)} as a timm EfficientNet (checked with timm 1.0),",
        f"# for {in_channels}x{size}x{size} inputs.",
        *(
            [f"# Stages {_numbers(left_out)}: identities of stride 1, nothing to build, left out."]
            if left_out
            else []
        ),
        "import torch",
        "from timm.models._efficientnet_builder import decode_arch_def",
        "from timm.models.efficientnet import EfficientNet",
        "",
        f"arch_def = [\n{stages}\n]",
    ]
    if timm_arch.no_act_stages:
        lines += [
            "block_args = decode_arch_def(arch_def)",
            "# Our identity layers that change the shape: a 1x1 conv + BatchNorm, no activation,",
            "# which no block string says (timm's n<act> option only picks an activation).",
            f"for stage in {timm_arch.no_act_stages!r}:",
            '    block_args[stage][0]["act_layer"] = torch.nn.Identity',
        ]
    lines += [
        "model = EfficientNet(",
        "    block_args," if timm_arch.no_act_stages else "    decode_arch_def(arch_def),",
        f"    num_classes={num_classes},",
        f"    in_chans={in_channels},",
        f"    stem_size={timm_arch.stem_size},",
        f"    num_features={timm_arch.num_features},  # the head's 1x1 conv",
        f"    act_layer=torch.nn.{timm_arch.act_layer},",
        "    round_chs_fn=int,  # channels as written, not rounded to multiples of 8",
        *stride,
        "    drop_rate=0.2,",
        "    drop_path_rate=0.2,",
        ")",
    ]
    if timm_arch.stem_stride != TIMM_STEM_STRIDE:
        lines += [
            "# timm's EfficientNet always builds a stride-2 stem: make it 1 (its padding stays 1).",
            f"model.conv_stem.stride = ({timm_arch.stem_stride}, {timm_arch.stem_stride})",
        ]
    if weights_file is not None:
        lines.append(f"model.load_state_dict(torch.load({weights_file!r}, weights_only=True))")
    return "\n".join(lines) + "\n"


def _numbers(values: Sequence[int]) -> str:
    return ", ".join(str(value) for value in values)


def _timm_units(stage: BlockSpec) -> list[tuple[str, str] | str]:
    """timm's names for the parts of one layer's body, in our body's order:
    (conv, norm) pairs and "se"."""
    se = ["se"] if stage.se_ratio > 0 else []
    if stage.op == "identity":  # only a projecting one has weights: timm's cn without activation
        return [("conv", "bn1")]
    if stage.op in ("fused_mbconv", "conv"):
        if stage.expansion == 1:
            return [("conv", "bn1")]
        return [("conv_exp", "bn1"), *se, ("conv_pwl", "bn2")]
    if stage.expansion == 1:
        return [("conv_dw", "bn1"), *se, ("conv_pw", "bn2")]
    return [("conv_pw", "bn1"), ("conv_dw", "bn2"), *se, ("conv_pwl", "bn3")]


def _timm_key(key: str, arch: ArchSpec, stages: Sequence[int | None]) -> str:
    """Our state-dict key's timm name; ``stages`` maps our stages to timm's (``timm_stages``)."""
    top = {"stem.0": "conv_stem", "stem.1": "bn1", "head.0": "conv_head", "head.1": "bn2"}
    module, _, tensor = key.rpartition(".")
    if module in top:
        return f"{top[module]}.{tensor}"
    if module == "classifier":
        return key
    _, stage, layer, _, part, *inner = module.split(".")  # stages.S.L.body.J[.0|.1|.reduce]
    unit = _timm_units(arch.stages[int(stage)])[int(part)]
    if unit == "se":
        name = "se.conv_reduce" if inner == ["reduce"] else "se.conv_expand"
    else:
        name = unit[0] if inner == ["0"] else unit[1]
    return f"blocks.{stages[int(stage)]}.{layer}.{name}.{tensor}"


def timm_state_dict(model: ArchNet) -> dict[str, torch.Tensor]:
    """``model``'s weights under the names of the timm EfficientNet ``timm_snippet`` builds."""
    to_timm(model.arch)
    stages = timm_stages(model.arch)
    return {
        _timm_key(key, model.arch, stages): value.detach().cpu()
        for key, value in model.state_dict().items()
    }


def export_timm(network: Network, weights_file: str | Path | None = None) -> str:
    """The timm script that builds the network; with ``weights_file``, its weights are written
    there under timm's names and the script loads them."""
    info = network.info
    if weights_file is not None:
        state = timm_state_dict(network.model)  # refuses what timm cannot build first
        Path(weights_file).parent.mkdir(parents=True, exist_ok=True)
        torch.save(state, weights_file)
    return timm_snippet(
        info.arch,
        num_classes=info.num_classes,
        in_channels=info.in_channels,
        weights_file=None if weights_file is None else str(weights_file),
        image_size=info.image_size,
    )
