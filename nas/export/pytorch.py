"""Checkpoint folders: a network's weights and ``arch.json``, loaded back by
``nas.train.checkpoint.load``."""

from __future__ import annotations

from pathlib import Path

from nas.export.network import Network
from nas.train import checkpoint


def export_pytorch(network: Network, folder: str | Path) -> Path:
    """``folder/model.pt`` and ``folder/arch.json``: ``nas.train.checkpoint.load(folder)`` reads
    them."""
    return checkpoint.save(network.model, network.info, folder)
