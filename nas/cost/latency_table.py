"""A latency table: per-layer milliseconds measured on one target, its JSON file, and the latency
of a network predicted from it (the sum over its layers plus the target's per-network overhead).

The file (``FORMAT``, documented in docs/latency.md so a user can fill it from their own
device's measurements)::

    {"format": "efficientnas-latency-table", "version": 1,
     "target": {"backend": "torch", "device": "cpu", "threads": 1, "batch": 1},
     "machine": "...", "versions": {"torch": "2.13.0+cpu", ...}, "created": "2026-12-06...",
     "scale": 1.04, "per_layer_ms": -0.12, "overhead_ms": 0.0,
     "calibration": {"networks": 20, "seed": 1000},
     "entries": {"layer:ir_k3_s1_e6_se0.25_i24_o24_p56_silu_res":
                 {"ms": 1.234, "spread": 0.021, "repeats": 15}, ...}}

``ms`` is the median of the repeats, ``spread`` their interquartile range over the median.
A network is predicted as ``scale`` x the sum of its layers' ``ms`` + ``per_layer_ms`` x its
number of layers + ``overhead_ms``; the build fits ``scale`` and ``per_layer_ms`` on networks
measured end to end (``calibration``): ``per_layer_ms`` is what a layer measured alone spends
that it does not inside a network (negative) or the reverse. A table filled by hand may leave
them out (1, 0 and 0).
"""

from __future__ import annotations

import datetime
import json
import math
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import baselines
from nas.atomic import write_text
from nas.cost.latency_layers import LayerKey, network_layers
from nas.errors import ConfigError, InputError, MissingFile
from search_spaces.spec import ArchSpec

FORMAT = "efficientnas-latency-table"
VERSION = 1
BACKENDS = ("torch", "onnxruntime")
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Target:
    """Where latency is measured: a backend on a device with a thread count, at a batch size."""

    backend: str = "torch"
    device: str = "cpu"
    threads: int = 1
    batch: int = 1

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError("backend", self.backend, f"must be one of {', '.join(BACKENDS)}")
        if self.device not in DEVICES:
            raise ConfigError("device", self.device, f"must be one of {', '.join(DEVICES)}")
        if self.backend == "onnxruntime" and self.device != "cpu":
            raise ConfigError("device", self.device, "onnxruntime is measured on the cpu here")
        for name in ("threads", "batch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "must be an integer >= 1")
        if self.device == "cuda":  # threads are the CPU's: one CUDA target whatever they say
            object.__setattr__(self, "threads", 1)

    def describe(self) -> str:
        threads = f", {self.threads} thread(s)" if self.device == "cpu" else ""
        return f"{self.backend} on {self.device}{threads}, batch {self.batch}"


@dataclass(frozen=True)
class Entry:
    """One layer's measurement: the median milliseconds, the spread (IQR / median), repeats."""

    ms: float
    spread: float = 0.0
    repeats: int = 0


def machine() -> str:
    """The machine a table was measured on: its processor and core count."""
    import os

    processor = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                processor = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{processor}, {os.cpu_count()} cores"


def library_versions(target: Target) -> dict[str, str]:
    """The versions a table's figures depend on."""
    import torch

    versions = {"torch": torch.__version__, "python": platform.python_version()}
    if target.backend == "onnxruntime":
        try:
            import onnxruntime
        except ImportError:  # a table from a device, read where onnxruntime is not installed
            return versions
        versions["onnxruntime"] = onnxruntime.__version__
    if target.device == "cuda" and torch.cuda.is_available():
        versions["cuda"] = str(torch.version.cuda)
        versions["gpu"] = torch.cuda.get_device_name()
    return versions


@dataclass
class LatencyTable:
    """Per-layer latency on one target; ``predict`` sums a network's layers."""

    target: Target
    entries: dict[str, Entry] = field(default_factory=dict)
    overhead_ms: float = 0.0
    scale: float = 1.0
    calibration: dict = field(default_factory=dict)
    machine: str = field(default_factory=machine)
    versions: dict[str, str] = field(default_factory=dict)
    created: str = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        )
    )
    per_layer_ms: float = 0.0  # added per layer of a network (see the module's docstring)

    def missing(self, keys: Iterable[LayerKey]) -> list[LayerKey]:
        """The keys the table has no entry for, in the order given, without repeats."""
        return [key for key in dict.fromkeys(keys) if key.text not in self.entries]

    def layer_ms(self, keys: Iterable[LayerKey]) -> list[float]:
        """The milliseconds of each key; InputError naming the first one the table lacks."""
        found = []
        for key in keys:
            entry = self.entries.get(key.text)
            if entry is None:
                raise InputError(
                    f"the latency table has no entry for {key.text}: build it for this space "
                    "and resolution (python -m nas.latency build)"
                )
            found.append(entry.ms)
        return found

    def predict(
        self,
        arch: ArchSpec,
        resolution: int | None = None,
        in_channels: int = baselines.DEPLOYMENT_CHANNELS,
        num_classes: int = baselines.DEPLOYMENT_CLASSES,
    ) -> float:
        """Predicted milliseconds of one forward pass of ``arch``: ``scale`` x the sum of its
        layers, plus ``per_layer_ms`` per layer, plus the overhead."""
        return self.combine(*self.layers_sum(arch, resolution, in_channels, num_classes))

    def combine(self, layers_sum: float, layers: int) -> float:
        """The prediction of a network whose ``layers`` layers sum to ``layers_sum`` ms."""
        return self.scale * layers_sum + self.per_layer_ms * layers + self.overhead_ms

    def layers_sum(
        self,
        arch: ArchSpec,
        resolution: int | None = None,
        in_channels: int = baselines.DEPLOYMENT_CHANNELS,
        num_classes: int = baselines.DEPLOYMENT_CLASSES,
    ) -> tuple[float, int]:
        """The sum of ``arch``'s layers' milliseconds, uncalibrated, and how many layers."""
        layers = self.layer_ms(network_layers(arch, resolution, in_channels, num_classes))
        return math.fsum(layers), len(layers)

    def mismatch(self, target: Target) -> str | None:
        """Why this table may not describe ``target`` on this machine (None if it does)."""
        if target != self.target:
            return f"the table was measured on {self.target.describe()}, not {target.describe()}"
        here = library_versions(target)
        for name, version in self.versions.items():
            if name in here and here[name] != version:
                return f"the table was measured with {name} {version}, this is {here[name]}"
        if self.machine != machine():
            return f"the table was measured on {self.machine}, this is {machine()}"
        return None

    def record(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "target": {
                "backend": self.target.backend,
                "device": self.target.device,
                "threads": self.target.threads,
                "batch": self.target.batch,
            },
            "machine": self.machine,
            "versions": dict(self.versions),
            "created": self.created,
            "scale": self.scale,
            "overhead_ms": self.overhead_ms,
            "per_layer_ms": self.per_layer_ms,
            "calibration": dict(self.calibration),
            "entries": {
                text: {"ms": entry.ms, "spread": entry.spread, "repeats": entry.repeats}
                for text, entry in sorted(self.entries.items())
            },
        }

    def save(self, path: str | Path) -> None:
        """Write the table atomically (a stopped build keeps what it measured)."""
        write_text(Path(path), json.dumps(self.record(), indent=1) + "\n")

    @classmethod
    def from_record(cls, record: object, source: str = "the table") -> LatencyTable:
        rule = f"{source} is not a latency table"
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise InputError(f"{rule}: its format is not {FORMAT!r}")
        if record.get("version") != VERSION:
            raise InputError(f"{rule} of version {VERSION}: version {record.get('version')!r}")
        try:
            target = Target(**record["target"])
            if not isinstance(record["entries"], dict):
                raise TypeError("entries must be an object of layer key -> measurement")
            entries = {}
            for text, value in record["entries"].items():
                try:
                    key = LayerKey.parse(text).text  # the canonical form that lookups use
                except InputError as error:
                    raise InputError(f"{rule}: {error}") from None
                if not isinstance(value, dict):
                    raise TypeError(f"{text}: a measurement is an object with ms")
                entry = Entry(
                    float(value["ms"]),
                    float(value.get("spread", 0.0)),
                    int(value.get("repeats", 0)),
                )
                if not (math.isfinite(entry.ms) and entry.ms >= 0):
                    raise InputError(f"{rule}: {text} has ms={entry.ms!r}, must be >= 0")
                entries[key] = entry
            overhead = float(record.get("overhead_ms", 0.0))
            per_layer = float(record.get("per_layer_ms", 0.0))
            scale = float(record.get("scale", 1.0))
            if not (math.isfinite(scale) and scale > 0):
                raise InputError(f"{rule}: scale={scale!r} must be > 0")
            for name, value in (("overhead_ms", overhead), ("per_layer_ms", per_layer)):
                if not math.isfinite(value):
                    raise InputError(f"{rule}: {name}={value!r} must be finite")
            calibration = dict(record.get("calibration") or {})
            versions = {str(k): str(v) for k, v in dict(record.get("versions") or {}).items()}
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, ConfigError) as error:
            raise InputError(f"{rule}: {type(error).__name__}: {error}") from None
        return cls(
            target,
            entries,
            overhead,
            scale,
            calibration,
            str(record.get("machine", "")),
            versions,
            str(record.get("created", "")),
            per_layer,
        )

    @classmethod
    def load(cls, path: str | Path) -> LatencyTable:
        """Read a table; MissingFile if there is none, InputError if it is not one."""
        path = Path(path)
        if not path.is_file():
            raise MissingFile(f"latency table {path} not found")
        try:
            record = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"{path} is not a latency table: {error}") from None
        return cls.from_record(record, str(path))
