"""The network to export: ARCH freshly initialised, ARCH trained on the proxy data, or a
checkpoint's, with what it expects as input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from nas.data import load_data
from nas.errors import JobFailed
from nas.proxy import ProxyConfig, resolve_device
from nas.train import TrainingFailed, build_for, checkpoint, train
from nas.train.checkpoint import CheckpointInfo
from search_spaces import ArchSpec, NbMacroSpace, build_model, nb_macro
from search_spaces.network import ArchNet

DEFAULT_NUM_CLASSES = 1000  # ImageNet's; a NAS-Bench-Macro network's default is its 10
DEFAULT_IN_CHANNELS = 3


@dataclass(frozen=True)
class Network:
    """A network to export, what it expects as input, and its name in messages."""

    model: ArchNet
    info: CheckpointInfo
    label: str

    @property
    def parameters(self) -> int:
        return sum(parameter.numel() for parameter in self.model.parameters())

    def describe(self) -> str:
        info = self.info
        return (
            f"{self.label}: {self.parameters:,} parameters, {info.num_classes} classes, "
            f"input {info.in_channels}x{info.image_size}x{info.image_size}"
        )


def default_num_classes(arch: ArchSpec) -> int:
    """The classes ``arch`` is exported with unless told: 10 for a network of NAS-Bench-Macro's
    space (the table's networks are CIFAR-10 classifiers), else 1000."""
    if arch.resolution == nb_macro.RESOLUTION and arch in NbMacroSpace():
        return nb_macro.NUM_CLASSES
    return DEFAULT_NUM_CLASSES


def untrained_network(
    arch: ArchSpec,
    num_classes: int | None = None,
    in_channels: int = DEFAULT_IN_CHANNELS,
    seed: int = 0,
    label: str = "architecture",
    image_size: int | None = None,
) -> Network:
    """``arch`` freshly initialised (seeded) for ``arch.resolution`` pixels and
    ``num_classes`` (None: ``default_num_classes(arch)``), taking ``image_size`` pixels (None:
    ``arch.resolution``); its info records no input normalisation."""
    if num_classes is None:
        num_classes = default_num_classes(arch)
    with torch.random.fork_rng(devices=[]):  # the caller's random state is left as it was
        torch.manual_seed(seed)
        model = build_model(arch, num_classes=num_classes, in_channels=in_channels).eval()
    info = CheckpointInfo(
        arch=arch,
        num_classes=num_classes,
        in_channels=in_channels,
        image_size=image_size or arch.resolution,
        mean=(0.0,) * in_channels,
        std=(1.0,) * in_channels,
    )
    return Network(model, info, label)


def trained_network(arch: ArchSpec, proxy: ProxyConfig, label: str = "architecture") -> Network:
    """``arch`` trained with the proxy trainer on ``proxy``'s data (seeded by ``proxy.seed``);
    the accuracy on its held-out images is ``info.metrics["accuracy"]``. JobFailed if the
    training diverges."""
    data = load_data(proxy.data_config, resolve_device(proxy.device))
    config = proxy.train_config(train_images=data.train_images.shape[0])
    model = build_for(arch, data, config, seed=proxy.seed)
    try:
        result = train(model, data, config, seed=proxy.seed)
    except TrainingFailed as error:
        raise JobFailed(f"training failed: {error}") from None
    metrics = {
        "accuracy": result.accuracy,
        "dataset": data.name,
        "train_images": int(data.train_images.shape[0]),
        "val_images": int(data.val_images.shape[0]),
        "epochs": config.epochs,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "seed": proxy.seed,
    }
    info = CheckpointInfo(
        arch=arch,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        image_size=data.image_size,
        mean=data.mean,
        std=data.std,
        metrics=metrics,
    )
    return Network(model.cpu().eval(), info, label)


def checkpoint_network(folder: str | Path) -> Network:
    """A checkpoint folder's network, weights loaded."""
    model, info = checkpoint.load(folder)
    return Network(model, info, f"checkpoint {str(folder)!r}")
