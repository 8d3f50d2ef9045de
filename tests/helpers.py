"""Helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from nas.proxy import PROXY_FIELDS, ProxyConfig
from nas.search import SearchConfig


def search_config(**fields: Any) -> SearchConfig:
    """A SearchConfig from flat settings: the proxy's fields go into its ProxyConfig."""
    proxy = {name: fields.pop(name) for name in list(fields) if name in PROXY_FIELDS}
    return SearchConfig(proxy=ProxyConfig(**proxy), **fields)
