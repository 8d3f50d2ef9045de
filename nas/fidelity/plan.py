"""What the fidelity check trains: the proxy's and the yardstick's recipes on the loaded data, and
every run of every network.

The proxy is exactly what the search trains with the same settings. The yardstick is the same
proxy seeing ``factor`` times the images (``ProxyConfig.yardstick``: more distinct images first,
then more epochs), scored on the same held-out images. Within a budget and a seed every network
trains from the same seed, as in the search (common random numbers); the yardstick's seeds are
the proxy's seed plus 1000 plus the repeat, the proxy's the seed plus the repeat.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from nas.data import DataConfig, load_data
from nas.fidelity.config import FidelityConfig
from nas.fidelity.networks import Network
from nas.fidelity.runs import PROXY, YARDSTICK, YARDSTICK_SEED, Run, resolved
from nas.proxy import ProxyConfig, resolve_device
from nas.train import TrainConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """One budget's recipe: its images and its training."""

    name: str  # PROXY or YARDSTICK
    proxy: ProxyConfig
    data: DataConfig  # resolved: exactly the images it trains and validates on
    train: TrainConfig
    train_images: int
    val_images: int
    num_classes: int = 0  # the data's (0: not known), for telling a chance-level accuracy

    @property
    def images_seen(self) -> int:
        return round(self.train.epochs * self.train_images)

    def times(self, other: Budget) -> float:
        """This budget's images seen over ``other``'s."""
        return self.images_seen / other.images_seen

    def describe(self) -> str:
        return (
            f"{self.train_images:,} images x {self.train.epochs:.3g} epoch(s) = "
            f"{self.images_seen:,} images seen, batch {self.train.batch_size}, "
            f"{self.train.optimizer} lr {self.train.lr:g}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "train_images": self.train_images,
            "val_images": self.val_images,
            "epochs": self.train.epochs,
            "images_seen": self.images_seen,
            "batch_size": self.train.batch_size,
            "optimizer": self.train.optimizer,
            "lr": self.train.lr,
            "label_smoothing": self.train.label_smoothing,
        }


@dataclass(frozen=True)
class Plan:
    proxy: Budget
    yardstick: Budget
    device: str
    runs: tuple[Run, ...]  # the yardstick's first: they take longest


def budgets(config: FidelityConfig) -> tuple[Budget, Budget]:
    """The proxy's and the yardstick's recipes, sized on the data (loaded here, on the CPU:
    a dataset that fails fails once, before any process starts)."""
    proxy = config.proxy
    data = load_data(proxy.data_config, "cpu")
    train_images, val_images = data.train_images.shape[0], data.val_images.shape[0]
    log.info(proxy.describe(train_images, val_images, data.notes))
    proxy_data = resolved(proxy.data_config, train_images, val_images)
    if proxy_data.train_subset is None:
        available = train_images
    else:  # every training image the hold-out leaves
        everything = load_data(dataclasses.replace(proxy_data, train_subset=None), "cpu")
        available = everything.train_images.shape[0]
    classes = data.num_classes
    del data
    long = yardstick(config, train_images, available)
    yard_images = long.train_subset  # always given: the yardstick's images are counted
    yard_data = dataclasses.replace(proxy_data, train_subset=yard_images)
    return (
        Budget(
            PROXY,
            proxy,
            proxy_data,
            proxy.train_config(1, train_images),
            train_images,
            val_images,
            classes,
        ),
        Budget(
            YARDSTICK,
            long,
            yard_data,
            long.train_config(1, yard_images),
            yard_images,
            val_images,
            classes,
        ),
    )


def yardstick(config: FidelityConfig, train_images: int, available: int) -> ProxyConfig:
    """The yardstick's ProxyConfig: ``factor`` times the proxy's images seen (more distinct
    images first, then more epochs), or the images seen it is pinned to (as many distinct
    images as there are, up to that); with its own learning rate and batch size where given."""
    proxy = config.proxy
    seen = config.yardstick_images_seen
    if seen is None:
        long = proxy.yardstick(config.factor, train_images, available)
    else:
        long = proxy.seeing(seen, available)
    pinned = {"lr": config.yardstick_lr, "batch_size": config.yardstick_batch_size}
    return long.replace(**{name: value for name, value in pinned.items() if value is not None})


def plan(config: FidelityConfig, networks: tuple[Network, ...]) -> Plan:
    device = str(resolve_device(config.proxy.device))
    short, long = budgets(config)
    seed = config.proxy.seed
    runs = [
        Run(
            i,
            YARDSTICK,
            repeat,
            seed + YARDSTICK_SEED + repeat,
            n.arch,
            long.data,
            long.train,
            device,
        )
        for repeat in range(config.yardstick_seeds)
        for i, n in enumerate(networks)
    ]
    runs += [
        Run(i, PROXY, repeat, seed + repeat, n.arch, short.data, short.train, device)
        for repeat in range(config.proxy_seeds)
        for i, n in enumerate(networks)
    ]
    return Plan(short, long, device, tuple(runs))
