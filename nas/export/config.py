"""``ExportConfig``: what to export (ARCH or a checkpoint), how (the format) and where."""

from __future__ import annotations

from dataclasses import dataclass

from nas.errors import ConfigError
from nas.proxy import ProxyConfig

FORMATS = ("timm", "onnx", "pytorch")


@dataclass(frozen=True)
class ExportConfig:
    """One export. ``arch`` is a baseline name, an architecture string or a .json file (see
    ``nas.archs.resolve_arch``); ``checkpoint`` a checkpoint folder instead. ``proxy`` set:
    train ARCH on the proxy data first. ``out`` is the file or folder to write (the timm format
    without it only returns the script)."""

    arch: str | None = None
    format: str = "timm"
    out: str | None = None
    checkpoint: str | None = None
    num_classes: int | None = None  # None: 1000 (a NAS-Bench-Macro network: 10), or the
    # checkpoint's or the dataset's
    in_channels: int | None = None
    image_size: int | None = None  # the input's side; None: the study's, else arch.resolution
    seed: int = 0  # the initial weights
    proxy: ProxyConfig | None = None  # set: train on the proxy data first

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError("format", self.format, f"use {', '.join(FORMATS)}")
        if (self.arch is None) == (self.checkpoint is None):
            raise ConfigError(None, None, "give ARCH or {checkpoint} DIR (one of them)")
        if self.proxy is not None and not isinstance(self.proxy, ProxyConfig):
            raise ConfigError("proxy", self.proxy, "must be a ProxyConfig or None")
        if self.checkpoint is not None and self.proxy is not None:
            raise ConfigError(
                None, None, "{train} trains ARCH afresh; a {checkpoint} is trained already"
            )
        if self.out is None and self.format != "timm":
            raise ConfigError(None, None, f"{{format}} {self.format} needs {{out}}")
        if self.out is None and self.proxy is not None:
            raise ConfigError(
                None, None, "{train} needs {out}, or the trained weights would be lost"
            )
        for name in ("num_classes", "in_channels", "image_size"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "must be an integer >= 1")
            if self.checkpoint is not None or self.proxy is not None:
                source = "the checkpoint" if self.checkpoint is not None else "the dataset"
                raise ConfigError(None, None, f"{{{name}}} comes from {source}; leave it out")
