"""ProxyConfig: presets as budgets, the images-seen budget, the yardstick, the study identity."""

from __future__ import annotations

import pytest

from nas.errors import ConfigError
from nas.proxy import PRESETS, ProxyConfig


def test_the_cpu_preset_counts_images_seen():
    proxy = ProxyConfig()
    assert proxy.budget_images == 20_000
    assert proxy.epochs_for(20_000) == 1.0  # Fashion-MNIST and CIFAR-10: one epoch
    assert proxy.epochs_for(1_618) == pytest.approx(20_000 / 1_618)  # a small set: several
    assert proxy.train_config(train_images=2_000).epochs == 10.0
    assert proxy.images_seen_on(1_618) == 20_000


def test_given_epochs_or_training_size_are_the_budget():
    assert ProxyConfig(epochs=0.5).epochs_for(1_000) == 0.5
    explicit = ProxyConfig(train_subset=192)
    assert explicit.budget_images is None and explicit.epochs_for(192) == 1.0
    assert ProxyConfig(images_seen=500).epochs_for(250) == 2.0
    assert ProxyConfig(preset="gpu").epochs_for(40_000) == 5.0  # the gpu preset counts epochs


def test_preset_sizes_are_caps_and_given_sizes_demands():
    preset = ProxyConfig().data_config
    assert (preset.train_cap, preset.val_cap) == (True, True)
    given = ProxyConfig(train_subset=500, val_subset=100).data_config
    assert (given.train_cap, given.val_cap) == (False, False)


def test_the_yardstick_sees_factor_times_the_images():
    proxy = ProxyConfig(dataset="cifar10")
    yardstick = proxy.yardstick(2.5, train_images=20_000, available=40_000)
    assert yardstick.train_subset == 40_000  # more distinct images first
    assert yardstick.images_seen_on(40_000) == 50_000  # then more epochs: 1.25
    small = ProxyConfig().yardstick(2.5, train_images=1_618, available=1_618)
    assert small.train_subset == 1_618 and small.images_seen_on(1_618) == 50_000
    with pytest.raises(ConfigError, match="factor=0.5 is invalid"):
        proxy.yardstick(0.5, 10_000, 40_000)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"epochs": 1.0, "images_seen": 100}, "give epochs or images_seen, not both"),
        ({"image_size": 32}, "image_size=32 is invalid: applies to imagefolder"),
        ({"images_seen": 0}, "images_seen=0 is invalid"),
    ],
)
def test_bad_budgets(fields, message):
    with pytest.raises(ConfigError, match=message):
        ProxyConfig(**fields)


def test_identity_is_unchanged_unless_the_new_settings_are_given():
    """Studies made before images_seen and image_size existed must still resume."""
    identity = ProxyConfig().identity()
    assert set(identity) == {
        "dataset", "train_subset", "val_subset", "epochs", "batch_size", "lr", "optimizer",
        "label_smoothing",
    }  # fmt: skip
    assert identity["epochs"] == PRESETS["cpu"].epochs == 1.0
    assert ProxyConfig(images_seen=5_000).identity()["images_seen"] == 5_000


def test_describe_says_what_the_run_uses():
    line = ProxyConfig().describe(1_618, 179, ("val_subset 10,000 capped at 179",))
    assert line == (
        "proxy: fashion-mnist, 1,618 training and 179 held-out images, 12.4 epoch(s) = "
        "20,000 images seen; val_subset 10,000 capped at 179"
    )
