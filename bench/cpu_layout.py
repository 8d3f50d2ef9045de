"""What channels_last and bf16 autocast cost or save on the CPU, network by network.

    python bench/cpu_layout.py [--threads 1] [--size 32] [--batch-size 64]

Trains each network on random data of the proxy's shape (AdamW, as the proxy trains) in the
four combinations of memory layout and precision, and prints the milliseconds of one training
step and of one evaluation batch of 512 (no gradients). The networks: four NAS-Bench-Macro
keys, EfficientNet-B0 and three MnasNet-space samples (seeded). The trainers use what was
fastest here on most networks (channels_last, fp32); docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import argparse
import random
import time

import torch
from torch import nn

from baselines import get
from search_spaces import build_model, make_space, nb_macro

EVAL_BATCH = 512


def measure(arch, args, channels_last: bool, bf16: bool) -> tuple[float, float]:
    """(ms per training step, ms per evaluation batch)."""
    torch.manual_seed(0)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = build_model(arch, num_classes=10).to(memory_format=layout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.randn(args.batch_size, 3, args.size, args.size).contiguous(memory_format=layout)
    labels = torch.randint(0, 10, (args.batch_size,))

    def step() -> None:
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            loss = loss_fn(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    train_ms = 1000 * (time.perf_counter() - start) / args.steps
    batch = torch.randn(EVAL_BATCH, 3, args.size, args.size).contiguous(memory_format=layout)
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        model(batch)
        start = time.perf_counter()
        model(batch)
    return train_ms, 1000 * (time.perf_counter() - start)


def networks(seed: int) -> list[tuple[str, object]]:
    reference = get("efficientnet_b0")
    space = make_space("mnasnet", reference)
    rng = random.Random(seed)
    found = [
        (f"nb-macro {key}", nb_macro.arch(key))
        for key in ("11111111", "22222222", "12012012", "20202020")
    ]
    found.append(("efficientnet_b0", reference))
    found += [(f"mnasnet sample {i}", space.sample_random(rng)) for i in range(3)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a search job's)")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="draws the MnasNet samples")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    combos = [(False, False), (True, False), (False, True), (True, True)]
    names = ["nchw fp32", "cl fp32", "nchw bf16", "cl bf16"]
    print(
        f"batch {args.batch_size} of 3x{args.size}x{args.size}, {args.threads} thread(s), "
        f"torch {torch.__version__}; ms per training step / per eval batch of {EVAL_BATCH}"
    )
    print(
        f"{'network':<22}" + "".join(f"{name:>16}" for name in names) + f"{'cl fp32 speed-up':>18}"
    )
    for label, arch in networks(args.seed):
        cells = [measure(arch, args, channels_last, bf16) for channels_last, bf16 in combos]
        text = "".join(f"{train:>9.0f}/{evaluate:<6.0f}" for train, evaluate in cells)
        gain = cells[0][0] / cells[1][0]
        print(f"{label:<22}{text}{gain:>17.2f}x", flush=True)


if __name__ == "__main__":
    main()
