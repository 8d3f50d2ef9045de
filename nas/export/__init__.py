"""Taking an architecture away: timm block strings and weights, ONNX, checkpoint folders.

    from nas.export import ExportConfig, run_export
    exported = run_export(ExportConfig("efficientnet_b0", format="onnx", out="b0.onnx"))

or piece by piece: ``untrained_network`` / ``trained_network`` / ``checkpoint_network`` give a
``Network``; ``export_timm``, ``export_onnx`` (with ``check_onnx``) and ``export_pytorch``
write it; ``to_timm`` / ``from_timm`` translate an ArchSpec to and from timm's block strings.
"""

from __future__ import annotations

from nas.export.config import FORMATS, ExportConfig
from nas.export.network import (
    DEFAULT_IN_CHANNELS,
    DEFAULT_NUM_CLASSES,
    Network,
    checkpoint_network,
    default_num_classes,
    trained_network,
    untrained_network,
)
from nas.export.onnx import INSTALL_HINT, OnnxCheck, check_onnx, export_onnx
from nas.export.pytorch import export_pytorch
from nas.export.run import Exported, prepare_network, run_export, summary
from nas.export.timm import TimmArch, block_string, from_timm, parse_block_string, to_timm
from nas.export.timm_script import export_timm, timm_snippet, timm_state_dict

__all__ = [
    "Exported",
    "DEFAULT_IN_CHANNELS",
    "DEFAULT_NUM_CLASSES",
    "FORMATS",
    "INSTALL_HINT",
    "ExportConfig",
    "Network",
    "OnnxCheck",
    "TimmArch",
    "block_string",
    "check_onnx",
    "checkpoint_network",
    "default_num_classes",
    "export_onnx",
    "export_pytorch",
    "export_timm",
    "from_timm",
    "parse_block_string",
    "prepare_network",
    "run_export",
    "summary",
    "timm_snippet",
    "timm_state_dict",
    "to_timm",
    "trained_network",
    "untrained_network",
]
