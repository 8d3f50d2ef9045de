"""What a network costs: closed-form multiply-adds and parameters, fvcore's count, latency,
training step time."""

from __future__ import annotations

from nas.cost.measure import flops, fvcore_flops, latency, module_params, params
from nas.cost.step_time import StepTime, step_time

__all__ = [
    "StepTime",
    "flops",
    "fvcore_flops",
    "latency",
    "module_params",
    "params",
    "step_time",
]
