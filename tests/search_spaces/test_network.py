from __future__ import annotations

import pytest
import torch

import baselines
from search_spaces import ArchSpec, BlockSpec, build_model
from search_spaces.blocks import DropPath, ResidualLayer, SqueezeExcite
from search_spaces.spec import OPS_WITH_EXPANSION


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("name", "num_classes", "expected"),
    [
        ("efficientnet_b0", 1000, 5_288_548),
        ("efficientnet_b0", 10, 4_020_358),
        ("mobilenet_v2", 1000, 3_504_872),
        ("mnasnet_a1", 1000, 3_887_038),
        ("efficientnet_v2_s", 1000, 21_458_488),  # torchvision 0.29
        ("efficientnet_v2_m", 1000, 54_139_356),
        ("efficientnet_v2_l", 1000, 118_515_272),
    ],
)
def test_published_parameter_counts(name, num_classes, expected):
    assert count(build_model(baselines.get(name), num_classes=num_classes)) == expected


def test_b0_squeeze_width_comes_from_block_input():
    model = build_model(baselines.get("efficientnet_b0"))
    se = [m for m in model.modules() if isinstance(m, SqueezeExcite)]
    assert len(se) == 16
    # Block 2, first layer: 16 input channels expanded to 96, squeezed to 16 // 4 = 4.
    assert (se[1].reduce.in_channels, se[1].reduce.out_channels) == (96, 4)
    assert all(isinstance(m, torch.nn.SiLU) for m in (se[0].act,))


def small_arch(op: str, expansion: int, se_ratio: float, skip: bool, activation: str) -> ArchSpec:
    stages = (
        BlockSpec(op, 3, 1, expansion, se_ratio, skip, 16, 2),
        BlockSpec(op, 5, 2, expansion, se_ratio, skip, 24, 2),
        BlockSpec(op, 3, 2, expansion, se_ratio, skip, 32, 1),
    )
    return ArchSpec(16, stages, 64, activation)


OP_CASES = [
    (op, expansion)
    for op in ("mbconv", "fused_mbconv", "ds", "conv")
    for expansion in ((1, 3, 6) if op in OPS_WITH_EXPANSION else (1,))
]


@pytest.mark.parametrize(("op", "expansion"), OP_CASES)
@pytest.mark.parametrize(
    ("se_ratio", "skip", "activation"),
    [(0.0, True, "relu6"), (0.25, False, "silu"), (0.25, True, "hardswish")],
)
@pytest.mark.parametrize(("size", "channels"), [(28, 1), (224, 3)])
def test_every_op_runs_forward_and_backward(
    op, expansion, se_ratio, skip, activation, size, channels
):
    torch.manual_seed(0)
    model = build_model(
        small_arch(op, expansion, se_ratio, skip, activation), num_classes=10, in_channels=channels
    )
    x = torch.randn(2, channels, size, size)
    out = model(x)
    assert out.shape == (2, 10)
    out.logsumexp(1).mean().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("size", [28, 31, 600])
def test_b0_runs_at_sizes_28_to_600(size):
    model = build_model(baselines.get("efficientnet_b0"), num_classes=7, in_channels=1).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 1, size, size))
    assert out.shape == (1, 7) and torch.isfinite(out).all()


def test_random_space_samples_train_at_28x28(random_archs):
    torch.manual_seed(0)
    for arch in random_archs[:12]:
        model = build_model(arch, num_classes=10, in_channels=1)
        loss = model(torch.randn(2, 1, 28, 28)).logsumexp(1).mean()
        loss.backward()
        assert torch.isfinite(loss)


def test_residual_only_where_shapes_allow():
    model = build_model(baselines.get("efficientnet_b0"))
    layers = [m for m in model.modules() if isinstance(m, ResidualLayer)]
    assert [layer.residual for layer in layers] == [
        False,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        True,
        True,
        False,
    ]


def test_drop_path_grows_with_depth_and_is_off_in_eval():
    model = build_model(baselines.get("efficientnet_b0"), drop_path=0.2)
    rates = [m.p for m in model.modules() if isinstance(m, DropPath)]
    assert rates == sorted(rates) and rates[0] > 0 and rates[-1] < 0.2
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"num_classes": 0}, "num_classes=0"),
        ({"in_channels": -1}, "in_channels=-1"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"drop_path": -0.1}, "drop_path=-0.1"),
    ],
)
def test_bad_build_arguments(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        build_model(baselines.get("efficientnet_b0"), **kwargs)


def test_build_refuses_a_string():
    with pytest.raises(ValueError, match="ArchSpec"):
        build_model("efficientnet_b0")


@pytest.mark.parametrize(
    ("kernel", "size", "stride", "groups"),
    [
        (5, 1, 1, 8),
        (5, 2, 2, 8),
        (3, 1, 1, 1),
        (7, 3, 2, 4),
        (5, 2, 1, 1),
        (9, 4, 1, 8),
        (3, 5, 2, 8),
    ],
)
def test_same_conv_skips_only_padding_taps(kernel, size, stride, groups):
    from search_spaces.blocks import SameConv2d

    torch.manual_seed(0)
    plain = torch.nn.Conv2d(8, 8, kernel, stride, kernel // 2, groups=groups, bias=False)
    same = SameConv2d(8, 8, kernel, stride, kernel // 2, groups=groups, bias=False)
    same.load_state_dict(plain.state_dict())
    x = torch.randn(3, 8, size, size, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    out_plain, out_same = plain(x), same(x2)
    assert out_same.shape == out_plain.shape
    torch.testing.assert_close(out_same, out_plain)
    out_plain.square().sum().backward()
    out_same.square().sum().backward()
    torch.testing.assert_close(x2.grad, x.grad)
    torch.testing.assert_close(same.weight.grad, plain.weight.grad)
