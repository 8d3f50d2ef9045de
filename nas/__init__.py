"""efficientnas: EfficientNet-style architecture search for PyTorch.

The public API, loaded on first use so that ``import nas`` stays light::

    from nas import ProxyConfig, SearchConfig, run_search, load_results
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nas.compare import CompareConfig, run_compare
    from nas.export import ExportConfig, run_export
    from nas.fidelity import FidelityConfig, run_fidelity, run_truth_check
    from nas.proxy import ProxyConfig
    from nas.report import make_report, scaling_figures
    from nas.results import load as load_results
    from nas.reward import RewardConfig
    from nas.scale import ScaleConfig, run_scale
    from nas.search import SearchConfig, run_search
    from nas.truth import load_table

# name -> (module, attribute)
_PUBLIC = {
    "ProxyConfig": ("nas.proxy", "ProxyConfig"),
    "RewardConfig": ("nas.reward", "RewardConfig"),
    "SearchConfig": ("nas.search", "SearchConfig"),
    "run_search": ("nas.search", "run_search"),
    "ScaleConfig": ("nas.scale", "ScaleConfig"),
    "run_scale": ("nas.scale", "run_scale"),
    "load_results": ("nas.results", "load"),
    "make_report": ("nas.report", "make_report"),
    "scaling_figures": ("nas.report", "scaling_figures"),
    "ExportConfig": ("nas.export", "ExportConfig"),
    "FidelityConfig": ("nas.fidelity", "FidelityConfig"),
    "run_fidelity": ("nas.fidelity", "run_fidelity"),
    "run_export": ("nas.export", "run_export"),
    "run_truth_check": ("nas.fidelity", "run_truth_check"),
    "CompareConfig": ("nas.compare", "CompareConfig"),
    "run_compare": ("nas.compare", "run_compare"),
    "load_table": ("nas.truth", "load_table"),
}

__all__ = [
    "CompareConfig",
    "ExportConfig",
    "FidelityConfig",
    "ProxyConfig",
    "RewardConfig",
    "ScaleConfig",
    "SearchConfig",
    "load_results",
    "load_table",
    "make_report",
    "run_compare",
    "run_export",
    "run_fidelity",
    "run_scale",
    "run_search",
    "run_truth_check",
    "scaling_figures",
]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        module, attribute = _PUBLIC[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'nas' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
