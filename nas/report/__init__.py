"""Reports on studies and scaling folders: tables, figures, one self-contained HTML page, and
class activation maps of trained checkpoints.

The data a figure shows is computed first (``frames``), then drawn (``figures``); the command
``python -m nas.report`` lives in nas.cli.report.
"""

from __future__ import annotations

from nas.report.cam import CamConfig, class_activation_maps
from nas.report.canvas import PlotsUnavailable
from nas.report.inputs import Scaling, Study, load_inputs, load_scaling, load_study
from nas.report.make import make_report, scaling_figures

__all__ = [
    "CamConfig",
    "PlotsUnavailable",
    "Scaling",
    "Study",
    "class_activation_maps",
    "load_inputs",
    "load_scaling",
    "load_study",
    "make_report",
    "scaling_figures",
]
