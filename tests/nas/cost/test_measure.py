from __future__ import annotations

import pytest
import torch

import baselines
from nas.cost import flops, fvcore_flops, latency, module_params, params
from search_spaces import build_model


@pytest.mark.parametrize(
    ("name", "published"),
    [("efficientnet_b0", 401.7e6), ("mobilenet_v2", 314.2e6)],
)
def test_fvcore_matches_torchvision_figures(name, published):
    assert abs(fvcore_flops(baselines.get(name)) - published) / published < 0.01


def test_mnasnet_a1_differs_from_timm_only_by_the_se_pool():
    # timm's SE pools with x.mean(), which fvcore does not count; ours uses adaptive_avg_pool2d.
    arch = baselines.get("mnasnet_a1")
    se_pool = 72 * 28 * 28 + 2 * 120 * 28 * 28 + (480 + 672) * 14 * 14 + (672 + 2 * 960) * 7 * 7
    assert abs((fvcore_flops(arch) - se_pool) - 324.1e6) / 324.1e6 < 0.0005


@pytest.mark.parametrize("name", ["efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"])
def test_closed_form_equals_fvcore_on_v2_at_its_evaluation_size(name):
    arch = baselines.get(name)  # resolution: 384 for S, 480 for M and L
    assert flops(arch) == fvcore_flops(arch)


# The three hand-written references; B1..B7 are scaled B0 (tests/baselines checks them).
@pytest.mark.parametrize("name", ["efficientnet_b0", "mobilenet_v2", "mnasnet_a1"])
@pytest.mark.parametrize(
    ("resolution", "channels", "classes"), [(224, 3, 1000), (28, 1, 10), (97, 3, 100)]
)
def test_closed_form_equals_fvcore_on_baselines(name, resolution, channels, classes):
    arch = baselines.get(name)
    assert flops(arch, resolution, channels, classes) == fvcore_flops(
        arch, resolution, channels, classes
    )


# 200 fvcore traces (~150 s alone, ~300 s beside another job), in four quarters that the
# suite's workers share.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("quarter", range(4))
def test_closed_form_equals_fvcore_on_200_random_samples(random_archs, quarter):
    resolutions = (28, 32, 64, 96, 160, 224)
    mismatches = []
    for index, arch in list(enumerate(random_archs))[quarter::4]:
        resolution = resolutions[index % len(resolutions)]
        channels, classes = (1, 10) if resolution < 64 else (3, 1000)
        exact = fvcore_flops(arch, resolution, channels, classes)
        closed = flops(arch, resolution, channels, classes)
        if abs(closed - exact) > 0.005 * exact or closed != exact:
            mismatches.append((resolution, closed, exact))
    assert len(random_archs) >= 200 and not mismatches


def test_params_closed_form_equals_module(random_archs):
    for index, arch in enumerate(random_archs[:60]):
        classes, channels = (10, 1) if index % 2 else (1000, 3)
        model = build_model(arch, num_classes=classes, in_channels=channels)
        assert params(arch, classes, channels) == module_params(model)


def test_params_of_b0():
    assert params(baselines.get("efficientnet_b0")) == 5_288_548


def test_flops_default_resolution_is_the_arch_deployment_resolution():
    b0 = baselines.get("efficientnet_b0")
    assert flops(b0) == flops(b0, 224)
    assert flops(b0.replace(resolution=240)) == flops(b0, 240) > flops(b0)


def test_fvcore_counts_a_module_and_leaves_its_mode():
    model = build_model(baselines.get("mobilenet_v2")).train()
    assert fvcore_flops(model, 224) == 314_193_216
    assert model.training


@pytest.mark.parametrize(
    ("call", "bad"),
    [
        (lambda: flops(baselines.get("efficientnet_b0"), 0), "resolution=0"),
        (lambda: flops("efficientnet_b0"), "ArchSpec"),
        (lambda: fvcore_flops(42), "ArchSpec or nn.Module"),
    ],
)
def test_bad_cost_arguments(call, bad):
    with pytest.raises(ValueError, match=bad):
        call()


def test_latency_is_a_median_and_restores_threads():
    model = build_model(baselines.get("efficientnet_b0"), num_classes=10, in_channels=1).train()
    threads = torch.get_num_threads()
    seconds = latency(model, 32, repeats=3, warmup=1)
    assert 0 < seconds < 5
    assert torch.get_num_threads() == threads and model.training
    with pytest.raises(ValueError, match="batch=0"):
        latency(model, 32, batch=0)
