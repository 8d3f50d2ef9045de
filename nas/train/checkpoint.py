"""A trained network as two files a person can read and any tool can load safely.

``DIR/model.pt`` holds the state_dict only (loaded with ``torch.load(weights_only=True)``, so no
pickled code ever runs) and ``DIR/arch.json`` the architecture and what the network expects:

    {"arch": {...ArchSpec...}, "arch_string": "stem32-...", "num_classes": 10,
     "in_channels": 1, "image_size": 28, "mean": [0.286], "std": [0.353],
     "class_names": ["0", ...] or null, "metrics": {...}}

Load it back with one line: ``model, info = nas.train.checkpoint.load("DIR")``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from nas.errors import InputError, MissingFile
from search_spaces import ArchSpec, build_model, encode, from_dict, to_dict
from search_spaces.network import ArchNet

MODEL_FILE = "model.pt"
ARCH_FILE = "arch.json"


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint's network is and expects as input."""

    arch: ArchSpec
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arch": to_dict(self.arch),
            "arch_string": encode(self.arch),
            "num_classes": self.num_classes,
            "in_channels": self.in_channels,
            "image_size": self.image_size,
            "mean": list(self.mean),
            "std": list(self.std),
            "class_names": None if self.class_names is None else list(self.class_names),
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> CheckpointInfo:
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
        missing = [key for key in ("arch", "num_classes", "in_channels") if key not in data]
        if missing:
            raise InputError(f"{where}: missing {', '.join(missing)}")
        try:
            arch = from_dict(data["arch"])
        except ValueError as error:
            raise InputError(f"{where}: {error}") from None
        in_channels = data["in_channels"]
        names = data.get("class_names")
        return cls(
            arch=arch,
            num_classes=int(data["num_classes"]),
            in_channels=int(in_channels),
            image_size=int(data.get("image_size", arch.resolution)),
            mean=tuple(float(v) for v in data.get("mean", [0.0] * in_channels)),
            std=tuple(float(v) for v in data.get("std", [1.0] * in_channels)),
            class_names=None if names is None else tuple(str(n) for n in names),
            metrics=dict(data.get("metrics") or {}),
        )


def save(model: ArchNet, info: CheckpointInfo, folder: str | Path) -> Path:
    """Write ``model.pt`` (state_dict) and ``arch.json`` into ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    torch.save(state, folder / MODEL_FILE)
    (folder / ARCH_FILE).write_text(json.dumps(info.to_dict(), indent=2) + "\n")
    return folder


def load_info(folder: str | Path) -> CheckpointInfo:
    """The ``arch.json`` of a checkpoint folder."""
    path = Path(folder) / ARCH_FILE
    if not path.is_file():
        raise MissingFile(f"no {ARCH_FILE} in checkpoint folder {str(folder)!r}")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{str(path)!r} is not valid JSON: {error}") from None
    return CheckpointInfo.from_dict(data, repr(str(path)))


def load(folder: str | Path, device: str | torch.device = "cpu") -> tuple[ArchNet, CheckpointInfo]:
    """The network of a checkpoint folder, weights loaded, in eval mode, and its info."""
    info = load_info(folder)
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise MissingFile(f"no {MODEL_FILE} in checkpoint folder {str(folder)!r}")
    model = build_model(info.arch, num_classes=info.num_classes, in_channels=info.in_channels)
    try:
        state = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict(state)
    except (RuntimeError, ValueError, EOFError) as error:  # wrong shapes, a truncated file
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(
            f"{str(path)!r} does not hold this architecture's weights: {first}"
        ) from None
    return model.to(device).eval(), info
