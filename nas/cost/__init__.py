"""What a network costs: closed-form multiply-adds and parameters, fvcore's count, latency."""

from __future__ import annotations

from nas.cost.measure import flops, fvcore_flops, latency, module_params, params

__all__ = ["flops", "fvcore_flops", "latency", "module_params", "params"]
