"""Helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from nas.proxy import PROXY_FIELDS, ProxyConfig
from nas.search import SearchConfig


def search_config(**fields: Any) -> SearchConfig:
    """A SearchConfig from flat settings: the proxy's fields go into its ProxyConfig."""
    proxy = {name: fields.pop(name) for name in list(fields) if name in PROXY_FIELDS}
    return SearchConfig(proxy=ProxyConfig(**proxy), **fields)


def tiny_config(tmp_path: Any, **changes: Any) -> SearchConfig:
    """A search that trains in seconds: synthetic images, 192 to train and 96 held out, 3
    trials on the CPU, its results under ``tmp_path``; ``changes`` override (flat settings)."""
    fields = dict(
        dataset="synthetic",
        train_subset=192,
        val_subset=96,
        batch_size=64,
        trials=3,
        results_dir=str(tmp_path),
        show_progress=False,
        device="cpu",
    )
    return search_config(**(fields | changes))


def table_config(tmp_path: Any, **changes: Any) -> SearchConfig:
    """A table search (NAS-Bench-Macro's space, accuracies looked up) of 20 trials under
    ``tmp_path``, every candidate trained (no pre-screen, the space's default, unless a test
    asks for it); ``changes`` override."""
    values = dict(
        space="nb-macro",
        objective="table",
        trials=20,
        prescreen=1.0,
        results_dir=str(tmp_path),
        show_progress=False,
    )
    return SearchConfig(**(values | changes))
