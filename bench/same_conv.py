"""Training-step time with SameConv2d (padding-only kernel taps skipped) against nn.Conv2d.

    python bench/same_conv.py [--size 28] [--batch 64] [--steps 8]

On a 28x28 input the last stages of these networks run on 2x2 and 1x1 feature maps, where most
taps of a 3x3 or 5x5 kernel only ever multiply padding. Same weights, same results.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import baselines
from search_spaces import build_model
from search_spaces.blocks import SameConv2d
from search_spaces.mnasnet import MnasSpace


def step_ms(model: nn.Module, size: int, batch: int, steps: int) -> float:
    x = torch.randn(batch, 1, size, size)
    y = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.AdamW(model.parameters(), 3e-3)
    for index in range(steps + 2):  # two warm-up steps
        if index == 2:
            start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    archs = {
        "efficientnet_b0": baselines.get("efficientnet_b0"),
        "sample 1": MnasSpace(baselines.get("efficientnet_b0")).sample_random(1),
        "sample 2": MnasSpace(baselines.get("efficientnet_b0")).sample_random(2),
    }
    print(
        f"{args.size}x{args.size} inputs, batch {args.batch}, {torch.get_num_threads()} "
        f"threads, torch {torch.__version__}"
    )
    trimmed_forward = SameConv2d.forward
    for name, arch in archs.items():
        torch.manual_seed(0)
        model = build_model(arch, 10, 1, 0.0, 0.0)
        same = step_ms(model, args.size, args.batch, args.steps)
        SameConv2d.forward = nn.Conv2d.forward  # every kernel tap, as nn.Conv2d does
        try:
            plain = step_ms(model, args.size, args.batch, args.steps)
        finally:
            SameConv2d.forward = trimmed_forward
        print(
            f"{name:>16}: nn.Conv2d {plain:6.0f} ms/step   SameConv2d {same:6.0f} ms/step   "
            f"{plain / same:.2f}x"
        )


if __name__ == "__main__":
    main()
