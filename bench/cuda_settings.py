"""What each of the proxy trainer's CUDA settings costs or saves, one at a time.

    python bench/cuda_settings.py [--arch efficientnet_b0] [--batch-size 256] [--size 28]

Trains the same network on random data of the proxy's shape for every combination of bf16
autocast, channels_last and cudnn.benchmark, and prints the seconds of the first steps (where
cudnn.benchmark tries its algorithms, paid again by every new candidate) and the images per
second after them. An untimed run first keeps CUDA's start-up out of the table; kernels a row
loads at their first use are still counted in that row's first steps. Needs a CUDA device.
"""

from __future__ import annotations

import argparse
import itertools
import time

import torch
from torch import nn

from nas.archs import resolve_arch
from search_spaces import build_model


def measure(arch, args, bf16: bool, channels_last: bool, benchmark: bool) -> tuple[float, float]:
    torch.backends.cudnn.benchmark = benchmark
    torch.manual_seed(0)
    model = build_model(arch, num_classes=10, in_channels=args.channels).cuda()
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=memory_format)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    shape = (args.batch_size, args.channels, args.size, args.size)
    images = torch.randn(shape, device="cuda").contiguous(memory_format=memory_format)
    labels = torch.randint(0, 10, (args.batch_size,), device="cuda")

    def steps(count: int) -> float:
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(count):
            with torch.autocast("cuda", torch.bfloat16, enabled=bf16):
                loss = loss_fn(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        torch.cuda.synchronize()
        return time.perf_counter() - start

    first = steps(args.warmup)
    return first, args.batch_size * args.steps / steps(args.steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="efficientnet_b0")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--size", type=int, default=28, help="image side in pixels")
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5, help="first steps, timed apart")
    parser.add_argument("--steps", type=int, default=100, help="steps timed after them")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("cuda_settings needs a CUDA device")
    arch = resolve_arch(args.arch)
    print(
        f"{args.arch}, batch {args.batch_size} of {args.channels}x{args.size}x{args.size}, "
        f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    )
    measure(arch, args, bf16=False, channels_last=False, benchmark=False)  # CUDA's start-up
    print(f"{'bf16':>5} {'channels_last':>13} {'benchmark':>9} {'first steps':>12} {'img/s':>9}")
    for bf16, channels_last, benchmark in itertools.product((True, False), repeat=3):
        first, rate = measure(arch, args, bf16, channels_last, benchmark)
        print(f"{bf16!s:>5} {channels_last!s:>13} {benchmark!s:>9} {first:>10.2f} s {rate:>9.0f}")


if __name__ == "__main__":
    main()
