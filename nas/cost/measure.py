"""What a network costs: FLOPs (fvcore, and a closed form checked against it), params, latency.

FLOPs are multiply-adds, on fvcore's convention with the model in eval mode: a conv counts
out_positions x weight elements, a linear layer in x out, BatchNorm 2 per element (it IS
counted: about 13.5M of EfficientNet-B0's 401.7M), global average pooling 1 per input element;
activations, the sigmoid gate, the SE multiply and residual adds count nothing. No bias counted.
On feature maps smaller than a kernel (a 28x28 input reaches 1x1), only the kernel taps that can
touch the input run and are counted (search_spaces.blocks.SameConv2d); at 224x224 none is skipped.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

import baselines
from nas.errors import InputError
from nas.logs import quiet
from nas.runtime import torch_threads as _threads
from search_spaces.blocks import effective_kernel, squeeze_channels
from search_spaces.network import STEM_KERNEL, build_model
from search_spaces.spec import ArchSpec, LayerSpec, layer_plan

CHANNELS = baselines.DEPLOYMENT_CHANNELS  # the deployment shape's, the defaults below
CLASSES = baselines.DEPLOYMENT_CLASSES


def _conv_out(size: int, kernel: int, stride: int) -> int:
    padding = kernel // 2
    return (size + 2 * padding - kernel) // stride + 1


def _resolve(arch: ArchSpec, resolution: int | None) -> int:
    if not isinstance(arch, ArchSpec):
        raise InputError(f"arch must be an ArchSpec, got {type(arch).__name__}")
    size = arch.resolution if resolution is None else resolution
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"resolution={size!r} is invalid: must be an integer >= 1")
    return size


class _Tally:
    """Closed-form FLOPs and params of the layers as they are added, on fvcore's convention."""

    def __init__(self) -> None:
        self.flops = 0
        self.params = 0

    def conv(
        self,
        cin: int,
        cout: int,
        kernel: int,
        groups: int,
        in_size: int,
        out_size: int,
        bias: bool = False,
    ) -> None:
        used = effective_kernel(kernel, in_size)
        self.flops += cout * (cin // groups) * used * used * out_size * out_size
        self.params += cout * (cin // groups) * kernel * kernel + (cout if bias else 0)

    def bn(self, channels: int, size: int) -> None:
        self.flops += 2 * channels * size * size
        self.params += 2 * channels

    def conv_bn(
        self, cin: int, cout: int, kernel: int, in_size: int, out_size: int, groups: int = 1
    ) -> None:
        self.conv(cin, cout, kernel, groups, in_size, out_size)
        self.bn(cout, out_size)

    def squeeze_excite(self, channels: int, squeeze: int, size: int) -> None:
        self.flops += channels * size * size  # the global average pool reads every element
        self.conv(channels, squeeze, 1, 1, 1, 1, bias=True)
        self.conv(squeeze, channels, 1, 1, 1, 1, bias=True)

    def layer(self, layer: LayerSpec, in_size: int, out_size: int) -> None:
        cin, cout, k, se = layer.in_channels, layer.out_channels, layer.kernel, layer.se_ratio
        squeeze = squeeze_channels(cin, se)
        if layer.op == "identity":
            if layer.stride != 1 or cin != cout:  # the 1x1 projection
                self.conv_bn(cin, cout, 1, in_size, out_size)
        elif layer.op in ("mbconv", "ds"):
            mid = cin * layer.expansion
            if layer.expansion != 1:
                self.conv_bn(cin, mid, 1, in_size, in_size)
            self.conv_bn(mid, mid, k, in_size, out_size, groups=mid)
            if se > 0:
                self.squeeze_excite(mid, squeeze, out_size)
            self.conv_bn(mid, cout, 1, out_size, out_size)
        elif layer.expansion == 1:  # regular conv, or Fused-MBConv without expansion
            self.conv_bn(cin, cout, k, in_size, out_size)
            if se > 0:
                self.squeeze_excite(cout, squeeze, out_size)
        else:
            mid = cin * layer.expansion
            self.conv_bn(cin, mid, k, in_size, out_size)
            if se > 0:
                self.squeeze_excite(mid, squeeze, out_size)
            self.conv_bn(mid, cout, 1, out_size, out_size)


def _tally(arch: ArchSpec, resolution: int, in_channels: int, num_classes: int) -> _Tally:
    tally = _Tally()
    size = _conv_out(resolution, STEM_KERNEL, arch.stem_stride)
    tally.conv_bn(in_channels, arch.stem_channels, STEM_KERNEL, resolution, size)
    for layer in layer_plan(arch):
        out_size = _conv_out(size, layer.kernel, layer.stride)
        tally.layer(layer, size, out_size)
        size = out_size
    tally.conv_bn(arch.stages[-1].out_channels, arch.head_channels, 1, size, size)
    tally.flops += arch.head_channels * size * size  # global average pool
    tally.flops += arch.head_channels * num_classes
    tally.params += arch.head_channels * num_classes + num_classes
    return tally


def flops(
    arch: ArchSpec,
    resolution: int | None = None,
    in_channels: int = CHANNELS,
    num_classes: int = CLASSES,
) -> int:
    """Closed-form multiply-adds at batch 1 from the ArchSpec alone (fvcore's convention)."""
    return _tally(arch, _resolve(arch, resolution), in_channels, num_classes).flops


def params(arch: ArchSpec, num_classes: int = CLASSES, in_channels: int = CHANNELS) -> int:
    """Closed-form parameter count; equal to the built module's exact count."""
    return _tally(arch, _resolve(arch, None), in_channels, num_classes).params


def fvcore_flops(
    arch_or_module: ArchSpec | nn.Module,
    resolution: int | None = None,
    in_channels: int = CHANNELS,
    num_classes: int = CLASSES,
) -> int:
    """fvcore's count at batch 1, eval mode: the authority the closed form is checked against.

    An ArchSpec is built with ``num_classes`` and ``in_channels`` and counted at ``resolution``
    (default: its deployment resolution); a module is counted as given (default 224).
    """
    if isinstance(arch_or_module, ArchSpec):
        size = _resolve(arch_or_module, resolution)
        model = build_model(arch_or_module, num_classes=num_classes, in_channels=in_channels)
    elif isinstance(arch_or_module, nn.Module):
        size = baselines.DEPLOYMENT_RESOLUTION if resolution is None else resolution
        model = arch_or_module
    else:
        raise InputError(f"expected an ArchSpec or nn.Module, got {type(arch_or_module).__name__}")
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        sample = torch.zeros(1, in_channels, size, size, device=device)
        with quiet("fvcore"), torch.no_grad():
            from fvcore.nn import FlopCountAnalysis  # slow to import: only when asked for

            analysis = FlopCountAnalysis(model, sample)
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return int(analysis.total())
    finally:
        model.train(was_training)


def module_params(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def latency(
    model: nn.Module,
    resolution: int,
    batch: int = 1,
    threads: int = 1,
    device: str | torch.device = "cpu",
    in_channels: int | None = None,
    warmup: int = 3,
    repeats: int = 10,
) -> float:
    """Median seconds of one eval-mode forward pass, after ``warmup`` passes.

    The paper's setting (EfficientNet Table 4) is batch 1 on one core: the defaults.
    """
    for name, value in (
        ("resolution", resolution),
        ("batch", batch),
        ("threads", threads),
        ("repeats", repeats),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}={value!r} is invalid: must be an integer >= 1")
    if in_channels is None:
        first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
        in_channels = first_conv.in_channels
    device = torch.device(device)
    was_training = model.training
    model.eval().to(device)
    sample = torch.randn(batch, in_channels, resolution, resolution, device=device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = []
    try:
        with _threads(threads), torch.inference_mode():
            for _ in range(warmup):
                model(sample)
            synchronize()
            for _ in range(repeats):
                start = time.perf_counter()
                model(sample)
                synchronize()
                times.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
    return statistics.median(times)
