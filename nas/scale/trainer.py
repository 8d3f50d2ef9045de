"""Training a scaled network on the proxy data at the proxy resolution times its factor."""

from __future__ import annotations

from typing import Any

from nas.data import ProxyData, load_data, resized
from nas.proxy import ProxyConfig, resolve_device
from nas.train import TrainConfig, train_arch
from search_spaces import ArchSpec


class ProxyTrainer:
    """Trains any scaled network on one proxy's images, resized once per resolution factor."""

    def __init__(self, data: ProxyData, config: TrainConfig) -> None:
        self.data = data
        self.config = config
        self._sizes: dict[int, ProxyData] = {}

    @classmethod
    def for_proxy(cls, proxy: ProxyConfig) -> ProxyTrainer:
        """The proxy's data loaded on its device, trained as its preset says."""
        data = load_data(proxy.data_config, resolve_device(proxy.device))
        return cls(data, proxy.train_config(train_images=data.train_images.shape[0]))

    def data_at(self, factor: float) -> ProxyData:
        size = max(8, round(self.data.image_size * factor))
        if size not in self._sizes:
            self._sizes[size] = resized(self.data, size)
        return self._sizes[size]

    def accuracy(self, arch: ArchSpec, resolution_factor: float, seed: int) -> dict[str, Any]:
        """Validation accuracy, seconds, images per second and the resolution trained at."""
        data = self.data_at(resolution_factor)
        result = train_arch(arch, data, self.config, seed=seed)
        return {
            "accuracy": result.accuracy,
            "seconds": result.seconds,
            "images_per_s": result.images_per_s,
            "proxy_resolution": data.image_size,
        }
