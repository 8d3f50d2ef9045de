"""The layers networks are built from. They know channels and kernels, nothing of strings.

The blocks match torchvision's and timm's, so that baselines have their published parameter
counts: no conv bias, BatchNorm after every conv, the squeeze-excite width taken from the layer's
input channels, a linear (activation-free) projection.
"""

from __future__ import annotations

import torch
from torch import nn

ACTIVATION_LAYERS: dict[str, type[nn.Module]] = {
    "silu": nn.SiLU,
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
}


def make_activation(name: str) -> nn.Module:
    return ACTIVATION_LAYERS[name](inplace=True)


def squeeze_channels(in_channels: int, se_ratio: float) -> int:
    """Squeeze-excite bottleneck width: max(1, int(block input channels x ratio))."""
    return max(1, int(in_channels * se_ratio))


def effective_kernel(kernel: int, size: int) -> int:
    """Kernel taps a 'same'-padded conv can use on a ``size``-pixel input: at most 2*size - 1.
    The outer taps of a large kernel on a tiny feature map only ever multiply padding."""
    return min(kernel, 2 * size - 1)


class SameConv2d(nn.Conv2d):
    """A conv with 'same' padding (kernel // 2) that skips kernel taps which can only see
    padding, as on the 1x1 and 2x2 feature maps a 28x28 input reaches. Outputs and gradients
    are exactly those of nn.Conv2d; the weights keep their full size."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel_h, kernel_w = self.kernel_size
        used_h = effective_kernel(kernel_h, x.shape[-2])
        used_w = effective_kernel(kernel_w, x.shape[-1])
        if (used_h, used_w) == (kernel_h, kernel_w):
            return super().forward(x)
        trim_h, trim_w = (kernel_h - used_h) // 2, (kernel_w - used_w) // 2
        weight = self.weight[:, :, trim_h : kernel_h - trim_h, trim_w : kernel_w - trim_w]
        return nn.functional.conv2d(
            x,
            weight,
            self.bias,
            self.stride,
            (used_h // 2, used_w // 2),
            self.dilation,
            self.groups,
        )


class ConvBnAct(nn.Sequential):
    """kxk conv (no bias, 'same' padding) -> BatchNorm -> optional activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
        activation: str | None = None,
    ) -> None:
        layers: list[nn.Module] = [
            SameConv2d(
                in_channels, out_channels, kernel, stride, kernel // 2, groups=groups, bias=False
            ),
            nn.BatchNorm2d(out_channels),
        ]
        if activation is not None:
            layers.append(make_activation(activation))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention: global pool -> 1x1 reduce -> act -> 1x1 expand -> sigmoid gate."""

    def __init__(self, channels: int, squeeze: int, activation: str) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.act = make_activation(activation)
        self.expand = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.gate(self.expand(self.act(self.reduce(self.pool(x)))))
        return x * scale


class DropPath(nn.Module):
    """Stochastic depth: drops the whole residual branch of a sample with probability p."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class ResidualLayer(nn.Module):
    """A body with an identity shortcut where shapes allow and the spec asks for it."""

    def __init__(self, body: nn.Sequential, residual: bool, drop_path: float) -> None:
        super().__init__()
        self.body = body
        self.residual = residual
        self.drop_path = DropPath(drop_path) if residual and drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return self.drop_path(out) + x if self.residual else out


def mbconv(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int,
    expansion: int,
    se_ratio: float,
    activation: str,
) -> nn.Sequential:
    """Inverted residual body: [1x1 expand] -> kxk depthwise -> [SE] -> 1x1 linear project.

    With expansion 1 there is no expand conv: this is the depthwise-separable conv.
    """
    mid = in_channels * expansion
    layers: list[nn.Module] = []
    if expansion != 1:
        layers.append(ConvBnAct(in_channels, mid, 1, activation=activation))
    layers.append(ConvBnAct(mid, mid, kernel, stride, groups=mid, activation=activation))
    if se_ratio > 0:
        layers.append(SqueezeExcite(mid, squeeze_channels(in_channels, se_ratio), activation))
    layers.append(ConvBnAct(mid, out_channels, 1))
    return nn.Sequential(*layers)


def fused_mbconv(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int,
    expansion: int,
    se_ratio: float,
    activation: str,
) -> nn.Sequential:
    """Fused-MBConv body: kxk expand conv -> [SE] -> 1x1 linear project.

    With expansion 1 there is no projection: this is the regular kxk conv (with its activation).
    """
    if expansion == 1:
        layers: list[nn.Module] = [
            ConvBnAct(in_channels, out_channels, kernel, stride, activation=activation)
        ]
        if se_ratio > 0:
            layers.append(
                SqueezeExcite(out_channels, squeeze_channels(in_channels, se_ratio), activation)
            )
        return nn.Sequential(*layers)
    mid = in_channels * expansion
    layers = [ConvBnAct(in_channels, mid, kernel, stride, activation=activation)]
    if se_ratio > 0:
        layers.append(SqueezeExcite(mid, squeeze_channels(in_channels, se_ratio), activation))
    layers.append(ConvBnAct(mid, out_channels, 1))
    return nn.Sequential(*layers)


def identity(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int,
    expansion: int,
    se_ratio: float,
    activation: str,
) -> nn.Sequential:
    """The input passed on: nothing where stride and channels stay, else a 1x1 projection conv
    with the stride and BatchNorm, without activation (NAS-Bench-Macro's skip choice)."""
    if stride == 1 and in_channels == out_channels:
        return nn.Sequential()
    return nn.Sequential(ConvBnAct(in_channels, out_channels, 1, stride))


# Each op's body builder. "ds" and "conv" are the expansion-1 cases of the two MBConv forms.
BODY_BUILDERS = {
    "mbconv": mbconv,
    "ds": mbconv,
    "fused_mbconv": fused_mbconv,
    "conv": fused_mbconv,
    "identity": identity,
}
